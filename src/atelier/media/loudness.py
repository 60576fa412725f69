"""Loudness: integrated LUFS (BS.1770-4, pyloudnorm's meter), true peak (4x oversampled with
scipy's ``resample_poly``), and normalising a sound to a loudness target under a true-peak
ceiling.

pyloudnorm has no limiter and pedalboard's is GPLv3, so the look-ahead limiter is ours: a few
whole-array numpy/scipy steps, no Python loop per sample. Measured on a busy 2-core VM, 10
minutes of stereo at 44.1 kHz normalise in about 7 s by a plain gain and 10 to 12 s limited
(a true-peak read is 3 s, a loudness one 1 s); the UI runs it off its thread."""

import functools
import math
from dataclasses import dataclass

import numpy as np

from ..core.errors import RequestError

PRESETS = {"streaming": -14.0, "podcast": -16.0, "broadcast": -23.0}
"""Integrated loudness targets in LUFS: streaming services, spoken word, EBU R128 broadcast."""

MIN_SECONDS = 0.4  # BS.1770's gating block: a shorter sound has no integrated loudness
MAX_CHANNELS = 5  # BS.1770 weighs L, R, C, Ls, Rs
MIN_RATE = 8000  # K-weighting's shelf sits at 1.5 kHz: much lower rates cannot hold it
LOOKAHEAD_SECONDS = 0.005  # the limiter starts turning down this long before a peak
RELEASE_SECONDS = 0.05  # and turns back up with this time constant (in dB)
MAX_LIMITING_DB = 20.0  # the deepest the limiter may go to reach a target
_RAISES = 2  # times the gain is raised to make up for the loudness limiting took
_TOLERANCE_LU = 0.1  # a limited sound this close under the target needs no raise
_UNDER_DB = 0.01  # the limiter aims this far under the ceiling, for rounding
_CHUNK = 1 << 16  # frames oversampled at a time: keeps the 4x copy small
_PAD = 16  # frames either side of a chunk: resample_poly's filter reaches 10


@dataclass(frozen=True)
class Normalized:
    samples: np.ndarray  # (frames, channels) float32
    gain_db: float  # the gain before limiting (and any trim after it)
    lufs_before: float | None  # None: not measurable (the note says why)
    lufs_after: float | None
    true_peak_before: float  # dBTP; -inf for silence
    true_peak_after: float
    note: str = ""  # one line on anything unusual: too short, silent, target out of reach
    limited_db: float = 0.0  # the most the limiter turned any moment down


def integrated_lufs(samples: np.ndarray, rate: int) -> float | None:
    """Integrated loudness in LUFS (pyloudnorm's BS.1770-4 meter), or None when it cannot be
    measured: shorter than 0.4 s, more than 5 channels, a rate under 8 kHz, or silent (every
    block under -70 LUFS); ``why_no_lufs`` says which."""
    import pyloudnorm

    samples = _frames(samples)
    _check_rate(rate)
    if _unmeasurable(samples, rate):
        return None
    value = pyloudnorm.Meter(int(rate)).integrated_loudness(samples)
    return float(value) if np.isfinite(value) else None


def why_no_lufs(samples: np.ndarray, rate: int) -> str:
    """Why ``integrated_lufs`` gave None for ``samples``."""
    return _unmeasurable(_frames(samples), rate) or "too quiet to measure (below -70 LUFS throughout)"


def true_peak_db(samples: np.ndarray, rate: int) -> float:
    """The highest peak of the sound read 4x oversampled, in dBTP (-inf for silence): the peak
    a converter makes between samples, up to 3 dB and more above the highest sample. ``rate``
    only has to be positive: 4x is the factor at any rate."""
    _check_rate(rate)
    return _db(float(_peak_envelope(_frames(samples)).max()))


def sample_peak_db(samples: np.ndarray) -> float:
    """The highest sample, in dBFS (-inf for silence)."""
    return _db(float(np.abs(_frames(samples)).max()))


def normalize(samples: np.ndarray, rate: int, target_lufs: float = -14.0,
              ceiling_db: float = -1.0) -> Normalized:
    """``samples`` made ``target_lufs`` loud with their true peak at most ``ceiling_db`` dBTP.

    The gain takes the sound to the target; where that pushes a peak over the ceiling, the
    limiter turns those moments down, which costs loudness, so the gain is raised by what was
    lost (up to twice, and never past MAX_LIMITING_DB of limiting; the note says so when the
    ceiling leaves no room). A sound shorter than 0.4 s has no integrated loudness and is
    normalised by its true peak to the ceiling (as is one of more than 5 channels, or at a
    rate under 8 kHz); silence comes back unchanged. Either way ``note`` says so."""
    _check_rate(rate)
    samples = np.ascontiguousarray(_frames(samples), dtype=np.float32)
    if not np.isfinite(samples).all():
        raise RequestError("the sound holds NaN or infinite samples: make it again")
    envelope = _peak_envelope(samples)
    peak_before = _db(float(envelope.max()))
    why = _unmeasurable(samples, rate)
    lufs_before = None if why else integrated_lufs(samples, rate)
    if peak_before == -math.inf or (not why and lufs_before is None):
        why = why or why_no_lufs(samples, rate)
        return Normalized(samples.copy(), 0.0, None, None, peak_before, peak_before, f"{why}: left unchanged")
    if lufs_before is None:  # no loudness to go by: by peak, which needs no limiter
        gain_db = ceiling_db - peak_before
        out = samples * np.float32(10 ** (gain_db / 20))
        return Normalized(out, gain_db, None, None, peak_before, true_peak_db(out, rate),
                          f"{why}: normalised by peak to {ceiling_db:g} dBTP instead")
    most = ceiling_db - _UNDER_DB - peak_before + MAX_LIMITING_DB  # where the limiter goes that deep
    gain_db, last = min(target_lufs - lufs_before, most), None
    for _ in range(1 + _RAISES):
        out, limited_db = _limit(samples, envelope, gain_db, ceiling_db, rate)
        lufs_after = integrated_lufs(out, rate)
        if last and (lufs_after is None or lufs_after < last[-1] + 0.05):
            # Limiting harder bought (next to) nothing: the ceiling is the limit, keep the gentler.
            gain_db, out, limited_db, lufs_after = last
            break
        short = 0.0 if lufs_after is None else target_lufs - lufs_after
        if not limited_db or short <= _TOLERANCE_LU or gain_db >= most:
            break
        # Limiting took `short`: raise by it, or by it over the loudness a dB of gain bought
        # last time (limiting harder buys less than a dB a dB).
        slope = 1.0 if last is None else (lufs_after - last[-1]) / (gain_db - last[0])
        last = (gain_db, out, limited_db, lufs_after)
        gain_db = min(most, gain_db + short / min(1.0, max(0.2, slope)))
    del last
    # A plain gain moves every peak by exactly the gain. A limited sound is read again: the gain
    # changes between the samples an intersample peak is made of, so one can come out a little
    # over; what is left is trimmed off the whole sound.
    peak_after = true_peak_db(out, rate) if limited_db else peak_before + gain_db
    if peak_after > ceiling_db:
        trim_db = ceiling_db - _UNDER_DB - peak_after
        out *= np.float32(10 ** (trim_db / 20))
        gain_db, peak_after, lufs_after = gain_db + trim_db, peak_after + trim_db, integrated_lufs(out, rate)
    note = ""
    if lufs_after is not None and lufs_after < target_lufs - 0.5:
        note = (f"reached {lufs_after:.1f} LUFS, not {target_lufs:g}: the {ceiling_db:g} dBTP ceiling "
                f"leaves no room for more (limited by up to {limited_db:.1f} dB)")
    return Normalized(out, gain_db, lufs_before, lufs_after, peak_before, peak_after, note, limited_db)


def _limit(samples: np.ndarray, envelope: np.ndarray, gain_db: float, ceiling_db: float,
           rate: int) -> tuple[np.ndarray, float]:
    """(``samples`` raised by ``gain_db`` and limited to just under ``ceiling_db``, the most the
    limiter turned them down in dB). ``envelope``: each frame's oversampled peak."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d
    from scipy.signal import lfilter

    with np.errstate(divide="ignore"):  # the most gain in dB each frame takes (silence: any)
        need = np.float32(ceiling_db - _UNDER_DB - gain_db) - 20 * np.log10(envelope)
    np.minimum(need, 0.0, out=need)
    if need.min() >= 0.0:
        return samples * np.float32(10 ** (gain_db / 20)), 0.0
    # Each peak's gain held for half the look-ahead either side, then averaged over the same
    # span: the gain ramps down over the look-ahead with no step, and at every peak it is still
    # at most that peak's own (every value averaged there was held at most at it).
    size = 2 * round(LOOKAHEAD_SECONDS * rate / 2) + 1
    held = uniform_filter1d(minimum_filter1d(need, size), size)
    # Release: a one-pole low-pass of the gain in dB lags behind it going down and comes back up
    # smoothly; the lower of the two keeps the attack where the look-ahead put it.
    a = math.exp(-1 / (RELEASE_SECONDS * rate))
    curve = np.minimum(held, lfilter(np.float32([1 - a]), np.float32([1, -a]), held))
    limited_db = -float(curve.min())
    curve += np.float32(gain_db)
    curve *= np.float32(math.log(10) / 20)
    return samples * np.exp(curve, out=curve)[:, None], limited_db


def _peak_envelope(samples: np.ndarray) -> np.ndarray:
    """(frames,) float32: for each frame i, the highest magnitude of any channel at i, i + 1/4,
    i + 2/4 and i + 3/4, read by ``resample_poly(x, 4, 1)`` (a chunk at a time, each padded
    with its neighbours' frames so the seams read as the whole sound does)."""
    from scipy.signal import resample_poly

    frames = len(samples)
    envelope = np.empty(frames, np.float32)
    for start in range(0, frames, _CHUNK):
        end = min(frames, start + _CHUNK)
        lo, hi = max(0, start - _PAD), min(frames, end + _PAD)
        up = np.abs(resample_poly(samples[lo:hi], 4, 1, axis=0)[4 * (start - lo):4 * (end - lo)])
        # A row a frame: its 4 phases of every channel. Column by column, as max(axis=1) over
        # rows this short is several times slower.
        envelope[start:end] = functools.reduce(np.maximum, up.reshape(end - start, -1).T)
    return envelope


def _unmeasurable(samples: np.ndarray, rate: int) -> str:
    if samples.shape[1] > MAX_CHANNELS:
        return f"BS.1770 measures at most {MAX_CHANNELS} channels, not {samples.shape[1]}"
    if rate < MIN_RATE:
        return f"at {rate} Hz: BS.1770's K-weighting needs at least {MIN_RATE} Hz"
    if len(samples) < MIN_SECONDS * rate:
        return f"shorter than {MIN_SECONDS:g} s, the shortest sound BS.1770 measures"
    if not np.any(samples):
        return "silent"
    return ""


def _frames(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples)
    if samples.ndim == 1:
        samples = samples[:, None]
    if samples.ndim != 2 or samples.shape[1] == 0:
        raise RequestError(f"samples must be (frames, channels), not shape {samples.shape}")
    if samples.shape[0] == 0:
        raise RequestError("the sound is empty (0 samples)")
    if samples.dtype not in (np.float32, np.float64):
        samples = samples.astype(np.float32)
    return samples


def _check_rate(rate: int) -> None:
    if int(rate) <= 0:
        raise RequestError(f"sample rate {rate}: must be positive")


def _db(linear: float) -> float:
    return 20 * math.log10(linear) if linear > 0 else -math.inf
