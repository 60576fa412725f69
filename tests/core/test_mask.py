"""The painted mask: strokes, selections, fill/clear/invert, and one undo step per change."""

import numpy as np
import pytest

from atelier.core.mask import UNDO_STEPS, Box, MaskDocument


def test_a_stroke_paints_a_band_along_its_path_and_is_one_undo_step():
    mask = MaskDocument(200, 100)
    stroke = mask.begin_stroke(size=20, hardness=1.0)
    for x in range(20, 181, 40):  # mouse events 40 px apart: still one continuous band
        stroke.to(x, 50)
    box = stroke.end()
    assert box is not None and mask.can_undo
    row = mask.raster[50]
    assert (row[25:176] == 255).all()  # solid along the path
    assert (mask.raster[:35] == 0).all() and (mask.raster[66:] == 0).all()  # nothing beyond the radius (+1)
    bounds = mask.bounds()
    assert bounds.left <= 10 and bounds.right >= 190 and 39 <= bounds.top and bounds.bottom <= 61

    mask.undo()
    assert mask.is_empty and mask.can_redo
    mask.redo()
    assert (mask.raster[50, 25:176] == 255).all()


def test_hardness_sets_how_far_the_solid_core_reaches():
    hard, soft = MaskDocument(100, 100), MaskDocument(100, 100)
    hard.stroke([(50, 50)], size=40, hardness=1.0)
    soft.stroke([(50, 50)], size=40, hardness=0.0)
    assert hard.raster[50, 50] == 255 and soft.raster[50, 50] > 240  # the centre is (nearly) solid either way
    assert hard.raster[50, 65] == 255 and 0 < soft.raster[50, 65] < 128  # 15 px out: solid, or fading
    assert soft.raster[50, 72] == hard.raster[50, 72] == 0  # past the radius


def test_erasing_lowers_what_painting_raised():
    mask = MaskDocument(100, 100)
    mask.fill_rect(Box(10, 10, 90, 90))
    mask.stroke([(10, 50), (90, 50)], size=10, erase=True)
    assert (mask.raster[50, 15:86] == 0).all() and (mask.raster[20, 15:86] == 255).all()


def test_rectangle_lasso_fill_clear_and_invert():
    mask = MaskDocument(64, 48)
    mask.fill_rect(Box(-10, -10, 8, 8))  # clipped to the image
    assert mask.raster[:8, :8].all() and mask.raster.sum() == 64 * 255
    mask.clear()
    mask.fill_polygon([(10, 10), (50, 10), (30, 40)])  # a lasso
    assert mask.raster[20, 30] == 255 and mask.raster[38, 12] == 0
    mask.invert()
    assert mask.raster[20, 30] == 0 and mask.raster[38, 12] == 255
    mask.fill()
    assert mask.raster.min() == 255
    for _ in range(5):
        assert mask.undo() is not None
    assert mask.is_empty and mask.undo() is None


def test_a_change_that_changes_nothing_is_no_undo_step_and_the_oldest_steps_go():
    mask = MaskDocument(32, 32)
    assert mask.clear() is None and not mask.can_undo
    assert mask.fill_polygon([(1, 1), (2, 2)]) is None  # not an outline
    for i in range(UNDO_STEPS + 5):
        mask.fill_rect(Box(i % 32, 0, i % 32 + 1, 1), erase=bool(i // 32 % 2))
    undone = 0
    while mask.undo() is not None:
        undone += 1
    assert undone == UNDO_STEPS


def test_a_replaced_mask_must_fit_the_image():
    mask = MaskDocument(8, 4)
    mask.replace(np.full((4, 8), 255, np.uint8))
    assert not mask.is_empty
    with pytest.raises(ValueError, match="does not fit a 8x4 image"):
        mask.replace(np.zeros((8, 8), np.uint8))
