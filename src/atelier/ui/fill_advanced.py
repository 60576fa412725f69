"""The "Advanced" popup of the mask tool row: how generative fill treats the mask's edge and how
much of the picture the model sees (grow, feather, blend, padding, colour match). Each size
starts at Auto (the engine's choice, in proportion to the mask); the values stay for the
session, popup closed or not."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QFormLayout, QFrame, QPushButton, QSpinBox, QWidget

from ..core.limits import MAX_SIDE

AUTO = -1  # a spin box at this value shows "Auto": the request leaves the value to the engine
_MAX_EDGE = 256  # the largest grow, feather or blend a request takes

# (request field, label, objectName, largest, what it does for the artist)
_SIZES = (
    ("grow", "Grow", "fillGrowSpin", _MAX_EDGE,
     "How far past the painted edge the new content may reach, so it meets what is around it.\n"
     "Auto: in proportion to the painted area."),
    ("feather", "Feather", "fillFeatherSpin", _MAX_EDGE,
     "How soft the edge of the repainted area is: wider, and the new content fades in more gently.\n"
     "Auto: in proportion to the painted area (4 to 64 px)."),
    ("blend", "Blend", "fillBlendSpin", _MAX_EDGE,
     "How wide the band inside the painted edge where the result fades into the original picture.\n"
     "0: a sharp seam. Auto: in proportion to the painted area, up to 25 px (4 px for Replace background).\n"
     "Outside the painted area nothing ever changes."),
    ("padding", "Padding", "fillPaddingSpin", MAX_SIDE,
     "How much of the picture around the mask the model looks at.\n"
     "Less: more detail in a small area; more: the fill fits the scene better.\n"
     "Auto: a sixteenth of the picture or half the mask, at least 512 px."),
)


class AdvancedFillPanel(QFrame):
    """A popup form under the tool row's Advanced button; ``values()`` are the request's fields."""

    def __init__(self, parent: QWidget):
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("fillAdvancedPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        form = QFormLayout(self)
        self.spins: dict[str, QSpinBox] = {}
        for field, label, name, largest, tip in _SIZES:
            spin = QSpinBox()
            spin.setObjectName(name)
            spin.setAccessibleName(label)
            spin.setRange(AUTO, largest)
            spin.setSpecialValueText("Auto")
            spin.setSuffix(" px")
            spin.setValue(AUTO)
            spin.setToolTip(tip)
            form.addRow(label, spin)
            form.labelForField(spin).setToolTip(tip)
            self.spins[field] = spin
        self.colour_match = QCheckBox("Colour match")
        self.colour_match.setObjectName("fillColourMatchCheck")
        self.colour_match.setChecked(True)
        self.colour_match.setToolTip("Shift the new content's colours to match the picture around the seam,\n"
                                     "so no tint or brightness step shows there. (Replace background leaves\n"
                                     "the new background's colours as they come.)")
        form.addRow(self.colour_match)
        reset = QPushButton("Reset to Auto")
        reset.setObjectName("fillAdvancedReset")
        reset.setToolTip("Every size back to Auto, colour match on")
        reset.clicked.connect(self.reset)
        form.addRow(reset)

    def values(self) -> dict:
        """grow, feather, blend, padding (None: Auto) and colour_match, as InpaintRequest takes them."""
        chosen = {field: (None if spin.value() == AUTO else spin.value()) for field, spin in self.spins.items()}
        return {**chosen, "colour_match": self.colour_match.isChecked()}

    def reset(self) -> None:
        for spin in self.spins.values():
            spin.setValue(AUTO)
        self.colour_match.setChecked(True)
