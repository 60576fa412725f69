"""Generative fill through the real runner on the tiny SD1.5 and SDXL pipelines: nothing outside
the mask changes, the model works on a context box at its native size, the recipe makes the
same pixels again, and what cannot be done is refused in one line."""

import hashlib
import io

import numpy as np
import pytest
from engine_driver import generate_images
from PIL import Image

from atelier.core.errors import GenerationError, ModelError, RequestError
from atelier.core.inpaint import Edges, composite_mask
from atelier.core.project_io import asset_name
from atelier.core.tasks import InpaintRequest
from atelier.engine import registry
from atelier.engine.tasks.inpaint import from_surroundings, prefill


def stored(image: Image.Image) -> tuple[str, bytes]:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    return asset_name(hashlib.sha256(data).hexdigest(), "png"), data


def noise(width: int, height: int, mode: str = "RGB", seed: int = 0) -> Image.Image:
    data = np.random.default_rng(seed).integers(0, 256, (height, width, len(mode)), dtype=np.uint8)
    return Image.fromarray(data.squeeze(), mode)


def square_mask(width: int, height: int, box: tuple[int, int, int, int], size=None) -> Image.Image:
    raster = np.zeros((height, width), np.uint8)
    left, top, right, bottom = box
    raster[top:bottom, left:right] = 255
    mask = Image.fromarray(raster, "L")
    return mask.resize(size, Image.Resampling.NEAREST) if size else mask


def inpaint(loaded, picture: Image.Image, mask: Image.Image, **changes):
    image_name, image_data = stored(picture)
    mask_name, mask_data = stored(mask)
    values = dict(prompt="a red boat", seed=3, steps=2, width=picture.width, height=picture.height,
                  init_image=image_name, mask=mask_name, generation_side=64)
    request = InpaintRequest(**{**values, **changes})
    notices = []
    made = generate_images(loaded, request, inputs={image_name: image_data, mask_name: mask_data},
                           on_notice=notices.append)
    return made, request, {image_name: image_data, mask_name: mask_data}, notices


def array(image: Image.Image, mode: str = "RGB") -> np.ndarray:
    return np.asarray(image.convert(mode))


@pytest.fixture(scope="module")
def sdxl(cache, sdxl_dir):
    return cache.get(registry.inspect_folder(sdxl_dir), "cpu")


@pytest.mark.parametrize("model", ["sd15", "sdxl"])
def test_only_the_masked_pixels_change_and_the_recipe_makes_them_again(model, request):
    loaded = request.getfixturevalue(model)
    picture = noise(96, 80)
    painted = (30, 20, 70, 60)
    [made], asked, inputs, _ = inpaint(loaded, picture, square_mask(96, 80, painted))
    result, before = array(made.image), array(picture)
    assert made.image.size == (96, 80)
    recipe = made.recipe
    edges = Edges(recipe.request.grow, recipe.request.feather, recipe.request.blend)
    assert edges.feather > 0  # the defaults from the mask are recorded, not left to None
    blend = composite_mask(np.asarray(square_mask(96, 80, painted)), edges)
    outside = blend == 0
    assert np.array_equal(result[outside], before[outside])  # bit for bit
    inside = blend == 255
    assert inside.any() and (result[inside] != before[inside]).any(axis=-1).mean() > 0.9
    assert recipe.task == "inpaint" and recipe.inputs == {"init_image": asked.init_image, "mask": asked.mask}
    [again] = generate_images(loaded, recipe.to_request(), inputs=inputs)
    assert np.array_equal(array(again.image), result)


def test_a_batch_makes_one_output_per_seed_each_reported_step_by_step(sd15):
    steps = []
    image_name, image_data = stored(noise(64, 64))
    mask_name, mask_data = stored(square_mask(64, 64, (16, 16, 48, 48)))
    request = InpaintRequest(prompt="x", seed=7, steps=2, batch_size=2, width=64, height=64, init_image=image_name,
                             mask=mask_name, generation_side=64)
    made = generate_images(sd15, request, inputs={image_name: image_data, mask_name: mask_data},
                           on_step=steps.append)
    assert [m.recipe.seed for m in made] == [7, 8]
    assert [(s.index, s.step, s.total) for s in steps] == [(0, 1, 2), (0, 2, 2), (1, 1, 2), (1, 2, 2)]
    assert not np.array_equal(array(made[0].image), array(made[1].image))


def test_a_small_mask_on_a_large_picture_is_generated_at_the_native_size(sd15, monkeypatch):
    pipe = sd15.pipeline_for("AutoPipelineForInpainting")
    calls = []

    def record(self, **arguments):
        calls.append(arguments)
        raise RuntimeError("recorded")  # the call is what this test checks; not running it keeps it fast

    monkeypatch.setattr(type(pipe), "__call__", record)
    with pytest.raises(GenerationError, match="recorded"):
        inpaint(sd15, noise(512, 512), square_mask(512, 512, (240, 240, 272, 272)), generation_side=None)
    [call] = calls
    assert (call["width"], call["height"]) == (512, 512)  # SD1.5's native side, not 32 px
    assert call["image"].size == (512, 512) and call["mask_image"].size == (512, 512)
    assert call["strength"] == 1.0


def test_the_context_box_keeps_the_aspect_of_a_wide_picture(sd15, monkeypatch):
    pipe = sd15.pipeline_for("AutoPipelineForInpainting")
    calls = []
    monkeypatch.setattr(type(pipe), "__call__", lambda self, **arguments: calls.append(arguments) or 1 / 0)
    with pytest.raises(GenerationError):
        inpaint(sd15, noise(400, 100), square_mask(400, 100, (10, 10, 390, 90)), generation_side=128)
    [call] = calls
    assert call["width"] / call["height"] == pytest.approx(4, rel=0.1) and call["width"] % 8 == 0


def test_a_transparent_picture_keeps_its_alpha_outside_the_mask(sd15):
    picture = noise(64, 64, "RGBA", seed=2)
    [made], *_ = inpaint(sd15, picture, square_mask(64, 64, (20, 20, 44, 44)), blend=0, grow=0, feather=0)
    assert made.image.mode == "RGBA"
    result, before = array(made.image, "RGBA"), array(picture, "RGBA")
    outside = np.asarray(square_mask(64, 64, (20, 20, 44, 44))) == 0
    assert np.array_equal(result[outside], before[outside])
    assert (result[~outside][:, 3] == 255).all()  # what is generated is opaque


def test_a_mask_of_another_size_is_scaled_and_that_is_said(sd15):
    picture = noise(64, 64)
    mask = square_mask(64, 64, (16, 16, 48, 48), size=(128, 128))
    [made], _request, _inputs, notices = inpaint(sd15, picture, mask)
    assert notices == ["the mask is 128x128 and the image 64x64: the mask was scaled to fit"]
    assert np.array_equal(array(made.image)[:8], array(picture)[:8])


def test_an_empty_mask_is_refused_before_loading(sd15):
    with pytest.raises(RequestError, match="^the mask is empty: paint where to generate$"):
        inpaint(sd15, noise(64, 64), Image.new("L", (64, 64), 0))


def test_a_model_family_without_inpainting_names_those_that_work(sd15):
    import dataclasses

    other = dataclasses.replace(sd15, info=dataclasses.replace(sd15.info, family="pixart"))
    with pytest.raises(ModelError, match="pixart models cannot inpaint.*SD1.5, SD2, SDXL"):
        inpaint(other, noise(64, 64), square_mask(64, 64, (16, 16, 48, 48)))


@pytest.mark.parametrize("mode", ["fill", "expand", "add", "remove"])
def test_each_fill_mode_prefills_only_the_area_to_repaint(mode):
    region = np.zeros((64, 64, 3), np.uint8)
    region[:, :32] = (200, 40, 40)
    region[:, 32:] = (40, 40, 200)
    region[24:40, 24:40] = (0, 255, 0)  # the object inside the mask
    denoise = np.zeros((64, 64), np.uint8)
    denoise[20:44, 20:44] = 255
    start = prefill(region, denoise, mode)
    assert np.array_equal(start[denoise == 0], region[denoise == 0])
    inside = start[28:36, 28:36].reshape(-1, 3)
    if mode == "add":
        assert (inside == 127).all()
    elif mode in ("expand", "remove"):
        assert inside[:, 1].max() < 100  # the green object is gone: only the surroundings' colours
    else:
        assert inside[:, 1].mean() > 60  # a blur of the picture keeps the object's colour in it


def test_expand_continues_the_colour_of_the_nearest_edge():
    region = np.zeros((32, 64, 3), np.uint8)
    region[:, :32] = (250, 0, 0)
    region[:, 32:] = (0, 0, 250)
    denoise = np.zeros((32, 64), np.uint8)
    denoise[:8] = 255  # a band along the top, over both colours
    filled = from_surroundings(region, denoise, smooth=False)
    assert filled[2, 4, 0] > 200 and filled[2, 60, 2] > 200
