"""Control images made in our own code: Canny edges, line art, and sketches passed on (inverted
when drawn dark on light), from synthetic pictures whose right answer is known."""

import numpy as np
import pytest
from PIL import Image

from atelier.core.control_images import canny_edges, control_image, is_dark_on_light_sketch, lineart


def square(size: int = 64, low: int = 0, high: int = 255, mode: str = "L") -> Image.Image:
    """A ``high`` square (a quarter to three quarters of each side) on a ``low`` ground."""
    pixels = np.full((size, size), low, dtype=np.uint8)
    pixels[size // 4:3 * size // 4, size // 4:3 * size // 4] = high
    return Image.fromarray(pixels).convert(mode)


def as_array(image: Image.Image) -> np.ndarray:
    assert image.mode == "RGB"
    pixels = np.asarray(image)
    assert (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 0] == pixels[..., 2]).all()
    return pixels[..., 0]


def test_canny_finds_the_border_of_a_square_and_nothing_inside_or_outside():
    edges = as_array(control_image(square(), "canny", 64, 64))
    assert set(np.unique(edges)) == {0, 255}
    rows, cols = np.nonzero(edges)
    # One thin outline hugging the square's border (16..47): within a pixel of it on each side.
    assert rows.min() >= 14 and rows.max() <= 48 and cols.min() >= 14 and cols.max() <= 48
    assert not edges[20:44, 20:44].any()  # inside
    assert not edges[:12].any() and not edges[52:].any()  # outside
    for line in (edges[32], edges[:, 32]):  # each side crossed once, by a line one pixel wide
        assert np.count_nonzero(line) == 2
    # The whole outline is there: every row and column the square spans is touched.
    assert set(range(17, 47)) <= set(rows) and set(range(17, 47)) <= set(cols)


def test_canny_thresholds_decide_what_a_faint_edge_is():
    faint = np.asarray(square(low=100, high=120).convert("RGB"))
    assert not canny_edges(faint).any()  # a step of 20 grey levels is below the default thresholds
    assert canny_edges(faint, low=20, high=40).any()
    strong = np.asarray(square().convert("RGB"))
    assert not canny_edges(strong, low=5000, high=6000).any()


def test_hysteresis_keeps_weak_edges_only_where_they_join_a_strong_one():
    def step(top: int, bottom: int) -> np.ndarray:
        """A vertical step from black whose height grows from ``top`` to ``bottom`` down the picture."""
        pixels = np.zeros((64, 64), dtype=np.uint8)
        pixels[:, 32:] = np.linspace(top, bottom, 64).astype(np.uint8)[:, None]
        return pixels

    thresholds = dict(low=80, high=400)  # a step of 60 reads about 120, one of 255 about 520
    strong_only = canny_edges(step(60, 255), low=400, high=400)
    assert strong_only[56:].any() and not strong_only[:40].any()
    # The faint top joins the strong bottom: kept all the way up, one pixel wide.
    edges = canny_edges(step(60, 255), **thresholds)
    assert (np.count_nonzero(edges, axis=1) == 1).all()
    # As faint, but joining nothing strong: dropped.
    assert not canny_edges(step(60, 150), **thresholds).any()


def test_lineart_draws_dark_lines_white_on_black():
    pixels = np.full((64, 64, 3), 230, dtype=np.uint8)
    pixels[30:33, 8:56] = 20  # a dark stroke on paper
    drawing = as_array(control_image(Image.fromarray(pixels), "lineart", 64, 64))
    assert drawing[31, 10:54].min() >= 100  # the stroke is bright (a typical line is scaled to half-white)
    assert drawing[:20].max() == 0 and drawing[44:].max() == 0  # the paper is black
    # A light line on dark is no line to draw.
    assert not lineart(255 - pixels)[31, 10:54].any()


def test_a_dark_on_light_sketch_is_inverted_and_other_pictures_pass_as_they_are():
    sketch = np.full((64, 64), 255, dtype=np.uint8)
    sketch[10:12, 5:60] = 0
    result = as_array(control_image(Image.fromarray(sketch), "none", 64, 64))
    assert result[11, 30] == 255 and result[40, 40] == 0
    # Already white on black: passed on.
    assert np.array_equal(as_array(control_image(Image.fromarray(255 - sketch), "none", 64, 64)), 255 - sketch)
    # A depth map (smooth greys, light on the whole) and a colour picture are passed on.
    depth = np.tile(np.linspace(120, 255, 64, dtype=np.float32), (64, 1)).astype(np.uint8)
    assert not is_dark_on_light_sketch(np.stack([depth] * 3, axis=2))
    colour = np.zeros((64, 64, 3), dtype=np.uint8)
    colour[..., 0] = 250
    colour[..., 2] = 200
    passed = control_image(Image.fromarray(colour), "none", 64, 64)
    assert np.array_equal(np.asarray(passed), colour)


@pytest.mark.parametrize("preprocess", ["none", "canny", "lineart"])
def test_any_mode_becomes_rgb_at_the_generation_size(preprocess):
    sixteen = Image.fromarray((np.asarray(square(48)).astype(np.uint16) * 257)).convert("I;16")
    transparent = square(48, mode="RGBA")
    transparent.putalpha(Image.fromarray(np.where(np.asarray(square(48)) > 0, 255, 0).astype(np.uint8)))
    for picture in (square(48, mode="L"), square(48, mode="RGB"), transparent, sixteen, square(48, mode="P")):
        made = control_image(picture, preprocess, 64, 40)
        assert made.mode == "RGB" and made.size == (64, 40)


def test_sixteen_bit_edges_are_those_of_the_eight_bit_picture():
    sixteen = Image.fromarray((np.asarray(square()).astype(np.uint16) * 257)).convert("I;16")
    assert np.array_equal(np.asarray(control_image(sixteen, "canny", 64, 64)),
                          np.asarray(control_image(square(), "canny", 64, 64)))


def test_an_unknown_preprocess_is_refused():
    with pytest.raises(ValueError, match="choose one of none, canny, lineart"):
        control_image(square(), "depth", 64, 64)
