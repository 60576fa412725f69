"""The picture a ControlNet is steered by, made from the artist's image in our own code (numpy
and Pillow; no OpenCV, no detector that downloads weights).

ControlNets read light lines on black: canny ControlNets were trained on Canny edge maps (white
edges on black), the scribble and line-art ones on white strokes on black. So:

- ``none`` passes the picture on, with one exception: a sketch drawn dark on light (greyscale,
  a light background, almost every pixel near black or white, as a pen on paper or on the
  sketch layer is) is inverted to light lines on black. Depth maps (smooth greys), poses (colour
  on black) and anything in colour are passed on as they are.
- ``canny``: Canny edges (Gaussian blur, Sobel gradients, thinning to one pixel across, a double
  threshold with hysteresis), white on black.
- ``lineart``: a line drawing from a difference of Gaussians (the picture minus its blur, where
  dark lines stand out), white lines on black.

The picture is first resized to the generation size (stretched, as an init image is, so that a
control image and an init image made from the same picture line up).
"""

import numpy as np
from PIL import Image

from .init_image import to_rgb8
from .limits import CONTROL_PREPROCESSORS, DETECTED_PREPROCESSORS

# The preprocesses made here; "depth" and "pose" need the artist's own model, so the engine makes them.
MADE_HERE = tuple(preprocess for preprocess in CONTROL_PREPROCESSORS if preprocess not in DETECTED_PREPROCESSORS)

# Canny thresholds on the Sobel gradient magnitude of 0..255 pixels (a hard black-to-white step
# reads about 1000 before the blur, about 500 after it): the values artists know from A1111.
CANNY_LOW = 100.0
CANNY_HIGH = 200.0
CANNY_SIGMA = 1.4
# Line art: the blur the picture is compared with, and how dark (0..255) a line must be to count.
LINEART_SIGMA = 6.0
LINEART_THRESHOLD = 8.0

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_TAN_22_5 = 0.41421356
_TAN_67_5 = 2.41421356


def control_image(picture: Image.Image, preprocess: str, width: int, height: int) -> Image.Image:
    """``picture`` (any Pillow mode) as the RGB control image of a ``width`` x ``height``
    generation, made by ``preprocess`` (one of MADE_HERE)."""
    if preprocess not in MADE_HERE:
        raise ValueError(f"preprocess {preprocess!r}: choose one of {', '.join(MADE_HERE)}")
    rgb = to_rgb8(picture, [])
    if rgb.size != (width, height):
        rgb = rgb.resize((width, height), Image.Resampling.LANCZOS)
    pixels = np.asarray(rgb)
    if preprocess == "canny":
        lines = canny_edges(pixels)
    elif preprocess == "lineart":
        lines = lineart(pixels)
    elif is_dark_on_light_sketch(pixels):
        lines = 255 - pixels
    else:
        return rgb
    return Image.fromarray(lines).convert("RGB")


def is_dark_on_light_sketch(pixels: np.ndarray) -> bool:
    """Whether the RGB ``pixels`` are a drawing in dark strokes on a light ground: no colour,
    mostly light, and nearly every pixel close to black or white (a depth map's smooth greys are
    not)."""
    wide = pixels.astype(np.int16)
    if np.mean(wide.max(axis=2) - wide.min(axis=2)) > 8:
        return False  # in colour
    grey = wide.mean(axis=2)
    if np.median(grey) < 160:
        return False  # a dark ground: light strokes already, or a dark picture
    return np.mean((grey >= 192) | (grey <= 64)) >= 0.85


def canny_edges(pixels: np.ndarray, low: float = CANNY_LOW, high: float = CANNY_HIGH,
                sigma: float = CANNY_SIGMA) -> np.ndarray:
    """The Canny edges of RGB or greyscale 0..255 ``pixels`` as a uint8 map (255 on an edge).
    ``low`` and ``high`` bound the Sobel gradient magnitude: above ``high`` is an edge, between
    the two only where it joins one."""
    grey = _grey(pixels)
    smooth = gaussian_blur(grey, sigma) if sigma > 0 else grey
    gx, gy = _sobel(smooth)
    magnitude = np.hypot(gx, gy)
    thin = _thin(magnitude, gx, gy)
    strong = thin & (magnitude >= high)
    weak = thin & (magnitude >= low)
    return np.where(_hysteresis(strong, weak), 255, 0).astype(np.uint8)


def lineart(pixels: np.ndarray, sigma: float = LINEART_SIGMA, threshold: float = LINEART_THRESHOLD) -> np.ndarray:
    """A line drawing of RGB 0..255 ``pixels`` as a uint8 map, white lines on black: how much
    darker each pixel is than its blurred surroundings (in the channel where that is least, so a
    line must be dark in every channel), scaled so that a typical line is half-white."""
    values = pixels.astype(np.float32)
    if values.ndim == 2:
        values = values[..., None]
    darker = np.clip((gaussian_blur(values, sigma) - values).min(axis=2), 0, None)
    lines = darker[darker > threshold]
    scale = max(16.0, float(np.median(lines))) if lines.size else 16.0
    return np.clip(darker * (127.0 / scale), 0, 255).astype(np.uint8)


def gaussian_blur(values: np.ndarray, sigma: float) -> np.ndarray:
    """``values`` (float, height x width [x channels]) blurred with a Gaussian of ``sigma``
    pixels, edges mirrored: one pass along each axis, one shifted slice per kernel tap."""
    radius = max(1, int(3 * sigma + 0.5))
    offsets = np.arange(-radius, radius + 1, dtype=np.float32)
    kernel = np.exp(-(offsets**2) / (2 * sigma * sigma))
    kernel /= kernel.sum()
    result = values.astype(np.float32, copy=False)
    for axis in (0, 1):
        size = result.shape[axis]
        pad = [(0, 0)] * result.ndim
        pad[axis] = (radius, radius)
        # "reflect" needs more pixels than the radius; a tiny picture repeats its edge instead.
        padded = np.pad(result, pad, mode="reflect" if size > radius else "edge")
        blurred = np.zeros_like(result)
        for tap, weight in enumerate(kernel):
            window = [slice(None)] * result.ndim
            window[axis] = slice(tap, tap + size)
            blurred += weight * padded[tuple(window)]
        result = blurred
    return result


def _grey(pixels: np.ndarray) -> np.ndarray:
    values = pixels.astype(np.float32)
    return values @ _LUMA if values.ndim == 3 else values


def _sobel(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    padded = np.pad(values, 1, mode="edge")
    height, width = values.shape

    def at(dy: int, dx: int) -> np.ndarray:
        return padded[1 + dy:1 + dy + height, 1 + dx:1 + dx + width]

    gx = (at(-1, 1) + 2 * at(0, 1) + at(1, 1)) - (at(-1, -1) + 2 * at(0, -1) + at(1, -1))
    gy = (at(1, -1) + 2 * at(1, 0) + at(1, 1)) - (at(-1, -1) + 2 * at(-1, 0) + at(-1, 1))
    return gx, gy


def _thin(magnitude: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Non-maximum suppression: where the magnitude peaks across the edge (along the gradient,
    its direction rounded to 0, 45, 90 or 135 degrees). Of two equal neighbours only the first
    is kept, so a step between two pixels gives one line, not two."""
    height, width = magnitude.shape
    padded = np.pad(magnitude, 1)

    def at(dy: int, dx: int) -> np.ndarray:
        return padded[1 + dy:1 + dy + height, 1 + dx:1 + dx + width]

    ax, ay = np.abs(gx), np.abs(gy)
    horizontal = ay <= _TAN_22_5 * ax
    vertical = ay >= _TAN_67_5 * ax
    falling = ~horizontal & ~vertical & (gx * gy > 0)  # the gradient points down-right or up-left
    rising = ~horizontal & ~vertical & ~falling
    keep = np.zeros_like(magnitude, dtype=bool)
    for where, (dy, dx) in ((horizontal, (0, 1)), (vertical, (1, 0)), (falling, (1, 1)), (rising, (1, -1))):
        keep |= where & (magnitude > at(-dy, -dx)) & (magnitude >= at(dy, dx))
    return keep & (magnitude > 0)


def _hysteresis(strong: np.ndarray, weak: np.ndarray) -> np.ndarray:
    """The ``weak`` pixels 8-connected through weak pixels to a ``strong`` one. A breadth-first
    walk from the strong pixels, one ring a pass, touching only the pixels it reaches: each pass
    costs the size of its ring, not of the picture."""
    height, width = weak.shape
    kept = strong.copy()
    open_ = weak & ~strong
    rows, cols = np.nonzero(strong)
    while rows.size and open_.any():
        next_rows, next_cols = [], []
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dy == dx == 0:
                    continue
                r, c = rows + dy, cols + dx
                inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
                r, c = r[inside], c[inside]
                reached = open_[r, c]
                r, c = r[reached], c[reached]
                open_[r, c] = False
                kept[r, c] = True
                next_rows.append(r)
                next_cols.append(c)
        rows, cols = np.concatenate(next_rows), np.concatenate(next_cols)
    return kept
