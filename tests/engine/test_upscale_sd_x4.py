"""The Stable Diffusion x4 upscaler on a tiny real StableDiffusionUpscalePipeline folder: it is
listed as an upscaler, loads offline, and draws a picture larger than one tile in 128 px tiles
(each from its own seed) into one exactly 4 times larger, the same again from the same seed;
it reports each tile and stops between tiles when cancelled."""

import hashlib
import io

import numpy as np
import pytest
import tiny_models
import torch
from PIL import Image

from atelier.core.errors import GenerationCancelled, ModelError
from atelier.core.project_io import asset_name
from atelier.core.tasks import UpscaleRequest
from atelier.core.tiles import tile_boxes
from atelier.engine import registry
from atelier.engine.events import EngineOptions, Loaded
from atelier.engine.loader import PipelineCache
from atelier.engine.runner import EngineJob, TaskContext
from atelier.engine.upscale_sd_x4 import upscale_x4


@pytest.fixture(scope="module")
def x4_info(tmp_path_factory):
    return registry.inspect_folder(tiny_models.build_sd_upscale(tmp_path_factory.mktemp("models") / "tiny-x4"))


def noise(width: int, height: int, seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8))


class Upscale:
    """One direct call of upscale_x4 through a real TaskContext, with what it reported."""

    def __init__(self, info, cache, picture: Image.Image, cancel_after_tiles: int | None = None, **changes):
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        name = asset_name(hashlib.sha256(buffer.getvalue()).hexdigest(), "png")
        self.request = UpscaleRequest(**{"image": name, "upscaler": info.id, "scale": 4, "seed": 5, "steps": 2,
                                         "prompt": "a photo of a cat", **changes})
        self.events, self.tiles = [], []
        stop = cancel_after_tiles if cancel_after_tiles is not None else float("inf")
        self.context = TaskContext(EngineJob(info, self.request, {name: buffer.getvalue()}), EngineOptions(), cache,
                                   self.events.append, lambda: len(self.tiles) >= stop)
        self.picture = picture

    def run(self) -> np.ndarray:
        image = upscale_x4(self.context, self.picture, self.request, lambda done, total: self.tiles.append((done, total)))
        assert image.mode == "RGB"
        return np.asarray(image)


def test_an_sd_upscale_folder_is_listed_as_an_upscaler_and_loads_quietly(x4_info, capfd):
    assert (x4_info.kind, x4_info.family, x4_info.pipeline) == ("upscaler", "sd-upscale",
                                                                "StableDiffusionUpscalePipeline")
    loaded = PipelineCache().get(x4_info, "cpu")
    assert type(loaded.pipe).__name__ == "StableDiffusionUpscalePipeline"
    assert loaded.pipe.safety_checker is None
    # Its pipeline has no requires_safety_checker flag: the loader must not pass one (a warning).
    assert "requires_safety_checker" not in capfd.readouterr().err


def test_a_picture_larger_than_a_tile_comes_out_4x_and_again_from_the_same_seed(x4_info, cache):
    picture = noise(230, 100)  # two tiles of at most 128 px wide; 100 px high, padded to 104 for the model
    first = Upscale(x4_info, cache, picture)
    result = first.run()
    assert result.shape == (400, 920, 3)
    assert first.tiles == [(1, 2), (2, 2)]
    assert any(isinstance(event, Loaded) for event in first.events)

    # Each tile is the pipeline's own drawing of that tile (padded to a multiple of 8) from
    # seed + its index: where only one tile covers the output, it is that drawing.
    pipe = cache.get(x4_info, "cpu").pipe
    first_box, second_box = tile_boxes(230, 100, 128, 16)
    tiles = []
    for index, box in enumerate((first_box, second_box)):
        crop = np.asarray(picture)[box.slices()]
        padded = np.pad(crop, ((0, -box.height % 8), (0, -box.width % 8), (0, 0)), mode="edge")
        with torch.inference_mode():
            drawn = pipe(prompt="a photo of a cat", image=Image.fromarray(padded), num_inference_steps=2,
                         guidance_scale=first.request.guidance,
                         generator=torch.Generator("cpu").manual_seed(5 + index)).images[0]
        tiles.append(np.asarray(drawn)[:box.height * 4, :box.width * 4])
    alone_first, alone_second = second_box.left * 4, first_box.right * 4  # where one tile covers alone
    assert np.array_equal(result[:, :alone_first], tiles[0][:, :alone_first])
    assert np.array_equal(result[:, alone_second:], tiles[1][:, alone_second - second_box.left * 4:])
    assert not np.array_equal(tiles[0][:, :400], tiles[1][:, :400])

    again = Upscale(x4_info, cache, picture)
    assert np.array_equal(again.run(), result)  # bit for bit


def test_cancelling_stops_between_tiles(x4_info, cache):
    upscale = Upscale(x4_info, cache, noise(240, 200), cancel_after_tiles=1)
    with pytest.raises(GenerationCancelled) as cancelled:
        upscale.run()
    assert upscale.tiles == [(1, 4)]
    assert (cancelled.value.step, cancelled.value.total) == (1, 4)


def test_a_model_that_is_no_x4_upscaler_is_refused_in_one_line(sd15_dir, cache):
    info = registry.inspect_folder(sd15_dir)
    with pytest.raises(ModelError) as refused:
        Upscale(info, cache, noise(64, 64)).run()
    message = str(refused.value)
    assert "\n" not in message and info.id in message and "x4 upscaler" in message


def test_a_request_whose_seed_is_not_resolved_is_a_bug_of_the_caller(x4_info, cache):
    with pytest.raises(ValueError, match="resolve the request's seed"):
        Upscale(x4_info, cache, noise(64, 64), seed=None).run()


def test_the_upscale_task_draws_a_seed_for_the_x4_model_and_its_recipe_makes_the_same_pixels(x4_info, cache):
    from atelier.engine.events import Artifact
    from atelier.engine.runner import InProcessRunner

    upscale = Upscale(x4_info, cache, noise(40, 30), seed=None)
    job = upscale.context.job
    runner = InProcessRunner(cache)
    made = []
    runner.run(job, EngineOptions(), lambda event: isinstance(event, Artifact) and made.append(event))
    [first] = made
    assert first.recipe.seed is not None and first.recipe.model.family == "sd-upscale"
    again = []
    runner.run(EngineJob(x4_info, first.recipe.to_request(), job.inputs), EngineOptions(),
               lambda event: isinstance(event, Artifact) and again.append(event))
    assert Image.open(io.BytesIO(first.data)).size == (160, 120)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(again[0].data))),
                          np.asarray(Image.open(io.BytesIO(first.data))))
