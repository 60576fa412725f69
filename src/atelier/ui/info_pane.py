"""The Info pane: what made the selected output (prompts, model, settings, the inputs it started
from with their thumbnails, where an imported image came from) and buttons to take it back into
the prompt panel: its prompt, its seed, all of it, or its A1111 parameters to the clipboard.
Built the first time it is shown; the inputs are read off the UI thread."""

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from ..core.output_info import OutputInfo, describe
from ..core.project import Entry, Output
from .history.thumbnails import decode_thumbnail, is_audio_asset
from .images import decode_image
from .init_image_box import InitImage
from .widgets import button_grid, named

log = logging.getLogger(__name__)

_THUMB = 72  # an input's thumbnail, logical pixels
_INIT_THUMB = 128  # the thumbnail an InitImage carries, as the project thread makes them


@dataclass(frozen=True)
class InputPicture:
    """A project asset read for showing: an image's size and thumbnail, a sound's waveform."""

    asset: str
    width: int  # 0 for a sound
    height: int
    thumbnail: QImage


class _Delivery(QObject):
    """Carries what reader threads read to the UI thread (its slot runs there, queued)."""

    done = Signal(int, object)  # token, InputPicture or None

    def __init__(self):
        super().__init__()
        self.done.connect(self.deliver)

    @Slot(int, object)
    def deliver(self, token: int, picture) -> None:
        owner, then = _waiting.pop(token, (None, None))
        if owner is not None and isValid(owner):
            then(picture)


_delivery: _Delivery | None = None
_readers = None  # a ThreadPoolExecutor, made on the first read
_waiting: dict[int, tuple[QObject, Callable]] = {}
_tokens = itertools.count(1)


def read_input(read_asset: Callable[[str], bytes], asset: str, pixels: int, owner: QObject,
               then: Callable[[InputPicture | None], None]) -> None:
    """Read and decode a project asset on a background thread, fitting its thumbnail in a
    ``pixels`` square; ``then`` is called on the UI thread, unless ``owner`` is gone by then."""
    global _delivery, _readers
    if _readers is None:
        from concurrent.futures import ThreadPoolExecutor

        _delivery = _Delivery()  # never deleted: a read that ends after its window still has it
        _readers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="atelier-info")
    token = next(_tokens)
    _waiting[token] = (owner, then)
    _readers.submit(_read, token, read_asset, asset, pixels)


def read_init_image(read_asset: Callable[[str], bytes], asset: str, owner: QObject,
                    then: Callable[[InitImage | None], None]) -> None:
    """An image asset of the project as an InitImage for the prompt panel, read off the UI thread."""
    def made(picture: InputPicture | None) -> None:
        ready = picture is not None and picture.width > 0
        then(InitImage(asset, picture.width, picture.height, "as the output started", picture.thumbnail)
             if ready else None)

    read_input(read_asset, asset, _INIT_THUMB, owner, made)


def _read(token: int, read_asset: Callable[[str], bytes], asset: str, pixels: int) -> None:
    """Runs on a reader thread: touches no widget."""
    picture = None
    try:
        data = read_asset(asset)
        if is_audio_asset(asset):
            picture = InputPicture(asset, 0, 0, decode_thumbnail(data, asset, pixels))
        else:
            image = decode_image(data, asset)
            if not image.isNull():
                thumbnail = image.scaled(pixels, pixels, Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation)
                picture = InputPicture(asset, image.width(), image.height(), thumbnail)
    except Exception as exc:  # noqa: BLE001 - a missing or damaged input shows as unreadable
        log.warning("cannot read %s: %s", asset, exc)
    _delivery.done.emit(token, picture)


class InfoPane(QWidget):
    use_prompt_requested = Signal(str)  # output id
    use_seed_requested = Signal(str)
    use_all_requested = Signal(str)

    def __init__(self, find: Callable[[str], tuple[Entry, Output] | None], read_asset: Callable[[str], bytes],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("infoPane")
        self.setMinimumWidth(260)
        self._find = find
        self._read_asset = read_asset
        self.output_id: str | None = None
        self.info: OutputInfo | None = None

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.use_prompt_button = self._button("Use prompt", "infoUsePromptButton", self.use_prompt_requested,
                                              "Put its prompt and negative prompt in the prompt panel")
        self.use_seed_button = self._button("Use seed", "infoUseSeedButton", self.use_seed_requested,
                                            "Put its seed in the prompt panel")
        self.use_all_button = self._button("Use all", "infoUseAllButton", self.use_all_requested,
                                           "Set the whole prompt panel as it was for this output, its model included")
        self.copy_button = named(QPushButton("Copy parameters"), "infoCopyParametersButton", "Copy parameters")
        self.copy_button.setToolTip("Copy its settings as AUTOMATIC1111 parameters text")
        self.copy_button.clicked.connect(self.copy_parameters)
        self.note_label = named(QLabel(""), "infoNoteLabel", "Info note")
        self.note_label.setWordWrap(True)
        self.note_label.setStyleSheet("color: palette(placeholder-text);")
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.setInterval(4000)
        self._note_timer.timeout.connect(self.note_label.clear)

        buttons = button_grid(self.use_prompt_button, self.use_seed_button, self.use_all_button, self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.note_label)
        self.show_output(None)

    # ----- what it shows --------------------------------------------------------------------------
    def show_output(self, output_id: str | None) -> None:
        """Show what made ``output_id``; "No output selected" for None or an output not there."""
        found = self._find(output_id) if output_id is not None else None
        self.output_id = output_id if found is not None else None
        self.info = describe(*found) if found is not None else None
        self.scroll.setWidget(self._contents(self.info) if self.info is not None else self._empty())
        info = self.info
        self.use_prompt_button.setEnabled(bool(info and (info.prompt or info.negative_prompt)))
        self.use_seed_button.setEnabled(bool(info and info.seed is not None))
        self.use_all_button.setEnabled(bool(info and info.settings))
        self.copy_button.setEnabled(bool(info and info.parameters))

    @Slot(object)
    def follow_change(self, _change=None) -> None:
        """A project change may have taken the shown output away."""
        if self.output_id is not None and self._find(self.output_id) is None:
            self.show_output(None)

    @Slot()
    def copy_parameters(self) -> None:
        if self.info is not None and self.info.parameters:
            QGuiApplication.clipboard().setText(self.info.parameters)
            self.say("Parameters copied to the clipboard (AUTOMATIC1111 text).")

    def say(self, text: str) -> None:
        """A short note under the buttons, gone after a few seconds."""
        self.note_label.setText(text)
        self._note_timer.start()

    # ----- building ---------------------------------------------------------------------------------
    def _button(self, text: str, name: str, signal, tip: str) -> QPushButton:
        button = named(QPushButton(text), name, text)
        button.setToolTip(tip)
        button.clicked.connect(lambda: self.output_id is not None and signal.emit(self.output_id))
        return button

    def _empty(self) -> QWidget:
        label = named(QLabel("No output selected"), "infoEmptyLabel", "No output selected")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setStyleSheet("color: palette(placeholder-text);")
        return label

    def _contents(self, info: OutputInfo) -> QWidget:
        contents = QWidget()
        layout = QVBoxLayout(contents)
        layout.setContentsMargins(2, 2, 6, 2)
        layout.setSpacing(3)

        def section(caption: str) -> None:
            layout.addSpacing(5)
            layout.addWidget(_caption(caption))

        title = QLabel(info.title)
        title.setObjectName("infoTitle")
        title.setStyleSheet("font-weight: 600; font-size: 11pt;")
        layout.addWidget(title)
        if info.origin:
            layout.addWidget(_value(info.origin, "infoOrigin", muted=True))
        for label, text, name in (("Prompt", info.prompt, "infoPrompt"),
                                  ("Negative prompt", info.negative_prompt, "infoNegativePrompt")):
            if text:
                section(label)
                layout.addWidget(_value(text, name, block=True))
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setFormAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(3)
        blocks = []
        for row in info.rows:
            name = "info" + row.label.title().replace(" ", "")
            if row.block:
                blocks.append((row.label, _value(row.value, name, block=True)))
            else:
                form.addRow(_caption(row.label), _value(row.value, name))
        # The pictures it started from stand beside the settings: a narrow pane keeps them in view.
        inputs = QVBoxLayout()
        inputs.setSpacing(6)
        for index, ref in enumerate(info.inputs):
            inputs.addWidget(self._input(ref.label, ref.asset, index))
        inputs.addStretch(1)
        settings = QHBoxLayout()
        settings.addLayout(form, 1)
        settings.addLayout(inputs)
        layout.addSpacing(8)
        layout.addLayout(settings)
        for label, widget in blocks:
            section(label)
            layout.addWidget(widget)
        layout.addStretch(1)
        return contents

    def _input(self, label: str, asset: str, index: int) -> QWidget:
        """An input's thumbnail over its name and size, filled in once read off the UI thread."""
        column = QWidget()
        column.setObjectName(f"infoInput{index}")
        box = QVBoxLayout(column)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        thumb = named(QLabel("…"), f"infoInputThumbnail{index}", f"{label} thumbnail")
        thumb.setFixedSize(_THUMB + 2, _THUMB + 2)
        thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        thumb.setStyleSheet("border: 1px solid palette(mid); border-radius: 3px;")
        text = named(QLabel(label), f"infoInputLabel{index}", label)
        text.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        text.setWordWrap(True)
        text.setFixedWidth(_THUMB + 14)
        text.setStyleSheet("color: palette(placeholder-text);")
        text.setToolTip(asset)
        box.addWidget(thumb, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addWidget(text)
        ratio = self.devicePixelRatioF()

        def shown(picture: InputPicture | None) -> None:
            if picture is None or picture.thumbnail.isNull():
                thumb.setText("missing")
                return
            pixmap = QPixmap.fromImage(picture.thumbnail)
            pixmap.setDevicePixelRatio(ratio)
            thumb.setPixmap(pixmap)
            if picture.width:
                text.setText(f"{label}\n{picture.width} × {picture.height}")

        read_input(self._read_asset, asset, round(_THUMB * ratio), thumb, shown)
        return column


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("color: palette(placeholder-text);")
    return label


def _value(text: str, name: str, block: bool = False, muted: bool = False) -> QLabel:
    """Selectable, wrapped plain text; a block (a prompt, lyrics) is set off as a quote."""
    label = named(QLabel(text), name, name.removeprefix("info"))
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                  | Qt.TextInteractionFlag.TextSelectableByKeyboard)
    if block:
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setCursor(Qt.CursorShape.IBeamCursor)
    if block:
        label.setStyleSheet("background: palette(base); border: 1px solid palette(midlight);"
                            " border-radius: 3px; padding: 4px;")
    elif muted:
        label.setStyleSheet("color: palette(placeholder-text); font-style: italic;")
    return label
