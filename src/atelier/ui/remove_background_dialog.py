"""The Remove Background dialog: which background-removal (matting) model, what the subject is
put on (transparent, a solid colour, the picture blurred) and how its edge is tidied. Without a
model it says in one line where to put one, and Remove is off."""

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .theme import error_color
from .widgets import named

# (the request's value, what the artist reads): core.limits.BACKGROUNDS and EDGE_REFINEMENTS
_BACKGROUNDS = (("transparent", "Transparent"), ("colour", "Solid colour"), ("blur", "Blurred"))
_EDGES = (("none", "None"), ("guided", "Follow picture edges (guided)"), ("erode", "Tighten (erode)"))
_EDGE_TIPS = {
    "none": "The model's mask as it is",
    "guided": "Snap the mask's edge to the picture's own edges (hair, fur)",
    "erode": "Pull the edge in a little, so no fringe of the old background stays",
}
NO_MODEL = ("No background-removal model found: put u2net.onnx or isnet-general-use.onnx in a models folder "
            "(Settings > Models) or in ~/.u2net, then Rescan Models (F5).")


@dataclass(frozen=True)
class RemoveBackgroundChoice:
    """What the artist chose for the output ``source``: the RemoveBackgroundRequest's fields
    and the matting model."""

    source: str
    fields: dict
    model: object


class RemoveBackgroundDialog(QDialog):
    """Asks how to remove one picture's background; ``remove_requested`` carries the choice."""

    remove_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("removeBackgroundDialog")
        self.setWindowTitle("Remove Background")
        self._source, self._asset = "", ""
        self._colour = QColor("#ffffff")

        self.model_combo = named(QComboBox(), "matteModel", "Background-removal model")
        self.no_model_label = named(QLabel(NO_MODEL), "matteNoModelLabel", "No model found")
        self.no_model_label.setWordWrap(True)
        self.background_combo = named(QComboBox(), "matteBackground", "Background")
        for value, text in _BACKGROUNDS:
            self.background_combo.addItem(text, value)
        self.background_combo.currentIndexChanged.connect(self._update)
        self.colour_button = named(QPushButton(), "matteColourButton", "Background colour")
        self.colour_button.setToolTip("Choose the background colour")
        self.colour_button.clicked.connect(self._choose_colour)
        background_row = QHBoxLayout()
        background_row.addWidget(self.background_combo, 1)
        background_row.addWidget(self.colour_button)
        self.edges_combo = named(QComboBox(), "matteEdges", "Edges")
        for value, text in _EDGES:
            self.edges_combo.addItem(text, value)
            self.edges_combo.setItemData(self.edges_combo.count() - 1, _EDGE_TIPS[value], Qt.ItemDataRole.ToolTipRole)
        note = QLabel("The result is a new picture; its subject mask is ready on the canvas for "
                      "Replace background.")
        note.setWordWrap(True)
        note.setEnabled(False)  # dimmed: a note, not a control

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = named(self.buttons.button(QDialogButtonBox.StandardButton.Ok), "matteOkButton", "Remove")
        self.ok_button.setText("Remove")
        named(self.buttons.button(QDialogButtonBox.StandardButton.Cancel), "matteCancelButton", "Cancel")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Model", self.model_combo)
        form.addRow("Background", background_row)
        form.addRow("Edges", self.edges_combo)
        layout = QVBoxLayout(self)
        layout.addWidget(self.no_model_label)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        self._show_colour()

    def start(self, source: str, asset: str, models: list) -> None:
        """A new picture to work on (the output ``source`` and its asset), with the matting
        models found now; the one chosen last time stays chosen while it is still here."""
        self._source, self._asset = source, asset
        chosen = getattr(self.model_combo.currentData(), "id", None)
        self.model_combo.clear()
        for info in models:
            self.model_combo.addItem(f"{info.name}  [{info.family}]", info)
            self.model_combo.setItemData(self.model_combo.count() - 1, str(info.path), Qt.ItemDataRole.ToolTipRole)
        kept = next((i for i in range(self.model_combo.count()) if self.model_combo.itemData(i).id == chosen), 0)
        self.model_combo.setCurrentIndex(kept)
        self.model_combo.setEnabled(bool(models))
        self.no_model_label.setVisible(not models)
        if not models:
            colour = error_color(self.palette().window().color()).name()
            self.no_model_label.setStyleSheet(f"color: {colour}")
        self._update()

    @property
    def colour(self) -> str:
        return self._colour.name()  # "#rrggbb"

    def set_colour(self, colour: QColor) -> None:
        if colour.isValid():
            self._colour = QColor(colour.rgb())  # opaque: the background is painted solid
            self._show_colour()

    def _choose_colour(self) -> None:
        dialog = QColorDialog(self._colour, self)
        dialog.setObjectName("matteColourDialog")
        dialog.colorSelected.connect(self.set_colour)
        dialog.open()

    def _show_colour(self) -> None:
        self.colour_button.setText(self.colour)
        ink = "#000000" if self._colour.lightnessF() > 0.5 else "#ffffff"
        self.colour_button.setStyleSheet(f"background: {self.colour}; color: {ink}")

    def _update(self, *_args) -> None:
        self.colour_button.setVisible(self.background_combo.currentData() == "colour")
        self.ok_button.setEnabled(self.model_combo.currentData() is not None)

    def _accept(self) -> None:
        model = self.model_combo.currentData()
        if model is None:
            return
        fields = dict(image=self._asset, background=self.background_combo.currentData(), colour=self.colour,
                      edges=self.edges_combo.currentData())
        self.accept()
        self.remove_requested.emit(RemoveBackgroundChoice(self._source, fields, model))
