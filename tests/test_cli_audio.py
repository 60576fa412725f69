"""``atelier audio info`` and ``atelier audio normalize`` in-process, on real files."""

import json

import numpy as np
import pytest
import soundfile
from test_cli import run_cli

from atelier.cli import COMMANDS
from atelier.cli.audio import PRESET_NAMES
from atelier.media.loudness import PRESETS, integrated_lufs, true_peak_db

RATE = 44100


def one_error_line(err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("atelier"), err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], (word, err)


@pytest.fixture
def loud(tmp_path):
    """3 s of loud stereo (a tone under noise), peaking over 0 dBTP, as a 16-bit WAV."""
    rng = np.random.default_rng(0)
    t = np.arange(3 * RATE) / RATE
    sound = 0.8 * np.sin(2 * np.pi * 220 * t)[:, None] + 0.3 * rng.normal(size=(len(t), 2))
    path = tmp_path / "loud.wav"
    soundfile.write(str(path), np.clip(sound, -1, 1), RATE, subtype="PCM_16")
    return path


def test_audio_is_a_command_and_its_presets_are_loudnesss():
    assert "audio" in COMMANDS
    assert PRESET_NAMES == tuple(PRESETS)


def test_info_prints_the_facts(capsys, loud):
    code, out, err = run_cli(capsys, "audio", "info", loud)
    assert code == 0, err
    samples, _ = soundfile.read(str(loud), dtype="float32", always_2d=True)
    lufs = integrated_lufs(samples, RATE)
    assert out.splitlines()[0] == str(loud)
    for line in ("format       WAV 16-bit", "duration     3.00 s (132300 frames)", "rate         44100 Hz",
                 "channels     2", f"loudness     {lufs:.1f} LUFS", f"true peak    {true_peak_db(samples, RATE):.1f} dBTP",
                 "sample peak  0.0 dBFS"):
        assert f"  {line}" in out.splitlines(), (line, out)


def test_info_json_says_why_a_short_clip_has_no_loudness(capsys, tmp_path):
    path = tmp_path / "blip.flac"
    soundfile.write(str(path), 0.5 * np.sin(np.arange(RATE // 10) / 5.0), RATE, subtype="PCM_24")
    code, out, err = run_cli(capsys, "audio", "info", path, "--json")
    assert code == 0, err
    facts = json.loads(out)
    assert facts["format"] == "FLAC 24-bit" and (facts["rate"], facts["channels"], facts["frames"]) == (RATE, 1, 4410)
    assert facts["duration_s"] == 0.1 and facts["lufs"] is None
    assert facts["lufs_missing"].startswith("shorter than 0.4 s")
    assert facts["sample_peak_dbfs"] == pytest.approx(-6.02, abs=0.01)
    assert facts["true_peak_dbtp"] >= facts["sample_peak_dbfs"]


def test_info_of_silence_has_no_peak_in_db(capsys, tmp_path):
    path = tmp_path / "quiet.wav"
    soundfile.write(str(path), np.zeros((RATE, 2)), RATE)
    code, out, err = run_cli(capsys, "audio", "info", path, "--json")
    facts = json.loads(out)
    assert (code, facts["lufs"], facts["lufs_missing"], facts["true_peak_dbtp"]) == (0, None, "silent", None)
    code, out, _ = run_cli(capsys, "audio", "info", path)
    assert "  loudness     none (silent)" in out and "  true peak    -inf (silent)" in out


@pytest.mark.parametrize("suffix, options, target, container", [
    (".flac", (), -14.0, "FLAC"),
    (".wav", ("--preset", "podcast"), -16.0, "WAV"),
    (".mp3", ("--preset", "broadcast", "--ceiling", "-2"), -23.0, "MP3"),
    (".opus", ("--lufs", "-12"), -12.0, "OGG"),
])
def test_normalize_writes_the_format_the_name_asks_for(capsys, loud, tmp_path, suffix, options, target, container):
    out_path = tmp_path / f"out{suffix}"
    code, out, err = run_cli(capsys, "audio", "normalize", loud, out_path, *options)
    assert code == 0, err
    info = soundfile.info(str(out_path))
    assert info.format == container and info.channels == 2
    assert info.samplerate == (48000 if suffix == ".opus" else RATE)
    samples, rate = soundfile.read(str(out_path), dtype="float32", always_2d=True)
    assert integrated_lufs(samples, rate) == pytest.approx(target, abs=0.5)
    lines = out.splitlines()
    assert lines[0].startswith(f"{loud} -> {out_path} (")
    assert lines[1].startswith("  loudness   ") and lines[1].endswith(f"-> {target:.1f} LUFS (target {target:g} LUFS)")
    assert lines[2].startswith("  true peak  ") and "(ceiling " in lines[2]
    assert lines[3].startswith("  gain       ")
    if suffix in (".mp3", ".opus"):
        assert "once decoded" in out


def test_normalize_resamples_when_asked(capsys, loud, tmp_path):
    code, out, err = run_cli(capsys, "audio", "normalize", loud, tmp_path / "out.flac", "--rate", "48000")
    assert code == 0, err
    assert "(FLAC, 48000 Hz, resampled from 44100 Hz)" in out.splitlines()[0]
    assert soundfile.info(str(tmp_path / "out.flac")).samplerate == 48000


def test_normalize_a_short_clip_says_so(capsys, tmp_path):
    path = tmp_path / "blip.wav"
    soundfile.write(str(path), 0.05 * np.sin(np.arange(RATE // 5) / 7.0), RATE)
    code, out, err = run_cli(capsys, "audio", "normalize", path, tmp_path / "blip2.wav")
    assert code == 0, err
    assert "  note: shorter than 0.4 s, the shortest sound BS.1770 measures: normalised by peak to -1 dBTP" in out
    assert "  loudness   none -> none (target -14 LUFS)" in out


@pytest.mark.parametrize("argv, words", [
    (("info", "{tmp}/bad.wav"), ("bad.wav: cannot be read as sound", "use a WAV, FLAC")),
    (("info", "{tmp}/missing.wav"), ("missing.wav: no such file",)),
    (("normalize", "{tmp}/bad.wav", "{tmp}/out.flac"), ("bad.wav: cannot be read as sound",)),
    (("normalize", "{loud}", "{tmp}/out.aiff"), ("out.aiff: unknown sound format '.aiff'",)),
    (("normalize", "{loud}", "{tmp}/no/such/folder/out.wav"), ("does not exist: create it first",)),
    (("normalize", "{loud}", "{tmp}/out.wav", "--lufs", "3"), ("--lufs 3: choose a target from -60 to 0",)),
    (("normalize", "{loud}", "{tmp}/out.wav", "--ceiling", "2"), ("--ceiling 2: choose a ceiling",)),
    (("normalize", "{loud}", "{tmp}/out.wav", "--format", "wma"), ("sound format 'wma': choose one of",)),
    (("normalize", "{loud}", "{tmp}/out.wav", "--lufs", "-9", "--preset", "podcast"), ("not allowed with",)),
    (("normalize", "{loud}", "{tmp}/out.wav", "--rate", "22050"), ("--rate", "invalid choice")),
    (("frobnicate",), ("invalid choice",)),
], ids=["not-sound", "missing", "normalize-not-sound", "suffix", "folder", "lufs", "ceiling", "format",
        "lufs-and-preset", "rate", "action"])
def test_bad_input_is_one_line_and_exit_code_2(capsys, loud, tmp_path, argv, words):
    (tmp_path / "bad.wav").write_bytes(b"RIFF but not really a sound file" * 4)
    argv = [a.format(tmp=tmp_path, loud=loud) for a in argv]
    code, out, err = run_cli(capsys, "audio", *argv)
    assert code == 2
    one_error_line(err, *words)
    assert not (tmp_path / "out.wav").exists() and not (tmp_path / "out.flac").exists()


def test_a_lossy_file_that_overshoots_once_decoded_gets_a_lower_ceiling_suggested(capsys, loud, tmp_path):
    out_path = tmp_path / "hot.mp3"
    code, out, err = run_cli(capsys, "audio", "normalize", loud, out_path, "--lufs", "-3")
    assert code == 0, err
    assert "  note: reached " in out and "the -1 dBTP ceiling leaves no room for more" in out
    samples, rate = soundfile.read(str(out_path), dtype="float32", always_2d=True)
    decoded = true_peak_db(samples, rate)
    assert f"  decoded    {decoded:.1f} dBTP true peak once decoded (MP3 is lossy)" in out
    if decoded > -1.0 + 0.1:  # as LAME does to a limited, noisy sound
        assert "  note: decoding MP3 overshoots the ceiling by" in out and "try --ceiling -" in out
