"""How far a canvas is extended, before any pixel is touched: the sides that bring a picture to
an aspect ratio with it placed where the artist wants, a dragged side snapped so the picture
stays a multiple of 8 wide and high, the size limit, and the extended picture and its mask
made ready to store (the pixels themselves come from ``inpaint.extend``).

Sides are (left, top, right, bottom) in image pixels, each at least 0: an extension never
crops."""

import io
import math
from dataclasses import dataclass

from .errors import RequestError
from .limits import MAX_SIDE

Sides = tuple[int, int, int, int]

# Where the picture sits in the extended canvas (the new area goes on the other sides).
ANCHORS = ("top-left", "top", "top-right", "left", "centre", "right", "bottom-left", "bottom", "bottom-right")
NO_EXTENSION: Sides = (0, 0, 0, 0)


@dataclass(frozen=True)
class ExtendedPicture:
    """A picture extended by some sides: ``png`` with its new area pre-filled from the edges it
    continues, ``mask`` (a mask_file.PreparedMask) white over the new area, black over the
    original."""

    png: bytes
    mask: object
    width: int
    height: int

    @property
    def mask_png(self) -> bytes:
        return self.mask.png


@dataclass(frozen=True)
class StoredExtension:
    """An extension's inputs as stored in the project (asset names) and the size it makes."""

    init_image: str
    mask: str
    width: int
    height: int


def extended_size(width: int, height: int, sides: Sides) -> tuple[int, int]:
    """The size of a ``width`` x ``height`` picture extended by ``sides``; RequestError, in one
    line, for a negative side or a result past ``MAX_SIDE``."""
    left, top, right, bottom = sides
    if min(sides) < 0:
        raise RequestError(f"extend by {left},{top},{right},{bottom}: a side adds pixels, it cannot be negative")
    new_width, new_height = width + left + right, height + top + bottom
    if max(new_width, new_height) > MAX_SIDE:
        raise RequestError(f"extending to {new_width} \u00d7 {new_height} would pass the largest side "
                           f"({MAX_SIDE} px); add fewer pixels")
    return new_width, new_height


def sides_for_aspect(width: int, height: int, aspect_w: int, aspect_h: int, anchor: str = "centre") -> Sides:
    """The sides that grow a ``width`` x ``height`` picture (never shrink it) to about
    ``aspect_w``:``aspect_h``, the picture placed at ``anchor`` (one of ``ANCHORS``). The
    result is a multiple of 8 on each side, the ratio as near as that allows; the new width or
    height is split between two opposite sides for a centred placement, each a multiple of 8
    when the picture is. RequestError, in one line, past ``MAX_SIDE``."""
    if aspect_w <= 0 or aspect_h <= 0:
        raise RequestError(f"aspect ratio {aspect_w}:{aspect_h}: both sides must be positive")
    if anchor not in ANCHORS:
        raise RequestError(f"placement {anchor!r}: choose one of {', '.join(ANCHORS)}")
    new_width, new_height = _up_to_8(width), _up_to_8(height)
    if new_width * aspect_h < new_height * aspect_w:  # too narrow for the ratio: wider
        new_width = max(new_width, _nearest_8(new_height * aspect_w / aspect_h))
    else:  # too wide (or just right): taller
        new_height = max(new_height, _nearest_8(new_width * aspect_h / aspect_w))
    if max(new_width, new_height) > MAX_SIDE:
        raise RequestError(f"{aspect_w}:{aspect_h}: the picture would be {new_width} \u00d7 {new_height}, past the "
                           f"largest side ({MAX_SIDE} px); choose a ratio nearer its own")
    parts = anchor.split("-")
    left, right = _split(new_width - width, "left" in parts, "right" in parts)
    top, bottom = _split(new_height - height, "top" in parts, "bottom" in parts)
    return left, top, right, bottom


def snap_side(value: float, base: int) -> int:
    """A side dragged to ``value`` px, snapped: 0, or the nearest value that makes ``base``
    (the picture's extent on that axis plus the opposite side) plus it a multiple of 8."""
    offset = (-base) % 8  # the smallest such value; 0 when base is a multiple of 8
    snapped = max(offset, offset + 8 * math.floor((value - offset) / 8 + 0.5))
    return 0 if value < snapped / 2 else snapped


def extended_picture(data: bytes, sides: Sides) -> ExtendedPicture:
    """The picture in ``data`` (an image file) extended by ``sides``, ready to store: RGB, or
    RGBA where it has an alpha channel. RequestError past ``MAX_SIDE`` (checked before the
    pixels are decoded) or for a file that is no readable image."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    from .inpaint import extend
    from .mask_file import PreparedMask, mask_png

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = extended_size(image.width, image.height, sides)
            mode = "RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "RGB"
            pixels = np.asarray(image.convert(mode))
    except (UnidentifiedImageError, OSError) as exc:
        raise RequestError(f"the picture to extend cannot be read ({exc}); choose another") from None
    extended, mask = extend(pixels, *sides)
    out = io.BytesIO()
    Image.fromarray(extended, mode).save(out, format="PNG", compress_level=6)
    return ExtendedPicture(out.getvalue(), PreparedMask(mask_png(mask), mask), width, height)


def _up_to_8(value: int) -> int:
    return -(-value // 8) * 8


def _nearest_8(value: float) -> int:
    return max(8, 8 * math.floor(value / 8 + 0.5))


def _split(extra: int, picture_first: bool, picture_last: bool) -> tuple[int, int]:
    """``extra`` px shared by the two sides of an axis: all after the picture when it sits
    first, all before it when it sits last, else about half each (the first a multiple of 8)."""
    if picture_first:
        return 0, extra
    if picture_last:
        return extra, 0
    before = min(extra, 8 * math.floor(extra / 16 + 0.5))
    return before, extra - before
