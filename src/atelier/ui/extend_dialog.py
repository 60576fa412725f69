"""The Extend Canvas dialog: pixels per side, or an aspect ratio with where the picture sits,
and the size that makes, live. It edits the same sides as the handles on the canvas (it is
not modal: the handles stay draggable while it is open); OK extends."""

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import RequestError
from ..core.extension import ANCHORS, Sides, sides_for_aspect
from ..core.limits import MAX_SIDE
from .extend_frame import SIDE_NAMES
from .theme import error_color
from .widgets import named

# (width, height, what an artist calls it)
ASPECT_RATIOS = ((16, 9, "widescreen"), (3, 2, "photo"), (4, 3, "classic"), (1, 1, "square"), (3, 4, "portrait"),
                 (2, 3, "photo portrait"), (9, 16, "phone"), (21, 9, "cinema"))
_ANCHOR_ARROWS = dict(zip(ANCHORS, "\u2196\u2191\u2197\u2190\u25cf\u2192\u2199\u2193\u2198", strict=True))
# Where each side's spin box sits around the picture in the grid: (row, column).
_SIDE_CELLS = ((1, 0), (0, 1), (1, 2), (2, 1))


class ExtendDialog(QDialog):
    """Asks for sides; ``sides_edited`` reports each change the artist makes, ``show_state``
    shows the sides as they are (from here or from the handles)."""

    sides_edited = Signal(object)  # Sides
    extend_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("extendDialog")
        self.setWindowTitle("Extend Canvas")
        self.setModal(False)
        self._picture = (0, 0)
        self._updating = False  # the sides are being shown, not edited

        intro = QLabel("Add room around the picture; Generate fills the new area so it continues the "
                       "picture. You can also drag the handles on the canvas.")
        intro.setWordWrap(True)

        # Pixels per side, laid out around the picture they extend.
        self.side_spins: list[QSpinBox] = []
        for name in SIDE_NAMES:
            spin = named(QSpinBox(), f"extend{name.capitalize()}Spin", f"Pixels added on the {name}")
            spin.setRange(0, MAX_SIDE)
            spin.setSingleStep(8)
            spin.setSuffix(" px")
            spin.setAccelerated(True)
            spin.valueChanged.connect(self._on_spin)
            self.side_spins.append(spin)
        self.picture_label = named(QLabel(), "extendPictureLabel", "The picture")
        self.picture_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture_label.setFrameShape(QFrame.Shape.StyledPanel)
        self.picture_label.setMinimumSize(120, 64)
        sides_box = QGroupBox("Pixels per side")
        grid = QGridLayout(sides_box)
        grid.addWidget(self.picture_label, 1, 1)
        for spin, (row, column) in zip(self.side_spins, _SIDE_CELLS, strict=True):
            grid.addWidget(spin, row, column, Qt.AlignmentFlag.AlignCenter)

        # Or an aspect ratio, the picture placed by a 3 x 3 choice.
        self.aspect_combo = named(QComboBox(), "extendAspectCombo", "To aspect ratio")
        self.aspect_combo.addItem("Free (pixels per side)", "")
        for width, height, name in ASPECT_RATIOS:
            self.aspect_combo.addItem(f"{width}:{height}  {name}", f"{width}:{height}")
        self.aspect_combo.currentIndexChanged.connect(self._apply_aspect)
        self.anchor_group = QButtonGroup(self)
        anchors = QWidget()
        anchors.setStyleSheet("QToolButton:checked { background: palette(highlight); color: palette(highlighted-text);"
                              " border-radius: 4px; }")
        anchor_grid = QGridLayout(anchors)
        anchor_grid.setContentsMargins(0, 0, 0, 0)
        anchor_grid.setSpacing(2)
        for index, anchor in enumerate(ANCHORS):
            button = named(QToolButton(), f"extendAnchor-{anchor}", f"Picture at the {anchor.replace('-', ' ')}")
            button.setText(_ANCHOR_ARROWS[anchor])
            button.setCheckable(True)
            button.setFixedSize(26, 26)
            button.setToolTip(f"The picture sits at the {anchor.replace('-', ' ')}")
            self.anchor_group.addButton(button, index)
            anchor_grid.addWidget(button, index // 3, index % 3)
        self.anchor_group.button(ANCHORS.index("centre")).setChecked(True)
        self.anchor_group.idClicked.connect(lambda _id: self._apply_aspect())
        ratio_box = QGroupBox("To aspect ratio")
        form = QFormLayout(ratio_box)
        form.addRow("Ratio", self.aspect_combo)
        form.addRow("Picture sits", anchors)

        self.result_label = named(QLabel(), "extendResultLabel", "Size after extending")
        self.result_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = named(self.buttons.button(QDialogButtonBox.StandardButton.Ok), "extendOkButton", "Extend")
        self.ok_button.setText("Extend")
        named(self.buttons.button(QDialogButtonBox.StandardButton.Cancel), "extendDialogCancelButton", "Cancel")
        self.buttons.accepted.connect(self.extend_requested)
        self.buttons.rejected.connect(self.reject)

        columns = QHBoxLayout()
        columns.addWidget(sides_box, 3)
        columns.addWidget(ratio_box, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(columns)
        layout.addWidget(self.result_label)
        layout.addWidget(self.buttons)

    @property
    def sides(self) -> Sides:
        return tuple(spin.value() for spin in self.side_spins)

    @property
    def anchor(self) -> str:
        return ANCHORS[self.anchor_group.checkedId()]

    def start(self, picture: tuple[int, int]) -> None:
        """A new picture to extend: free sides again."""
        self._picture = picture
        self.picture_label.setText(f"picture\n{picture[0]} \u00d7 {picture[1]}")
        self._updating = True
        self.aspect_combo.setCurrentIndex(0)
        self._apply_aspect()  # the placement goes with a ratio: off without one
        self._updating = False

    def show_state(self, sides: Sides, extended: tuple[int, int], problem: str | None) -> None:
        """Show ``sides``, the size ``extended`` they make, and ``problem`` (why it cannot be
        done, one line) or None."""
        self._updating = True
        for spin, value in zip(self.side_spins, sides, strict=True):
            if spin.value() != value:
                spin.setValue(value)
        self._updating = False
        if problem is None and extended == self._picture:
            self._say("Nothing added yet: enter pixels for a side, or choose a ratio.", error=False)
        elif problem is None:
            self._say(f"{self._picture[0]} \u00d7 {self._picture[1]}  \u2192  <b>{extended[0]} \u00d7 "
                      f"{extended[1]}</b> px", error=False)
        else:
            self._say(problem, error=True)
        self.ok_button.setEnabled(problem is None and extended != self._picture)

    def _say(self, text: str, error: bool) -> None:
        colour = error_color(self.palette().window().color()).name() if error else self.palette().text().color().name()
        self.result_label.setText(f"<span style='color:{colour}'>{text}</span>")

    def _on_spin(self, _value: int) -> None:
        if self._updating:
            return
        self._updating = True
        self.aspect_combo.setCurrentIndex(0)  # sides typed by hand: no longer a ratio's
        self._updating = False
        self.sides_edited.emit(self.sides)

    def _apply_aspect(self) -> None:
        ratio = self.aspect_combo.currentData()  # "16:9", or "" for free sides
        for button in self.anchor_group.buttons():
            button.setEnabled(bool(ratio))
        if self._updating or not ratio:
            return
        try:
            sides = sides_for_aspect(*self._picture, *map(int, ratio.split(":")), self.anchor)
        except RequestError as exc:
            self.ok_button.setEnabled(False)
            self._say(str(exc), error=True)
            return
        self.sides_edited.emit(sides)
