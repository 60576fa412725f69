"""The audio player: a waveform view over a transport row (play/pause, stop, loop, time,
spectrogram, volume), playing through the one sound output (output.py).

Threads: the sound plays on PortAudio's thread, which only copies from the PlaybackBuffer. Peaks,
decoding and spectrograms are computed in a thread pool; each result comes back through a
queued signal to a slot of the player, tagged with the load it belongs to, so a result for a
sound that has since been replaced is dropped. A 30 Hz timer on the UI thread, running only
while playing, reads the buffer's position to move the playhead.

PortAudio is initialised (sounddevice imported) when the player first plays, or when a device is
checked after that: never when it is built, so never before the window's first frame."""

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, QRunnable, QSize, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QKeySequence, QPainter, QPainterPath, QPalette, QPen, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...media.peaks import Peaks, peaks_of
from ...media.playback import PlaybackBuffer
from .output import AudioOutput, OutputUnavailable, device_index
from .waveform import WaveformView, format_time

log = logging.getLogger(__name__)

TICK_MS = 33  # the playhead's refresh while playing (about 30 Hz)
READING = "Reading waveform\u2026"
_END_GRACE_MS = 30  # after the last block was handed over, before the stream is stopped


class _JobSignals(QObject):
    """Made on the UI thread, so its signals reach the player's slots queued."""

    done = Signal(int, object)  # job id, result
    failed = Signal(int, str)  # job id, one-line reason


class _Job(QRunnable):
    def __init__(self, job_id: int, work: Callable[[], object], signals: _JobSignals):
        super().__init__()
        self._id, self._work, self._signals = job_id, work, signals

    def run(self) -> None:
        try:
            result = self._work()
        except Exception as exc:  # noqa: BLE001 - any failure is reported, none may escape a pool thread
            self._signals.failed.emit(self._id, str(exc).strip().splitlines()[0] if str(exc).strip()
                                      else type(exc).__name__)
        else:
            self._signals.done.emit(self._id, result)


def _decode(source: Path | bytes, name: str, peaks: bytes | None = None) -> tuple[PlaybackBuffer, np.ndarray, Peaks]:
    """A sound file's (or its bytes') playback buffer, samples (frames, channels) float32 and
    peaks (from ``peaks`` when they are this sound's, else computed); ValueError naming it when
    it is not sound."""
    import io

    import soundfile

    try:
        samples, rate = soundfile.read(io.BytesIO(source) if isinstance(source, bytes) else str(source),
                                       dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
        raise ValueError(f"{name} cannot be read as sound ({exc})") from None
    if not len(samples):
        raise ValueError(f"{name} holds no sound")
    # The playback buffer (a copy, checked for NaN) is made here too, not on the UI thread.
    buffer = PlaybackBuffer(samples, int(rate))
    if peaks is not None:
        try:
            kept = Peaks.from_bytes(peaks)
            if (kept.rate, kept.frames, kept.channels) == (int(rate), *samples.shape):
                return buffer, samples, kept
        except ValueError:
            pass  # damaged: make them again
    return buffer, samples, peaks_of(samples, int(rate))


class AudioPlayer(QWidget):
    """A sound's waveform and its transport. See ``load``, ``load_file``, ``play``, ``pause``,
    ``stop``, ``seek``, ``set_device``; tests find the controls by objectName (audio_play,
    audio_stop, audio_loop, audio_time, audio_title, audio_spectrogram, audio_volume,
    audio_reason, audio_waveform)."""

    playing_changed = Signal(bool)
    position_changed = Signal(float)  # seconds: while playing (about 30 Hz) and on every seek
    loop_changed = Signal(object)  # the region that loops now, (start, end) seconds, or None
    loaded = Signal(float)  # a sound is ready to play: its duration in seconds
    load_failed = Signal(str)  # load_file could not read the file: one line
    availability_changed = Signal(bool, str)  # (available, reason): the output failed or came back

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("audio_player")
        self.setAccessibleName("Audio player")
        self._output = AudioOutput()
        self._buffer: PlaybackBuffer | None = None
        self._samples: np.ndarray | None = None  # the sound as loaded: for resampling and the spectrogram
        self._output_buffer: PlaybackBuffer | None = None  # the buffer the open stream was made for
        self._device: int | str | None = None
        self._reason = ""
        self._token = 0  # which load a background result belongs to
        self._loop_region: tuple[float, float] | None = None
        self._jobs: dict[int, tuple[str, int, _JobSignals]] = {}  # id: (kind, token, signals), kept until done
        self._next_job = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._end_timer = QTimer(self)  # stops the stream once the last sound has been heard
        self._end_timer.setSingleShot(True)
        self._end_timer.timeout.connect(self._finish)

        self._build()
        self._update_icons()
        self._update_controls()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ----- building -------------------------------------------------------------------------
    def _build(self) -> None:
        self.view = WaveformView(self)
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFocusProxy(self.view)
        self.view.seek_requested.connect(self._on_view_seek)
        self.view.loop_changed.connect(self._on_view_loop)

        self.play_button = self._tool_button("audio_play", "Play", "Play (Space)")
        self.play_button.clicked.connect(self.toggle_play)
        self.stop_button = self._tool_button("audio_stop", "Stop", "Stop and go back to the start")
        self.stop_button.clicked.connect(self.stop)
        self.loop_button = self._tool_button("audio_loop", "Loop",
                                             "Loop (L): the selected region, or all of the sound\n"
                                             "Select a region by dragging in the ruler or Shift-dragging")
        self.loop_button.setCheckable(True)
        self.loop_button.toggled.connect(self._apply_loop)
        self.spectrogram_button = self._tool_button("audio_spectrogram", "Spectrogram",
                                                    "Show the spectrogram instead of the waveform")
        self.spectrogram_button.setCheckable(True)
        self.spectrogram_button.toggled.connect(self.set_show_spectrogram)

        self.time_label = QLabel()
        self.time_label.setObjectName("audio_time")
        self.time_label.setAccessibleName("Position and length")
        self.time_label.setToolTip("Position / length (Home goes to the start)")
        digits = self.time_label.font()
        digits.setStyleHint(digits.StyleHint.Monospace)
        digits.setFamilies(["DejaVu Sans Mono", "Menlo", "Consolas", "monospace"])
        self.time_label.setFont(digits)
        self.time_label.setMinimumWidth(self.time_label.fontMetrics().horizontalAdvance("00:00.0 / 00:00.0") + 4)

        self.title_label = QLabel()
        self.title_label.setObjectName("audio_title")
        self.title_label.setAccessibleName("Sound")
        self.title_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._dim(self.title_label)

        self.reason_label = QLabel()
        self.reason_label.setObjectName("audio_reason")
        self.reason_label.setAccessibleName("Why sound cannot play")
        self.reason_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.reason_label.setTextFormat(Qt.TextFormat.RichText)
        self.reason_label.linkActivated.connect(self._retry)
        self.reason_label.hide()

        self.volume_icon = QLabel()
        self.volume_icon.setObjectName("audio_volume_icon")
        self.volume_slider = QSlider(Qt.Orientation.Horizontal)
        self.volume_slider.setObjectName("audio_volume")
        self.volume_slider.setAccessibleName("Volume")
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setValue(100)
        self.volume_slider.setFixedWidth(96)
        self.volume_slider.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.volume_slider.valueChanged.connect(self._on_volume)
        self._on_volume(self.volume_slider.value())

        row = QHBoxLayout()
        row.setContentsMargins(2, 0, 2, 0)
        row.setSpacing(4)
        for button in (self.play_button, self.stop_button, self.loop_button):
            row.addWidget(button)
        row.addSpacing(10)
        row.addWidget(self.time_label)
        row.addSpacing(10)
        row.addWidget(self.title_label, 1)
        row.addWidget(self.reason_label, 1)
        row.addSpacing(8)
        row.addWidget(self.spectrogram_button)
        row.addSpacing(8)
        row.addWidget(self.volume_icon)
        row.addWidget(self.volume_slider)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)

        for keys, slot in ((Qt.Key.Key_Space, self.toggle_play), (Qt.Key.Key_Home, self.go_to_start),
                           (Qt.Key.Key_L, self.toggle_loop)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def _tool_button(self, name: str, accessible: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(name)
        button.setAccessibleName(accessible)
        button.setToolTip(tip)
        button.setIconSize(QSize(16, 16))
        button.setAutoRaise(True)
        button.setFixedSize(30, 28)
        return button

    @staticmethod
    def _dim(label: QLabel) -> None:
        palette = label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.PlaceholderText))
        label.setPalette(palette)

    def changeEvent(self, event) -> None:
        if event.type() == event.Type.PaletteChange:
            self._update_icons()
            self._dim(self.title_label)
        super().changeEvent(event)

    def _update_icons(self) -> None:
        palette = self.palette()
        normal = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText)
        disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
        accent = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight)
        self._icons = {kind: _icon(kind, normal, disabled, accent)
                       for kind in ("play", "pause", "stop", "loop", "spectrogram")}
        self.stop_button.setIcon(self._icons["stop"])
        self.loop_button.setIcon(self._icons["loop"])
        self.spectrogram_button.setIcon(self._icons["spectrogram"])
        self.volume_icon.setPixmap(_icon("volume", normal, disabled, accent).pixmap(QSize(16, 16)))
        self._update_play_button()

    # ----- state ------------------------------------------------------------------------------
    @property
    def buffer(self) -> PlaybackBuffer | None:
        """The sound ready to play (None before a load finishes)."""
        return self._buffer

    @property
    def available(self) -> bool:
        """False once the sound output failed (see ``unavailable_reason``), until ``set_device``
        or "Try again" succeeds. Before the first play nothing has been tried: True."""
        return not self._reason

    @property
    def unavailable_reason(self) -> str:
        """"No sound output: <reason>", one line, or ""."""
        return self._reason

    @property
    def playing(self) -> bool:
        return self._buffer is not None and self._buffer.playing

    @property
    def position(self) -> float:
        """Seconds from the start of the sound."""
        return 0.0 if self._buffer is None else self._buffer.seconds

    @property
    def duration(self) -> float:
        return 0.0 if self._buffer is None else self._buffer.duration

    @property
    def underruns(self) -> int:
        """Blocks the output ran dry on (PortAudio's underflow flag), since the player was made."""
        return self._output.underruns

    def _update_controls(self) -> None:
        has_sound = self._buffer is not None
        transport = has_sound and self.available
        self.play_button.setEnabled(transport)
        self.stop_button.setEnabled(transport)
        self.loop_button.setEnabled(has_sound)
        self.spectrogram_button.setEnabled(has_sound or self.view.has_spectrogram)
        self._update_play_button()
        self._update_time()

    def _update_play_button(self) -> None:
        if not hasattr(self, "_icons"):
            return
        playing = self.playing
        self.play_button.setIcon(self._icons["pause" if playing else "play"])
        self.play_button.setToolTip("Pause (Space)" if playing else "Play (Space)")
        self.play_button.setAccessibleName("Pause" if playing else "Play")

    def _update_time(self) -> None:
        self.time_label.setText(f"{format_time(self.position)} / {format_time(self.duration)}")

    # ----- loading ----------------------------------------------------------------------------
    def load(self, samples: np.ndarray, rate: int, peaks: Peaks | None = None, title: str = "") -> None:
        """Show and get ready to play ``samples`` ((frames,) or (frames, channels), float) at
        ``rate``. Without ``peaks`` they are computed in the background and the view says
        "Reading waveform…" until then; the sound plays at once either way. Raises
        ValueError for an empty sound or a bad rate (nothing changes then)."""
        self._take(PlaybackBuffer(samples, rate), samples, peaks, title)

    def _take(self, buffer: PlaybackBuffer, samples: np.ndarray, peaks: Peaks | None, title: str) -> None:
        """Make ``buffer`` (of ``samples``) the sound shown and played."""
        self._halt()
        self._token += 1
        self._buffer = buffer
        self._buffer.volume = self._volume()
        self._samples = np.asarray(samples)
        self._loop_region = None
        self.view.clear()
        self.view.set_duration(buffer.duration)
        self.title_label.setText(title)
        self.title_label.setToolTip(title)
        if peaks is not None:
            self.view.set_peaks(peaks)
        else:
            self.view.set_message(READING)
            self._start_job("peaks", lambda s=self._samples, r=buffer.rate: peaks_of(s, r))
        if self.view.show_spectrogram:
            self._start_spectrogram()
        self.loop_button.setChecked(False)
        self._apply_loop()
        self._update_controls()
        self.position_changed.emit(0.0)
        self.loaded.emit(buffer.duration)

    def load_file(self, source: str | Path | bytes, title: str = "", peaks: bytes | None = None) -> None:
        """Read a sound file (WAV, FLAC, OGG, MP3), or a file's bytes, in the background, then
        ``load`` it, with ``peaks`` (``media.peaks`` bytes) when they are known. Until it is read
        the view says "Reading waveform…"; a file that is not sound shows why, and
        ``load_failed`` says it."""
        if not isinstance(source, bytes):
            source = Path(source)
        title = title or source.name if isinstance(source, Path) else title
        self.clear()
        self.view.set_message(READING)
        self.title_label.setText(title)
        self.title_label.setToolTip(str(source) if isinstance(source, Path) else title)
        self._start_job("file", lambda: _decode(source, title or "the sound", peaks))

    def clear(self) -> None:
        """No sound: playback stopped, the output closed, pending results dropped."""
        self._halt()
        self._token += 1
        self._output.close()
        self._output_buffer = None
        self._buffer = None
        self._samples = None
        self._loop_region = None
        self.view.clear()
        self.title_label.clear()
        self.loop_button.setChecked(False)
        self._update_controls()

    @Slot()
    def shutdown(self) -> None:
        """Close the output and wait for background work (the app is quitting)."""
        self.clear()
        self._pool.clear()
        self._pool.waitForDone()

    def closeEvent(self, event) -> None:
        self.clear()
        super().closeEvent(event)

    # ----- background work ----------------------------------------------------------------------
    def _start_job(self, kind: str, work: Callable[[], object]) -> None:
        self._next_job += 1
        signals = _JobSignals(self)
        signals.done.connect(self._job_done)
        signals.failed.connect(self._job_failed)
        self._jobs[self._next_job] = (kind, self._token, signals)
        self._pool.start(_Job(self._next_job, work, signals))

    def _start_spectrogram(self) -> None:
        if self._samples is None or self._buffer is None or any(
                kind == "spectrogram" and token == self._token for kind, token, _ in self._jobs.values()):
            return
        from ...media.spectrogram import spectrogram, spectrogram_frequencies

        def work(samples=self._samples, rate=self._buffer.rate):
            rows = spectrogram(samples, rate)
            return rows, spectrogram_frequencies(rate, len(rows))

        self._start_job("spectrogram", work)

    def _finish_job(self, job_id: int) -> tuple[str, bool]:
        kind, token, signals = self._jobs.pop(job_id)
        signals.deleteLater()
        return kind, token == self._token

    @Slot(int, object)
    def _job_done(self, job_id: int, result) -> None:
        kind, current = self._finish_job(job_id)
        if not current:
            return
        if kind == "peaks":
            self.view.set_peaks(result)
        elif kind == "spectrogram":
            self.view.set_spectrogram(*result)
        elif kind == "file":
            buffer, samples, peaks = result
            title, tip = self.title_label.text(), self.title_label.toolTip()
            self._take(buffer, samples, peaks, title)
            self.title_label.setToolTip(tip)

    @Slot(int, str)
    def _job_failed(self, job_id: int, reason: str) -> None:
        kind, current = self._finish_job(job_id)
        if not current:
            return
        log.warning("audio player: %s failed: %s", kind, reason)
        if kind == "file":
            self.view.set_message(reason)
            self.load_failed.emit(reason)
        elif kind == "peaks":
            self.view.set_message(f"No waveform: {reason}")
        else:
            self.view.set_message(f"No spectrogram: {reason}")

    # ----- the output -------------------------------------------------------------------------
    def set_device(self, device: int | str | None) -> None:
        """Play on ``device``: a PortAudio index, a device name (as Settings stores it; a name
        that is not connected means the system default), or None for the system default.
        Playback stops. Once PortAudio is running (the player has played) the device is checked
        at once, else on the next play; a device that cannot play makes the player unavailable
        with a one-line reason."""
        self._device = device
        self._halt()
        self._output.close()
        self._output_buffer = None
        self._set_reason(self._device_problem() if AudioOutput.initialised() else "")

    def _device_problem(self) -> str:
        """Why the chosen device cannot play, or ""."""
        try:
            AudioOutput.check_device(self._device_index())
        except OutputUnavailable as exc:
            return str(exc)
        return ""

    def _device_index(self) -> int | None:
        return device_index(self._device) if isinstance(self._device, str) else self._device

    def _ensure_output(self) -> bool:
        """The stream is open for the current buffer; False (and unavailable) when it cannot be."""
        if self._output.is_open and self._output_buffer is self._buffer:
            return True
        try:
            buffer = self._output.open(self._buffer, self._device_index(), self._samples)
        except OutputUnavailable as exc:
            self._set_reason(str(exc))
            return False
        if buffer is not self._buffer:  # resampled to a rate the device takes
            self._buffer = buffer
        self._output_buffer = buffer
        return True

    def _set_reason(self, reason: str) -> None:
        if reason == self._reason:
            return
        self._reason = reason
        if reason:
            self._halt()
            log.warning("audio player: %s", reason)
            # The palette's Link colour is Qt's default blue, unreadable on the dark theme.
            link = self.palette().color(QPalette.ColorRole.Highlight).lighter(135).name()
            self.reason_label.setText(f"{_escape(reason)} &nbsp;<a href='retry' style='color:{link}'>Try again</a>")
            self.reason_label.setToolTip(reason)
        self.reason_label.setVisible(bool(reason))
        self.title_label.setVisible(not reason)
        self._update_controls()
        self.availability_changed.emit(not reason, reason)

    @Slot()
    def _retry(self) -> None:
        """Look for sound devices again (one may have been plugged in) and check ours."""
        self._output.close()
        self._output_buffer = None
        if AudioOutput.initialised():
            import sounddevice

            # PortAudio scans devices only when it starts: restart it (our stream is closed;
            # these are sounddevice's own functions for it, private but long stable).
            if hasattr(sounddevice, "_terminate"):
                sounddevice._terminate()
                sounddevice._initialize()
        self._set_reason(self._device_problem())

    # ----- transport --------------------------------------------------------------------------
    @Slot()
    def play(self) -> None:
        """Play from the playhead (from the start when it is at the end). Opens the output the
        first time; if that fails the player becomes unavailable and says why."""
        if self._buffer is None or not self.available or self.playing:
            return
        self._end_timer.stop()
        if not self._ensure_output():
            return
        self._buffer.play()
        try:
            self._output.start()
        except OutputUnavailable as exc:
            self._buffer.pause()
            self._output_buffer = None
            self._set_reason(str(exc))
            return
        self._timer.start()
        self._update_play_button()
        self.playing_changed.emit(True)

    @Slot()
    def pause(self) -> None:
        if self._buffer is None or not self.playing:
            return
        self._buffer.pause()
        self._output.halt()
        self._stopped()

    @Slot()
    def stop(self) -> None:
        """Stop and go back to the start."""
        if self._buffer is None:
            return
        was_playing = self.playing
        self._buffer.stop()
        self._output.halt()
        self._end_timer.stop()
        self._timer.stop()
        self._show_position()
        self._update_play_button()
        if was_playing:
            self.playing_changed.emit(False)

    @Slot()
    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    @Slot()
    def go_to_start(self) -> None:
        self.seek(0.0)

    def seek(self, seconds: float) -> None:
        """Move the playhead (playing goes on from there)."""
        if self._buffer is None:
            return
        self._buffer.seek(seconds)
        self._show_position()

    def _halt(self) -> None:
        """Stop sound now without moving the playhead (before a load, clear or device change)."""
        self._end_timer.stop()
        if self._buffer is not None and self._buffer.playing:
            self._buffer.pause()
            self._output.halt()
            self._stopped()
        else:
            self._output.halt()
            self._timer.stop()

    def _stopped(self) -> None:
        self._timer.stop()
        self._show_position()
        self._update_play_button()
        self.playing_changed.emit(False)

    @Slot()
    def _tick(self) -> None:
        if self._buffer is None:
            self._timer.stop()
            return
        self._show_position(follow=True)
        if self._buffer.playing and not self._output.active:  # unplugged, or the callback failed
            self._output_buffer = None
            self._output.close()
            self._set_reason(str(OutputUnavailable("the sound device stopped playing")))
            return
        if not self._buffer.playing:  # the end: let the device play out what it holds, then stop
            self._timer.stop()
            self._update_play_button()
            self._end_timer.start(round(self._output.latency * 1000) + _END_GRACE_MS)

    @Slot()
    def _finish(self) -> None:
        """The end of the sound has been heard: stop the stream, back to the start."""
        if self._buffer is None or self._buffer.playing:
            return
        self._output.halt()
        self._buffer.stop()
        self._show_position()
        self._update_play_button()
        self.playing_changed.emit(False)

    def _show_position(self, follow: bool = False) -> None:
        seconds = self.position
        self.view.set_position(seconds, follow=follow)
        self._update_time()
        self.position_changed.emit(seconds)

    @Slot(float)
    def _on_view_seek(self, seconds: float) -> None:
        self.seek(seconds)

    # ----- loop -------------------------------------------------------------------------------
    @property
    def looping(self) -> bool:
        return self.loop_button.isChecked()

    def set_looping(self, on: bool) -> None:
        self.loop_button.setChecked(on)

    @Slot()
    def toggle_loop(self) -> None:
        if self._buffer is not None:
            self.loop_button.toggle()

    @property
    def loop_region(self) -> tuple[float, float] | None:
        """The selected region in seconds (None: none; looping then loops all of the sound)."""
        return self._loop_region

    def set_loop_region(self, region: tuple[float, float] | None) -> None:
        """Select ``region`` (seconds) as the loop; a region turns looping on."""
        self.view.set_loop(region)
        self._on_view_loop(self.view.loop)

    @Slot(object)
    def _on_view_loop(self, region) -> None:
        self._loop_region = region
        if region is not None and not self.loop_button.isChecked():
            self.loop_button.setChecked(True)  # applies it
        else:
            self._apply_loop()

    @Slot()
    def _apply_loop(self, _checked: bool = False) -> None:
        on = self.loop_button.isChecked()
        self.view.set_loop_enabled(on)
        buffer = self._buffer
        if buffer is None:
            return
        region = (self._loop_region or (0.0, buffer.duration)) if on else None
        if region is not None:
            try:
                buffer.set_loop(*region)
            except ValueError:  # narrower than a frame
                buffer.clear_loop()
        else:
            buffer.clear_loop()
        self.loop_changed.emit(buffer.loop)

    # ----- view and volume ----------------------------------------------------------------------
    @Slot(bool)
    def set_show_spectrogram(self, on: bool) -> None:
        """Show the spectrogram (computed in the background the first time) or the waveform."""
        if self.spectrogram_button.isChecked() != on:
            self.spectrogram_button.setChecked(on)  # comes back here
            return
        self.view.set_show_spectrogram(on)
        self.spectrogram_button.setToolTip("Show the waveform" if on else "Show the spectrogram instead of the waveform")
        if on and not self.view.has_spectrogram:
            self._start_spectrogram()

    def _volume(self) -> float:
        """The slider's position as a gain: squared, so the slider's middle sounds like half."""
        return (self.volume_slider.value() / 100) ** 2

    def set_volume(self, volume: float) -> None:
        """``volume``: the gain, 0 to 1."""
        self.volume_slider.setValue(round(min(1.0, max(0.0, volume)) ** 0.5 * 100))

    @Slot(int)
    def _on_volume(self, value: int) -> None:
        self.volume_slider.setToolTip(f"Volume: {value}%")
        if self._buffer is not None:
            self._buffer.volume = self._volume()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _icon(kind: str, colour: QColor, disabled: QColor, accent: QColor) -> QIcon:
    """A 16 px transport icon drawn in ``colour`` (and ``disabled``; checked ones in ``accent``),
    at 1x and 2x."""
    icon = QIcon()
    for ratio in (1, 2):
        for mode, state, pen in ((QIcon.Mode.Normal, QIcon.State.Off, colour),
                                 (QIcon.Mode.Disabled, QIcon.State.Off, disabled),
                                 (QIcon.Mode.Normal, QIcon.State.On, accent),
                                 (QIcon.Mode.Disabled, QIcon.State.On, disabled)):
            pixmap = QPixmap(16 * ratio, 16 * ratio)
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            _draw_icon(painter, kind, pen)
            painter.end()
            icon.addPixmap(pixmap, mode, state)
    return icon


def _draw_icon(painter: QPainter, kind: str, colour: QColor) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    if kind == "play":
        painter.drawPolygon([QPointF(4, 2.5), QPointF(13.5, 8), QPointF(4, 13.5)])
    elif kind == "pause":
        painter.drawRoundedRect(QRectF(3.5, 2.5, 3.2, 11), 1, 1)
        painter.drawRoundedRect(QRectF(9.3, 2.5, 3.2, 11), 1, 1)
    elif kind == "stop":
        painter.drawRoundedRect(QRectF(3, 3, 10, 10), 1.5, 1.5)
    elif kind == "loop":
        pen = QPen(colour, 1.6)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        path = QPainterPath()  # a rounded loop, open at the top right where the arrow is
        path.moveTo(9, 4)
        path.lineTo(4.5, 4)
        path.arcTo(QRectF(1.5, 4, 6, 8), 90, 180)
        path.lineTo(11.5, 12)
        path.arcTo(QRectF(8.5, 4, 6, 8), -90, 150)
        painter.drawPath(path)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPolygon([QPointF(8, 1.2), QPointF(11.5, 4), QPointF(8, 6.8)])
    elif kind == "spectrogram":
        for i, height in enumerate((5, 11, 8, 13, 6)):
            painter.drawRoundedRect(QRectF(1.5 + i * 2.8, 14 - height, 2, height), 0.8, 0.8)
    elif kind == "volume":
        painter.drawPolygon([QPointF(2, 6), QPointF(5, 6), QPointF(9, 2.5), QPointF(9, 13.5), QPointF(5, 10),
                             QPointF(2, 10)])
        pen = QPen(colour, 1.4)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawArc(QRectF(7, 5, 5, 6), -60 * 16, 120 * 16)
        painter.drawArc(QRectF(7, 2.5, 8, 11), -60 * 16, 120 * 16)
