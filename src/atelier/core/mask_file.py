"""A mask an artist brings as a file (painted in another program, or saved by Atelier): read as
the greyscale raster generative fill takes (255: repaint, 0: keep), within the same limits and
with the same one-line refusals as an init image.

Any picture will do: a colour mask is read by its luminance, and a transparent one as painted
on black (what is transparent is not painted)."""

import io
from dataclasses import dataclass

import numpy as np

from .errors import AtelierError, RequestError
from .init_image import _ALPHA, _open, _refused, _upright, to_rgb8
from .transfer import _one_line

EMPTY_MASK = "the mask is empty: paint where to generate"


@dataclass(frozen=True)
class PreparedMask:
    """A mask ready to store: ``png`` is 8-bit greyscale with no metadata chunks."""

    png: bytes
    raster: np.ndarray
    notes: tuple[str, ...] = ()  # one short line per conversion done, for a person


def read_mask(data: bytes, name: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """(``data`` as a uint8 (height, width) raster, one note per conversion made). Raises
    RequestError, one line naming ``name``, for a file that cannot be read as a picture."""
    from PIL import Image

    notes: list[str] = []
    try:
        image = _open(data, name, notes)
    except RequestError as exc:  # worded for an init image: this file is the mask
        raise RequestError(str(exc).replace("init image ", "mask ", 1)) from None
    with image:
        try:
            image = _upright(image, notes)
            if image.mode in _ALPHA or "transparency" in image.info:
                rgba = image.convert("RGBA")
                if rgba.getextrema()[3][0] < 255:
                    notes.append("transparent areas read as not painted")
                image = Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba)
            if image.mode not in ("L", "1") and _coloured(image):
                notes.append("a colour picture: its brightness used (white = repaint)")
            grey = image if image.mode == "L" else (to_rgb8(image, notes) if image.mode != "1" else image).convert("L")
        except (AtelierError, MemoryError):
            raise
        except Exception as exc:  # a decoded image that Pillow still cannot convert
            raise _refused(name, f"cannot be read as an image ({_one_line(exc)})") from None
        return np.asarray(grey, np.uint8).copy(), tuple(notes)


def prepare_mask(data: bytes, name: str) -> PreparedMask:
    """``data`` read as a mask and stored as a greyscale PNG whose bytes depend only on it."""
    raster, notes = read_mask(data, name)
    return PreparedMask(mask_png(raster), raster, notes)


def mask_png(raster: np.ndarray) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(raster.astype(np.uint8), "L").save(out, format="PNG", compress_level=6)
    return out.getvalue()


def require_painted(raster: np.ndarray) -> None:
    if not raster.any():
        raise RequestError(EMPTY_MASK)


def _coloured(image) -> bool:
    """Whether ``image`` has pixels whose channels differ (a grey picture saved as RGB is not)."""
    if image.mode not in ("RGB", "RGBA", "P", "CMYK", "YCbCr", "LAB", "HSV"):
        return False
    rgb = np.asarray(image.convert("RGB"))
    return bool((rgb.max(axis=2) != rgb.min(axis=2)).any())
