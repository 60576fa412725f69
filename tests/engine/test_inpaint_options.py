"""The fill controls an artist adjusts, through the real runner on the tiny SD1.5 pipeline:
Replace background keeps the subject bit for bit and repaints the rest, padding sets how much
of the picture the model sees, and what the engine used is recorded so the recipe makes the
same pixels again (recipes from before padding too)."""

import numpy as np
import pytest
from engine_driver import generate_images
from PIL import Image
from test_inpaint_task import array, inpaint, noise, square_mask

from atelier.core.errors import GenerationError, RequestError
from atelier.core.inpaint import Edges, composite_mask, generation_size
from atelier.core.recipe import Recipe
from atelier.engine.tasks.inpaint import REPLACE_BLEND, prefill


def recorded_call(pipe, monkeypatch) -> list[dict]:
    """The inpainting pipeline's arguments, the call itself left out (it is what is checked)."""
    calls = []

    def record(self, **arguments):
        calls.append(arguments)
        raise RuntimeError("recorded")

    monkeypatch.setattr(type(pipe), "__call__", record)
    return calls


def test_replace_background_keeps_the_subject_and_repaints_the_rest(sd15):
    picture, subject = noise(80, 64, seed=4), square_mask(80, 64, (24, 16, 56, 48))
    [made], asked, inputs, _ = inpaint(sd15, picture, subject, fill_mode="replace")
    result, before = array(made.image), array(picture)
    request = made.recipe.request
    assert request.fill_mode == "replace" and request.blend <= REPLACE_BLEND
    assert request.colour_match is False  # a new background is not pulled back to the old one's colours
    kept = np.asarray(subject) == 255
    assert np.array_equal(result[kept], before[kept])  # the subject, bit for bit
    background = composite_mask(255 - np.asarray(subject), Edges(request.grow, request.feather, request.blend))
    assert (result[background == 255] != before[background == 255]).any(axis=-1).mean() > 0.9
    assert made.recipe.inputs["mask"] == asked.mask  # the subject mask as painted, not turned around
    [again] = generate_images(sd15, made.recipe.to_request(), inputs=inputs)
    assert np.array_equal(array(again.image), result)


def test_replace_background_with_nothing_left_to_repaint_is_one_line(sd15):
    with pytest.raises(RequestError, match="^the mask covers the whole picture: nothing is left to repaint"):
        inpaint(sd15, noise(64, 64), Image.new("L", (64, 64), 255), fill_mode="replace")


def test_replace_starts_the_background_from_neutral_grey():
    region = np.full((32, 32, 3), (0, 200, 0), np.uint8)
    background = np.full((32, 32), 255, np.uint8)
    background[8:24, 8:24] = 0  # the subject
    start = prefill(region, background, "replace")
    assert (start[0, 0] == 127).all() and (start[16, 16] == (0, 200, 0)).all()


def test_padding_sets_the_context_box_around_the_mask(sd15, monkeypatch):
    calls = recorded_call(sd15.pipeline_for("AutoPipelineForInpainting"), monkeypatch)
    tall = square_mask(256, 256, (100, 60, 116, 108))  # 16 x 48
    for padding in (10, None):
        with pytest.raises(GenerationError, match="recorded"):
            inpaint(sd15, noise(256, 256), tall, grow=2, feather=2, padding=padding)
    padded, automatic = calls
    # The mask, reached by grow + feather (4 px), and 10 px more on each side: 44 x 76.
    assert (padded["width"], padded["height"]) == generation_size(44, 76, 64)
    assert (automatic["width"], automatic["height"]) == (64, 64)  # the whole (square) picture


def test_a_padding_is_recorded_and_makes_the_same_pixels_again(sd15):
    picture = noise(128, 96, seed=5)
    painted = (56, 40, 72, 56)
    [made], _asked, inputs, _ = inpaint(sd15, picture, square_mask(128, 96, painted), padding=8)
    request = made.recipe.request
    assert request.padding == 8
    reach = request.grow + request.feather + 8
    outside = np.ones((96, 128), bool)
    outside[max(0, 40 - reach):56 + reach, max(0, 56 - reach):72 + reach] = False
    assert np.array_equal(array(made.image)[outside], array(picture)[outside])
    [again] = generate_images(sd15, made.recipe.to_request(), inputs=inputs)
    assert np.array_equal(array(again.image), array(made.image))


def test_a_recipe_from_before_padding_makes_the_same_pixels(sd15):
    picture = noise(96, 96, seed=6)
    [made], _asked, inputs, _ = inpaint(sd15, picture, square_mask(96, 96, (30, 30, 60, 50)))
    assert made.recipe.request.padding is None  # the automatic context: not one margin to record
    older = made.recipe.to_dict()
    del older["request"]["padding"]
    recipe = Recipe.from_dict(older)
    assert recipe.request.padding is None
    [again] = generate_images(sd15, recipe.to_request(), inputs=inputs)
    assert np.array_equal(array(again.image), array(made.image))
