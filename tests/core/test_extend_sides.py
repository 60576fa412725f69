"""How far a canvas extends (core/extension.py): sides for an aspect ratio with the picture placed
by an anchor, a dragged side snapped to multiples of 8, the size limit, and the extended picture
with its mask."""

import io

import numpy as np
import pytest
from PIL import Image

from atelier.core.errors import RequestError
from atelier.core.extension import ANCHORS, extended_picture, extended_size, sides_for_aspect, snap_side
from atelier.core.limits import MAX_SIDE


@pytest.mark.parametrize(("ratio", "anchor", "sides"), [
    ((16, 9), "centre", (24, 0, 24, 0)),  # 64x64 -> 112x64 (113.8 rounds to 112)
    ((9, 16), "centre", (0, 24, 0, 24)),
    ((16, 9), "left", (0, 0, 48, 0)),  # the picture at the left: the new area all on the right
    ((16, 9), "right", (48, 0, 0, 0)),
    ((9, 16), "top", (0, 0, 0, 48)),
    ((9, 16), "bottom-right", (0, 48, 0, 0)),
    ((1, 1), "centre", (0, 0, 0, 0)),  # already square: nothing to add
    ((2, 1), "centre", (32, 0, 32, 0)),
])
def test_a_square_picture_grows_to_the_ratio_placed_by_its_anchor(ratio, anchor, sides):
    assert sides_for_aspect(64, 64, *ratio, anchor) == sides


@pytest.mark.parametrize("size", [(768, 512), (512, 768), (500, 333), (64, 64), (1000, 8)])
@pytest.mark.parametrize("ratio", [(16, 9), (3, 2), (4, 3), (1, 1), (3, 4), (2, 3), (9, 16), (21, 9)])
@pytest.mark.parametrize("anchor", ANCHORS)
def test_the_result_never_shrinks_is_a_multiple_of_8_and_near_the_ratio(size, ratio, anchor):
    width, height = size
    try:
        sides = sides_for_aspect(width, height, *ratio, anchor)
    except RequestError as exc:  # only the tall thin one may pass the largest side
        assert size == (1000, 8) and str(exc).count("\n") == 0
        return
    left, top, right, bottom = sides
    assert min(sides) >= 0
    new_width, new_height = width + left + right, height + top + bottom
    assert new_width % 8 == 0 and new_height % 8 == 0
    own_width, own_height = -(-width // 8) * 8, -(-height // 8) * 8
    assert new_width == own_width or new_height == own_height  # only one axis grows past its own 8 px
    target = ratio[0] / ratio[1]
    if new_width > own_width:  # grown to the ratio, within the rounding to 8 px
        assert abs(new_width - new_height * target) <= 4
    if new_height > own_height:
        assert abs(new_height - new_width / target) <= 4
    if width % 8 == 0 and height % 8 == 0:
        assert all(side % 8 == 0 for side in sides)
    if "left" in anchor:
        assert left == 0
    if "right" in anchor:
        assert right == 0
    if "top" in anchor:
        assert top == 0
    if "bottom" in anchor:
        assert bottom == 0
    if anchor == "centre":
        assert abs(left - right) <= 8 and abs(top - bottom) <= 8


def test_a_ratio_past_the_largest_side_is_refused_in_one_line():
    with pytest.raises(RequestError) as refused:
        sides_for_aspect(4000, 3000, 21, 9)
    message = str(refused.value)
    assert "21:9" in message and str(MAX_SIDE) in message and "\n" not in message
    assert sides_for_aspect(4096, 4096, 1, 1) == (0, 0, 0, 0)  # at the limit, nothing to add: fine


@pytest.mark.parametrize(("args", "words"), [((64, 64, 0, 9, "centre"), "positive"),
                                             ((64, 64, 16, 9, "middle"), "placement")])
def test_a_bad_ratio_or_placement_says_which(args, words):
    with pytest.raises(RequestError, match=words):
        sides_for_aspect(*args)


@pytest.mark.parametrize(("value", "base", "snapped"), [
    (0, 64, 0), (3, 64, 0), (5, 64, 8), (13, 64, 16), (-20, 64, 0), (100, 64, 104),
    (1, 500, 0), (3, 500, 4), (10, 500, 12), (17, 500, 20),  # 500 + side: a multiple of 8
])
def test_a_dragged_side_snaps_to_0_or_a_multiple_of_8_overall(value, base, snapped):
    assert snap_side(value, base) == snapped
    assert snapped == 0 or (base + snapped) % 8 == 0


def test_the_extended_size_is_checked_in_one_line():
    assert extended_size(64, 48, (8, 16, 24, 32)) == (96, 96)
    assert extended_size(64, 64, (0, 0, MAX_SIDE - 64, 0)) == (MAX_SIDE, 64)
    with pytest.raises(RequestError) as refused:
        extended_size(64, 64, (0, 0, MAX_SIDE, 0))
    assert f"{MAX_SIDE + 64} \u00d7 64" in str(refused.value) and "\n" not in str(refused.value)
    with pytest.raises(RequestError, match="negative"):
        extended_size(64, 64, (-8, 0, 0, 0))


def png(pixels: np.ndarray, mode: str) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels, mode).save(out, format="PNG")
    return out.getvalue()


def decoded(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image)


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_the_extended_picture_keeps_the_original_pixels_and_masks_only_the_new_area(mode):
    rng = np.random.default_rng(3)
    original = rng.integers(0, 256, (40, 48, len(mode)), np.uint8)
    made = extended_picture(png(original, mode), (8, 0, 16, 24))
    picture, mask = decoded(made.png), decoded(made.mask_png)
    assert (made.width, made.height) == (72, 64) and picture.shape == (64, 72, len(mode)) and mask.shape == (64, 72)
    assert np.array_equal(picture[0:40, 8:56], original)  # the original, untouched
    assert not mask[0:40, 8:56].any()
    assert (mask[40:] == 255).all() and (mask[:, :8] == 255).all() and (mask[:, 56:] == 255).all()


def test_a_picture_that_would_be_too_large_is_refused_before_decoding():
    with pytest.raises(RequestError, match=str(MAX_SIDE)):
        extended_picture(png(np.zeros((8, 8, 3), np.uint8), "RGB"), (0, 0, MAX_SIDE, 0))
    with pytest.raises(RequestError, match="cannot be read"):
        extended_picture(b"not a picture", (8, 0, 0, 0))
