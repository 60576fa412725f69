"""Loudness and true peak against pyloudnorm and scipy's resample_poly computed the plain way;
normalising reaches the target under the ceiling on steady and on percussive sound."""

import math

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import resample_poly

from atelier.media.loudness import (
    PRESETS,
    integrated_lufs,
    normalize,
    sample_peak_db,
    true_peak_db,
    why_no_lufs,
)

RATE = 44100


def reference_true_peak(samples: np.ndarray) -> float:
    """4x oversampled with scipy's own resample_poly, in float64, channel by channel."""
    samples = np.asarray(samples, np.float64).reshape(len(samples), -1)
    peak = max(np.abs(resample_poly(samples[:, c], 4, 1)).max() for c in range(samples.shape[1]))
    return 20 * math.log10(peak)


def sine_and_noise(seconds: float = 4.0, seed: int = 0) -> np.ndarray:
    """Loud and steady: a tone under noise, peaking well over 0 dBFS."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * RATE)) / RATE
    return (0.8 * np.sin(2 * np.pi * 220 * t)[:, None] + 0.35 * rng.normal(size=(len(t), 2))).astype(np.float32)


def drums(seconds: float = 4.0, seed: int = 1) -> np.ndarray:
    """Percussive: a kick (a falling tone) with a noise click, and a hi-hat between kicks, over
    a quiet bed: peaks far above the loudness, as a drum loop has."""
    rng = np.random.default_rng(seed)
    n = round(seconds * RATE)
    out = 0.01 * rng.normal(size=n)
    hit = np.arange(round(0.25 * RATE)) / RATE
    kick = np.sin(2 * np.pi * (50 * hit + 60 * (1 - np.exp(-hit * 30)) / 30)) * np.exp(-hit * 12)
    kick[:round(0.002 * RATE)] += rng.normal(size=round(0.002 * RATE))
    hat = rng.normal(size=len(hit)) * np.exp(-hit * 80) * 0.3
    for start in range(0, n - len(hit), RATE // 2):
        out[start:start + len(hit)] += kick
        out[start + RATE // 4:start + RATE // 4 + len(hit)] += hat[:max(0, min(len(hit), n - start - RATE // 4))]
    return (np.stack([out, 0.8 * out], 1) * 0.6).astype(np.float32)


# -- measuring ------------------------------------------------------------------------------


def test_a_sine_at_minus_20_dbfs_reads_minus_23_lufs():
    # BS.1770: a 997 Hz sine in one channel reads its RMS level, -3.01 dB under its peak.
    tone = 0.1 * np.sin(2 * np.pi * 997 * np.arange(3 * RATE) / RATE)
    assert integrated_lufs(tone.astype(np.float32), RATE) == pytest.approx(-23.01, abs=0.05)


def test_integrated_lufs_is_pyloudnorms_and_says_why_when_there_is_none():
    sound = drums(2.0)
    assert integrated_lufs(sound, RATE) == pytest.approx(pyloudnorm.Meter(RATE).integrated_loudness(sound))
    assert integrated_lufs(sound[:round(0.3 * RATE)], RATE) is None
    assert why_no_lufs(sound[:round(0.3 * RATE)], RATE).startswith("shorter than 0.4 s")
    assert integrated_lufs(np.zeros((RATE, 2), np.float32), RATE) is None
    assert why_no_lufs(np.zeros((RATE, 2), np.float32), RATE) == "silent"
    whisper = np.full((RATE, 1), 1e-5, np.float32)
    assert integrated_lufs(whisper, RATE) is None and why_no_lufs(whisper, RATE).startswith("too quiet")
    assert integrated_lufs(np.ones((RATE, 6), np.float32) * 0.1, RATE) is None
    assert "at most 5 channels" in why_no_lufs(np.ones((RATE, 6), np.float32), RATE)
    assert "8000 Hz" in why_no_lufs(np.ones((800, 1), np.float32), 800)


def between_samples(amplitude: float = 0.5, frames: int = 8192) -> np.ndarray:
    """A sine at a quarter of the rate with a 45 degree phase: every sample is at 0.707 of the
    amplitude, the peaks fall between them. Faded in and out, so its edges add no overshoot."""
    n = np.arange(frames)
    fade = np.minimum(1.0, np.minimum(n, n[::-1]) / 1024)
    return (amplitude * fade * np.sin(np.pi / 2 * n + np.pi / 4)).astype(np.float32)


def test_true_peak_finds_the_peak_between_samples():
    amplitude = 0.5
    tone = between_samples(amplitude)
    assert sample_peak_db(tone) == pytest.approx(20 * math.log10(amplitude * math.sqrt(0.5)), abs=0.01)
    assert true_peak_db(tone, RATE) == pytest.approx(20 * math.log10(amplitude), abs=0.02)
    assert true_peak_db(tone, RATE) - sample_peak_db(tone) == pytest.approx(3.01, abs=0.02)


@pytest.mark.parametrize("frames", [1, 7, 5000, 150_000])  # 150 000: read in chunks, seams and all
def test_true_peak_is_resample_polys(frames):
    sound = np.random.default_rng(frames).normal(0, 0.3, (frames, 2)).astype(np.float32)
    assert true_peak_db(sound, RATE) == pytest.approx(reference_true_peak(sound), abs=1e-4)
    assert true_peak_db(np.zeros(10), RATE) == -math.inf and sample_peak_db(np.zeros(10)) == -math.inf


# -- normalising ----------------------------------------------------------------------------


@pytest.mark.parametrize("make, target", [
    *((sine_and_noise, target) for target in (*PRESETS.values(), -9.0, -6.0)),  # at -6, limited by 3 dB
    *((drums, target) for target in PRESETS.values()),  # at -14, by 14 dB
], ids=["sine+noise-14", "sine+noise-16", "sine+noise-23", "sine+noise-9", "sine+noise-6",
        "drums-14", "drums-16", "drums-23"])
def test_normalize_reaches_the_target_under_the_ceiling(make, target):
    sound = make()
    result = normalize(sound, RATE, target, -1.0)
    measured = integrated_lufs(result.samples, RATE)
    assert measured == pytest.approx(target, abs=0.5)
    assert result.lufs_after == pytest.approx(measured, abs=0.01)
    assert result.lufs_before == pytest.approx(integrated_lufs(sound, RATE), abs=0.01)
    assert reference_true_peak(result.samples) <= -1.0 + 0.1
    assert result.true_peak_after == pytest.approx(reference_true_peak(result.samples), abs=0.01)
    assert result.true_peak_before == pytest.approx(reference_true_peak(sound), abs=0.01)
    assert result.samples.shape == sound.shape and result.samples.dtype == np.float32
    assert result.note == ""


def test_the_limiter_works_only_where_peaks_go_over():
    sound = drums()
    quiet = normalize(sound, RATE, -30.0)  # far under the ceiling: a plain gain
    assert quiet.limited_db == 0.0
    assert np.allclose(quiet.samples, sound * 10 ** (quiet.gain_db / 20), atol=1e-6)
    # A steady tone with one click: the click is limited, the tone away from it is not.
    t = np.arange(3 * RATE) / RATE
    tone = 0.1 * np.sin(2 * np.pi * 330 * t)
    tone[round(1.5 * RATE):round(1.5 * RATE) + 40] += np.random.default_rng(0).normal(0, 0.6, 40)
    tone = tone.astype(np.float32)[:, None]
    result = normalize(tone, RATE, -14.0)
    assert result.limited_db > 3.0 and result.lufs_after == pytest.approx(-14.0, abs=0.3)
    plain = tone * np.float32(10 ** (result.gain_db / 20))
    for away in (slice(0, round(1.4 * RATE)), slice(round(2.0 * RATE), None)):
        assert np.allclose(result.samples[away], plain[away], rtol=1e-4, atol=1e-6)
    assert reference_true_peak(result.samples) <= -1.0 + 0.1


@pytest.mark.parametrize("make, target", [
    (lambda: (0.9 * np.sign(np.sin(2 * np.pi * 100 * np.arange(2 * RATE) / RATE))).astype(np.float32), -2.0),
    (drums, -9.0),  # peaks 24 dB over its loudness: 8 dB under the ceiling needs more than 20 dB of limiting
], ids=["square", "drums"])
def test_a_target_the_ceiling_leaves_no_room_for_says_how_far_it_got(make, target):
    result = normalize(make(), RATE, target, -1.0)
    assert result.note.startswith(f"reached {result.lufs_after:.1f} LUFS, not {target:g}: the -1 dBTP ceiling")
    assert result.lufs_after < target - 0.5 and 0.0 < result.limited_db <= 20.0 + 0.01
    assert result.true_peak_after <= -1.0 and reference_true_peak(result.samples) <= -1.0 + 0.01


def test_the_limiter_holds_the_peaks_between_samples_under_the_ceiling():
    tone = between_samples(0.5, 2 * RATE)  # true peak -6 dBTP, samples at -9 dBFS, about -5.7 LUFS
    result = normalize(tone, RATE, -4.0, -6.0)  # +1.7 dB: samples stay under -6, the peaks between do not
    assert result.limited_db == pytest.approx(1.75, abs=0.1)
    assert reference_true_peak(result.samples) <= -6.0 and sample_peak_db(result.samples) <= -6.0 - 2.9
    assert result.note.startswith("reached ")  # a steady tone gets no louder by limiting


def test_a_clip_under_0_4_s_is_normalised_by_peak():
    short = sine_and_noise(0.3) * 0.1
    result = normalize(short, RATE, -14.0, -2.0)
    assert result.lufs_before is None and result.lufs_after is None
    assert result.note == "shorter than 0.4 s, the shortest sound BS.1770 measures: normalised by peak to -2 dBTP instead"
    assert result.true_peak_after == pytest.approx(-2.0, abs=0.01)
    assert reference_true_peak(result.samples) == pytest.approx(-2.0, abs=0.01)


def test_silence_comes_back_unchanged():
    silence = np.zeros((RATE, 2), np.float32)
    result = normalize(silence, RATE)
    assert np.array_equal(result.samples, silence) and result.gain_db == 0.0
    assert result.note == "silent: left unchanged"
    whisper = (1e-5 * np.random.default_rng(0).normal(size=(RATE, 1))).astype(np.float32)
    assert normalize(whisper, RATE).note.startswith("too quiet to measure")


def test_mono_given_flat_comes_back_as_one_channel():
    tone = 0.2 * np.sin(2 * np.pi * 997 * np.arange(RATE) / RATE)  # float64, (frames,)
    result = normalize(tone, RATE, -20.0)
    assert result.samples.shape == (RATE, 1) and result.samples.dtype == np.float32
    assert result.lufs_after == pytest.approx(-20.0, abs=0.05)

