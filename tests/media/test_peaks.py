"""Waveform peaks against numpy computed the plain way, from memory and from real files."""

import io

import numpy as np
import pytest
import soundfile

from atelier.media.peaks import BLOCKS, Peaks, peaks_of, peaks_of_file

RATE = 8000


def noise(frames: int, channels: int = 2, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (frames, channels)).astype(np.float32)


def reference(samples: np.ndarray, block: int):
    """Lowest, highest and RMS sample of each block, one block at a time."""
    blocks = [samples[i:i + block] for i in range(0, len(samples), block)]
    return (np.array([b.min(axis=0) for b in blocks]), np.array([b.max(axis=0) for b in blocks]),
            np.array([np.sqrt((b.astype(np.float64) ** 2).mean(axis=0)) for b in blocks]))


@pytest.mark.parametrize("frames", [1, 255, 256, 70_001, 300_000])
def test_every_level_matches_numpy_block_by_block(frames):
    samples = noise(frames)
    peaks = peaks_of(samples, RATE)
    assert (peaks.frames, peaks.channels, peaks.rate) == (frames, 2, RATE)
    assert [level.block for level in peaks.levels] == list(BLOCKS)
    for level in peaks.levels:
        low, high, rms = reference(samples, level.block)
        assert np.array_equal(level.low, low) and np.array_equal(level.high, high)
        assert np.allclose(level.rms, rms, rtol=1e-5, atol=1e-7)


def test_a_file_read_in_chunks_gives_the_peaks_of_its_samples(tmp_path):
    path = tmp_path / "long.flac"
    soundfile.write(path, noise(BLOCKS[-1] * 9 + 1234, seed=1), RATE, subtype="PCM_16")
    samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    from_file, from_memory = peaks_of_file(path), peaks_of(samples, rate)
    assert from_file.frames == len(samples) and from_file.rate == RATE
    for a, b in zip(from_file.levels, from_memory.levels, strict=True):
        assert np.array_equal(a.low, b.low) and np.array_equal(a.high, b.high)
        assert np.allclose(a.rms, b.rms, rtol=1e-5)


def test_columns_reduce_the_blocks_each_pixel_covers():
    samples = noise(BLOCKS[1] * 64, channels=1, seed=2)
    peaks = peaks_of(samples, RATE)
    low, high, rms = peaks.columns(0, len(samples), 16)  # 4 blocks of 4096 per column
    assert low.shape == (16, 1)
    for column in range(16):
        part = samples[column * len(samples) // 16:(column + 1) * len(samples) // 16]
        assert low[column, 0] == part.min() and high[column, 0] == part.max()
        assert rms[column, 0] == pytest.approx(np.sqrt((part.astype(np.float64) ** 2).mean()), rel=1e-4)
    # A view of the middle, zoomed in past the finest level: each column shows its block.
    low, high, _rms = peaks.columns(1000, 1100, 50)
    blocks = [(1000 + 2 * column) // 256 for column in range(50)]  # 3 then 4: frame 1024 starts block 4
    assert np.array_equal(low[:, 0], peaks.levels[0].low[blocks, 0])
    assert peaks.columns(0, len(samples), 0)[0].shape == (0, 1)


def test_peaks_save_as_plain_arrays_and_refuse_anything_else():
    peaks = peaks_of(noise(10_000), RATE)
    again = Peaks.from_bytes(peaks.to_bytes())
    assert (again.rate, again.frames, again.channels) == (peaks.rate, peaks.frames, peaks.channels)
    assert all(np.array_equal(a.high, b.high) for a, b in zip(again.levels, peaks.levels, strict=True))
    pickled = io.BytesIO()
    np.savez(pickled, meta=np.array([object()], dtype=object))
    for data in (b"not an npz", pickled.getvalue()):
        with pytest.raises(ValueError, match="not waveform peaks"):
            Peaks.from_bytes(data)


def test_empty_or_unreadable_sound_is_one_line(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        peaks_of(np.zeros((0, 2), np.float32), RATE)
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(ValueError, match="broken.wav: cannot be read as sound") as error:
        peaks_of_file(bad)
    assert "\n" not in str(error.value)
