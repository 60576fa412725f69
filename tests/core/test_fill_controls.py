"""The fill controls an artist adjusts, without a model: the context box's padding, Replace
background's turned-around mask, and the request's checks of both."""

import numpy as np
import pytest

from atelier.core.errors import RequestError
from atelier.core.inpaint import context_box, repainted
from atelier.core.limits import FILL_MODES, MAX_SIDE
from atelier.core.mask import Box
from atelier.core.tasks import InpaintRequest, request_from_dict

IMAGE, MASK = "assets/" + "a" * 64 + ".png", "assets/" + "b" * 64 + ".png"


def request(**changes) -> InpaintRequest:
    return InpaintRequest(**{"prompt": "a boat", "init_image": IMAGE, "mask": MASK, **changes})


def test_padding_is_the_margin_on_each_side_with_no_minimum_and_no_square():
    bounds = Box(300, 200, 332, 260)  # 32 x 60
    assert context_box(bounds, 1024, 768, padding=16) == Box(284, 184, 348, 276)
    assert context_box(bounds, 1024, 768, padding=0) == bounds
    automatic = context_box(bounds, 1024, 768)
    assert automatic.width >= 512 and automatic.height >= 512  # what None keeps doing


def test_padding_stops_at_the_picture_s_edges():
    assert context_box(Box(4, 10, 40, 50), 100, 60, padding=32) == Box(0, 0, 72, 60)
    assert context_box(Box(4, 10, 40, 50), 100, 60, padding=MAX_SIDE) == Box(0, 0, 100, 60)


def test_the_automatic_context_box_is_what_it_was():
    # Recipes made before padding existed reproduce through None: these boxes are the old ones.
    assert context_box(Box(300, 200, 332, 232), 1024, 768) == Box(60, 0, 572, 512)
    assert context_box(Box(100, 100, 900, 300), 1000, 400) == Box(0, 0, 1000, 400)
    assert context_box(Box(10, 10, 20, 20), 4096, 3000) == Box(0, 0, 522, 522)
    assert context_box(Box(700, 20, 990, 300), 1000, 1000) == Box(420, 0, 1000, 580)


def test_replace_repaints_everything_but_the_subject():
    subject = np.zeros((40, 60), np.uint8)
    subject[10:30, 20:40] = 255
    subject[10, 20] = 200  # a soft edge stays soft, the other way round
    background = repainted(subject, "replace")
    assert background[10:30, 21:40].max() == 0 and background[10, 20] == 55
    assert (background[:10] == 255).all() and (background[:, :20] == 255).all()
    assert repainted(subject, "fill") is subject  # every other mode repaints what is painted


@pytest.mark.parametrize("fill_mode, raster, words", [
    ("replace", np.full((8, 8), 255, np.uint8), "nothing is left to repaint"),
    ("replace", np.zeros((8, 8), np.uint8), "paint the subject to keep"),
    ("fill", np.zeros((8, 8), np.uint8), "the mask is empty"),
])
def test_nothing_to_repaint_is_one_line(fill_mode, raster, words):
    with pytest.raises(RequestError, match=words) as raised:
        repainted(raster, fill_mode)
    assert "\n" not in str(raised.value)


def test_the_request_takes_replace_and_a_padding_and_refuses_bad_ones():
    assert "replace" in FILL_MODES
    made = request(fill_mode="replace", padding=32)
    assert made.fill_mode == "replace" and made.padding == 32
    assert request().padding is None  # the automatic context
    for bad in (-1, MAX_SIDE + 1, 2.5, "32", True):
        with pytest.raises(RequestError, match=f"padding {bad}: must be between 0 and {MAX_SIDE}") as raised:
            request(padding=bad)
        assert "\n" not in str(raised.value)


def test_a_recipe_from_before_padding_reads_as_the_automatic_context():
    older = request(fill_mode="remove", grow=4, feather=8, blend=6).to_dict()
    del older["padding"]
    assert request_from_dict(older) == request(fill_mode="remove", grow=4, feather=8, blend=6)
    assert request_from_dict(request(padding=64).to_dict()).padding == 64
