"""``atelier generate`` with audio models: the model's family picks the task, the file format
follows --out, projects keep FLAC with the recipe, and options a task does not take are refused
before anything loads."""

import json

import numpy as np
import pytest
import soundfile
from test_cli import assert_fails, run_cli

from atelier.core.project_io import ProjectArchive
from atelier.media.peaks import Peaks


@pytest.fixture(autouse=True)
def home(user_home, monkeypatch):
    monkeypatch.chdir(user_home)
    return user_home


def test_stable_audio_writes_a_wav_of_the_asked_length(capsys, tmp_path, stable_audio_dir):
    out = tmp_path / "rain.wav"
    code, stdout, err = run_cli(capsys, "generate", "--model", stable_audio_dir, "--prompt", "calm rain",
                                "--seconds", "0.25", "--steps", "2", "--seed", "5", "--out", out)
    assert code == 0, err
    assert f"{out}  seed 5" in stdout
    info = soundfile.info(str(out))
    assert (info.format, info.samplerate, info.channels, info.frames) == ("WAV", 8000, 2, 2000)


def test_a_song_with_lyrics_goes_into_a_project_as_flac_with_its_recipe(capsys, tmp_path, ace_step_dir):
    lyrics = tmp_path / "lyrics.txt"
    lyrics.write_text("[verse]\nrain of the song\n[chorus]\nwarm bass", encoding="utf-8")
    project = tmp_path / "songs.atelier"
    code, stdout, err = run_cli(capsys, "generate", "--model", ace_step_dir, "--prompt", "calm piano song",
                                "--lyrics", lyrics, "--seconds", "1", "--steps", "2", "--bpm", "100", "--seed", "9",
                                "--batch", "2", "--project", project, "--out", tmp_path / "song.flac")
    assert code == 0, err
    assert (tmp_path / "song-1.flac").is_file() and (tmp_path / "song-2.flac").is_file()
    with ProjectArchive(project) as archive:
        [entry] = archive.project.entries
        assert entry.parameters["task"] == "song" and entry.parameters["lyrics"].startswith("[verse]")
        outputs = entry.outputs
        assert [o.kind for o in outputs] == ["audio", "audio"] and outputs[0].asset.endswith(".flac")
        assert [o.recipe["request"]["seed"] for o in outputs] == [9, 10]
        data = archive.read(outputs[0].asset)
        peaks = Peaks.from_bytes(archive.read(outputs[0].peaks))  # kept beside the sound
        assert (peaks.rate, peaks.frames, peaks.channels) == (400, 400, 2)
    assert data == (tmp_path / "song-1.flac").read_bytes()
    import io

    with soundfile.SoundFile(io.BytesIO(data)) as file:
        assert json.loads(file.comment)["request"]["bpm"] == 100


def test_music_follows_a_melody_clip_kept_in_the_project(capsys, tmp_path, musicgen_melody_dir):
    clip = tmp_path / "hum.wav"
    soundfile.write(str(clip), 0.3 * np.sin(np.linspace(0, 900, 800)), 800)
    project = tmp_path / "music.atelier"
    code, _stdout, err = run_cli(capsys, "generate", "--model", musicgen_melody_dir, "--prompt", "warm synth",
                                 "--melody", clip, "--seconds", "0.2", "--seed", "1", "--project", project)
    assert code == 0, err
    with ProjectArchive(project) as archive:
        [output] = archive.project.entries[0].outputs
        melody = output.recipe["request"]["melody"]
        assert archive.read(melody) == clip.read_bytes()


@pytest.mark.parametrize(("options", "words"), [
    (("--lyrics", "x.txt"), ["--lyrics", "does not take it"]),
    (("--size", "64x64"), ["--size", "is for image models"]),
    (("--bpm", "90"), ["--bpm", "does not take it"]),
    (("--seconds", "0"), ["seconds 0", "more than 0"]),
])
def test_options_stable_audio_does_not_take_exit_2_before_loading(capsys, tmp_path, stable_audio_dir, options, words):
    result = run_cli(capsys, "generate", "--model", stable_audio_dir, "--prompt", "x", "--out", tmp_path / "a.flac",
                     *options)
    assert_fails(result, 2, *words)


def test_sound_options_on_an_image_model_and_an_image_file_for_sound_exit_2(capsys, tmp_path, sd15_dir,
                                                                           musicgen_dir):
    assert_fails(run_cli(capsys, "generate", "--model", sd15_dir, "--prompt", "x", "--seconds", "3",
                         "--out", tmp_path / "a.png"), 2, "--seconds", "is for audio models")
    assert_fails(run_cli(capsys, "generate", "--model", musicgen_dir, "--prompt", "x", "--out", tmp_path / "a.png"),
                 2, "a.png", "must be a .flac or .wav or .ogg or .opus or .mp3 file")


def test_init_audio_starts_stable_audio_from_a_clip_of_its_own_length(capsys, tmp_path, stable_audio_dir):
    clip = tmp_path / "hum.wav"
    soundfile.write(str(clip), 0.3 * np.sin(np.linspace(0, 300, 2400)), 8000)  # 0.3 s
    project = tmp_path / "sounds.atelier"
    code, _stdout, err = run_cli(capsys, "generate", "--model", stable_audio_dir, "--prompt", "warm hum",
                                 "--init-audio", clip, "--strength", "0.2", "--steps", "2", "--seed", "3",
                                 "--project", project)
    assert code == 0, err
    with ProjectArchive(project) as archive:
        [output] = archive.project.entries[0].outputs
        request = output.recipe["request"]
        assert (request["task"], request["seconds"], request["strength"]) == ("audio-to-audio", 0.3, 0.2)
        assert archive.read(request["init_audio"]) == clip.read_bytes()
    assert_fails(run_cli(capsys, "generate", "--model", stable_audio_dir, "--prompt", "x", "--strength", "0.2",
                         "--out", tmp_path / "a.wav"), 2, "--strength", "goes with --init-audio")
