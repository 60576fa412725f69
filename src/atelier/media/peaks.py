"""Waveform peaks: the lowest, highest and RMS sample of each block of a sound, at a few block
sizes, so a waveform of any length draws one column per pixel without touching the samples.

Built once, off the UI thread, in one pass over the sound in chunks (a 2-hour file never sits
in memory), and kept as plain arrays that save without pickle. The finest level has a column
per 256 samples, each coarser one per 16 times as many, as Audacity keeps 256- and
65,536-sample summaries."""

import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BLOCKS = (256, 4096, 65536)
_READ_FRAMES = BLOCKS[-1] * 4  # a multiple of every block: chunks split no block


@dataclass(frozen=True)
class PeakLevel:
    block: int  # samples per column
    low: np.ndarray  # (columns, channels) float32: the lowest sample of each block
    high: np.ndarray  # the highest
    rms: np.ndarray  # the root mean square


@dataclass(frozen=True)
class Peaks:
    rate: int
    frames: int
    channels: int
    levels: tuple[PeakLevel, ...]  # finest first

    @property
    def seconds(self) -> float:
        return self.frames / self.rate

    def columns(self, start: int, end: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(low, high, rms), each (width, channels), for frames ``start`` to ``end`` drawn
        ``width`` pixels wide: from the coarsest level whose blocks are no wider than a column,
        each column the blocks it covers reduced. Deeper than the finest level, a column shows
        the block it falls in."""
        start, end = max(0, start), min(self.frames, end)
        if width <= 0 or end <= start:
            empty = np.zeros((max(width, 0), self.channels), np.float32)
            return empty, empty.copy(), empty.copy()
        per_column = (end - start) / width
        level = next((lv for lv in reversed(self.levels) if lv.block <= per_column), self.levels[0])
        first_block = start // level.block
        last_block = max(first_block + 1, -(-end // level.block))  # the block holding frame end - 1
        low, high, rms = (getattr(level, name)[first_block:last_block] for name in ("low", "high", "rms"))
        # The first block of each column, non-decreasing; a column narrower than a block repeats
        # the block it falls in (reduceat gives a[i] where an index does not grow).
        first = (np.linspace(start, end, width + 1)[:-1] // level.block).astype(np.int64) - first_block
        first = np.clip(first, 0, len(low) - 1)
        counts = np.maximum(1, np.diff(np.append(first, len(low))))
        squares = np.add.reduceat(rms.astype(np.float64) ** 2, first)
        return (np.minimum.reduceat(low, first), np.maximum.reduceat(high, first),
                np.sqrt(squares / counts[:, None]).astype(np.float32))

    def to_bytes(self) -> bytes:
        """An ``.npz`` of plain arrays (read back with ``allow_pickle=False``)."""
        arrays = {"meta": np.array([self.rate, self.frames, self.channels], np.int64)}
        for level in self.levels:
            for name in ("low", "high", "rms"):
                arrays[f"{name}_{level.block}"] = getattr(level, name)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "Peaks":
        """Raises ValueError when ``data`` is not peaks this module wrote."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as stored:
                rate, frames, channels = (int(v) for v in stored["meta"])
                levels = tuple(PeakLevel(block, *(stored[f"{name}_{block}"] for name in ("low", "high", "rms")))
                               for block in BLOCKS)
        except (OSError, KeyError, ValueError) as exc:
            raise ValueError(f"not waveform peaks ({exc})") from None
        return cls(rate, frames, channels, levels)


def peaks_of(samples: np.ndarray, rate: int) -> Peaks:
    """The peaks of sound already in memory, ``samples`` (frames,) or (frames, channels)."""
    if not len(samples):
        raise ValueError("the sound is empty")
    samples = samples.reshape(len(samples), -1)
    chunks = (samples[i:i + _READ_FRAMES] for i in range(0, len(samples), _READ_FRAMES))
    return build_peaks(chunks, rate, samples.shape[1])


def peaks_of_file(path: Path) -> Peaks:
    """The peaks of a sound file (WAV, FLAC, OGG, MP3: what libsndfile reads), read in chunks.
    Raises ValueError naming the file when it cannot be read as sound."""
    import soundfile

    try:
        info = soundfile.info(str(path))
        chunks = soundfile.blocks(str(path), blocksize=_READ_FRAMES, dtype="float32", always_2d=True)
        return build_peaks(chunks, info.samplerate, info.channels)
    except (soundfile.LibsndfileError, RuntimeError) as exc:
        raise ValueError(f"{Path(path).name}: cannot be read as sound ({exc})") from None


def build_peaks(chunks: Iterable[np.ndarray], rate: int, channels: int) -> Peaks:
    """One pass over ``chunks`` of (frames, channels) samples, each a multiple of the largest
    block long but the last."""
    finest = BLOCKS[0]
    lows, highs, squares = [], [], []
    frames = 0
    for chunk in chunks:
        chunk = np.asarray(chunk, np.float32).reshape(len(chunk), channels)
        frames += len(chunk)
        whole = len(chunk) // finest * finest
        blocks = [chunk[:whole].reshape(-1, finest, channels)] if whole else []
        for block in blocks:
            lows.append(block.min(axis=1))
            highs.append(block.max(axis=1))
            squares.append((block.astype(np.float64) ** 2).mean(axis=1))
        rest = chunk[whole:]
        if len(rest):  # the sound's last, shorter block
            lows.append(rest.min(axis=0, keepdims=True))
            highs.append(rest.max(axis=0, keepdims=True))
            squares.append((rest.astype(np.float64) ** 2).mean(axis=0, keepdims=True))
    if not frames:
        raise ValueError("the sound is empty")
    low = np.concatenate(lows)
    high = np.concatenate(highs)
    mean_square = np.concatenate(squares)
    levels = [PeakLevel(finest, low, high, np.sqrt(mean_square).astype(np.float32))]
    for block in BLOCKS[1:]:
        # Each coarser column reduces the finest columns it covers; the mean of squares is
        # weighted by how many samples each finest column holds (the last may hold fewer).
        per = block // finest
        starts = np.arange(0, len(low), per)
        weights = np.full(len(low), float(finest))
        weights[-1] = frames - (len(low) - 1) * finest
        summed = np.add.reduceat(mean_square * weights[:, None], starts)
        counts = np.add.reduceat(weights, starts)
        levels.append(PeakLevel(block, np.minimum.reduceat(low, starts), np.maximum.reduceat(high, starts),
                                np.sqrt(summed / counts[:, None]).astype(np.float32)))
    return Peaks(rate, frames, channels, tuple(levels))
