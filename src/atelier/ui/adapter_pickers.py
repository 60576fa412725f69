"""The prompt panel's "LoRAs, VAE, reference" section: LoRAs with their weights, a VAE in place of
the model's own and a reference image (IP-Adapter), each chosen among the listed parts that fit
the chosen checkpoint's family. Collapsed at the start, and its form is built when first needed,
so it costs the window's start nothing. ``values`` turns it, with the prompt's ``<lora:...>``
tags, into the request's ``loras``, ``vae`` and ``references``."""

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from ..core.errors import RequestError
from ..core.families import base_family, part_fits
from ..core.limits import MAX_ADAPTERS
from ..core.lora_tags import lora_named, lora_tags, loras_for
from .init_image_box import InitImage
from .widgets import named, narrow_combo

_TITLE = "LoRAs, VAE, reference image"
_WHERE_PARTS_GO = "Add its folder with Edit > Add a Models Folder..."
_REFERENCE_HINT = ("A reference image needs an IP-Adapter and its image encoder (.safetensors): put them in a "
                   "models folder (ComfyUI: models/ipadapter and models/clip_vision).")
_WEIGHT_ARROWS = 2.0  # the arrows and the wheel stay within ±2; a typed weight may go to ±10
_REFERENCE_WEIGHT = 0.6
_THUMB = 40


class WeightSpin(QDoubleSpinBox):
    """A LoRA's weight: -10 to 10 typed, the arrows and wheel within ±2 (A1111's usual range)."""

    def __init__(self, value: float):
        super().__init__()
        self.setRange(-10.0, 10.0)
        self.setDecimals(2)
        self.setSingleStep(0.05)
        self.setValue(value)
        self.setToolTip("How strongly the LoRA acts: usually 0 to 1, down to -2 to steer away; up to ±10 typed")

    def stepBy(self, steps: int) -> None:
        value = self.value() + steps * self.singleStep()
        if abs(self.value()) <= _WEIGHT_ARROWS:
            value = max(-_WEIGHT_ARROWS, min(_WEIGHT_ARROWS, value))
        self.setValue(value)


class LoraRow(QWidget):
    """One chosen LoRA: its name, its weight and a remove button."""

    removed = Signal(str)  # the LoRA's id

    def __init__(self, info, weight: float):
        super().__init__()
        self.info = info
        self.setObjectName(f"loraRow:{info.id}")
        self.name_label = named(QLabel(info.name), "loraName", f"LoRA {info.name}")
        self.name_label.setToolTip(str(info.path))
        self.name_label.setMinimumWidth(40)
        self.weight_spin = named(WeightSpin(weight), "loraWeightSpin", f"Weight of {info.name}")
        self.remove_button = named(QToolButton(), "removeLoraButton", f"Remove {info.name}")
        self.remove_button.setText("\u2715")
        self.remove_button.setToolTip(f"Stop using {info.name}")
        self.remove_button.setAutoRaise(True)
        self.remove_button.clicked.connect(lambda: self.removed.emit(self.info.id))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.name_label, 1)
        layout.addWidget(self.weight_spin)
        layout.addWidget(self.remove_button)

    def mark_fit(self, family: str) -> None:
        """Say on the row when the LoRA is made for another family than the model's."""
        fits = not family or part_fits(self.info.family, family)
        unknown = " (family unknown)" if self.info.family == "unknown" else ""
        self.name_label.setText(self.info.name + unknown if fits else f"{self.info.name}  \u26a0 {self.info.family}")
        self.name_label.setToolTip(str(self.info.path) if fits else
                                   f"Made for {self.info.family} models, not {family}: remove it or choose "
                                   f"a {self.info.family} model\n{self.info.path}")


class AdapterPickers(QWidget):
    """The section; ``set_parts`` lists the parts found, ``set_family`` follows the model."""

    choose_reference_requested = Signal()  # the artist wants to pick an image file as the reference
    reference_from_canvas_requested = Signal()  # the picture on the canvas as the reference
    said = Signal(str)  # a problem met after the fact (a reference image that could not be read)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("adapterPickers")
        self.parts: list = []  # the listed LoRAs, ControlNets, VAEs, ... (ModelInfo)
        self.family = ""  # the chosen checkpoint's family; "" while there is none
        self.rows: list[LoraRow] = []
        self.reference: InitImage | None = None
        self._reference_wanted: str | None = None  # the asset a restore is reading
        self.body: QWidget | None = None  # built when first shown or filled
        self.opened = False
        # Not checkable: a checked button is drawn pressed in, and this is a section's title.
        self.toggle = named(QToolButton(), "adapterPickersToggle", "LoRAs, VAE and reference image")
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setToolTip("Style and character LoRAs, another VAE, a reference image")
        self.toggle.clicked.connect(lambda: self.set_open(not self.opened))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toggle)
        self._show_summary()

    # ----- what the panel tells it -----------------------------------------------------------------
    def set_parts(self, parts: list) -> None:
        """The parts a scan found (ModelInfo of kinds.PARTS); chosen ones still listed stay chosen."""
        self.parts = list(parts)
        if self.body is not None:
            listed = {part.id: part for part in self.parts}
            for row in list(self.rows):
                if row.info.id in listed:
                    row.info = listed[row.info.id]
                else:
                    self._remove_lora(row.info.id)
            self._refresh()

    def set_family(self, family: str) -> None:
        """Offer what fits a model of ``family`` ("" for none)."""
        self.family = base_family(family)
        if self.body is not None:
            self._refresh()

    # ----- reading it --------------------------------------------------------------------------------
    def chosen_loras(self) -> list[tuple[str, float]]:
        """(id, weight) of the LoRAs chosen in the picker, in order."""
        return [(row.info.id, row.weight_spin.value()) for row in self.rows]

    def values(self, prompt: str | None = None) -> dict:
        """The request's ``loras``, ``vae`` and ``references`` as plain lists and text. With
        ``prompt``, its ``<lora:...>`` tags are added (a tag's weight wins) and each LoRA is
        checked against the model's family: RequestError says what to fix."""
        loras = self.chosen_loras()
        if prompt is not None:
            listed = [(part.id, part.name, part.family) for part in self.parts if part.kind == "lora"]
            loras = [(use.model, use.weight) for use in loras_for(prompt, loras, listed)]
            self._check_fit([model for model, _ in loras])
        values = {"loras": [{"model": model, "weight": weight} for model, weight in loras],
                  "vae": (self.vae_combo.currentData() or "") if self.body is not None else "",
                  "references": []}
        if self.reference is not None and self.body is not None and self.ip_adapter_combo.currentData():
            values["references"] = [{"model": self.ip_adapter_combo.currentData(),
                                     "encoder": self.encoder_combo.currentData(),
                                     "image": self.reference.asset, "weight": self.reference_weight.value()}]
        return values

    def _check_fit(self, ids: list[str]) -> None:
        listed = {part.id: part for part in self.parts}
        for model in ids:
            part = listed.get(model)
            if part is not None and self.family and not part_fits(part.family, self.family):
                raise RequestError(f"LoRA {part.name}: made for {part.family} models, and this model is "
                                   f"{self.family}; remove it or choose a {part.family} model")
            if part is not None and "not supported" in part.note:
                raise RequestError(f"LoRA {part.name}: {part.note}")

    # ----- choosing ----------------------------------------------------------------------------------
    def add_lora(self, model_id: str, weight: float = 1.0) -> bool:
        """Choose the listed LoRA ``model_id`` (its weight set when already chosen); False when
        it is not listed or the picker is full."""
        info = next((part for part in self.parts if part.kind == "lora" and part.id == model_id), None)
        if info is None:
            return False
        self._ensure_body()
        row = next((row for row in self.rows if row.info.id == model_id), None)
        if row is None:
            if len(self.rows) >= MAX_ADAPTERS:
                return False
            row = LoraRow(info, weight)
            row.removed.connect(self._remove_lora)
            row.mark_fit(self.family)
            self.rows.append(row)
            self.rows_layout.addWidget(row)
        row.weight_spin.setValue(weight)
        self._show_summary()
        return True

    @Slot(str)
    def _remove_lora(self, model_id: str) -> None:
        for row in [row for row in self.rows if row.info.id == model_id]:
            self.rows.remove(row)
            row.hide()
            row.deleteLater()
        self._show_summary()

    def set_reference(self, image: InitImage | None) -> None:
        """Use ``image`` (a project asset) as the reference image; None: none."""
        if image is None and self.body is None:
            self.reference = None
            return
        self._ensure_body()
        self.reference = image
        if image is not None:
            pixmap = QPixmap.fromImage(image.thumbnail).scaled(
                _THUMB, _THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
            self.reference_thumb.setPixmap(pixmap)
            self.reference_name.setText(f"{image.label} · {image.width} × {image.height}")
            self.reference_name.setToolTip(image.asset)
        self.form.setRowVisible(self.reference_details, image is not None)
        self._show_summary()

    def apply(self, settings: dict, read_image: Callable | None) -> list[str]:
        """Set the pickers from recipe-style ``settings`` (their ``loras``, ``vae`` and
        ``references``; one left out means none). LoRAs the settings' prompt tags stay in the
        prompt, not in a row. A reference image is read off the UI thread (``read_image(asset,
        then)``). Returns what could not be restored, in words."""
        missed = []
        if self.body is None and not any(settings.get(key) for key in ("loras", "vae", "references")):
            return missed  # nothing chosen, nothing to build
        self._ensure_body()
        for row in list(self.rows):
            self._remove_lora(row.info.id)
        listed = [(part.id, part.name, part.family) for part in self.parts if part.kind == "lora"]
        prompt = settings.get("prompt") if isinstance(settings.get("prompt"), str) else ""
        tagged = {lora_named(name, listed) for name, _weight in _tags_or_none(prompt)}
        for use in _listed_items(settings.get("loras")):
            model, weight = use.get("model"), use.get("weight", 1.0)
            if model in tagged:
                continue
            if not (isinstance(weight, (int, float)) and self.add_lora(model, float(weight))):
                missed.append(f"LoRA {model} (no longer listed)")
        vae = settings.get("vae") or ""
        if not self._choose(self.vae_combo, vae):
            missed.append(f"VAE {vae} (not listed for this model)")
            self.vae_combo.setCurrentIndex(0)
        self._reference_wanted = None
        self.set_reference(None)
        for use in _listed_items(settings.get("references"))[:1]:
            gone = [use.get(key) for key in ("model", "encoder") if not self._choose(
                self.ip_adapter_combo if key == "model" else self.encoder_combo, use.get(key))]
            if gone:
                missed.append(f"reference image ({', '.join(map(str, gone))} not listed for this model)")
                continue
            if isinstance(use.get("weight"), (int, float)):
                self.reference_weight.setValue(use["weight"])
            asset = use.get("image")
            if read_image is None or not isinstance(asset, str):
                missed.append("reference image")
                continue
            self._reference_wanted = asset
            read_image(asset, self._on_reference_read)
        self._show_summary()
        return missed

    def _on_reference_read(self, image: InitImage | None) -> None:
        if self._reference_wanted is None or (image is not None and image.asset != self._reference_wanted):
            return  # an earlier restore's, or none is wanted any more
        if image is None:
            self.said.emit("The reference image is no longer in the project; choose it again.")
        else:
            self.set_reference(InitImage(image.asset, image.width, image.height, "as it was used", image.thumbnail))
        self._reference_wanted = None

    # ----- the form, built when first needed -----------------------------------------------------------
    def _ensure_body(self) -> None:
        if self.body is not None:
            return
        self.body = body = named(QWidget(), "adapterPickersBody", "LoRAs, VAE and reference image")
        self.form = form = QFormLayout(body)
        form.setContentsMargins(14, 0, 0, 4)
        form.setVerticalSpacing(3)

        self.add_lora_button = named(QToolButton(), "addLoraButton", "Add a LoRA")
        self.add_lora_button.setText("Add LoRA")
        self.add_lora_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.lora_menu = QMenu(self.add_lora_button)
        self.lora_menu.setObjectName("loraMenu")
        self.lora_menu.aboutToShow.connect(self._fill_lora_menu)
        self.add_lora_button.setMenu(self.lora_menu)
        self.lora_hint = named(QLabel(), "loraHint", "LoRA hint")
        self.lora_hint.setWordWrap(True)
        self.lora_hint.setEnabled(False)  # greyed: a note, not a control
        lora_title = QHBoxLayout()
        lora_title.addWidget(self.add_lora_button)
        lora_title.addWidget(self.lora_hint, 1)
        form.addRow("LoRAs", lora_title)
        self.rows_layout = QVBoxLayout()
        self.rows_layout.setSpacing(1)
        form.addRow(self.rows_layout)

        self.vae_combo = narrow_combo("vaeCombo", "VAE")
        self.vae_combo.setToolTip("The VAE turns the latent picture into pixels; another one can fix washed-out colours")
        self.vae_combo.currentIndexChanged.connect(self._show_summary)
        form.addRow("VAE", self.vae_combo)

        self.reference_hint = named(QLabel(_REFERENCE_HINT), "referenceHint", "Reference image hint")
        self.reference_hint.setWordWrap(True)
        self.reference_hint.setEnabled(False)
        self.reference_box = QWidget()
        choose = QHBoxLayout(self.reference_box)
        choose.setContentsMargins(0, 0, 0, 0)
        file_button = named(QPushButton("Image file ..."), "chooseReferenceButton", "Choose a reference image")
        file_button.setToolTip("A picture whose style and content the result takes after")
        file_button.clicked.connect(self.choose_reference_requested)
        canvas_button = named(QPushButton("Canvas picture"), "referenceFromCanvasButton",
                              "Use the canvas picture as the reference")
        canvas_button.setToolTip("The picture shown on the canvas as the reference")
        canvas_button.clicked.connect(self.reference_from_canvas_requested)
        choose.addWidget(file_button)
        choose.addWidget(canvas_button)
        self.reference_details = QWidget()
        details = QHBoxLayout(self.reference_details)
        details.setContentsMargins(0, 0, 0, 0)
        self.reference_thumb = named(QLabel(), "referenceThumbnail", "Reference image")
        self.reference_thumb.setFixedSize(_THUMB, _THUMB)
        self.reference_thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.reference_name = named(QLabel(), "referenceName", "Reference image name")
        self.reference_name.setMinimumWidth(40)
        self.reference_weight = named(QDoubleSpinBox(), "referenceWeightSpin", "Reference weight")
        self.reference_weight.setRange(0.0, 2.0)
        self.reference_weight.setSingleStep(0.05)
        self.reference_weight.setValue(_REFERENCE_WEIGHT)
        self.reference_weight.setToolTip("How much the result takes after the reference image")
        clear = named(QToolButton(), "clearReferenceButton", "Clear the reference image")
        clear.setText("\u2715")
        clear.setAutoRaise(True)
        clear.clicked.connect(lambda: self.set_reference(None))
        details.addWidget(self.reference_thumb)
        details.addWidget(self.reference_name, 1)
        details.addWidget(self.reference_weight)
        details.addWidget(clear)
        self.ip_adapter_combo = narrow_combo("ipAdapterCombo", "IP-Adapter")
        self.encoder_combo = narrow_combo("imageEncoderCombo", "Image encoder")
        self.encoder_combo.setToolTip("The CLIP vision model the IP-Adapter was trained with")
        form.addRow("Reference", self.reference_box)
        form.addRow(self.reference_details)
        form.addRow("IP-Adapter", self.ip_adapter_combo)
        form.addRow("Encoder", self.encoder_combo)
        form.addRow("Reference", self.reference_hint)
        form.setRowVisible(self.reference_details, False)
        self.layout().addWidget(body)
        body.setVisible(self.opened)
        self._refresh()

    def set_open(self, opened: bool) -> None:
        """Show the section's form (built the first time) or only its title."""
        self.opened = opened
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if opened else Qt.ArrowType.RightArrow)
        if opened:
            self._ensure_body()
        if self.body is not None:
            self.body.setVisible(opened)
        self._show_summary()

    def _fitting(self, kind: str) -> list:
        return [part for part in self.parts if part.kind == kind and (not self.family or part_fits(part.family, self.family))]

    def _refresh(self) -> None:
        """Offer what fits the model now, keeping what is chosen where it still fits."""
        loras = self._fitting("lora")
        self.add_lora_button.setEnabled(bool(loras))
        self.lora_hint.setText("" if loras else f"No LoRAs for {self.family or 'this model'} found. {_WHERE_PARTS_GO}")
        self.lora_hint.setToolTip(self.lora_hint.text())
        for row in self.rows:
            row.mark_fit(self.family)
        _fill_combo(self.vae_combo, self._fitting("vae"), "Model's own")
        adapters, encoders = self._fitting("ip-adapter"), [p for p in self.parts if p.kind == "image-encoder"]
        _fill_combo(self.ip_adapter_combo, adapters)
        _fill_combo(self.encoder_combo, encoders)
        offered = bool(adapters and encoders)
        for widget in (self.reference_box, self.ip_adapter_combo, self.encoder_combo):
            self.form.setRowVisible(widget, offered)
        self.form.setRowVisible(self.reference_hint, not offered)
        self._show_summary()

    @Slot()
    def _fill_lora_menu(self) -> None:
        menu = self.lora_menu
        menu.clear()
        search = QLineEdit()
        search.setObjectName("loraSearch")
        search.setPlaceholderText("Search LoRAs ...")
        holder = QWidgetAction(menu)
        holder.setDefaultWidget(search)
        menu.addAction(holder)
        chosen = {row.info.id for row in self.rows}
        actions = []
        for part in sorted(self._fitting("lora"), key=lambda part: part.name.lower()):
            unsure = "  (family unknown)" if part.family == "unknown" else ""
            action = QAction(f"{part.name}{unsure}", menu)
            action.setObjectName(f"addLora:{part.id}")
            action.setData(part.id)
            action.setToolTip(part.note or str(part.path))
            action.setEnabled(part.id not in chosen and not part.note and len(chosen) < MAX_ADAPTERS)
            action.triggered.connect(self._on_lora_chosen)
            actions.append(action)
        menu.addActions(actions)

        def filter_actions(text: str) -> None:
            needle = text.lower()
            for action in actions:
                action.setVisible(needle in action.text().lower() or needle in action.data().lower())

        search.textChanged.connect(filter_actions)

    @Slot()
    def _on_lora_chosen(self) -> None:
        self.add_lora(self.sender().data())

    def _choose(self, combo: QComboBox, model_id) -> bool:
        """Select ``model_id`` in ``combo`` (an empty id: its first item); False when not offered."""
        index = combo.findData(model_id) if model_id else 0
        if index < 0:
            return False
        combo.setCurrentIndex(index)
        return True

    @Slot()
    def _show_summary(self) -> None:
        """A collapsed section's title says what is in use."""
        used = []
        if self.rows:
            used.append(f"{len(self.rows)} LoRA{'s' if len(self.rows) > 1 else ''}")
        if self.body is not None and self.vae_combo.currentData():
            used.append("VAE")
        if self.reference is not None:
            used.append("reference")
        self.toggle.setText(f"{_TITLE}  ({', '.join(used)})" if used and not self.opened else _TITLE)


def _fill_combo(combo: QComboBox, parts: list, first: str | None = None) -> None:
    """List ``parts`` in ``combo`` (after ``first``, whose data is ""), keeping the chosen one."""
    chosen = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    if first is not None:
        combo.addItem(first, "")
    for part in parts:
        # No family mark here: a VAE's or an image encoder's header never tells its family.
        combo.addItem(part.name, part.id)
        combo.setItemData(combo.count() - 1, f"{part.path}\nfamily: {part.family}", Qt.ItemDataRole.ToolTipRole)
    index = combo.findData(chosen) if chosen else -1
    combo.setCurrentIndex(max(index, 0))
    combo.setEnabled(combo.count() > (0 if first is None else 1))
    combo.blockSignals(False)


def _listed_items(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, (list, tuple)) else []


def _tags_or_none(prompt: str) -> list:
    try:
        return lora_tags(prompt)
    except RequestError:  # a damaged tag stays in the prompt; the request says so on Generate
        return []
