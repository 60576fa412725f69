"""The spectrogram picture: energy in the right rows, sized for the screen, numpy only."""

import numpy as np
import pytest

from atelier.media.spectrogram import COLUMNS, N_FFT, ROWS, spectrogram, spectrogram_frequencies

RATE = 48000


def sine(hz: float, seconds: float = 1.0, rate: int = RATE) -> np.ndarray:
    return np.sin(2 * np.pi * hz * np.arange(round(seconds * rate)) / rate).astype(np.float32)


@pytest.mark.parametrize("hz", [110.0, 1000.0, 5000.0, 15000.0])
def test_a_pure_sine_lights_the_row_of_its_frequency(hz):
    rows = spectrogram(sine(hz), RATE)
    assert rows.dtype == np.uint8 and rows.shape[0] == ROWS
    frequencies = spectrogram_frequencies(RATE)
    loudest = int(rows.mean(axis=1).argmax())
    # Within a row (about 2.7 %) or, at low frequencies, an FFT bin.
    assert frequencies[loudest] == pytest.approx(hz, abs=max(0.04 * hz, RATE / N_FFT))
    # Every column has its loudest cell there, and far from it there is next to nothing.
    assert (np.abs(rows.argmax(axis=0) - loudest) <= 2).all()
    # More than an octave and 8 FFT bins away (a Hann window's leakage is -60 dB by then).
    far = (np.abs(np.log(frequencies / hz)) > np.log(2)) & (np.abs(frequencies - hz) > 8 * RATE / N_FFT)
    assert rows[far].max() < 0.5 * rows[loudest].min()


def test_frequencies_are_log_spaced_up_to_nyquist():
    f = spectrogram_frequencies(44100, 64)
    assert f[0] == pytest.approx(30.0) and f[-1] == pytest.approx(22050.0)
    assert np.allclose(f[1:] / f[:-1], f[1] / f[0])


def test_two_notes_one_after_the_other_show_in_time_order():
    sound = np.concatenate([sine(440, 0.5), sine(2000, 0.5)])
    rows = spectrogram(sound, RATE)
    frequencies = spectrogram_frequencies(RATE)
    peak_hz = frequencies[rows.argmax(axis=0)]
    third = rows.shape[1] // 3
    assert np.allclose(peak_hz[:third], 440, rtol=0.05)
    assert np.allclose(peak_hz[-third:], 2000, rtol=0.05)


def test_stereo_is_mixed_to_mono():
    stereo = np.stack([sine(300), sine(3000)], axis=1) * 0.5
    rows = spectrogram(stereo, RATE)
    frequencies = spectrogram_frequencies(RATE)
    column = rows[:, rows.shape[1] // 2]
    for hz in (300, 3000):
        row = int(np.abs(np.log(frequencies / hz)).argmin())
        assert column[row - 1:row + 2].max() > 230


def test_a_long_sound_is_limited_to_a_sane_size():
    noise = np.random.default_rng(0).uniform(-1, 1, 8000 * 120).astype(np.float32)  # 2 minutes
    rows = spectrogram(noise, 8000, columns=500)
    assert rows.shape[0] == ROWS and 400 <= rows.shape[1] <= 500
    assert spectrogram(noise, 8000).shape[1] <= COLUMNS
    # White noise is flat: no row stands out.
    profile = rows.mean(axis=1)
    assert profile.max() - profile.min() < 30


def test_silence_and_tiny_sounds():
    assert not spectrogram(np.zeros(RATE, np.float32), RATE).any()
    tiny = spectrogram(sine(1000, 0.01), RATE)  # shorter than one window: padded
    assert tiny.shape == (ROWS, 1)
    with pytest.raises(ValueError, match="empty"):
        spectrogram(np.zeros(0, np.float32), RATE)
    with pytest.raises(ValueError, match="rate"):
        spectrogram(sine(1000), 0)


def test_loudness_maps_to_brightness_in_db():
    loud, quiet = sine(1000), sine(1000) * 10 ** (-40 / 20)  # 40 dB quieter
    rows = spectrogram(np.concatenate([loud, quiet]), RATE)
    row = int(rows.mean(axis=1).argmax())
    first, last = rows[row, 5], rows[row, -5]
    assert first == 255
    assert (first - last) == pytest.approx(40 / 80 * 255, abs=8)
