"""The Upscale dialog: how much larger (2x, 4x, or the upscaler's own scale), with which upscaler
(every one found, and Lanczos, a plain resize labelled "not AI", always last), an optional
refining pass by an image model at a low strength, and the size that makes, live. A result
past MAX_UPSCALED_SIDE cannot be asked for: Upscale is off and the line says why."""

import re
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.limits import MAX_UPSCALE, MAX_UPSCALED_SIDE, UPSCALE_FACTORS
from .theme import error_color
from .widgets import named, spin_box

LANCZOS_LABEL = "Lanczos (not AI)"
_DEFAULT_TILE = 512
_OVERLAP = 32  # px the tiles share, at most a quarter of a tile (the request's rule)
# Upscaler files say their scale in their names ("4x-UltraSharp", "RealESRGAN_x4plus",
# "SwinIR_2x"); diffusers' x4 upscaler pipeline is always 4x.
_SCALE_IN_NAME = re.compile(r"(?<![0-9a-z])([1-8])x(?![0-9])|x([1-8])(?![0-9])", re.IGNORECASE)
_PIPELINE_SCALES = {"sd-upscale": 4}


def native_scale(info) -> int | None:
    """The scale an upscaler works at, where its family or file name tells; None otherwise
    (it is read from the weights only when the model loads, in the engine)."""
    if info.family in _PIPELINE_SCALES:
        return _PIPELINE_SCALES[info.family]
    found = _SCALE_IN_NAME.search(info.path.stem if info.path else info.name)
    return int(found.group(1) or found.group(2)) if found else None


@dataclass(frozen=True)
class UpscaleChoice:
    """What the artist chose for the output ``source``: the UpscaleRequest's own fields (the
    picture's asset included), the upscaler (None: Lanczos) and the refining model (None: no
    refine)."""

    source: str
    fields: dict
    upscaler: object
    refiner: object


class UpscaleDialog(QDialog):
    """Asks how to upscale one picture; ``upscale_requested`` carries the UpscaleChoice."""

    upscale_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("upscaleDialog")
        self.setWindowTitle("Upscale")
        self._source, self._asset = "", ""
        self._picture = (0, 0)

        self.model_combo = named(QComboBox(), "upscaleModel", "Upscaler")
        self.model_combo.currentIndexChanged.connect(self._on_model)
        self.scale_combo = named(QComboBox(), "upscaleScale", "Scale")
        self.scale_combo.currentIndexChanged.connect(self._update)
        self.model_note = named(QLabel(), "upscaleModelNote", "About the upscaler")
        self.model_note.setWordWrap(True)

        self.refine_check = named(QCheckBox("Refine with"), "upscaleRefine", "Refine with an image model")
        self.refine_check.setToolTip("After upscaling, repaint the picture lightly, tile by tile, with an image "
                                     "model: finer detail, steered by the prompt panel's prompt")
        self.refine_model_combo = named(QComboBox(), "upscaleRefineModel", "Refining model")
        self.refine_strength = named(QDoubleSpinBox(), "upscaleRefineStrength", "Refine strength")
        self.refine_strength.setRange(0.05, 1.0)
        self.refine_strength.setSingleStep(0.05)
        self.refine_strength.setValue(0.3)
        self.refine_strength.setToolTip("How much the refining pass may change: about 0.3 adds detail and keeps "
                                        "the picture")
        self.refine_check.toggled.connect(self._update)
        refine_row = QHBoxLayout()
        refine_row.addWidget(self.refine_model_combo, 1)
        refine_row.addWidget(QLabel("strength"))
        refine_row.addWidget(self.refine_strength)
        self.refine_note = QLabel("The refining pass uses the prompt panel's prompt.")
        self.refine_note.setEnabled(False)  # dimmed: a note, not a control

        # Tile size: rarely changed (a smaller tile needs less memory), so out of the way.
        self.advanced_button = named(QToolButton(), "upscaleAdvancedButton", "Advanced settings")
        self.advanced_button.setText("Advanced")
        self.advanced_button.setCheckable(True)
        self.advanced_button.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_button.setAutoRaise(True)
        self.tile_spin = spin_box("upscaleTile", "Tile size", 64, 2048, _DEFAULT_TILE, 64)
        self.tile_spin.setSuffix(" px")
        self.tile_spin.setToolTip("The picture is upscaled in tiles this large, blended without seams; smaller "
                                  "tiles need less memory (it halves by itself when memory runs out)")
        self.advanced = QWidget()
        advanced_form = QFormLayout(self.advanced)
        advanced_form.setContentsMargins(16, 0, 0, 0)
        advanced_form.addRow("Tile size", self.tile_spin)
        self.advanced.setVisible(False)
        self.advanced_button.toggled.connect(self._show_advanced)

        self.size_label = named(QLabel(), "upscaleSizeLabel", "Size after upscaling")
        self.size_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = named(self.buttons.button(QDialogButtonBox.StandardButton.Ok), "upscaleOkButton", "Upscale")
        self.ok_button.setText("Upscale")
        named(self.buttons.button(QDialogButtonBox.StandardButton.Cancel), "upscaleCancelButton", "Cancel")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Upscaler", self.model_combo)
        form.addRow("", self.model_note)
        form.addRow("Scale", self.scale_combo)
        form.addRow(self.refine_check, refine_row)
        form.addRow("", self.refine_note)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.advanced_button)
        layout.addWidget(self.advanced)
        layout.addWidget(self.size_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(440)

    # ----- what the window sets --------------------------------------------------------------
    def start(self, source: str, asset: str, picture: tuple[int, int], upscalers: list, image_models: list,
              panel_model=None) -> None:
        """A new picture to upscale (the output ``source``, its asset and size), with the models
        found now: the upscaler and refining model chosen last time stay chosen while they are
        still here; the first time, the refining model is the prompt panel's (``panel_model``)."""
        self._source, self._asset, self._picture = source, asset, picture
        chosen = self._chosen_id(self.model_combo)
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for info in upscalers:
            scale = native_scale(info)
            self.model_combo.addItem(f"{info.name}  [{scale}x]" if scale else info.name, info)
            self.model_combo.setItemData(self.model_combo.count() - 1, str(info.path), Qt.ItemDataRole.ToolTipRole)
        self.model_combo.addItem(LANCZOS_LABEL, None)
        self.model_combo.setItemData(self.model_combo.count() - 1,
                                     "A plain resize, no upscaler model: smooth, but adds no detail", Qt.ItemDataRole.ToolTipRole)
        self.model_combo.setCurrentIndex(self._index_of(self.model_combo, chosen, default=0))
        self.model_combo.blockSignals(False)

        refining = self._chosen_id(self.refine_model_combo) or getattr(panel_model, "id", None)
        self.refine_model_combo.clear()
        for info in image_models:
            self.refine_model_combo.addItem(f"{info.name}  [{info.family}]", info)
        self.refine_model_combo.setCurrentIndex(self._index_of(self.refine_model_combo, refining, default=0))
        self.refine_check.setEnabled(bool(image_models))
        if not image_models:
            self.refine_check.setChecked(False)
            self.refine_check.setToolTip("Refining needs an image model; none was found")
        self._on_model()

    @property
    def upscaler(self):
        """The chosen upscaler's ModelInfo; None for Lanczos."""
        return self.model_combo.currentData()

    @property
    def result_size(self) -> tuple[int, int]:
        scale = self.scale_combo.currentData() or 1
        return self._picture[0] * scale, self._picture[1] * scale

    # ----- changes ---------------------------------------------------------------------------
    def _on_model(self, *_index) -> None:
        """The scales this upscaler offers: 2x and 4x, and its own when that is another."""
        info = self.upscaler
        scale_before = self.scale_combo.currentData()
        self.scale_combo.blockSignals(True)
        self.scale_combo.clear()
        for factor in UPSCALE_FACTORS:
            self.scale_combo.addItem(f"{factor}x", factor)
        own = native_scale(info) if info is not None else None
        if own is not None and own not in UPSCALE_FACTORS and 2 <= own <= MAX_UPSCALE:
            self.scale_combo.addItem(f"{own}x (the upscaler's own)", own)
        self.scale_combo.setCurrentIndex(max(0, self.scale_combo.findData(scale_before or own or UPSCALE_FACTORS[0])))
        self.scale_combo.blockSignals(False)
        if info is None:
            self.model_note.setText("Not AI: a plain Lanczos resize, smooth but without new detail. Put upscaler "
                                    "models (ESRGAN, SwinIR, ...) in a models folder for AI upscaling.")
        elif own is None:
            self.model_note.setText("Its scale is read when it loads; the result is resized to the scale chosen.")
        else:
            self.model_note.setText(f"Works at {own}x; the result is resized to the scale chosen.")
        self._update()

    def _update(self, *_args) -> None:
        refining = self.refine_check.isChecked()
        self.refine_model_combo.setEnabled(refining)
        self.refine_strength.setEnabled(refining)
        width, height = self.result_size
        before = f"{self._picture[0]} \u00d7 {self._picture[1]}"
        if max(width, height) > MAX_UPSCALED_SIDE:
            self._say(f"{before} \u2192 {width} \u00d7 {height}: larger than {MAX_UPSCALED_SIDE} px a side, the most "
                      f"Atelier upscales to. Choose a smaller scale.", error=True)
            self.ok_button.setEnabled(False)
            return
        self._say(f"{before}  \u2192  <b>{width} \u00d7 {height}</b> px", error=False)
        self.ok_button.setEnabled(self.scale_combo.count() > 0)

    def _say(self, text: str, error: bool) -> None:
        colour = error_color(self.palette().window().color()).name() if error else self.palette().text().color().name()
        self.size_label.setText(f"<span style='color:{colour}'>{text}</span>")

    def _show_advanced(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.advanced_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.adjustSize()

    def _accept(self) -> None:
        from ..core.tasks import LANCZOS

        upscaler = self.upscaler
        refiner = self.refine_model_combo.currentData() if self.refine_check.isChecked() else None
        fields = dict(image=self._asset, upscaler=upscaler.id if upscaler is not None else LANCZOS,
                      scale=self.scale_combo.currentData(), tile=self.tile_spin.value(),
                      overlap=min(_OVERLAP, self.tile_spin.value() // 4), refine=refiner is not None)
        if refiner is not None:
            fields.update(refine_model=refiner.id, refine_strength=round(self.refine_strength.value(), 2))
        self.accept()
        self.upscale_requested.emit(UpscaleChoice(self._source, fields, upscaler, refiner))

    # ----- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _chosen_id(combo: QComboBox) -> str | None:
        """The chosen model's id ("" for Lanczos); None before anything was listed."""
        if combo.currentIndex() < 0:
            return None
        return getattr(combo.currentData(), "id", "")

    @staticmethod
    def _index_of(combo: QComboBox, model_id: str | None, default: int) -> int:
        found = next((i for i in range(combo.count()) if getattr(combo.itemData(i), "id", "") == model_id), None)
        return default if found is None or model_id is None else found

