"""The geometry of generative fill, without a model: where to generate (a context box around the
mask, at the model's native size), how the mask's edges are softened for denoising and for the
composite, how the result goes back into the picture (every pixel outside the mask is the
original's, bit for bit), and how a canvas is extended with its new area pre-filled.

Images are uint8 arrays of shape (height, width, channels); masks uint8 (height, width), 255
where the picture is to be generated. The defaults follow GUIDE section 8 (krita-ai-diffusion,
A1111), each adjustable.
"""

import math
from dataclasses import dataclass

import numpy as np

from .errors import RequestError
from .mask import Box

MIN_CONTEXT = 512  # a context box is at least this, or the image, on each side


@dataclass(frozen=True)
class Edges:
    """How a mask's edge is softened: ``grow`` and ``feather`` the mask the model denoises (so
    the new content reaches a little past the painted edge), and ``blend`` the composite mask's
    edge inside the painted one (so the seam fades into the original)."""

    grow: int
    feather: int
    blend: int


def default_edges(bounds: Box) -> Edges:
    """Edges in proportion to the painted area: a feather of a tenth of its diagonal (4 to 64
    px), grown by 4 px plus half the feather, blended over up to 25 px."""
    feather = int(min(64, max(4, round(0.1 * math.hypot(bounds.width, bounds.height)))))
    return Edges(grow=4 + feather // 2, feather=feather, blend=min(25, feather))


def repainted(mask: np.ndarray, fill_mode: str) -> np.ndarray:
    """What generative fill repaints for a painted ``mask``: the mask itself, or in ``replace``
    (the mask marks the subject to keep) everything else. RequestError, one line, when that is
    nothing."""
    from .mask_file import EMPTY_MASK  # the file reader and the project types behind it: only when asked

    if fill_mode != "replace":
        if not mask.any():
            raise RequestError(EMPTY_MASK)
        return mask
    if not mask.any():
        raise RequestError("the mask is empty: paint the subject to keep (Replace background repaints the rest)")
    background = 255 - mask
    if not background.any():
        raise RequestError("the mask covers the whole picture: nothing is left to repaint "
                           "(in Replace background it marks the subject to keep)")
    return background


def context_box(bounds: Box, width: int, height: int, minimum: int = MIN_CONTEXT,
                padding: int | None = None) -> Box:
    """The part of a ``width`` x ``height`` image to generate on for a mask within ``bounds``:
    the mask with a margin of a sixteenth of the image's longer side or half the mask's, made
    roughly square and at least ``minimum`` on each side where the image allows, and kept
    inside the image. (A small mask gets the surroundings it needs to fit in, and is not
    generated at a few dozen pixels.) With ``padding`` the margin is that many pixels on each
    side, as asked: no square, no minimum (a small box is generated at the model's size, in
    more detail)."""
    if padding is not None:
        return Box(bounds.left - padding, bounds.top - padding, bounds.right + padding,
                   bounds.bottom + padding).clipped(width, height)
    pad = max(max(width, height) / 16, max(bounds.width, bounds.height) / 2)
    side_w = bounds.width + 2 * pad
    side_h = bounds.height + 2 * pad
    side = max(side_w, side_h, minimum)  # roughly square, and not too small
    box_w, box_h = min(width, round(side)), min(height, round(side))
    cx, cy = (bounds.left + bounds.right) / 2, (bounds.top + bounds.bottom) / 2
    left = int(round(min(max(cx - box_w / 2, 0), width - box_w)))
    top = int(round(min(max(cy - box_h / 2, 0), height - box_h)))
    return Box(left, top, left + box_w, top + box_h)


def generation_size(width: int, height: int, native: int, max_side: int = 4096) -> tuple[int, int]:
    """The size to generate a ``width`` x ``height`` region at: the model's native area
    (``native`` squared), the region's aspect kept, each side a multiple of 8."""
    scale = native / math.sqrt(width * height)
    w, h = width * scale, height * scale
    longest = max(w, h)
    if longest > max_side:
        w, h = w * max_side / longest, h * max_side / longest
    return max(8, int(round(w / 8)) * 8), max(8, int(round(h / 8)) * 8)


def grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    """The mask reaching ``pixels`` further (a square neighbourhood's maximum)."""
    return _square_filter(mask, pixels, np.maximum) if pixels > 0 else mask.copy()


def shrink(mask: np.ndarray, pixels: int) -> np.ndarray:
    """The mask pulled ``pixels`` in from its edge (a square neighbourhood's minimum)."""
    return _square_filter(mask, pixels, np.minimum) if pixels > 0 else mask.copy()


def blur(mask: np.ndarray, pixels: int) -> np.ndarray:
    """The mask's edge softened over about ``pixels`` (a Gaussian of that radius)."""
    if pixels <= 0:
        return mask.copy()
    from PIL import Image, ImageFilter

    return np.asarray(Image.fromarray(mask).filter(ImageFilter.GaussianBlur(pixels / 2)), np.uint8).copy()


def denoise_mask(mask: np.ndarray, edges: Edges) -> np.ndarray:
    """What the model is asked to repaint: the painted mask grown, then feathered."""
    return blur(grow(mask, edges.grow), edges.feather)


def composite_mask(mask: np.ndarray, edges: Edges) -> np.ndarray:
    """How much of the result goes into the picture: the painted mask, its edge blended inward,
    so nothing outside what was painted ever changes."""
    if edges.blend <= 0:
        return mask.copy()
    inner = blur(shrink(mask, edges.blend // 2), edges.blend)
    return np.minimum(inner, mask)  # the blur never reaches past the painted edge


def composite(original: np.ndarray, generated: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``generated`` over ``original`` through ``mask`` (0: the original pixel, bit for bit;
    255: the generated one). Channels beyond the generated ones (alpha) are the original's."""
    if original.shape[:2] != generated.shape[:2] or original.shape[:2] != mask.shape:
        raise ValueError("the image, the result and the mask must be the same size")
    colour = generated.shape[2]
    alpha = mask.astype(np.float32)[..., None] / 255
    mixed = np.round(original[..., :colour] * (1 - alpha) + generated * alpha).astype(np.uint8)
    result = original.copy()
    result[..., :colour] = np.where(mask[..., None] == 0, original[..., :colour], mixed)
    return result


def match_colours(generated: np.ndarray, original: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``generated`` with its colours shifted so the band around the mask's edge has the
    original's mean and spread per channel there: no tint or brightness step at the seam."""
    band = (grow(mask, 8) > 0) & (shrink(mask, 8) < 255)
    if band.sum() < 16:
        return generated.copy()
    result = generated.astype(np.float32)
    for channel in range(generated.shape[2]):
        ours, theirs = result[..., channel][band], original[..., channel][band].astype(np.float32)
        spread = ours.std()
        scale = theirs.std() / spread if spread > 1e-3 else 1.0
        result[..., channel] = (result[..., channel] - ours.mean()) * min(scale, 2.0) + theirs.mean()
    return np.clip(np.round(result), 0, 255).astype(np.uint8)


def extend(image: np.ndarray, left: int, top: int, right: int, bottom: int,
           blur_pixels: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """The image with ``left``/``top``/``right``/``bottom`` pixels added, the new area pre-filled
    from the edge it continues (edge pixels stretched, then blurred so the model reads colour,
    not stripes), and the mask of the new area (255 there, 0 over the original)."""
    if min(left, top, right, bottom) < 0:
        raise ValueError("an extension adds pixels; a side cannot shrink")
    pad = ((top, bottom), (left, right)) + ((0, 0),) * (image.ndim - 2)
    extended = np.pad(image, pad, mode="edge")
    mask = np.full(extended.shape[:2], 255, np.uint8)
    mask[top:top + image.shape[0], left:left + image.shape[1]] = 0
    if blur_pixels > 0 and mask.any():
        from PIL import Image, ImageFilter

        softened = np.asarray(Image.fromarray(extended).filter(ImageFilter.GaussianBlur(blur_pixels)))
        extended = np.where(mask[..., None] > 0, softened, extended) if extended.ndim == 3 else \
            np.where(mask > 0, softened, extended)
    return extended.astype(np.uint8), mask


def _square_filter(mask: np.ndarray, pixels: int, pick) -> np.ndarray:
    """Each pixel's maximum (or minimum, ``pick``) over the square ``pixels`` around it, as two
    passes along rows and columns."""
    window = 2 * pixels + 1
    fill = 0 if pick is np.maximum else 255
    result = mask
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (pixels, pixels)
        padded = np.pad(result, pad, constant_values=fill)
        windows = np.lib.stride_tricks.sliding_window_view(padded, window, axis=axis)
        result = windows.max(axis=-1) if pick is np.maximum else windows.min(axis=-1)
    return np.ascontiguousarray(result, dtype=np.uint8)
