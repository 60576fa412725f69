"""The refine pass of an upscale on the tiny SD1.5 pipeline: a light image-to-image pass in
tiles of the model's own size (64 px for the tiny model) that keeps the picture's size, changes
its pixels, makes the same picture from the same seed and another from another seed, reports
each tile, stops between tiles when cancelled, and returns the Adapter the recipe records; a
model that cannot refine is refused in one line."""

import hashlib
import io

import numpy as np
import pytest
import tiny_models
from PIL import Image

from atelier.core.errors import GenerationCancelled, ModelError, RequestError
from atelier.core.project_io import asset_name
from atelier.core.recipe import Adapter
from atelier.core.tasks import UpscaleRequest
from atelier.engine import registry
from atelier.engine.events import EngineOptions
from atelier.engine.runner import EngineJob, TaskContext
from atelier.engine.upscale_refine import refine, tile_side


def noise(width: int, height: int, seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8))


@pytest.fixture(scope="module")
def sd15_info(sd15_dir):
    return registry.inspect_folder(sd15_dir)


class Refine:
    """One direct call of refine through a real TaskContext, with the tiles it reported."""

    def __init__(self, cache, picture: Image.Image, models: dict, cancel_after_tiles: int | None = None, **changes):
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        name = asset_name(hashlib.sha256(buffer.getvalue()).hexdigest(), "png")
        model_id = next(iter(models), "missing")
        self.request = UpscaleRequest(**{"image": name, "scale": 2, "refine": True, "refine_model": model_id,
                                         "refine_strength": 0.3, "steps": 4, "seed": 11, "prompt": "a photo of a cat",
                                         **changes})
        self.picture = picture
        self.tiles = []
        stop = cancel_after_tiles if cancel_after_tiles is not None else float("inf")
        job = EngineJob(None, self.request, {name: buffer.getvalue()}, extra_models=models)
        self.context = TaskContext(job, EngineOptions(), cache, lambda _event: None, lambda: len(self.tiles) >= stop)

    def run(self) -> tuple[np.ndarray, Adapter]:
        image, adapter = refine(self.context, self.picture, self.request,
                                lambda done, total: self.tiles.append((done, total)))
        assert image.mode == "RGB"
        return np.asarray(image), adapter


def test_refining_keeps_the_size_changes_the_pixels_and_makes_them_again_from_the_seed(sd15_info, cache):
    picture = noise(150, 50)  # three 64 px tiles wide; 50 px high, padded to 64 for the model
    first = Refine(cache, picture, {sd15_info.id: sd15_info})
    result, adapter = first.run()
    assert result.shape == (50, 150, 3)
    assert first.tiles == [(1, 3), (2, 3), (3, 3)]
    changed = np.abs(result.astype(int) - np.asarray(picture).astype(int)).mean(axis=-1) > 8
    assert changed.mean() > 0.5
    loaded = cache.get(sd15_info, "cpu")
    assert adapter == Adapter(kind="refine", name=sd15_info.id, fingerprint=loaded.fingerprint, weight=0.3)

    again, _ = Refine(cache, picture, {sd15_info.id: sd15_info}).run()
    assert np.array_equal(again, result)  # bit for bit
    other, _ = Refine(cache, picture, {sd15_info.id: sd15_info}, seed=12).run()
    assert not np.array_equal(other, result)


def test_the_tiles_are_the_models_own_size(sd15_info, cache):
    loaded = cache.get(sd15_info, "cpu")
    # The tiny model's UNet is 32 latents wide and its VAE halves: 64 px, as SD1.5's is 512.
    assert tile_side(loaded, loaded.pipeline_for("AutoPipelineForImage2Image")) == 64
    refined = Refine(cache, noise(120, 120), {sd15_info.id: sd15_info})
    result, _ = refined.run()
    assert result.shape == (120, 120, 3)
    assert refined.tiles[-1] == (4, 4)  # two 64 px tiles each way, overlapping by 8 px


def test_cancelling_stops_between_tiles(sd15_info, cache):
    refining = Refine(cache, noise(150, 50), {sd15_info.id: sd15_info}, cancel_after_tiles=2)
    with pytest.raises(GenerationCancelled) as cancelled:
        refining.run()
    assert refining.tiles == [(1, 3), (2, 3)]
    assert (cancelled.value.step, cancelled.value.total) == (2, 3)


def test_an_inpainting_model_is_refused_in_one_line(tmp_path, cache):
    info = registry.inspect_folder(tiny_models.build_sd15(tmp_path / "tiny-sd15-inpaint", inpaint=True))
    assert info.family == "sd15-inpaint"
    with pytest.raises(ModelError) as refused:
        Refine(cache, noise(80, 80), {info.id: info}).run()
    message = str(refused.value)
    assert "\n" not in message and info.id in message and "inpainting model" in message


def test_a_refine_model_the_job_lacks_is_refused_in_one_line(cache):
    refining = Refine(cache, noise(80, 80), {})
    with pytest.raises(ModelError) as refused:
        refining.run()
    message = str(refused.value)
    assert "\n" not in message and "'missing'" in message and "atelier models" in message


def test_a_strength_too_low_for_the_steps_is_refused_in_one_line(sd15_info, cache):
    refining = Refine(cache, noise(80, 80), {sd15_info.id: sd15_info}, refine_strength=0.1, steps=5)
    with pytest.raises(RequestError) as refused:
        refining.run()
    assert str(refused.value) == ("refine strength 0.1 with 5 steps runs no step; raise the strength or the steps")
    assert refining.tiles == []


def test_a_request_whose_seed_is_not_resolved_is_a_bug_of_the_caller(sd15_info, cache):
    refining = Refine(cache, noise(80, 80), {sd15_info.id: sd15_info}, seed=None)
    with pytest.raises(ValueError, match="resolve the request's seed"):
        refining.run()
