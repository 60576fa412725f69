"""The geometry of generative fill, without a model: context box, edges, composite, extension."""

import numpy as np
import pytest

from atelier.core.inpaint import (Edges, composite, composite_mask, context_box, default_edges, denoise_mask,
                                  extend, generation_size, grow, match_colours, shrink)
from atelier.core.mask import Box, MaskDocument

RNG = np.random.default_rng(7)


def picture(width: int, height: int, channels: int = 3) -> np.ndarray:
    return RNG.integers(0, 256, (height, width, channels), dtype=np.uint8)


def test_a_small_mask_is_generated_with_its_surroundings_at_the_native_size_not_at_its_own():
    box = context_box(Box(300, 200, 332, 232), 1024, 768)  # a 32 px mask
    assert box.width >= 512 and box.height >= 512
    assert box.left <= 300 and box.right >= 332 and box.top <= 200 and box.bottom >= 232
    assert generation_size(box.width, box.height, native=512) == (512, 512)


def test_the_context_box_stays_inside_the_image_and_near_square():
    box = context_box(Box(0, 0, 40, 300), 600, 400)  # at a corner, tall
    assert box == box.clipped(600, 400) and box.left == 0 and box.top == 0
    assert 0.75 <= box.width / box.height <= 1.5
    whole = context_box(Box(0, 0, 256, 256), 256, 256)
    assert whole == Box(0, 0, 256, 256)  # a small image is its own context


def test_generation_size_keeps_the_aspect_in_multiples_of_8():
    width, height = generation_size(1600, 900, native=1024)
    assert width % 8 == 0 and height % 8 == 0
    assert abs(width / height - 16 / 9) < 0.02 and abs(width * height - 1024 ** 2) < 0.03 * 1024 ** 2


def test_grow_and_shrink_move_the_edge_by_their_pixels():
    mask = np.zeros((40, 40), np.uint8)
    mask[15:25, 15:25] = 255
    grown, shrunk = grow(mask, 3), shrink(mask, 3)
    assert grown[12:28, 12:28].all() and not grown[11].any() and not grown[:, 28].any()
    assert shrunk[18:22, 18:22].all() and shrunk.sum() == 16 * 255
    edge = np.zeros((10, 10), np.uint8)
    edge[:, :4] = 255  # touching the image's edge: shrinking does not eat it from there
    assert shrink(edge, 1)[:, :3].all() and not shrink(edge, 1)[:, 3].any()


def test_the_denoise_mask_reaches_past_the_paint_and_the_composite_mask_stays_inside_it():
    document = MaskDocument(128, 128)
    document.fill_rect(Box(40, 40, 88, 88))
    mask = document.raster
    edges = default_edges(document.bounds())
    assert edges.grow > edges.feather // 2 and 4 <= edges.feather <= 64 and edges.blend <= 25
    assert (denoise_mask(mask, edges)[mask > 0] > 0).all() and (denoise_mask(mask, edges)[36, 64] > 0)
    inside = composite_mask(mask, edges)
    assert not inside[mask == 0].any()  # never past the painted edge
    assert inside[64, 64] == 255 and 0 < inside[64, 41] < 255  # solid in the middle, fading at the edge


def test_every_pixel_outside_the_mask_is_the_original_bit_for_bit():
    original = picture(96, 64, channels=4)  # with alpha: kept as it was
    generated = picture(96, 64)
    mask = np.zeros((64, 96), np.uint8)
    mask[10:50, 20:70] = 255
    mask = composite_mask(mask, Edges(grow=0, feather=0, blend=8))
    result = composite(original, generated, mask)
    outside = mask == 0
    assert np.array_equal(result[outside], original[outside])
    assert np.array_equal(result[..., 3], original[..., 3])
    inside = mask == 255
    assert np.array_equal(result[inside][:, :3], generated[inside]) and inside.any()
    with pytest.raises(ValueError, match="the same size"):
        composite(original, generated[:10], mask)


def test_colours_are_matched_at_the_seam():
    original = np.full((64, 64, 3), (200, 120, 40), np.uint8)
    generated = np.full((64, 64, 3), (90, 90, 90), np.uint8) + picture(64, 64) // 16
    mask = np.zeros((64, 64), np.uint8)
    mask[16:48, 16:48] = 255
    matched = match_colours(generated, original, mask)
    band = (grow(mask, 8) > 0) & (shrink(mask, 8) < 255)
    assert np.abs(matched[band].mean(axis=0) - (200, 120, 40)).max() < 2


def test_extending_adds_a_pre_filled_area_and_its_mask_keeping_the_original_exactly():
    original = picture(64, 48)
    extended, mask = extend(original, left=16, top=0, right=32, bottom=8)
    assert extended.shape == (56, 112, 3) and mask.shape == (56, 112)
    assert np.array_equal(extended[0:48, 16:80], original)
    assert not mask[0:48, 16:80].any() and mask[:, :16].all() and mask[:, 80:].all() and mask[48:].all()
    # pre-filled from the edge it continues, softened: near the left edge's colours, not black
    assert abs(float(extended[:48, :16].mean()) - float(original[:, :4].mean())) < 40
    with pytest.raises(ValueError, match="cannot shrink"):
        extend(original, -1, 0, 0, 0)
