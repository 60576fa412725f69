"""The sound tasks on tiny real models (Stable Audio, MusicGen, MusicGen Melody, ACE-Step):
seeded outputs reproduce sample for sample, lengths are right, cancel stops, progress counts,
recipes carry the model's fingerprint, and a model's bad samples fail the job."""

import io
import json

import numpy as np
import pytest
import soundfile

from atelier.core.errors import GenerationCancelled, GenerationError, ModelError, RequestError
from atelier.core.recipe import Recipe
from atelier.core.tasks import MusicRequest, SongRequest, TextToAudioRequest
from atelier.engine import registry
from atelier.engine.events import Artifact, EngineOptions, Progress, Status
from atelier.engine.loader import PipelineCache
from atelier.engine.runner import EngineJob, InProcessRunner


@pytest.fixture(scope="module")
def audio_cache():
    cache = PipelineCache(capacity=4)
    yield cache
    cache.clear()


def run(cache, folder, request, inputs=None, cancel_at=None):
    """(sounds as (samples, rate, recipe), progress events, notices) of one job in-process."""
    runner = InProcessRunner(cache)
    sounds, steps, notices = [], [], []

    def on_event(event):
        if isinstance(event, Artifact):
            assert event.media_type == "audio/flac" and event.suffix == "flac"
            with soundfile.SoundFile(io.BytesIO(event.data)) as file:
                assert json.loads(file.comment) == event.recipe.to_dict()  # the recipe travels inside
                samples = file.read(dtype="float32", always_2d=True)
                sounds.append((samples, file.samplerate, event.recipe))
        elif isinstance(event, Progress):
            steps.append(event)
            if cancel_at is not None and event.step == cancel_at:
                runner.cancel()
        elif isinstance(event, Status) and event.notice:
            notices.append(event.text)

    runner.run(EngineJob(registry.inspect_folder(folder), request, inputs or {}), EngineOptions(device="cpu"),
               on_event)
    return sounds, steps, notices


def test_the_registry_lists_the_three_kinds_as_audio_models(stable_audio_dir, musicgen_dir, musicgen_melody_dir,
                                                             ace_step_dir):
    found = {folder.name: registry.inspect_folder(folder)
             for folder in (stable_audio_dir, musicgen_dir, musicgen_melody_dir, ace_step_dir)}
    assert {name: (info.kind, info.family, info.format) for name, info in found.items()} == {
        "tiny-stable-audio": ("audio", "stable-audio", "diffusers"),
        "tiny-musicgen": ("audio", "musicgen", "transformers"),
        "tiny-musicgen-melody": ("audio", "musicgen-melody", "transformers"),
        "tiny-ace-step": ("audio", "ace-step", "diffusers"),
    }


def test_a_musicgen_folder_with_only_pickle_weights_is_refused_unopened(musicgen_dir, tmp_path):
    import shutil

    folder = shutil.copytree(musicgen_dir, tmp_path / "pickled")
    (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    with pytest.raises(ModelError, match="pickle weights .*pytorch_model.bin"):
        registry.inspect_folder(folder)


def test_stable_audio_makes_stereo_sound_of_the_asked_length_and_reproduces_it(audio_cache, stable_audio_dir):
    request = TextToAudioRequest(prompt="calm rain", negative_prompt="drum", seconds=0.3, steps=2, seed=7,
                                 batch_size=2)
    sounds, steps, _notices = run(audio_cache, stable_audio_dir, request)
    assert [recipe.seed for _s, _r, recipe in sounds] == [7, 8]
    samples, rate, recipe = sounds[0]
    assert rate == 8000 and samples.shape == (2400, 2)
    assert np.abs(samples).max() > 0
    assert [(p.index, p.step, p.total) for p in steps] == [(0, 1, 2), (0, 2, 2), (1, 1, 2), (1, 2, 2)]
    assert recipe.model.fingerprint and recipe.runtime.scheduler_class == "CosineDPMSolverMultistepScheduler"
    # The recipe alone makes the same samples again (FLAC is lossless: the files are equal).
    again, _steps, _notices = run(audio_cache, stable_audio_dir, Recipe.from_dict(recipe.to_dict()).to_request())
    assert np.array_equal(again[0][0], samples)
    assert not np.array_equal(sounds[1][0], samples)


def test_stable_audio_longer_than_the_model_makes_is_clamped_and_said(audio_cache, stable_audio_dir):
    sounds, _steps, notices = run(audio_cache, stable_audio_dir, TextToAudioRequest(prompt="x", seconds=5, steps=1,
                                                                                    seed=1))
    assert notices[0] == "tiny-stable-audio makes at most 0.5 s; making 0.5 s instead of 5 s"
    assert sounds[0][0].shape[0] == 4000 and sounds[0][2].request.seconds == 0.5


def test_cancel_stops_stable_audio_at_the_step(audio_cache, stable_audio_dir):
    with pytest.raises(GenerationCancelled) as cancelled:
        run(audio_cache, stable_audio_dir, TextToAudioRequest(prompt="x", seconds=0.2, steps=4, seed=1),
            cancel_at=2)
    assert (cancelled.value.step, cancelled.value.total) == (2, 4)


def test_musicgen_makes_music_token_by_token_and_reproduces_it(audio_cache, musicgen_dir):
    request = MusicRequest(prompt="warm synth bass", seconds=0.5, seed=3, guidance=3.0)
    sounds, steps, _notices = run(audio_cache, musicgen_dir, request)
    samples, rate, recipe = sounds[0]
    assert rate == 800 and samples.shape == (400, 1)
    # 0.5 s at 200 tokens a second, plus the 3 the delay pattern of 4 codebooks eats.
    assert steps[-1].step == steps[-1].total == 103
    again, _steps, _notices = run(audio_cache, musicgen_dir, recipe.to_request())
    assert np.array_equal(again[0][0], samples)
    other, _steps, _notices = run(audio_cache, musicgen_dir, request.replace(seed=4))
    assert not np.array_equal(other[0][0], samples)


def test_musicgen_continues_past_one_window_with_a_crossfaded_seam(audio_cache, musicgen_dir, monkeypatch):
    from atelier.engine.tasks import music

    monkeypatch.setattr(music, "WINDOW_SECONDS", 0.5)  # the tiny model's windows: 0.5 s, each keeping 1/6 s
    sounds, steps, _notices = run(audio_cache, musicgen_dir, MusicRequest(prompt="x", seconds=1.2, seed=5))
    assert music.windows(1.2, 0.5, 0.5 / 3) == pytest.approx([0.5, 1 / 3, 1 / 3, 1.2 - 0.5 - 2 / 3])
    assert sounds[0][0].shape == (960, 1)
    assert steps[-1].total == sum(np.ceil(np.array([0.5, 1 / 3, 1 / 3, 1.2 - 0.5 - 2 / 3]) * 200) + 3)


def test_a_melody_model_follows_a_clip_and_a_plain_model_refuses_one(audio_cache, musicgen_dir,
                                                                    musicgen_melody_dir):
    rate = 800
    tone = (0.5 * np.sin(2 * np.pi * 110 * np.arange(rate) / rate)).astype(np.float32)
    clip = io.BytesIO()
    soundfile.write(clip, tone, rate, format="WAV")
    name = "assets/" + "a" * 64 + ".wav"
    request = MusicRequest(prompt="x", seconds=0.25, seed=1, melody=name)
    sounds, _steps, _notices = run(audio_cache, musicgen_melody_dir, request, {name: clip.getvalue()})
    assert sounds[0][0].shape == (200, 1) and sounds[0][2].inputs == {"melody": name}
    with pytest.raises(RequestError, match="cannot follow a melody"):
        run(audio_cache, musicgen_dir, request, {name: clip.getvalue()})


def test_the_melody_chroma_finds_the_pitch_class_of_a_tone(musicgen_melody_dir):
    from types import SimpleNamespace

    from atelier.engine.tasks.music import melody_features

    rate = 8000
    config = SimpleNamespace(audio_encoder=SimpleNamespace(sampling_rate=rate), num_chroma=12, chroma_length=40)
    tone = 0.5 * np.sin(2 * np.pi * 440.0 * np.arange(4 * rate) / rate)  # A4
    clip = io.BytesIO()
    soundfile.write(clip, tone, rate, format="WAV")
    chroma = melody_features(SimpleNamespace(config=config), clip.getvalue(), musicgen_melody_dir)
    assert chroma.shape == (40, 12)
    # The filter bank starts at C: A is bin 9 in every frame that holds the tone.
    assert (chroma[:6].argmax(axis=1) == 9).all() and chroma[:6].sum() == 6


def test_ace_step_makes_a_song_with_lyrics_and_reproduces_it(audio_cache, ace_step_dir):
    request = SongRequest(prompt="calm piano song", lyrics="[verse]\nrain of the song", seconds=1.0, steps=3,
                          seed=11, bpm=90, key="C major", time_signature="4")
    sounds, steps, _notices = run(audio_cache, ace_step_dir, request)
    samples, rate, recipe = sounds[0]
    assert rate == 400 and samples.shape == (400, 2)
    assert [p.step for p in steps] == [1, 2, 3]
    assert recipe.request.lyrics == "[verse]\nrain of the song" and recipe.request.bpm == 90
    again, _steps, _notices = run(audio_cache, ace_step_dir, recipe.to_request())
    assert np.array_equal(again[0][0], samples)
    other, _steps, _notices = run(audio_cache, ace_step_dir, request.replace(seed=12))
    assert not np.array_equal(other[0][0], samples)


def test_a_model_of_another_kind_is_refused_before_loading(audio_cache, musicgen_dir, sd15_dir):
    with pytest.raises(ModelError, match="cannot make sound from a prompt"):
        run(audio_cache, musicgen_dir, TextToAudioRequest(prompt="x", seconds=1))
    with pytest.raises(ModelError, match="cannot make a song"):
        run(audio_cache, sd15_dir, SongRequest(prompt="x", seconds=1))


def test_nan_samples_fail_the_job_and_loud_ones_are_turned_down(audio_cache, stable_audio_dir, monkeypatch):
    from atelier.engine import audio

    loaded = audio_cache.get(registry.inspect_folder(stable_audio_dir), "cpu")
    decode = loaded.pipe.vae.decode

    def scaled(factor):
        def patched(*args, **kwargs):
            out = decode(*args, **kwargs)
            out.sample.mul_(factor)
            return out
        return patched

    monkeypatch.setattr(loaded.pipe.vae, "decode", scaled(float("nan")))
    with pytest.raises(GenerationError, match="NaN or infinite samples"):
        run(audio_cache, stable_audio_dir, TextToAudioRequest(prompt="x", seconds=0.1, steps=1, seed=1))
    monkeypatch.setattr(loaded.pipe.vae, "decode", scaled(1000.0))
    sounds, _steps, notices = run(audio_cache, stable_audio_dir, TextToAudioRequest(prompt="x", seconds=0.1, steps=1,
                                                                                    seed=1))
    assert len(notices) == 1 and notices[0].startswith("sound 1 peaked at +") and "turned down" in notices[0]
    peak = np.abs(sounds[0][0]).max()
    assert 0.98 < peak <= 1.0
    assert audio.FLAC_SUBTYPE == "PCM_24"


def _clip(rate=8000, seconds=0.5, channels=1):
    t = np.arange(int(rate * seconds)) / rate
    tone = (0.4 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    data = io.BytesIO()
    soundfile.write(data, np.repeat(tone[:, None], channels, axis=1), rate, format="WAV", subtype="FLOAT")
    return tone, data.getvalue()


def test_audio_to_audio_at_strength_0_gives_the_clip_back_and_above_it_remakes_it(audio_cache, stable_audio_dir):
    from atelier.core.tasks import AudioToAudioRequest

    tone, clip = _clip(rate=16000)  # resampled to the model's 8 kHz, made stereo
    name = "assets/" + "b" * 64 + ".wav"
    kept, _steps, _notices = run(audio_cache, stable_audio_dir,
                                 AudioToAudioRequest(prompt="x", seconds=0.25, init_audio=name, strength=0, seed=2),
                                 {name: clip})
    samples = kept[0][0]
    assert samples.shape == (2000, 2) and np.allclose(samples[:, 0], samples[:, 1])
    assert np.corrcoef(samples[200:1800, 0], tone[400:3600:2])[0, 1] > 0.99
    request = AudioToAudioRequest(prompt="x", seconds=0.25, init_audio=name, strength=0.3, steps=2, seed=2)
    made, steps, _notices = run(audio_cache, stable_audio_dir, request, {name: clip})
    recipe = made[0][2]
    assert recipe.inputs == {"init_audio": name} and [p.step for p in steps] == [1, 2]
    assert recipe.runtime.scheduler_config["sigma_max"] == pytest.approx(0.3 * (500 / 0.3) ** 0.3)
    again, _steps, _notices = run(audio_cache, stable_audio_dir, recipe.to_request(), {name: clip})
    assert np.array_equal(again[0][0], made[0][0]) and not np.array_equal(made[0][0], samples)
    loaded = audio_cache.get(registry.inspect_folder(stable_audio_dir), "cpu")
    assert loaded.pipe.scheduler.config.sigma_max == 500  # the model's own sampler is back
