"""Text-to-image through the engine API on real tiny pipelines."""

import dataclasses
import logging
import shutil

import numpy as np
import pytest
from engine_driver import generate_images

from atelier.core.errors import GenerationCancelled, ModelError, RequestError
from atelier.core.schedulers import SCHEDULER_NAMES, SCHEDULERS
from atelier.core.tasks import TextToImageRequest
from atelier.engine import registry
from atelier.engine.loader import PipelineCache, require_text_to_image


def tiny_request(**changes) -> TextToImageRequest:
    values = dict(prompt="a photo of a cat", seed=7, steps=2, width=64, height=64)
    return TextToImageRequest(**{**values, **changes})


def pixels(result) -> np.ndarray:
    return np.asarray(result.image)


def test_image_has_requested_size_and_full_recipe(sd15):
    [result] = generate_images(sd15, tiny_request(width=64, height=48, negative_prompt="blurry"))
    assert result.image.size == (64, 48)
    recipe = result.recipe
    assert (recipe.request.prompt, recipe.request.negative_prompt, recipe.seed, recipe.request.steps) == ("a photo of a cat", "blurry", 7, 2)
    assert (recipe.request.width, recipe.request.height, recipe.request.guidance) == (64, 48, 7.0)
    assert recipe.model.id == "tiny-sd15" and recipe.model.family == "sd15"
    assert recipe.model.pipeline == "StableDiffusionPipeline" and len(recipe.model.fingerprint) == 64
    assert recipe.request.scheduler == "Euler a" and recipe.runtime.scheduler_class == "EulerAncestralDiscreteScheduler"
    assert recipe.runtime.scheduler_config["beta_schedule"] == "scaled_linear"
    assert (recipe.runtime.device, recipe.runtime.dtype) == ("cpu", "float32")
    assert set(recipe.runtime.versions) == {"atelier", "torch", "diffusers", "transformers"}


def test_same_seed_same_pixels_and_other_seed_differs(sd15):
    [first] = generate_images(sd15, tiny_request(seed=11))
    [again] = generate_images(sd15, tiny_request(seed=11))
    [other] = generate_images(sd15, tiny_request(seed=12))
    assert np.array_equal(pixels(first), pixels(again))
    assert not np.array_equal(pixels(first), pixels(other))


def test_no_seed_draws_one_and_the_recipe_reproduces_it(sd15):
    [drawn] = generate_images(sd15, tiny_request(seed=None))
    assert 0 <= drawn.recipe.seed < 2**32
    [remade] = generate_images(sd15, drawn.recipe.to_request())
    assert np.array_equal(pixels(drawn), pixels(remade))


def test_batch_gives_consecutive_seeds_each_reproducible_alone(sd15):
    delivered = []
    results = generate_images(sd15, tiny_request(seed=100, batch_size=3), on_image=delivered.append)
    assert [r.recipe.seed for r in results] == [100, 101, 102]
    assert [r.recipe.batch_index for r in results] == [0, 1, 2]
    assert delivered == results
    [alone] = generate_images(sd15, results[2].recipe.to_request())
    assert np.array_equal(pixels(alone), pixels(results[2]))


def test_progress_per_step_with_latent_previews(sd15):
    seen = []
    generate_images(sd15, tiny_request(steps=4), on_step=seen.append, preview_every=2)
    assert [p.step for p in seen] == [1, 2, 3, 4]
    assert all(p.total == 4 and p.elapsed > 0 for p in seen)
    assert [p.preview is not None for p in seen] == [False, True, False, True]
    assert seen[1].preview.size == (32, 32)  # one pixel per latent pixel: no VAE decode
    assert seen[1].preview.getextrema()[3] == (255, 255)  # opaque


@pytest.mark.parametrize("cancel_after", [1, 3])
def test_cancel_after_step_k_stops_by_step_k_plus_1(sd15, cancel_after):
    unet_calls = []
    hook = sd15.pipe.unet.register_forward_hook(lambda *args: unet_calls.append(1))
    steps = []
    try:
        with pytest.raises(GenerationCancelled) as err:
            generate_images(
                sd15, tiny_request(steps=10, batch_size=2), on_step=steps.append,
                should_cancel=lambda: len(steps) >= cancel_after,
            )
    finally:
        hook.remove()
    assert len(unet_calls) <= cancel_after + 1
    assert [p.step for p in steps] == list(range(1, cancel_after + 1))
    assert (err.value.step, err.value.total) == (cancel_after, 10)


def test_cancel_before_start_makes_nothing(sd15):
    made = []
    with pytest.raises(GenerationCancelled):
        generate_images(sd15, tiny_request(), on_image=made.append, should_cancel=lambda: True)
    assert made == []


@pytest.mark.parametrize("name", SCHEDULER_NAMES)
def test_every_named_scheduler_runs(sd15, name):
    [result] = generate_images(sd15, tiny_request(scheduler=name))
    spec = SCHEDULERS[name]
    shipped = sd15.default_scheduler_config["_class_name"]
    assert result.recipe.runtime.scheduler_class == (spec.class_name or shipped)
    assert type(sd15.pipe.scheduler).__name__ == result.recipe.runtime.scheduler_class
    for option, value in spec.options.items():
        assert result.recipe.runtime.scheduler_config[option] == value
    assert result.image.size == (64, 64)


def test_switching_schedulers_does_not_carry_options_over(sd15):
    [karras] = generate_images(sd15, tiny_request(scheduler="DPM++ 2M Karras"))
    [plain] = generate_images(sd15, tiny_request(scheduler="DPM++ 2M"))
    assert karras.recipe.runtime.scheduler_config["use_karras_sigmas"] is True
    assert plain.recipe.runtime.scheduler_config["use_karras_sigmas"] is False


def test_a_sampler_is_built_once_and_serves_later_jobs_with_the_same_pixels(sd15):
    [first] = generate_images(sd15, tiny_request(scheduler="DPM++ 2M Karras", seed=11))
    sampler = sd15.pipe.scheduler
    generate_images(sd15, tiny_request(scheduler="Euler", seed=12))  # another one in between
    [again] = generate_images(sd15, tiny_request(scheduler="DPM++ 2M Karras", seed=11))
    assert sd15.pipe.scheduler is sampler  # its multistep state was reset by the pipeline
    assert again.image.tobytes() == first.image.tobytes()


def test_scheduler_names_are_case_insensitive_and_unknown_ones_refused():
    assert tiny_request(scheduler="dpm++ 2m karras").scheduler == "DPM++ 2M Karras"
    with pytest.raises(RequestError, match="unknown scheduler 'Euler b': choose one of"):
        tiny_request(scheduler="Euler b")


def test_sdxl_with_two_text_encoders_generates(cache, sdxl_dir):
    loaded = cache.get(registry.inspect_folder(sdxl_dir), "cpu")
    seen = []
    [result] = generate_images(loaded, tiny_request(width=64, height=64), on_step=seen.append, preview_every=1)
    assert result.image.size == (64, 64)
    assert result.recipe.model.family == "sdxl"
    assert seen[-1].preview is not None


def test_cache_reuses_and_evicts(sd15_dir, sdxl_dir):
    cache = PipelineCache(capacity=1)
    sd15 = registry.inspect_folder(sd15_dir)
    assert not cache.holds(sd15, "cpu")
    first = cache.get(sd15, "cpu")
    assert cache.holds(sd15, "cpu") and not cache.holds(sd15, "cpu", memory_mode="vae-tiling")
    assert cache.get(sd15, "cpu") is first
    cache.get(registry.inspect_folder(sdxl_dir), "cpu")
    assert len(cache) == 1 and not cache.holds(sd15, "cpu")
    assert cache.get(sd15, "cpu") is not first  # it was evicted and loaded again
    cache.clear()
    assert len(cache) == 0


def test_truncated_weights_are_refused_with_the_file_named(sd15_dir, tmp_path):
    broken = shutil.copytree(sd15_dir, tmp_path / "broken")
    weights = broken / "unet" / "diffusion_pytorch_model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="truncated") as err:
        PipelineCache().get(registry.inspect_folder(broken), "cpu")
    assert str(weights) in str(err.value)


def test_audio_model_is_refused_for_images_before_loading(audio_dir):
    with pytest.raises(ModelError, match="is an audio model .*choose an image model"):
        require_text_to_image(registry.inspect_folder(audio_dir))


def test_unavailable_device_is_a_clear_error(sd15_dir):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ModelError, match="device 'cuda' is not available"):
        PipelineCache().get(registry.inspect_folder(sd15_dir), "cuda")


def test_memory_modes_and_precision(sd15_dir):
    from atelier.engine.loader import dtype_for

    info = registry.inspect_folder(sd15_dir)
    cache = PipelineCache(capacity=2)
    tiled = cache.get(info, "cpu", memory_mode="vae-tiling")
    assert tiled.pipe.vae.use_tiling is True
    plain = cache.get(info, "cpu")
    assert plain is not tiled and plain.pipe.vae.use_tiling is False
    [image] = generate_images(tiled, tiny_request())
    assert image.image.size == (64, 64)
    assert (dtype_for("auto"), dtype_for("fp16"), dtype_for("bf16")) == (None, "float16", "bfloat16")
    with pytest.raises(ModelError, match="precision 'fp8'"):
        dtype_for("fp8")
    with pytest.raises(ModelError, match="memory mode 'tiny'"):
        PipelineCache().get(info, "cpu", memory_mode="tiny")
    cache.clear()


# --- models that went away, pickle weights, prompts longer than the model reads ---------------


@pytest.mark.parametrize("fmt", ["diffusers", "single-file"])
def test_a_model_deleted_after_it_was_listed_is_named_in_one_line(sd15_dir, tmp_path, fmt):
    import tiny_models

    if fmt == "diffusers":
        info = registry.inspect_folder(shutil.copytree(sd15_dir, tmp_path / "gone"))
    else:
        info = registry.inspect_file(tiny_models.write_sd15_checkpoint(sd15_dir, tmp_path / "gone.safetensors"))
    shutil.rmtree(info.path) if info.path.is_dir() else info.path.unlink()

    with pytest.raises(ModelError) as err:
        PipelineCache().get(info, "cpu")

    what = "folder" if fmt == "diffusers" else "file"
    assert str(err.value).startswith(f"gone is no longer at {info.path}; restore the {what}")
    assert "\n" not in str(err.value)


class _Records(logging.Handler):
    """Every record a library logger emits, whatever the app's logging setup."""

    def __init__(self, name: str):
        super().__init__(logging.DEBUG)
        self.records, self.logger = [], logging.getLogger(name)

    def emit(self, record):
        self.records.append(record.getMessage())

    def __enter__(self):
        self.logger.addHandler(self)
        return self.records

    def __exit__(self, *_exc):
        self.logger.removeHandler(self)


def test_pickle_weights_are_refused_before_loading(sd15_dir, tmp_path):
    import tiny_models

    pickled = tiny_models.with_pickle_weights(sd15_dir, tmp_path / "old-bin")
    info = dataclasses.replace(registry.inspect_folder(sd15_dir), path=pickled)  # listed before the change

    with pytest.raises(ModelError) as err:
        PipelineCache().get(info, "cpu")

    assert str(err.value).startswith(f"{pickled}: the weights of unet are pickle files")
    assert "convert them to .safetensors" in str(err.value)


def test_past_the_check_diffusers_is_still_never_allowed_to_unpickle(sd15_dir, tmp_path, monkeypatch):
    import tiny_models
    import torch

    from atelier.engine import loader

    pickled = tiny_models.with_pickle_weights(sd15_dir, tmp_path / "old-bin")
    info = dataclasses.replace(registry.inspect_folder(sd15_dir), path=pickled)
    monkeypatch.setattr(loader, "refuse_pickle_weights", lambda *_args: None, raising=False)  # as if missed
    loads = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *args, **kwargs: loads.append(args) or real_load(*args, **kwargs))

    with _Records("diffusers") as records, pytest.raises(ModelError, match="could not load"):
        PipelineCache().get(info, "cpu")

    assert loads == []
    assert not any("unsafe serialization" in text for text in records)


LONG_PROMPT = ("a photo of a cat " * 6000)[:100_000]


def test_a_prompt_longer_than_the_model_reads_is_noted_once_in_short(sd15):
    notes = []
    with _Records("diffusers") as diffusers_records, _Records("transformers") as transformers_records:
        results = generate_images(sd15, tiny_request(prompt=LONG_PROMPT, batch_size=2), on_notice=notes.append)

    assert len(results) == 2
    assert notes == ["the prompt is longer than tiny-sd15 reads (77 tokens); the rest is ignored"]
    assert sum(len(text) for text in diffusers_records + transformers_records) < 1000
    assert results[0].recipe.request.prompt == LONG_PROMPT  # the recipe keeps what was asked for


def test_short_prompts_bring_no_note_and_a_long_negative_one_does(sd15):
    notes = []
    generate_images(sd15, tiny_request(), on_notice=notes.append)
    assert notes == []

    generate_images(sd15, tiny_request(negative_prompt=LONG_PROMPT), on_notice=notes.append)
    assert notes == ["the negative prompt is longer than tiny-sd15 reads (77 tokens); the rest is ignored"]


def test_sdxl_notes_a_prompt_both_encoders_cut(cache, sdxl_dir):
    sdxl = cache.get(registry.inspect_folder(sdxl_dir), "cpu")
    notes = []
    generate_images(sdxl, tiny_request(prompt=LONG_PROMPT), on_notice=notes.append)
    assert notes == ["the prompt is longer than tiny-sdxl reads (77 tokens); the rest is ignored"]
