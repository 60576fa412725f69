"""The prompt panel's init image: a button to start from a picture and, once one is set, its
thumbnail, a strength slider and a clear button. Setting one turns the next Generate into an
image-to-image request; the size follows the picture (see ``core.init_image.fit_size``)."""

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QSlider, QToolButton, QWidget

from .widgets import named

_THUMB = 64
DEFAULT_STRENGTH = 0.6


@dataclass(frozen=True)
class InitImage:
    """A picture stored in the project, ready to start from."""

    asset: str  # assets/<sha256>.<ext>
    width: int
    height: int
    label: str  # where it came from: a file name, or "from the history"
    thumbnail: QImage


class InitImageBox(QWidget):
    choose_requested = Signal()  # the artist wants to pick a file
    changed = Signal()  # set or cleared

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("initImageBox")
        self.current: InitImage | None = None
        self.choose_button = named(QPushButton("Start from an image ..."), "chooseInitImageButton",
                                   "Choose an init image")
        self.choose_button.setToolTip("Image to image: pick a picture to start from (or right-click an image "
                                      "in the history: Use as init image)")
        self.choose_button.clicked.connect(self.choose_requested)

        self.thumbnail = named(QLabel(), "initImageThumbnail", "Init image")
        self.thumbnail.setFixedSize(_THUMB, _THUMB)
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail.setStyleSheet("border: 1px solid palette(mid); border-radius: 3px;")
        self.name_label = named(QLabel(), "initImageName", "Init image name")
        self.name_label.setWordWrap(True)
        self.clear_button = named(QToolButton(), "clearInitImageButton", "Clear the init image")
        self.clear_button.setText("Clear")
        self.clear_button.setToolTip("Generate from the prompt alone")
        self.clear_button.clicked.connect(self.clear)
        self.strength_slider = named(QSlider(Qt.Orientation.Horizontal), "strengthSlider", "Strength")
        self.strength_slider.setRange(0, 100)
        self.strength_slider.setValue(round(DEFAULT_STRENGTH * 100))
        self.strength_slider.setToolTip("How much to change the init image: 0 keeps it, 1 replaces it")
        self.strength_label = named(QLabel(), "strengthLabel", "Strength value")
        self.strength_label.setMinimumWidth(32)
        self.strength_slider.valueChanged.connect(self._show_strength)
        self._show_strength()

        self.details = QWidget()
        grid = QGridLayout(self.details)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.thumbnail, 0, 0, 2, 1)
        title = QHBoxLayout()
        title.addWidget(self.name_label, 1)
        title.addWidget(self.clear_button)
        grid.addLayout(title, 0, 1)
        strength = QHBoxLayout()
        strength.addWidget(QLabel("Strength"))
        strength.addWidget(self.strength_slider, 1)
        strength.addWidget(self.strength_label)
        grid.addLayout(strength, 1, 1)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.choose_button)
        layout.addWidget(self.details, 1)
        self.details.hide()

    @property
    def strength(self) -> float:
        return self.strength_slider.value() / 100

    def set_strength(self, value: float) -> None:
        self.strength_slider.setValue(round(value * 100))

    def set_image(self, image: InitImage) -> None:
        import html  # here: at the window's start it would cost about 4 ms

        self.current = image
        pixmap = QPixmap.fromImage(image.thumbnail).scaled(
            _THUMB - 2, _THUMB - 2, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        self.thumbnail.setPixmap(pixmap)
        self.name_label.setText(f"<b>Init image</b> · {image.width} × {image.height}<br>{html.escape(image.label)}")
        self.name_label.setToolTip(image.asset)
        self.choose_button.hide()
        self.details.show()
        self.changed.emit()

    @Slot()
    def clear(self) -> None:
        if self.current is None:
            return
        self.current = None
        self.thumbnail.clear()
        self.details.hide()
        self.choose_button.show()
        self.changed.emit()

    @Slot()
    def _show_strength(self) -> None:
        self.strength_label.setText(f"{self.strength:.2f}")
