"""Working on a picture in tiles, so that a model's memory is bounded by the tile, not by the
picture: the picture is cut into overlapping tiles, each is processed on its own, and the
results are blended back with weights that fade across the overlaps, so no seam shows.

Pure numpy. The processed tiles may be ``scale`` times larger than the source tiles (an
upscaler); the blend happens at the output's size.
"""

import math
from dataclasses import dataclass

import numpy as np

from .mask import Box


def tile_boxes(width: int, height: int, tile: int, overlap: int) -> list[Box]:
    """The tiles covering a ``width`` x ``height`` picture, row by row: as few per row and per
    column as ``tile`` px tiles overlapping by ``overlap`` need, each no larger than ``tile``,
    spread evenly so that neighbours overlap by ``overlap`` px or a little more. (Full-size
    tiles with the last pinned to the picture's end would compute a 1024 x 768 picture twice
    over in 512 px tiles; these compute it 1.1 times.)"""
    if tile <= overlap:
        raise ValueError(f"tile {tile} must be larger than the overlap {overlap}")
    columns, rows = (_spread(length, tile, overlap) for length in (width, height))
    return [Box(left, top, left + tile_width, top + tile_height)
            for top, tile_height in rows for left, tile_width in columns]


def _spread(length: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """(start, size) of each tile along one side."""
    if length <= tile:
        return [(0, length)]
    count = math.ceil((length - overlap) / (tile - overlap))
    size = math.ceil((length + (count - 1) * overlap) / count)
    # Steps of at most size - overlap, since count * size >= length + (count - 1) * overlap.
    return [(round(index * (length - size) / (count - 1)), size) for index in range(count)]


def feather(box: Box, width: int, height: int, overlap: int, scale: int = 1) -> np.ndarray:
    """The blend weight of a tile's output (``box`` in source pixels, output ``scale`` times
    larger): 1 inside, rising linearly across ``overlap`` source pixels on each side that meets
    another tile; the picture's own edges are not faded. Never 0, so every pixel has weight."""
    out_width, out_height = box.width * scale, box.height * scale
    ramp = max(1, overlap * scale)
    rows = _ramp(out_height, ramp, box.top > 0, box.bottom < height)
    columns = _ramp(out_width, ramp, box.left > 0, box.right < width)
    return np.outer(rows, columns).astype(np.float32)


def _ramp(length: int, ramp: int, fade_start: bool, fade_end: bool) -> np.ndarray:
    weights = np.ones(length, np.float32)
    rising = (np.arange(min(ramp, length), dtype=np.float32) + 0.5) / ramp
    if fade_start:
        weights[:rising.size] = np.minimum(weights[:rising.size], rising)
    if fade_end:
        weights[length - rising.size:] = np.minimum(weights[length - rising.size:], rising[::-1])
    return weights


@dataclass
class Blender:
    """Collects processed tiles into one picture of ``width`` x ``height`` with ``channels``
    (the output's size): each pixel is the weighted mean of the tiles that cover it."""

    width: int
    height: int
    channels: int

    def __post_init__(self):
        self._sum = np.zeros((self.height, self.width, self.channels), np.float32)
        self._weight = np.zeros((self.height, self.width, 1), np.float32)

    def add(self, box: Box, pixels: np.ndarray, weight: np.ndarray) -> None:
        """Add a tile's ``pixels`` (height, width, channels; any number type, 0..255) at
        ``box`` (output pixels) with ``weight`` (height, width)."""
        weight = weight[..., None]
        self._sum[box.slices()] += pixels.astype(np.float32) * weight
        self._weight[box.slices()] += weight

    def result(self) -> np.ndarray:
        """The blended picture as uint8."""
        blended = self._sum / np.maximum(self._weight, 1e-12)
        return np.clip(np.round(blended), 0, 255).astype(np.uint8)


def scaled(box: Box, scale: int) -> Box:
    return Box(box.left * scale, box.top * scale, box.right * scale, box.bottom * scale)
