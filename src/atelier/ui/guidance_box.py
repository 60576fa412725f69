"""The prompt panel's Guidance section: a ControlNet that steers an image by a control image (the
sketch layer, the picture shown with its edges, line art, depth map or pose found, or a file), with its strength
and the share of the steps it acts on. Collapsed at first; its controls are made when it is
first opened. The window turns ``choice()`` into a ``ControlUse`` once the control image is
stored in the project."""

import dataclasses
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.families import base_family, part_fits
from ..core.limits import DETECTED_PREPROCESSORS
from .widgets import named, narrow_combo

SOURCES = (("sketch", "Sketch layer"), ("picture", "Current picture"), ("file", "Image file..."))
PREPROCESSES = (("canny", "Canny edges"), ("lineart", "Line art"), ("none", "As is"))
_TITLE = "Guidance (ControlNet)"
_NONE_LISTED = "No ControlNet found: put one in A1111's models/ControlNet or ComfyUI's models/controlnet, then rescan."
_NONE_FITS = "No ControlNet here fits {family} models: add one made for {family}, then rescan."


@dataclass(frozen=True)
class ControlChoice:
    """What the Guidance section asks for, read when Generate is pressed."""

    model: object  # the ControlNet's ModelInfo
    source: str  # "sketch", "picture" or "file"
    preprocess: str  # for a picture or a file; a sketch is used as it is
    strength: float
    start: float
    end: float
    file_asset: str | None  # the chosen file, stored in the project
    detector: object = None  # the depth or pose model's ModelInfo, for preprocess "depth" or "pose"

    def use(self, image: str):
        """The request's ControlUse with ``image``, the control image's asset."""
        from ..core.tasks.adapters import ControlUse  # the request types: not needed for the first frame

        preprocess = "none" if self.source == "sketch" else self.preprocess
        detector = self.detector.id if preprocess in DETECTED_PREPROCESSORS else ""
        return ControlUse(model=self.model.id, image=image, preprocess=preprocess, strength=self.strength,
                          start=self.start, end=self.end, detector=detector)


class GuidanceBox(QWidget):
    choose_file_requested = Signal()  # the artist wants to pick a control image file

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("guidanceBox")
        self._parts: list = []  # every ControlNet listed
        self._depth_models: list = []  # every depth model listed: each makes depth maps of the picture
        self._pose_models: list = []  # every pose model listed: each makes pose maps of the picture
        self._family = ""  # the chosen checkpoint's
        self.file_image = None  # the chosen file (init_image_box.InitImage), stored in the project
        self._file_wanted: str | None = None  # the control image asset a restore is reading
        self.body: QWidget | None = None  # made when first opened
        self.opened = False
        # Not checkable: a checked button is drawn pressed in, and this is a section's title.
        self.toggle = named(QToolButton(), "guidanceToggle", "Guidance")
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.setText(_TITLE)
        self.toggle.setToolTip("Steer the image with a sketch, or the edges or line art of a picture")
        self.toggle.clicked.connect(lambda: self.set_open(not self.opened))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toggle)

    # ----- what the panel and the window tell it ------------------------------------------------
    def set_parts(self, parts: list) -> None:
        """The parts the scan found; the ControlNets among them are offered."""
        self._parts = [part for part in parts if part.kind == "controlnet"]
        self._depth_models = [part for part in parts if part.kind == "depth"]
        self._pose_models = [part for part in parts if part.kind == "pose"]
        self._fill_models()
        self._fill_preprocesses()

    def set_family(self, family: str) -> None:
        """The chosen checkpoint's family: only ControlNets that fit it are offered."""
        self._family = family
        self._fill_models()

    def set_file(self, image) -> None:
        """The control image file chosen (an InitImage stored in the project; None: none)."""
        self.file_image = image
        if self.body is not None:
            self.file_label.setText(image.label if image is not None else "no file chosen")
            self.file_label.setToolTip(f"{image.width} × {image.height}, stored as {image.asset}" if image else "")

    def choice(self) -> ControlChoice | None:
        """What Generate should use; None when no ControlNet is chosen (or the section is hidden:
        a sound model is chosen)."""
        if self.body is None or self.isHidden() or self.model_combo.currentData() is None:
            return None
        made_by = self.preprocess_combo.currentData()  # a preprocess, or a depth or pose model's ModelInfo
        detected = not isinstance(made_by, str)  # its kind ("depth", "pose") is the preprocess
        return ControlChoice(
            model=self.model_combo.currentData(), source=self.source_combo.currentData(),
            preprocess=made_by.kind if detected else made_by, strength=self.strength_spin.value(),
            start=self.start_spin.value(), end=self.end_spin.value(),
            file_asset=self.file_image.asset if self.file_image is not None else None,
            detector=made_by if detected else None)

    def apply(self, settings: dict, read_image) -> list[str]:
        """Set the section from recipe-style ``settings``: their first control (none: guidance
        off), its control image (a sketch or a picture as it was stored) coming back as the image
        file, read off the UI thread (``read_image(asset, then)``). Returns what could not be
        restored, in words."""
        controls = [dataclasses.asdict(c) if dataclasses.is_dataclass(c) else c
                    for c in settings.get("controls") or () if isinstance(c, dict) or dataclasses.is_dataclass(c)]
        if not controls:
            if self.body is not None:
                self.model_combo.setCurrentIndex(0)
            return []
        use, missed = controls[0], [f"{len(controls) - 1} more ControlNet(s): the window guides with one"] \
            if len(controls) > 1 else []
        self.set_open(True)
        combo = self.model_combo
        found = next((i for i in range(1, combo.count()) if combo.itemData(i).id == use.get("model")), None)
        if found is None:
            combo.setCurrentIndex(0)
            return missed + [f"guidance (ControlNet {use.get('model')} not listed for this model)"]
        combo.setCurrentIndex(found)
        # A built-in preprocess by its name, a detector model (depth, ...) by its id.
        wanted = use.get("detector") or use.get("preprocess")
        made_by = next((i for i in range(self.preprocess_combo.count())
                        if wanted in (self.preprocess_combo.itemData(i),
                                      getattr(self.preprocess_combo.itemData(i), "id", None))), None)
        if made_by is None:
            missed.append(f"guidance's {use.get('preprocess')} model ({use.get('detector')} not listed)")
        else:
            self.preprocess_combo.setCurrentIndex(made_by)
        for spin, key in ((self.strength_spin, "strength"), (self.start_spin, "start"), (self.end_spin, "end")):
            if isinstance(use.get(key), (int, float)):
                spin.setValue(float(use[key]))
        self.source_combo.setCurrentIndex(self.source_combo.findData("file"))
        self.set_file(None)
        asset = use.get("image")
        if read_image is None or not isinstance(asset, str):
            return missed + ["guidance's control image"]
        self._file_wanted = asset
        read_image(asset, self._on_file_read)
        return missed

    def _on_file_read(self, image) -> None:
        if self._file_wanted is None or (image is not None and image.asset != self._file_wanted):
            return  # an earlier restore's
        self._file_wanted = None
        if image is not None:
            self.set_file(dataclasses.replace(image, label="the control image it was made with"))

    def set_open(self, opened: bool) -> None:
        """Open (its controls are made the first time) or collapse the section."""
        self.opened = opened
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if opened else Qt.ArrowType.RightArrow)
        if opened and self.body is None:
            self._build()
        if self.body is not None:
            self.body.setVisible(opened)

    # ----- internals -------------------------------------------------------------------------------
    def _build(self) -> None:
        self.body = body = QWidget()
        body.setObjectName("guidanceBody")
        self.model_combo = narrow_combo("guidanceModelCombo", "ControlNet")
        self.model_combo.currentIndexChanged.connect(self._show_title)
        self.hint_label = named(QLabel(), "guidanceHint", "Where ControlNets go")
        self.hint_label.setWordWrap(True)
        self.source_combo = named(QComboBox(), "guidanceSourceCombo", "Control image")
        for source, text in SOURCES:
            self.source_combo.addItem(text, source)
        self.source_combo.setItemData(0, "The lines drawn with Image > Sketch (white on black, used as they are)",
                                      Qt.ItemDataRole.ToolTipRole)
        self.source_combo.currentIndexChanged.connect(self._show_source)
        self.source_combo.activated.connect(self._ask_for_file)
        self.preprocess_combo = named(QComboBox(), "guidancePreprocessCombo", "Made from the picture")
        self.preprocess_combo.setToolTip("What the ControlNet is given: the picture's edges, its line art, "
                                         "its depth map or pose (by a depth or pose model you have), or the "
                                         "picture as it is "
                                         "(a depth map, a pose, a sketch)")
        self.file_button = named(QPushButton("Choose..."), "guidanceFileButton", "Choose a control image file")
        self.file_button.clicked.connect(self.choose_file_requested)
        self.file_label = named(QLabel(), "guidanceFileName", "Control image file")
        self.strength_spin = self._spin("guidanceStrengthSpin", "Control strength", 2.0, 1.0,
                                        "How strongly the control image steers: 0 not at all, 1 as trained")
        self.start_spin = self._spin("guidanceStartSpin", "Control start", 1.0, 0.0,
                                     "The share of the steps done before the guidance starts")
        self.end_spin = self._spin("guidanceEndSpin", "Control end", 1.0, 1.0,
                                   "The share of the steps done when the guidance ends")
        self.file_row = _row(self.file_button, self.file_label)
        self.fields = QWidget()  # hidden while no ControlNet fits: the hint alone says what to do
        self.form = form = QFormLayout(self.fields)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("ControlNet", self.model_combo)
        # One row each where they fit: the panel is tall already.
        form.addRow("Image", _row(self.source_combo, self.preprocess_combo))
        form.addRow("File", self.file_row)
        form.addRow("Strength", _row(self.strength_spin, QLabel("from"), self.start_spin, QLabel("to"), self.end_spin))
        column = QVBoxLayout(body)
        column.setContentsMargins(12, 0, 0, 0)
        column.addWidget(self.hint_label)  # outside the form: a wrapped label there gets too little height
        column.addWidget(self.fields)
        self.layout().addWidget(body)
        self.set_file(self.file_image)
        self._fill_models()
        self._fill_preprocesses()
        self._show_source()

    @staticmethod
    def _spin(name: str, accessible: str, high: float, value: float, tip: str) -> QDoubleSpinBox:
        spin = named(QDoubleSpinBox(), name, accessible)
        spin.setRange(0.0, high)
        spin.setSingleStep(0.05)
        spin.setValue(value)
        spin.setToolTip(tip)
        return spin

    def _fill_models(self) -> None:
        if self.body is None:
            return
        fitting = [part for part in self._parts if part_fits(part.family, self._family)]
        chosen = getattr(self.model_combo.currentData(), "id", None)
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        self.model_combo.addItem("Off", None)
        for part in fitting:
            unsure = "  (family unknown)" if part.family == "unknown" else ""
            self.model_combo.addItem(f"{part.name}{unsure}", part)
            self.model_combo.setItemData(self.model_combo.count() - 1, str(part.path), Qt.ItemDataRole.ToolTipRole)
        kept = next((i for i in range(1, self.model_combo.count()) if self.model_combo.itemData(i).id == chosen), 0)
        self.model_combo.setCurrentIndex(kept)
        self.model_combo.blockSignals(False)
        self.fields.setVisible(bool(fitting))
        self.hint_label.setText("" if fitting else _NONE_FITS.format(family=base_family(self._family)) if self._parts else _NONE_LISTED)
        self.hint_label.setVisible(not fitting)
        self._show_title()

    def _fill_preprocesses(self) -> None:
        """The built-in preprocesses, "Depth (<name>)" for each listed depth model and "Pose
        (<name>)" for each listed pose model."""
        if self.body is None:
            return

        def key(data):  # a depth or pose model is known by its id: a rescan makes new ModelInfos
            return data if isinstance(data, str) else getattr(data, "id", None)

        chosen = key(self.preprocess_combo.currentData())
        self.preprocess_combo.clear()
        for preprocess, text in PREPROCESSES:
            self.preprocess_combo.addItem(text, preprocess)
        detectors = [("Depth", model) for model in self._depth_models] + [("Pose", model) for model in self._pose_models]
        for made, model in detectors:
            self.preprocess_combo.addItem(f"{made} ({model.name})", model)
            self.preprocess_combo.setItemData(self.preprocess_combo.count() - 1, str(model.path),
                                              Qt.ItemDataRole.ToolTipRole)
        combo = self.preprocess_combo
        kept = next((i for i in range(combo.count()) if key(combo.itemData(i)) == chosen), 0)
        self.preprocess_combo.setCurrentIndex(kept)

    @Slot()
    def _show_title(self) -> None:
        info = self.model_combo.currentData() if self.body is not None else None
        # Collapsed, the header still says that guidance is on, and with what.
        self.toggle.setText(_TITLE if info is None else f"Guidance · {info.name}")

    @Slot()
    def _show_source(self) -> None:
        source = self.source_combo.currentData()
        self.preprocess_combo.setVisible(source != "sketch")
        self.form.setRowVisible(self.file_row, source == "file")

    @Slot(int)
    def _ask_for_file(self, _index: int) -> None:
        if self.source_combo.currentData() == "file" and self.file_image is None:
            self.choose_file_requested.emit()


def _row(*widgets: QWidget) -> QWidget:
    """``widgets`` side by side, the first widening."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for index, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if index == 0 else 0)
    return row
