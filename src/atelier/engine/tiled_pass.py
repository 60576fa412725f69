"""Running a diffusion pipeline over a picture tile by tile (core/tiles.py cuts and blends):
the refine pass over an upscaled picture and the SD x4 upscaler both do, so that memory is
bounded by the tile and each tile is drawn at the size the model knows.

Each tile is made on its own from its own seeded generator, so the same seed makes the same
picture; cancelling takes effect between tiles.
"""

import math
from collections.abc import Callable

import numpy as np
from PIL import Image

from ..core.errors import AtelierError, GenerationCancelled, GenerationError
from ..core.tiles import Blender, feather, scaled, tile_boxes
from .image import quiet_libraries

# Draws one tile: (the tile's pixels, its generator) -> the pipeline's picture.
DrawTile = Callable[[Image.Image, object], Image.Image]
ReportTile = Callable[[int, int], None]


def run_tiles(ctx, picture: Image.Image, *, tile: int, overlap: int, scale: int, multiple: int, seed: int,
              draw: DrawTile, report_tile: ReportTile, model_id: str) -> Image.Image:
    """``picture`` (RGB) drawn by ``draw`` in ``tile`` px tiles overlapping by ``overlap``, the
    result ``scale`` times its size. A tile's sides are padded to a ``multiple`` of pixels
    (the picture's edge repeated; pipelines round other sizes down) and the padding is cut off
    the result. Tile ``i`` gets a CPU generator seeded ``seed + i``. ``report_tile(done,
    total)`` follows each tile; ``ctx.should_cancel()`` is checked before each one."""
    import torch

    width, height = picture.size
    boxes = tile_boxes(width, height, tile, overlap)
    pixels = np.asarray(picture.convert("RGB"))
    blender = Blender(width * scale, height * scale, 3)
    for index, box in enumerate(boxes):
        if ctx.should_cancel():
            raise GenerationCancelled(index, len(boxes))
        padded = _padded(pixels[box.slices()], multiple)
        generator = torch.Generator("cpu").manual_seed(seed + index)
        try:
            with torch.inference_mode(), quiet_libraries():
                drawn = draw(Image.fromarray(padded), generator)
        except AtelierError:
            raise
        except Exception as exc:  # torch/diffusers errors: out of memory, shapes, ...
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise GenerationError(f"tile {index + 1} of {len(boxes)} failed with {model_id}: {reason}") from exc
        wanted = (padded.shape[1] * scale, padded.shape[0] * scale)
        if drawn.size != wanted:  # a pipeline that rounds sizes its own way
            drawn = drawn.resize(wanted, Image.Resampling.LANCZOS)
        out = np.asarray(drawn.convert("RGB"))[:box.height * scale, :box.width * scale]
        blender.add(scaled(box, scale), out, feather(box, width, height, overlap, scale))
        report_tile(index + 1, len(boxes))
    return Image.fromarray(blender.result(), "RGB")


def _padded(pixels: np.ndarray, multiple: int) -> np.ndarray:
    height, width = pixels.shape[:2]
    grow_y = math.ceil(height / multiple) * multiple - height
    grow_x = math.ceil(width / multiple) * multiple - width
    if not grow_x and not grow_y:
        return pixels
    return np.pad(pixels, ((0, grow_y), (0, grow_x), (0, 0)), mode="edge")
