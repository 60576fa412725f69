"""Sound files written in every export format and read back with soundfile itself; reading
refuses what is not sound with one line naming the file."""

import io

import numpy as np
import pytest
import soundfile

from atelier.core.errors import RequestError
from atelier.media.audio_file import (
    EXPORT_FORMATS,
    encode_audio,
    export_rate,
    file_format,
    format_for,
    read_audio,
    resample,
    write_audio,
)

RATE = 44100


def tones(seconds: float = 1.0, rate: int = RATE) -> np.ndarray:
    """Stereo: a different tone in each channel, so swapped channels would show."""
    t = np.arange(round(seconds * rate)) / rate
    return np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 660 * t + 1)], 1).astype(np.float32)


def test_the_ui_lists_these_formats_in_this_order():
    assert [f.label for f in EXPORT_FORMATS] == ["WAV 16-bit", "WAV 24-bit", "FLAC", "OGG Vorbis", "Opus", "MP3"]
    assert [f.key for f in EXPORT_FORMATS] == ["wav", "wav24", "flac", "ogg", "opus", "mp3"]


@pytest.mark.parametrize("spec", EXPORT_FORMATS, ids=lambda f: f.key)
def test_every_format_round_trips(tmp_path, spec):
    sound = tones()
    path = tmp_path / f"out{spec.suffix}"
    data = write_audio(path, sound, RATE, spec.key)
    assert path.read_bytes() == data
    info = soundfile.info(str(path))
    assert (info.format, info.subtype) == (spec.container, spec.subtype)
    back, rate = soundfile.read(str(path), dtype="float64", always_2d=True)
    assert rate == (48000 if spec.key == "opus" else RATE)  # Opus takes no 44.1 kHz
    assert back.shape[1] == 2
    assert abs(len(back) / rate - 1.0) < 0.01
    reference = resample(sound, RATE, rate).astype(np.float64)
    frames = min(len(back), len(reference))
    for channel in range(2):
        r = np.corrcoef(back[:frames, channel], reference[:frames, channel])[0, 1]
        assert r > (0.99 if spec.lossy else 0.99999), (spec.key, channel, r)
    if not spec.lossy:  # the same frames, to the last bit the format keeps
        bits = 16 if spec.subtype == "PCM_16" else 24
        assert len(back) == len(sound)
        assert np.abs(back - sound).max() <= 1 / 2 ** (bits - 1)


def test_the_suffix_picks_the_format(tmp_path):
    assert [format_for(f"a{s}") for s in (".wav", ".WAV", ".flac", ".ogg", ".opus", ".mp3")] == \
        ["wav", "wav", "flac", "ogg", "opus", "mp3"]
    write_audio(tmp_path / "plain.wav", tones(0.1), RATE)
    write_audio(tmp_path / "deep.wav", tones(0.1), RATE, "wav24")
    assert soundfile.info(str(tmp_path / "plain.wav")).subtype == "PCM_16"
    assert soundfile.info(str(tmp_path / "deep.wav")).subtype == "PCM_24"
    with pytest.raises(RequestError, match=r"^song\.aiff: unknown sound format '\.aiff': end the name with"):
        write_audio(tmp_path / "song.aiff", tones(0.1), RATE)
    assert not (tmp_path / "song.aiff").exists()
    with pytest.raises(RequestError, match="sound format 'wma': choose one of wav, wav24"):
        encode_audio(tones(0.1), RATE, "wma")


def test_file_format_names_what_the_file_holds(tmp_path):
    for spec in EXPORT_FORMATS:
        write_audio(tmp_path / f"{spec.key}{spec.suffix}", tones(0.2), RATE, spec.key)
    names = {spec.key: file_format(tmp_path / f"{spec.key}{spec.suffix}") for spec in EXPORT_FORMATS}
    assert names == {"wav": "WAV 16-bit", "wav24": "WAV 24-bit", "flac": "FLAC 24-bit", "ogg": "OGG Vorbis",
                     "opus": "Opus", "mp3": "MP3"}


def test_too_loud_samples_are_clipped_not_wrapped(tmp_path):
    loud = np.array([[1.5], [-3.0], [0.25]], np.float32)
    write_audio(tmp_path / "loud.wav", loud, RATE)
    back, _ = soundfile.read(str(tmp_path / "loud.wav"), always_2d=True)
    assert back[:, 0] == pytest.approx([32767 / 32768, -1.0, 0.25])


def test_rates_a_codec_does_not_take_are_resampled():
    assert export_rate("opus", 44100) == 48000 and export_rate("opus", 24000) == 24000
    assert export_rate("mp3", 96000) == 48000 and export_rate("mp3", 32000) == 32000
    assert export_rate("mp3", 800) == 8000 and export_rate("flac", 800) == 800
    data = encode_audio(tones(0.5, 96000), 96000, "mp3")
    with soundfile.SoundFile(io.BytesIO(data)) as decoded:
        assert decoded.samplerate == 48000


def test_mp3_holds_no_more_than_two_channels():
    with pytest.raises(RequestError, match="MP3 holds mono or stereo, not 6 channels: choose FLAC"):
        encode_audio(np.zeros((100, 6), np.float32), RATE, "mp3")


def test_resample_keeps_a_tone_at_its_pitch():
    seconds, freq = 0.5, 1000.0
    tone = np.sin(2 * np.pi * freq * np.arange(round(seconds * RATE)) / RATE).astype(np.float32)
    up = resample(tone, RATE, 48000)
    assert up.dtype == np.float32 and len(up) == round(seconds * 48000)
    expected = np.sin(2 * np.pi * freq * np.arange(len(up)) / 48000)
    middle = slice(1000, -1000)  # the filter's edges start from silence
    assert np.abs(up[middle] - expected[middle]).max() < 1e-3
    same = resample(tone, RATE, RATE)
    assert np.array_equal(same, tone) and same is not tone
    assert resample(tones(0.1), RATE, 22050).shape == (2205, 2)


def test_read_audio_gives_float32_frames_by_channels_from_a_path_or_bytes(tmp_path):
    path = tmp_path / "mono.flac"
    soundfile.write(str(path), tones(0.25)[:, 0], RATE, subtype="PCM_24")
    samples, rate = read_audio(path)
    assert (samples.dtype, samples.shape, rate) == (np.float32, (round(0.25 * RATE), 1), RATE)
    from_bytes, rate = read_audio(path.read_bytes(), "mono.flac")
    assert np.array_equal(from_bytes, samples) and rate == RATE


def _nan_wav(path):
    soundfile.write(str(path), np.array([0.1, np.nan, 0.2], np.float32), RATE, subtype="FLOAT")


def _empty_wav(path):
    soundfile.write(str(path), np.zeros((0, 2), np.float32), RATE, subtype="PCM_16")


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b"this is not a sound file " * 20),
     r"^bad\.wav: cannot be read as sound \(Format not recognised\): use a WAV, FLAC, OGG, Opus or MP3 file$"),
    (lambda p: p.write_bytes(b""), r"^bad\.wav: the file is empty \(0 bytes\): choose a file that holds sound$"),
    (_empty_wav, r"^bad\.wav: holds no samples \(0 s of sound\): choose a file that holds sound$"),
    (_nan_wav, r"^bad\.wav: holds NaN or infinite samples: export it again"),
    (lambda p: None, r"^bad\.wav: no such file: check the path$"),
], ids=["not-sound", "zero-bytes", "no-frames", "nan", "missing"])
def test_bad_files_give_one_line_naming_the_file(tmp_path, make, message):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(RequestError, match=message) as caught:
        read_audio(path)
    assert "\n" not in str(caught.value) and caught.value.exit_code == 2
    if path.exists():
        with pytest.raises(RequestError, match=message.replace(r"bad\.wav", "upload")):
            read_audio(path.read_bytes(), "upload")


def test_nothing_is_written_for_samples_that_are_not_sound(tmp_path):
    for bad, message in [(np.zeros((0, 2)), "empty"), (np.full((10, 1), np.inf), "NaN or infinite"),
                         (np.zeros((2, 3, 4)), "must be \\(frames, channels\\)")]:
        with pytest.raises(RequestError, match=message):
            write_audio(tmp_path / "x.flac", bad, RATE)
    assert not list(tmp_path.iterdir())
