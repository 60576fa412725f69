"""The mask an artist paints over an image for generative fill: a greyscale raster the size of the
image (255: generate here, 0: keep), and every change to it as one undo step. Qt-free: the canvas
draws the raster and feeds this its strokes; tests and the CLI use it alone.

An undo step keeps only the rectangle its change touched (the pixels before), so a long session
of strokes on a 4096 px image holds what the strokes covered, not a copy of the image per step.
"""

from dataclasses import dataclass

import numpy as np

PAINT, ERASE = 255, 0
UNDO_STEPS = 100  # the oldest steps are forgotten past this


@dataclass(frozen=True)
class Box:
    """A rectangle of pixels, ``right`` and ``bottom`` exclusive."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def empty(self) -> bool:
        return self.width <= 0 or self.height <= 0

    def clipped(self, width: int, height: int) -> "Box":
        return Box(max(0, self.left), max(0, self.top), min(width, self.right), min(height, self.bottom))

    def slices(self) -> tuple[slice, slice]:
        return slice(self.top, self.bottom), slice(self.left, self.right)


@dataclass(frozen=True)
class _Step:
    box: Box
    before: np.ndarray  # the raster inside ``box`` before the change
    after: np.ndarray  # ... and after it


class MaskDocument:
    """A mask over a ``width`` x ``height`` image, with undo and redo of each change."""

    def __init__(self, width: int, height: int):
        if width <= 0 or height <= 0:
            raise ValueError(f"a mask needs a size, not {width}x{height}")
        self.width, self.height = width, height
        self.raster = np.zeros((height, width), np.uint8)
        self._undo: list[_Step] = []
        self._redo: list[_Step] = []

    # ----- reading ----------------------------------------------------------------------------
    @property
    def is_empty(self) -> bool:
        return not self.raster.any()

    def bounds(self) -> Box | None:
        """The smallest box holding every painted pixel; None when nothing is painted."""
        return painted_bounds(self.raster)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    # ----- painting (each call is one undo step) ---------------------------------------------
    def stroke(self, points: list[tuple[float, float]], size: float, hardness: float = 1.0,
               erase: bool = False) -> Box | None:
        """A whole brush stroke through ``points`` (image pixels); see ``begin_stroke``."""
        stroke = self.begin_stroke(size, hardness, erase)
        for x, y in points:
            stroke.to(x, y)
        return stroke.end()

    def begin_stroke(self, size: float, hardness: float = 1.0, erase: bool = False) -> "Stroke":
        """A brush stroke painted as the mouse moves (``to``), one undo step when it ``end``s:
        discs of diameter ``size`` stamped along the path, solid to ``hardness`` of their radius
        and fading to the edge beyond it. Painting raises pixels to the brush, erasing lowers them."""
        return Stroke(self, size, hardness, erase)

    def fill_rect(self, box: Box, erase: bool = False) -> Box | None:
        """Paint (or erase) a rectangle: a rectangle selection."""
        box = box.clipped(self.width, self.height)
        if box.empty:
            return None
        return self._apply(box, np.full((box.height, box.width), ERASE if erase else PAINT, np.uint8))

    def fill_polygon(self, points: list[tuple[float, float]], erase: bool = False) -> Box | None:
        """Paint (or erase) the inside of a closed outline: a lasso selection."""
        if len(points) < 3:
            return None
        from PIL import Image, ImageDraw  # rasterises the outline exactly as the canvas draws it

        xs, ys = [p[0] for p in points], [p[1] for p in points]
        box = Box(int(np.floor(min(xs))), int(np.floor(min(ys))), int(np.ceil(max(xs))) + 1,
                  int(np.ceil(max(ys))) + 1).clipped(self.width, self.height)
        if box.empty:
            return None
        shape = Image.new("L", (box.width, box.height), 0)
        ImageDraw.Draw(shape).polygon([(x - box.left, y - box.top) for x, y in points], fill=255)
        inside = np.asarray(shape, np.uint8) > 0
        region = self.raster[box.slices()]
        changed = np.where(inside, ERASE if erase else PAINT, region).astype(np.uint8)
        return self._apply(box, changed)

    def fill(self) -> Box | None:
        return self._apply(self._whole(), np.full_like(self.raster, PAINT))

    def clear(self) -> Box | None:
        return self._apply(self._whole(), np.zeros_like(self.raster))

    def invert(self) -> Box | None:
        return self._apply(self._whole(), 255 - self.raster)

    def replace(self, raster: np.ndarray) -> Box | None:
        """Set the whole mask (one that was read from a file, or a subject's mask)."""
        if raster.shape != self.raster.shape:
            raise ValueError(f"a {raster.shape[1]}x{raster.shape[0]} mask does not fit a {self.width}x{self.height} image")
        return self._apply(self._whole(), raster.astype(np.uint8))

    # ----- undo --------------------------------------------------------------------------------
    def undo(self) -> Box | None:
        """Take back the last change; returns the box it touched, or None if there was none."""
        if not self._undo:
            return None
        step = self._undo.pop()
        self.raster[step.box.slices()] = step.before
        self._redo.append(step)
        return step.box

    def redo(self) -> Box | None:
        if not self._redo:
            return None
        step = self._redo.pop()
        self.raster[step.box.slices()] = step.after
        self._undo.append(step)
        return step.box

    # ----- internals ----------------------------------------------------------------------------
    def _whole(self) -> Box:
        return Box(0, 0, self.width, self.height)

    def _apply(self, box: Box, changed: np.ndarray) -> Box | None:
        before = self.raster[box.slices()].copy()
        self.raster[box.slices()] = changed
        return self._record(box, before)

    def _record(self, box: Box, before: np.ndarray) -> Box | None:
        """The raster inside ``box`` was ``before`` and is changed now: one undo step."""
        after = self.raster[box.slices()].copy()
        if np.array_equal(before, after):
            return None  # nothing changed: no undo step for it
        self._undo.append(_Step(box, before, after))
        del self._undo[:-UNDO_STEPS]
        self._redo.clear()
        return box


class Stroke:
    """One brush stroke in progress on a MaskDocument (made by ``begin_stroke``)."""

    def __init__(self, document: MaskDocument, size: float, hardness: float, erase: bool):
        self._document = document
        self._radius = max(0.5, size / 2)
        self._soft = max(1.0, self._radius * (1 - min(1.0, max(0.0, hardness))))  # at least a pixel: antialiased
        self._erase = erase
        self._before = document.raster.copy()  # for the undo step; only while the stroke lasts
        self._last: tuple[float, float] | None = None
        self._touched: Box | None = None

    def to(self, x: float, y: float) -> Box | None:
        """Paint from the last point to (x, y); returns the box that changed (to repaint)."""
        path = _spaced([self._last, (x, y)] if self._last else [(x, y)], max(0.5, self._radius / 4))
        if self._last is not None:
            path = path[1:]  # the last point was stamped by the previous segment
        self._last = (x, y)
        return self._stamp(path)

    def end(self) -> Box | None:
        """Finish: the stroke becomes one undo step. Returns the box it changed, or None."""
        document, box = self._document, self._touched
        if box is None:
            return None
        before, self._before = self._before[box.slices()], None
        return document._record(box, before)

    def _stamp(self, path: list[tuple[float, float]]) -> Box | None:
        document = self._document
        if not path:
            return None
        xs, ys = [p[0] for p in path], [p[1] for p in path]
        reach = int(np.ceil(self._radius)) + 1
        box = Box(int(min(xs)) - reach, int(min(ys)) - reach, int(max(xs)) + reach + 1,
                  int(max(ys)) + reach + 1).clipped(document.width, document.height)
        if box.empty:
            return None
        coverage = np.zeros((box.height, box.width), np.float32)
        for x, y in path:
            # Each dab only over its own reach, from a row and a column of offsets (broadcast, not
            # two full grids): a big brush's dab costs a few passes over its square, which keeps a
            # 256 px brush on a 2048 px picture well inside a frame.
            dab = Box(int(x) - reach, int(y) - reach, int(x) + reach + 1, int(y) + reach + 1).clipped(
                document.width, document.height)
            if dab.empty:
                continue
            across = np.arange(dab.left, dab.right, dtype=np.float32) + 0.5 - x
            down = np.arange(dab.top, dab.bottom, dtype=np.float32) + 0.5 - y
            level = np.hypot(across[None, :], down[:, None])
            # 1 inside the hard core, falling linearly to 0 at the radius.
            np.subtract(self._radius, level, out=level)
            level /= self._soft
            np.clip(level, 0.0, 1.0, out=level)
            under = coverage[dab.top - box.top:dab.bottom - box.top, dab.left - box.left:dab.right - box.left]
            np.maximum(under, level, out=under)
        brush = np.round(coverage * 255).astype(np.uint8)
        region = document.raster[box.slices()]
        region[...] = np.minimum(region, 255 - brush) if self._erase else np.maximum(region, brush)
        touched = self._touched
        self._touched = box if touched is None else Box(min(box.left, touched.left), min(box.top, touched.top),
                                                         max(box.right, touched.right), max(box.bottom, touched.bottom))
        return box


def painted_bounds(raster: np.ndarray) -> Box | None:
    """The smallest box holding every non-zero pixel of a mask; None when it has none."""
    rows, cols = np.flatnonzero(raster.any(axis=1)), np.flatnonzero(raster.any(axis=0))
    if rows.size == 0:
        return None
    return Box(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def _spaced(points: list[tuple[float, float]], spacing: float) -> list[tuple[float, float]]:
    """The path through ``points`` with a point every ``spacing`` pixels, so a fast drag (far
    apart mouse events) still paints a continuous line."""
    if not points:
        return []
    path = [tuple(map(float, points[0]))]
    for x, y in points[1:]:
        x0, y0 = path[-1]
        steps = int(np.hypot(x - x0, y - y0) // spacing)
        path += [(x0 + (x - x0) * i / (steps + 1), y0 + (y - y0) * i / (steps + 1)) for i in range(1, steps + 1)]
        path.append((float(x), float(y)))
    return path
