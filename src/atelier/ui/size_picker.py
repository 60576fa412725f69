"""The image size in the prompt panel: the model family's presets named by their aspect ratio
("2:3 portrait · 832×1216") or Custom, width and height that are always multiples of 8, a swap,
and the size a newly chosen family gets."""

import math

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QToolButton, QVBoxLayout, QWidget

from ..core.families import FAMILIES, family_label, native_side
from ..core.limits import MAX_SIDE
from .widgets import named

# Sizes each family was trained around (width, height); the first is its default.
SIZE_PRESETS = {family.id: list(family.sizes) for family in FAMILIES.values() if family.sizes}
# The ratios artists name sizes by, long side first. Trained sizes are multiples of 64 near
# them rather than on them: 832×1216 is 2:3 within 3 %.
_NAMED_RATIOS = [(1, 1), (5, 4), (4, 3), (3, 2), (16, 9), (2, 1), (21, 9)]
_STEP = 8  # the VAE needs sides divisible by 8


def _ratio_distance(a: tuple[int, int], b: tuple[int, int]) -> float:
    """How far apart two sizes' aspect ratios are, the same for 2:1 and 1:2 (log scale)."""
    return abs(math.log((a[0] / a[1]) / (b[0] / b[1])))


def aspect_name(width: int, height: int) -> str:
    """The named ratio nearest to ``width``:``height`` and the orientation, e.g. "2:3 portrait"."""
    long_side, short_side = max(width, height), min(width, height)
    a, b = min(_NAMED_RATIOS, key=lambda ratio: _ratio_distance(ratio, (long_side, short_side)))
    if a == b:
        return "1:1 square"
    return f"{a}:{b} landscape" if width > height else f"{b}:{a} portrait"


def preset_label(width: int, height: int) -> str:
    return f"{aspect_name(width, height)} · {width}×{height}"


def size_for_family(size: tuple[int, int], family: str) -> tuple[int, int]:
    """The size to use after switching to a model of ``family``: ``size`` itself when it is one
    of the family's presets or near the area it was trained at (half to twice it: beyond, models
    repeat subjects or lose detail), otherwise the family's preset of the closest aspect ratio."""
    presets = SIZE_PRESETS.get(family)
    if presets is None or size in presets:
        return size
    native_area = native_side(family) ** 2
    if native_area / 2 <= size[0] * size[1] <= native_area * 2:
        return size
    return min(presets, key=lambda preset: _ratio_distance(preset, size))  # ties: the earlier, the default first


def snap(value: int) -> int:
    """The multiple of 8 nearest to ``value`` (halves up), within 8 .. MAX_SIDE."""
    return max(_STEP, min(MAX_SIDE, (value + _STEP // 2) // _STEP * _STEP))


class SideSpinBox(QSpinBox):
    """A side in pixels, always a multiple of 8: the arrows step by 8, and a typed value snaps
    to the nearest multiple when the field is left or Enter is pressed (while typing, 51 on the
    way to 512 stays as typed). A value set from code snaps as well, so Generate never meets a
    side it would refuse."""

    def __init__(self, object_name: str, accessible_name: str):
        super().__init__()
        named(self, object_name, accessible_name)
        self.setRange(_STEP, MAX_SIDE)
        self.setSingleStep(_STEP)
        self.setValue(512)

    def setValue(self, value: int) -> None:
        super().setValue(snap(int(value)))

    def validate(self, text: str, pos: int):
        from PySide6.QtGui import QValidator  # here: while typing, not at the window's start

        state, text, pos = super().validate(text, pos)
        if state == QValidator.State.Acceptable and self.valueFromText(text) % _STEP:
            state = QValidator.State.Intermediate  # fixup() rounds it when the field is left
        return state, text, pos

    def fixup(self, text: str) -> str:
        digits = text.strip()
        return str(snap(int(digits))) if digits.isdigit() else text


class SizePicker(QWidget):
    """The preset box (objectName sizePresetCombo) above width × height and the swap button."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.family: str | None = None  # whose presets are listed; None before the first model
        self._chosen: tuple[int, int] | None = None  # the artist's size, while a picture's is shown
        self.combo = named(QComboBox(), "sizePresetCombo", "Size preset")
        self.combo.activated.connect(self._on_preset_chosen)
        self.width_spin = SideSpinBox("widthSpin", "Width")
        self.height_spin = SideSpinBox("heightSpin", "Height")
        self.width_spin.valueChanged.connect(self._show_matching_preset)
        self.height_spin.valueChanged.connect(self._show_matching_preset)
        self.swap_button = named(QToolButton(), "swapSizeButton", "Swap width and height")
        self.swap_button.setText("⇄")
        self.swap_button.setToolTip("Swap width and height (portrait ↔ landscape)")
        self.swap_button.clicked.connect(self.swap)

        sides = QHBoxLayout()
        sides.addWidget(self.width_spin, 1)
        sides.addWidget(QLabel("×"))
        sides.addWidget(self.height_spin, 1)
        sides.addWidget(self.swap_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addLayout(sides)
        self._list_presets("sd15")

    def chosen_size(self) -> tuple[int, int]:
        """(width, height), a side still being typed included, snapped."""
        if self._chosen is not None:
            return self._chosen
        self.width_spin.interpretText()
        self.height_spin.interpretText()
        return self.width_spin.value(), self.height_spin.value()

    def set_size(self, width: int, height: int) -> None:
        if self._chosen is not None:  # shown once the picture's size is no longer
            self._chosen = (snap(width), snap(height))
            return
        self.width_spin.setValue(width)
        self.height_spin.setValue(height)

    def set_side(self, side: str, value: int) -> None:
        """Set the "width" or the "height" alone."""
        width, height = self.chosen_size()
        self.set_size(value if side == "width" else width, value if side == "height" else height)

    def show_fixed(self, size: tuple[int, int] | None) -> None:
        """Show ``size`` (a picture's own, which the next request keeps) greyed out, the chosen
        size kept aside for when it is None again."""
        if size is None and self._chosen is not None:
            chosen, self._chosen = self._chosen, None
            self.set_size(*chosen)
        elif size is not None:
            if self._chosen is None:
                self._chosen = self.chosen_size()
            self.width_spin.setValue(size[0])
            self.height_spin.setValue(size[1])
        self.setEnabled(size is None)

    @Slot()
    def swap(self) -> None:
        width, height = self.chosen_size()
        self.set_size(height, width)

    def set_family(self, family: str) -> str | None:
        """List ``family``'s presets and keep the size when the family is the same or suits it
        (``size_for_family``), else change it. Returns a note for the artist when a size chosen
        for an earlier model changed, else None."""
        previous, self.family = self.family, family
        self._list_presets(family)
        size = self.chosen_size()
        new_size = size if family == previous else size_for_family(size, family)
        if new_size == size:
            return None
        self.set_size(*new_size)
        if previous is None:  # the first model: nothing the artist chose was changed
            return None
        return f"Size set to {new_size[0]}×{new_size[1]} for {family_label(family)}"

    def _list_presets(self, family: str) -> None:
        self.combo.clear()
        for width, height in SIZE_PRESETS.get(family, SIZE_PRESETS["sd15"]):
            self.combo.addItem(preset_label(width, height), (width, height))
        self.combo.addItem("Custom", None)
        self._show_matching_preset()

    @Slot(int)
    def _on_preset_chosen(self, index: int) -> None:
        size = self.combo.itemData(index)
        if size is None:  # Custom: the sides are where to say which
            self.width_spin.setFocus()
            self.width_spin.selectAll()
        else:
            self.set_size(*size)

    @Slot()
    def _show_matching_preset(self) -> None:
        """Show the preset the sides make, or Custom. (``findData`` cannot match a Python tuple:
        Qt compares the wrapped objects by identity, so it always said Custom.)"""
        size = (self.width_spin.value(), self.height_spin.value())
        combo = self.combo
        index = next((i for i in range(combo.count()) if combo.itemData(i) is not None
                      and tuple(combo.itemData(i)) == size), combo.count() - 1)
        combo.setCurrentIndex(index)
