"""The player's buffer, driven the way the audio callback drives it, with no sound device."""

import tracemalloc

import numpy as np
import pytest

from atelier.media.playback import PlaybackBuffer

RATE = 48000


def blocks(buffer: PlaybackBuffer, count: int, size: int = 256, channels: int = 1) -> np.ndarray:
    """``count`` callback blocks of output, one after another."""
    out = np.empty((size, channels), np.float32)
    played = []
    for _ in range(count):
        buffer.fill(out)
        played.append(out.copy())
    return np.concatenate(played)


def tone(hz: float, seconds: float) -> np.ndarray:
    return np.sin(2 * np.pi * hz * np.arange(round(seconds * RATE)) / RATE).astype(np.float32)


def largest_jump(x: np.ndarray) -> float:
    return float(np.abs(np.diff(x[:, 0])).max())


def test_plays_the_samples_exactly_then_silence():
    ramp = np.linspace(-1, 1, 8000, dtype=np.float32)
    buffer = PlaybackBuffer(ramp, 8000)
    assert buffer.duration == 1.0 and not buffer.playing
    buffer.play()
    out = np.full((256, 1), 7.0, np.float32)
    played, results = [], []
    while len(played) < 40:
        results.append(buffer.fill(out))
        played.append(out.copy())
    played = np.concatenate(played)[:, 0]
    np.testing.assert_array_equal(played[:8000], ramp)
    assert not played[8000:].any()
    assert buffer.position == 8000 and buffer.seconds == 1.0 and not buffer.playing
    # 8000 = 31 blocks and a quarter: the 32nd finds the end and stops; every later one too.
    assert all(results[:31]) and not any(results[31:])


def test_stereo_and_mono_shapes():
    stereo = np.stack([np.arange(10), -np.arange(10)], axis=1).astype(np.float32)
    buffer = PlaybackBuffer(stereo, 10)
    buffer.play()
    np.testing.assert_array_equal(blocks(buffer, 2, size=5, channels=2), stereo)
    assert PlaybackBuffer(np.ones(4, np.float32), 10).channels == 1


def test_pause_seek_and_stop():
    buffer = PlaybackBuffer(np.arange(1, 1001, dtype=np.float32), 100)
    out = np.ones((64, 1), np.float32)
    assert buffer.fill(out) is False and not out.any()  # not yet playing: silence
    buffer.play()
    buffer.fill(out)
    assert buffer.position == 64
    buffer.pause()
    out[:] = 1
    assert buffer.fill(out) is False and not out.any() and buffer.position == 64

    buffer.seek(-3)
    assert buffer.position == 0
    buffer.seek(99)
    assert buffer.position == 1000 and buffer.seconds == 10.0
    buffer.seek(2.5)
    assert buffer.position == 250
    buffer.play()
    buffer.fill(out)
    assert out[0, 0] == 251 and buffer.position == 314

    buffer.stop()
    assert not buffer.playing and buffer.position == 0
    buffer.play()
    buffer.fill(out)
    assert out[0, 0] == 1


def test_play_after_the_end_starts_again():
    buffer = PlaybackBuffer(np.arange(1, 11, dtype=np.float32), 10)
    buffer.play()
    blocks(buffer, 2, size=8)
    assert not buffer.playing
    buffer.play()
    out = np.empty((3, 1), np.float32)
    assert buffer.fill(out) and list(out[:, 0]) == [1, 2, 3]


def test_a_whole_number_of_cycles_loops_seamlessly():
    sound = tone(480, 1.0)  # a period of exactly 100 frames
    buffer = PlaybackBuffer(sound, RATE)
    buffer.set_loop(2000 / RATE, 3000 / RATE)  # 10 cycles
    assert buffer.loop == (2000 / RATE, 3000 / RATE)
    buffer.seek(2000 / RATE)
    buffer.play()
    played = blocks(buffer, 10 * 1000 // 256 + 1)[:10_000]
    own = largest_jump(sound[:, None])
    assert largest_jump(played) <= 1.5 * own
    np.testing.assert_allclose(played[:, 0], np.tile(sound[2000:3000], 10), atol=1e-4)
    assert buffer.playing


def test_the_crossfade_smooths_a_loop_that_does_not_fit_the_tone():
    sound = tone(480, 1.0)
    own = largest_jump(sound[:, None])
    jumps = {}
    for seconds in (0.0, 0.005):
        buffer = PlaybackBuffer(sound, RATE, crossfade_seconds=seconds)
        buffer.set_loop(2000 / RATE, 3025 / RATE)  # 10.25 cycles: ends at a crest, starts at 0
        buffer.seek(2000 / RATE)
        buffer.play()
        jumps[seconds] = largest_jump(blocks(buffer, 41))  # 10 loops and more
    assert jumps[0.0] > 0.9  # the raw wrap: from the crest straight to zero
    assert jumps[0.005] <= 1.5 * own


def test_the_crossfade_at_the_start_of_the_sound_stays_continuous():
    sound = tone(480, 0.1) + 0.5  # frame 0 is not zero, so padding with silence would click
    buffer = PlaybackBuffer(sound, RATE)
    buffer.set_loop(0, 1025 / RATE)
    buffer.play()
    assert largest_jump(blocks(buffer, 41)) <= 1.5 * largest_jump(sound[:, None])


def test_a_block_spanning_several_wraps_of_a_tiny_loop():
    sound = np.arange(1000, dtype=np.float32)
    exact = PlaybackBuffer(sound, 1000, crossfade_seconds=0)
    exact.set_loop(0.1, 0.15)  # frames 100 to 149
    exact.seek(0.12)
    exact.play()
    out = np.empty((512, 1), np.float32)
    assert exact.fill(out)
    expected = np.concatenate([sound[120:150], np.tile(sound[100:150], 10)])[:512]
    np.testing.assert_array_equal(out[:, 0], expected)
    assert exact.position == 100 + (512 - 30) % 50

    faded = PlaybackBuffer(sound, 1000, crossfade_seconds=1.0)  # capped at half the loop: 25
    faded.set_loop(0.1, 0.15)
    faded.seek(0.1)
    faded.play()
    faded.fill(out)
    x = out[:, 0]
    np.testing.assert_array_equal(x[:25], sound[100:125])  # the unfaded half, as it is
    np.testing.assert_array_equal(x[50:], x[:-50])  # every pass the same
    assert x[49] == sound[99]  # the fade ends on the frame before the loop start


def test_volume_scales_the_output():
    sound = tone(480, 0.1)
    loud, quiet = PlaybackBuffer(sound, RATE), PlaybackBuffer(sound, RATE)
    quiet.volume = 0.5
    for buffer in (loud, quiet):
        buffer.play()
    np.testing.assert_array_equal(blocks(quiet, 8), blocks(loud, 8) * 0.5)
    quiet.volume = 3
    assert quiet.volume == 1.0


def test_steady_state_allocates_nothing():
    sound = tone(480, 2.0)
    buffer = PlaybackBuffer(np.stack([sound, -sound], axis=1), RATE)
    buffer.set_loop(0.1, 0.1 + 60 / RATE)  # tiny: every block wraps many times
    buffer.volume = 0.8
    buffer.play()
    out = np.empty((1024, 2), np.float32)
    for _ in range(20):
        buffer.fill(out)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(200):
            buffer.fill(out)
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Slices are views and ints are small objects, freed at once; a single temporary copy of
    # the block would already be 8 KiB.
    assert peak - before < 4096
    assert after - before < 1024
    assert buffer.playing


@pytest.mark.parametrize("samples, message", [
    (np.zeros(0, np.float32), "empty"),
    (np.zeros((0, 2), np.float32), "empty"),
    (np.array([0.0, np.nan], np.float32), "NaN"),
    (np.array([[0.0], [np.inf]], np.float32), "infinite"),
])
def test_refuses_empty_or_non_finite_sound(samples, message):
    with pytest.raises(ValueError, match=message) as caught:
        PlaybackBuffer(samples, RATE)
    assert "\n" not in str(caught.value)


def test_refuses_an_empty_loop():
    buffer = PlaybackBuffer(np.zeros(100, np.float32), 100)
    with pytest.raises(ValueError, match="empty"):
        buffer.set_loop(0.5, 0.5)
    buffer.set_loop(0.2, 0.4)
    buffer.clear_loop()
    assert buffer.loop is None
