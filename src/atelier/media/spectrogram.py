"""A spectrogram to look at: the magnitude STFT of a sound's mono mix, in dB, on a logarithmic
frequency axis, as a small uint8 picture (frequency rows, time columns).

Sized for the screen, not for analysis: at most ``columns`` time columns (long sounds average
the power of every window a column covers, so nothing between columns is skipped) and ``rows``
frequency rows from ``low_hz`` to the Nyquist frequency, spaced as pitch is heard. Row 0 is
the lowest frequency. numpy only: call it off the UI thread for long sounds."""

import numpy as np

N_FFT = 2048
ROWS = 256
COLUMNS = 2048
LOW_HZ = 30.0
RANGE_DB = 80.0  # from the loudest cell down to black
_CHUNK_WINDOWS = 2048  # windows transformed at a time: bounds the memory a long sound needs


def spectrogram_frequencies(rate: int, rows: int = ROWS, low_hz: float = LOW_HZ) -> np.ndarray:
    """The frequency in Hz of each row of ``spectrogram(..., rate, rows=rows)``, lowest first."""
    nyquist = rate / 2
    return np.geomspace(min(low_hz, nyquist / 2), nyquist, rows)


def spectrogram(samples: np.ndarray, rate: int, rows: int = ROWS, columns: int = COLUMNS,
                n_fft: int = N_FFT, low_hz: float = LOW_HZ, range_db: float = RANGE_DB) -> np.ndarray:
    """(rows, time columns) uint8: 255 is the loudest cell of the sound, 0 is ``range_db`` below
    it or quieter. ``samples`` is (frames,) or (frames, channels); channels are mixed to mono.
    A sound shorter than one window is zero-padded; silence gives all zeros."""
    if rate <= 0:
        raise ValueError(f"the sample rate must be positive, not {rate}")
    samples = np.asarray(samples, dtype=np.float32)
    if samples.size == 0:
        raise ValueError("the sound is empty")
    mono = samples.reshape(len(samples), -1).mean(axis=1, dtype=np.float32)
    n_fft = int(n_fft)
    hop = n_fft // 4
    if len(mono) < n_fft:
        mono = np.concatenate([mono, np.zeros(n_fft - len(mono), np.float32)])
    windows = 1 + (len(mono) - n_fft) // hop
    # 1. Each column averages the power of `per` consecutive windows.
    per = max(1, -(-windows // columns))
    count = -(-windows // per)
    power = np.zeros((count, n_fft // 2 + 1), np.float64)
    taper = np.hanning(n_fft).astype(np.float32)
    framed = np.lib.stride_tricks.sliding_window_view(mono, n_fft)[::hop]  # a view: nothing copied
    step = max(per, _CHUNK_WINDOWS // per * per)  # whole columns per chunk
    for first in range(0, windows, step):
        chunk = framed[first:first + step] * taper
        spectra = np.abs(np.fft.rfft(chunk, axis=1)) ** 2
        column = first // per
        sums = np.add.reduceat(spectra, np.arange(0, len(spectra), per), axis=0)
        sizes = np.minimum(per, len(spectra) - np.arange(0, len(spectra), per))
        power[column:column + len(sums)] = sums / sizes[:, None]
    # 2. Onto the log-spaced rows: linear interpolation between FFT bins.
    bins = spectrogram_frequencies(rate, rows, low_hz) * n_fft / rate
    lower = np.clip(np.floor(bins).astype(np.int64), 0, n_fft // 2)
    upper = np.clip(lower + 1, 0, n_fft // 2)
    weight = bins - lower
    mapped = power[:, lower] * (1 - weight) + power[:, upper] * weight  # (time, rows)
    # 3. dB relative to the loudest cell, scaled to 0..255.
    peak = mapped.max()
    if peak <= 0:
        return np.zeros((rows, count), np.uint8)
    db = 10 * np.log10(np.maximum(mapped, peak * 10 ** (-range_db / 10)) / peak)
    scaled = np.round((db + range_db) / range_db * 255)
    return np.ascontiguousarray(np.clip(scaled, 0, 255).astype(np.uint8).T)
