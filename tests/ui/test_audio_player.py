"""The audio player, driven by objectName with qtbot, playing real sound through real PortAudio
into ALSA's null device (tests/conftest.py points HOME at an ~/.asoundrc that makes it the
default). The null device takes samples as fast as they come, so a second of sound plays in
milliseconds: these tests prove the stream opens and the callback runs, not timing (the
callback's timing is tested on the buffer, tests/media/test_playback.py)."""

import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QLabel, QSlider, QToolButton

from atelier.media.peaks import peaks_of
from atelier.ui.audio.output import AudioOutput, OutputUnavailable, output_devices
from atelier.ui.audio.player import READING, AudioPlayer
from atelier.ui.audio.waveform import RULER, WaveformView

RATE = 48000


def stereo_sine(seconds: float = 1.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return np.stack([0.8 * np.sin(2 * np.pi * 440 * t), 0.5 * np.sin(2 * np.pi * 660 * t)], axis=1).astype(np.float32)


@pytest.fixture
def player(qtbot):
    widget = AudioPlayer()
    qtbot.addWidget(widget)
    widget.resize(900, 220)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.shutdown()


def loaded(qtbot, player: AudioPlayer, samples=None, rate: int = RATE, title: str = "sine") -> AudioPlayer:
    player.load(stereo_sine() if samples is None else samples, rate, title=title)
    qtbot.waitUntil(lambda: player.view.peaks is not None, timeout=5000)
    return player


def control(player, cls, name):
    widget = player.findChild(cls, name)
    assert widget is not None, name
    return widget


def click_view(qtbot, player, fraction: float, y: int | None = None, modifier=Qt.KeyboardModifier.NoModifier):
    view = player.view
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, modifier, QPoint(round(view.width() * fraction),
                                                                         view.height() // 2 if y is None else y))


def drag_view(qtbot, player, start: float, end: float, y: int | None = None,
              modifier=Qt.KeyboardModifier.NoModifier):
    view = player.view
    y = view.height() // 2 if y is None else y
    a, b = QPoint(round(view.width() * start), y), QPoint(round(view.width() * end), y)
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, modifier, a)
    for step in range(1, 6):
        qtbot.mouseMove(view, a + (b - a) * step / 5)
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, modifier, b)


def test_controls_are_named_with_tooltips_and_the_transport_waits_for_a_sound(player):
    assert player.objectName() == "audio_player"
    for cls, name in [(QToolButton, "audio_play"), (QToolButton, "audio_stop"), (QToolButton, "audio_loop"),
                      (QToolButton, "audio_spectrogram"), (QSlider, "audio_volume"), (QLabel, "audio_time"),
                      (WaveformView, "audio_waveform")]:
        widget = control(player, cls, name)
        assert widget.accessibleName(), name
        assert widget.toolTip(), name
    assert "Space" in control(player, QToolButton, "audio_play").toolTip()
    assert "(L)" in control(player, QToolButton, "audio_loop").toolTip()
    assert not control(player, QToolButton, "audio_play").isEnabled()
    assert control(player, QLabel, "audio_time").text() == "0:00.0 / 0:00.0"
    assert player.available and player.unavailable_reason == ""


def test_building_and_loading_leave_portaudio_alone(guard_env):
    """sounddevice (PortAudio's start) waits for the first play: never on the way to a frame."""
    code = (
        "import sys, numpy as np\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from atelier.ui.audio.player import AudioPlayer\n"
        "from atelier.ui.settings_dialog import SettingsDialog\n"
        "from atelier.settings import Settings\n"
        "p = AudioPlayer(); p.load(np.zeros((4800, 2), np.float32), 48000); p.show(); app.processEvents()\n"
        "p.set_device(3); p.set_device('Some USB interface'); SettingsDialog(Settings())\n"
        "print('sounddevice' in sys.modules)\n"
        "p.shutdown()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=guard_env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False"]


def test_plays_a_sine_to_the_end_then_stops_and_goes_back_to_the_start(qtbot, player):
    player.load(stereo_sine(), RATE, title="sine")
    assert player.view.message == READING  # the peaks come from a pool thread
    assert control(player, QToolButton, "audio_play").isEnabled()  # playable before the waveform is
    qtbot.waitUntil(lambda: player.view.peaks is not None, timeout=5000)
    assert player.view.message == ""
    assert player.view.peaks.frames == RATE and player.view.peaks.channels == 2
    assert control(player, QLabel, "audio_time").text() == "0:00.0 / 0:01.0"
    assert control(player, QLabel, "audio_title").text() == "sine"

    seen, states = [], []
    player.position_changed.connect(seen.append)
    player.playing_changed.connect(states.append)
    qtbot.mouseClick(control(player, QToolButton, "audio_play"), Qt.MouseButton.LeftButton)
    assert states[:1] == [True]  # (the null device may have taken the whole second already)
    assert "sounddevice" in sys.modules  # opened on the first play
    qtbot.waitUntil(lambda: states == [True, False], timeout=5000)
    assert max(seen) == pytest.approx(1.0)  # the callback played it all
    assert player.position == 0.0 and not player.playing  # and it went back to the start
    assert player.view.position == 0.0
    assert control(player, QLabel, "audio_time").text() == "0:00.0 / 0:01.0"
    assert control(player, QToolButton, "audio_play").accessibleName() == "Play"
    assert isinstance(player.underruns, int)
    # The stream is kept for the next play: it plays again from the start.
    output = player._output
    assert output.is_open and not output.active
    player.play()
    qtbot.waitUntil(lambda: states == [True, False, True, False], timeout=5000)
    assert output.is_open


def test_clicking_the_waveform_seeks(qtbot, player):
    loaded(qtbot, player)
    requests = []
    player.view.seek_requested.connect(requests.append)
    click_view(qtbot, player, 0.5)
    assert player.buffer.seconds == pytest.approx(0.5, abs=2 / player.view.width())
    assert requests and requests[-1] == pytest.approx(0.5, abs=2 / player.view.width())
    assert control(player, QLabel, "audio_time").text() == "0:00.5 / 0:01.0"
    assert player.buffer.loop is None  # a plain click selects nothing
    click_view(qtbot, player, 0.1, y=RULER // 2)  # the ruler, with no loop to clear: seeks too
    assert player.position == pytest.approx(0.1, abs=2 / player.view.width())


def test_dragging_without_shift_scrubs(qtbot, player):
    loaded(qtbot, player)
    requests = []
    player.view.seek_requested.connect(requests.append)
    drag_view(qtbot, player, 0.2, 0.7)
    assert len(requests) >= 5 and requests == sorted(requests)
    assert player.position == pytest.approx(0.7, abs=2 / player.view.width())
    assert player.buffer.loop is None


def test_shift_drag_selects_a_loop_and_sets_it_on_the_buffer(qtbot, player):
    loaded(qtbot, player)
    sent = []
    player.loop_changed.connect(sent.append)
    drag_view(qtbot, player, 0.25, 0.75, modifier=Qt.KeyboardModifier.ShiftModifier)
    start, end = player.buffer.loop
    assert start == pytest.approx(0.25, abs=0.01) and end == pytest.approx(0.75, abs=0.01)
    assert player.loop_region == player.view.loop
    assert control(player, QToolButton, "audio_loop").isChecked()  # selecting a region loops it
    assert sent[-1] == player.buffer.loop
    assert player.position == 0.0  # a selection is not a seek

    # Dragging in the ruler strip selects too, right to left as well.
    drag_view(qtbot, player, 0.9, 0.6, y=RULER // 2)
    start, end = player.buffer.loop
    assert start == pytest.approx(0.6, abs=0.01) and end == pytest.approx(0.9, abs=0.01)
    # Grabbing an edge in the ruler moves that edge only.
    drag_view(qtbot, player, 0.6, 0.4, y=RULER // 2)
    start, end = player.buffer.loop
    assert start == pytest.approx(0.4, abs=0.01) and end == pytest.approx(0.9, abs=0.01)
    # Loop off keeps the region on screen, faintly, but the buffer no longer loops.
    qtbot.keyClick(player.view, Qt.Key.Key_L)
    assert not player.looping and player.buffer.loop is None and player.loop_region is not None
    qtbot.keyClick(player.view, Qt.Key.Key_L)
    assert player.buffer.loop == pytest.approx((0.4, 0.9), abs=0.01)
    # A click in the ruler clears the region: looping goes on over all of the sound.
    click_view(qtbot, player, 0.1, y=RULER // 2)
    assert player.loop_region is None and player.view.loop is None
    assert player.buffer.loop == (0.0, 1.0) and sent[-1] == (0.0, 1.0)


def test_space_toggles_play_home_goes_to_start_l_toggles_loop(qtbot, player):
    loaded(qtbot, player)
    player.setFocus()
    qtbot.waitUntil(lambda: player.view.hasFocus())
    qtbot.keyClick(player.view, Qt.Key.Key_L)  # loop all of it: on the null device it would end at once
    assert player.looping and player.buffer.loop == (0.0, 1.0)
    qtbot.keyClick(player.view, Qt.Key.Key_Space)
    assert player.playing
    qtbot.wait(150)
    assert player.playing  # looping: it never reaches the end
    play = control(player, QToolButton, "audio_play")
    assert play.accessibleName() == "Pause" and "Pause (Space)" == play.toolTip()
    assert player.view.position != 0.0  # the timer moves the playhead
    qtbot.keyClick(player.view, Qt.Key.Key_Space)
    assert not player.playing
    qtbot.keyClick(player.view, Qt.Key.Key_Home)
    assert player.position == 0.0
    # The keys work from any control of the player, Space included on a button.
    loop_button = control(player, QToolButton, "audio_loop")
    loop_button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(loop_button, Qt.Key.Key_Space)
    assert player.playing and player.looping
    qtbot.keyClick(loop_button, Qt.Key.Key_Space)
    assert not player.playing


def test_the_volume_slider_sets_the_buffers_volume(qtbot, player):
    loaded(qtbot, player)
    slider = control(player, QSlider, "audio_volume")
    assert player.buffer.volume == 1.0
    slider.setValue(50)
    assert player.buffer.volume == pytest.approx(0.25)  # squared: the middle sounds like half
    assert "50%" in slider.toolTip()
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_End)
    assert slider.value() == 100 and player.buffer.volume == 1.0
    player.set_volume(0.0)
    assert player.buffer.volume == 0.0
    # A new sound keeps the volume.
    player.set_volume(0.36)
    loaded(qtbot, player)
    assert player.buffer.volume == pytest.approx(0.36)


def test_a_device_that_cannot_play_disables_the_transport_with_a_reason(qtbot, player):
    loaded(qtbot, player)
    play = control(player, QToolButton, "audio_play")
    reasons = []
    player.availability_changed.connect(lambda ok, why: reasons.append((ok, why)))
    player.set_device(9999)  # no such device
    qtbot.mouseClick(play, Qt.MouseButton.LeftButton)  # checked now or here, whichever comes first
    assert not player.available and not player.playing
    reason = player.unavailable_reason
    assert reason.startswith("No sound output: ") and "9999" in reason and "\n" not in reason
    label = control(player, QLabel, "audio_reason")
    assert label.isVisible() and "No sound output" in label.text()
    assert not play.isEnabled() and not control(player, QToolButton, "audio_stop").isEnabled()
    assert reasons[-1] == (False, reason)
    # The rest keeps working: seeking, and the app itself.
    click_view(qtbot, player, 0.5)
    assert player.position == pytest.approx(0.5, abs=0.01)
    # Back to the default device: playable again.
    player.set_device(None)
    assert player.available and play.isEnabled() and not label.isVisible()
    assert reasons[-1] == (True, "")
    qtbot.mouseClick(play, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not player.playing and player.position == 0.0, timeout=5000)


def test_try_again_looks_for_the_device_again(qtbot, player):
    loaded(qtbot, player)
    player.set_device(9999)
    player.play()
    assert not player.available
    player._device = None  # as if the device had come back
    control(player, QLabel, "audio_reason").linkActivated.emit("retry")
    assert player.available and control(player, QToolButton, "audio_play").isEnabled()


def test_a_rate_the_device_refuses_is_resampled_to_its_own(qtbot, player):
    samples = stereo_sine(0.25, rate=1_000_000)  # PortAudio's ALSA refuses a megahertz
    player.load(samples, 1_000_000, peaks=peaks_of(samples, 1_000_000))
    player.set_volume(0.25)
    player.set_loop_region((0.05, 0.2))
    player.set_looping(False)
    player.seek(0.1)
    player.play()
    assert player.available, player.unavailable_reason
    assert player.buffer.rate == int(player._output.rate) == 44100  # the null device's default
    assert player.buffer.volume == pytest.approx(0.25)
    assert player.buffer.duration == pytest.approx(0.25, abs=1e-4)
    qtbot.waitUntil(lambda: not player.playing and player.position == 0.0, timeout=5000)
    player.set_looping(True)
    assert player.buffer.loop == pytest.approx((0.05, 0.2), abs=1e-4)


def test_output_devices_and_refusals_without_a_player():
    devices = output_devices()
    assert (0, "default") in devices  # the null device, as ~/.asoundrc makes it
    AudioOutput.check_device(None)
    with pytest.raises(OutputUnavailable, match=r"^No sound output: there is no output device 4242$"):
        AudioOutput.check_device(4242)


def test_clear_closes_the_output(qtbot, player):
    loaded(qtbot, player)
    player.play()
    qtbot.waitUntil(lambda: not player.playing, timeout=5000)
    assert player._output.is_open
    player.clear()
    assert player.buffer is None and not player._output.is_open
    assert player.view.peaks is None and player.view.duration == 0.0
    assert not control(player, QToolButton, "audio_play").isEnabled()
    assert control(player, QLabel, "audio_time").text() == "0:00.0 / 0:00.0"


def test_load_file_decodes_in_the_background(qtbot, player, tmp_path):
    path = tmp_path / "take 3.flac"
    soundfile.write(str(path), stereo_sine(0.5), RATE)
    with qtbot.waitSignal(player.loaded, timeout=5000) as blocker:
        player.load_file(path)
        assert player.view.message == READING and player.buffer is None
    assert blocker.args == [pytest.approx(0.5)]
    assert player.buffer.channels == 2 and player.view.peaks is not None
    assert control(player, QLabel, "audio_title").text() == "take 3.flac"
    # Not sound: the view says why, and so does the signal.
    bad = tmp_path / "notes.wav"
    bad.write_text("not a sound")
    with qtbot.waitSignal(player.load_failed, timeout=5000) as failed:
        player.load_file(bad)
    assert "notes.wav" in failed.args[0] and player.view.message == failed.args[0]
    assert player.buffer is None


def test_a_newer_load_wins_over_an_older_one_still_reading(qtbot, player, tmp_path):
    path = tmp_path / "old.wav"
    soundfile.write(str(path), stereo_sine(2.0), RATE)
    player.load_file(path)
    player.load(stereo_sine(0.5), RATE, title="new")
    qtbot.wait(300)
    qtbot.waitUntil(lambda: not player._jobs, timeout=5000)
    assert player.duration == pytest.approx(0.5) and player.view.peaks.frames == RATE // 2
    assert control(player, QLabel, "audio_title").text() == "new"


def test_the_spectrogram_toggle_draws_the_spectrogram(qtbot, player):
    loaded(qtbot, player)
    button = control(player, QToolButton, "audio_spectrogram")
    wave = player.view.grab().toImage()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.isChecked() and player.view.show_spectrogram
    qtbot.waitUntil(lambda: player.view.has_spectrogram, timeout=5000)
    spectrum = player.view.grab().toImage()
    assert spectrum != wave
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not player.view.show_spectrogram
    assert player.view.grab().toImage() == wave


# ----- the view on its own: a 10-minute sound --------------------------------------------------

TEN_MINUTES_RATE = 8000  # 10 minutes of stereo noise at 8 kHz: 38 MB, the same pyramid levels in use


@pytest.fixture(scope="module")
def ten_minute_peaks():
    noise = np.random.default_rng(1).uniform(-1, 1, (600 * TEN_MINUTES_RATE, 2)).astype(np.float32)
    return peaks_of(noise, TEN_MINUTES_RATE)


@pytest.fixture
def long_view(qtbot, ten_minute_peaks):
    view = WaveformView()
    qtbot.addWidget(view)
    view.resize(900, 200)
    view.set_peaks(ten_minute_peaks)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_ten_minutes_of_peaks_paint_as_the_waveform(long_view):
    view = long_view
    assert view.duration == pytest.approx(600.0)
    started = time.perf_counter()
    image = view.grab().toImage()
    assert time.perf_counter() - started < 1.0
    colours = view.colours
    top, bottom = view.lane_rects()
    assert top.bottom() < bottom.top()  # stereo: two lanes
    for lane in (top, bottom):
        y_mid = lane.center().y()
        for x in (view.width() // 4, view.width() // 2, view.width() * 3 // 4):
            # Noise spans -1..1 with an RMS of 0.58: the body is the RMS colour, near the edges the peak colour.
            assert image.pixel(x, y_mid) == colours.rms.rgb()
            assert image.pixel(x, lane.top() + round(lane.height() * 0.1)) == colours.wave.rgb()
            assert image.pixel(x, y_mid) != colours.background.rgb()
    assert image.pixel(view.width() // 2, RULER // 2) != colours.wave.rgb()  # the ruler is no waveform


class _PaintRects(QObject):
    def __init__(self):
        super().__init__()
        self.rects = []

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            self.rects.extend(event.region())  # the strips, not their bounding rect
        return False


def test_a_moving_playhead_repaints_thin_strips_only(qtbot, long_view):
    view = long_view
    qtbot.wait(50)
    spy = _PaintRects()
    view.installEventFilter(spy)
    try:
        view.set_position(100.0)
        qtbot.waitUntil(lambda: bool(spy.rects), timeout=2000)
        qtbot.wait(20)
        assert sum(r.width() for r in spy.rects) <= 20, spy.rects  # two strips of 5 (and nothing else)
        assert view.position == 100.0
    finally:
        view.removeEventFilter(spy)
    image = view.grab().toImage()
    x = round(view.x_of(100.0))
    assert image.pixel(x, view.height() // 2) == view.colours.playhead.rgb()


def wheel(view, fraction: float, steps: float, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    at = QPointF(view.width() * fraction, view.height() / 2)
    event = QWheelEvent(at, view.mapToGlobal(at), QPoint(0, 0), QPoint(0, round(120 * steps)),
                        Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view, event)


def test_ctrl_wheel_zooms_around_the_pointer_and_wheel_scrolls(long_view):
    view = long_view
    wheel(view, 0.5, 1)  # not zoomed: a plain wheel is not ours
    assert view.view_range == (0.0, 600.0)
    under = view.seconds_at(view.width() * 0.3)
    wheel(view, 0.3, 3, Qt.KeyboardModifier.ControlModifier)
    start, end = view.view_range
    assert end - start == pytest.approx(600 * 0.8 ** 3)
    assert view.seconds_at(view.width() * 0.3) == pytest.approx(under)
    image = view.grab().toImage()  # zoomed in, still the waveform
    assert image.pixel(view.width() // 2, view.lane_rects()[0].center().y()) == view.colours.rms.rgb()
    wheel(view, 0.5, -1)  # scrolls right by a tenth of the view
    assert view.view_range[0] == pytest.approx(start + (end - start) * 0.1)
    wheel(view, 0.5, -40, Qt.KeyboardModifier.ControlModifier)  # out as far as it goes
    assert view.view_range == (0.0, 600.0) and not view.zoomed
    wheel(view, 0.5, 200, Qt.KeyboardModifier.ControlModifier)  # in as far as it goes: 16 frames a pixel
    start, end = view.view_range
    assert end - start == pytest.approx(view.width() * 16 / TEN_MINUTES_RATE)
    view.grab()  # deeper than the finest peaks: still paints
