"""The picture an artist chooses as the init image of an image-to-image generation, made ready
to be stored as a content-addressed asset: upright, flattened, 8-bit RGB, as a PNG whose bytes
depend only on the pixels (and the Pillow version), and the generation size that follows it.

The file may be damaged or made to hurt, so it is read within the same limits as an import
(``transfer.MAX_IMPORT_*``, and the same checks before Pillow decodes anything); a file that
cannot be used raises RequestError, one line naming it and the fix."""

import io
import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .errors import AtelierError, ProjectError, RequestError
from .interop import MetadataLimitError, describe_size, png_text_chunks
from .tasks import MAX_SIDE
from .transfer import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_PIXELS,
    _check_jpeg_segments,
    _check_pixels,
    _header_size,
    _image_kind,
    _one_line,
)

MIN_SIDE = 8
"""The shortest side accepted: the smallest generation side (one latent pixel is 8 image pixels)."""

_FORMATS = "choose a PNG, JPEG or WebP picture"
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")
_ALPHA = ("RGBA", "LA", "PA", "RGBa", "La")
_FILLED_WHITE = "transparent areas filled with white"


@dataclass(frozen=True)
class PreparedImage:
    """An init image ready to store: ``png`` is 8-bit RGB (RGBA where transparency is kept)
    with no metadata chunks."""

    png: bytes
    width: int
    height: int
    notes: tuple[str, ...] = ()  # one short line per conversion done, for a person


def prepare_init_image(data: bytes, name: str, keep_alpha: bool = False) -> PreparedImage:
    """``data`` (the bytes of the file ``name``) as an upright 8-bit RGB PNG (``rgb_picture``'s
    pixels, and nothing else: no ICC profile, EXIF, DPI or text). With ``keep_alpha``, a
    picture with transparent pixels is kept as RGBA, its colours as stored (generative fill
    keeps them outside the mask)."""
    picture, notes = rgb_picture(data, name)
    transparent = transparent_picture(data, name) if keep_alpha else None
    if transparent is not None:
        picture = transparent
        notes = tuple(note for note in notes if note != _FILLED_WHITE) + ("transparency kept",)
    out = io.BytesIO()
    picture.save(out, format="PNG", compress_level=6)
    return PreparedImage(out.getvalue(), picture.width, picture.height, notes)


def rgb_picture(data: bytes, name: str):
    """(``data`` as an upright 8-bit RGB Pillow image, one note per change made).

    In order: the first frame of an animation is taken, the EXIF orientation applied, 16-bit and
    float greyscale scaled to 8 bits over their value range, transparency filled with white,
    CMYK and other colour modes converted to RGB; each step that changed something adds a
    line to the notes. Raises RequestError (one line naming ``name`` and the fix) for an empty,
    damaged or unsupported file, one past the import limits, or one with a side under
    ``MIN_SIDE`` pixels."""
    from PIL import Image

    notes: list[str] = []
    image = _open(data, name, notes)
    with image:
        try:
            image = _upright(image, notes)
            rgb = to_rgb8(image, notes)
        except (AtelierError, MemoryError):
            raise
        except Exception as exc:  # a decoded image that Pillow still cannot convert
            raise _refused(name, f"cannot be read as an image ({_one_line(exc)})") from None
    # A fresh image carries none of the file's info, only its pixels.
    return Image.frombytes("RGB", rgb.size, rgb.tobytes()), tuple(notes)


def transparent_picture(data: bytes, name: str):
    """``data`` as an upright 8-bit RGBA Pillow image, its colours as stored (not flattened),
    when it has transparent pixels; None when it is opaque. Call it after ``rgb_picture``
    accepted ``data``: it refuses the same files."""
    from PIL import Image

    image = _open(data, name, [])
    with image:
        if image.mode not in _ALPHA and "transparency" not in image.info:
            return None
        rgba = _upright(image, []).convert("RGBA")
    if rgba.getextrema()[3][0] == 255:
        return None
    return Image.frombytes("RGBA", rgba.size, rgba.tobytes())


def fit_size(width: int, height: int, native: int | None) -> tuple[int, int]:
    """The generation size (width, height) that follows an init image of ``width`` x ``height``.

    The rule: the cap is ``native`` (the model family's native side, e.g. 512 for SD 1.5, 1024
    for SDXL), or ``MAX_SIDE`` (4096) when ``native`` is None or larger, rounded down to a
    multiple of 8. An image whose longest side is over the cap is scaled down, aspect kept, so
    that its longest side is the cap; a smaller one keeps its size (never upscaled). Each side is
    then rounded to the nearest multiple of 8 (halves up), and is at least 8. Since the cap is a
    multiple of 8, no side ends above it. E.g. 768x512 with native 512 gives 512x344
    (341.3 rounds to 344); 300x200 gives 304x200; 4095x10 with no cap gives 4096x8.
    """
    if width < 1 or height < 1:
        raise ValueError(f"image size {width}x{height}: each side must be at least 1")
    if native is not None and native < MIN_SIDE:
        raise ValueError(f"native size {native}: must be at least {MIN_SIDE}")
    cap = min(native if native is not None else MAX_SIDE, MAX_SIDE) // 8 * 8
    longest = max(width, height)
    scale = Fraction(cap, longest) if longest > cap else Fraction(1)  # exact: no float drift

    def side(length: int) -> int:
        return max(8, int(length * scale / 8 + Fraction(1, 2)) * 8)

    return side(width), side(height)


def to_rgb8(image, notes: list[str]):
    """``image`` (a loaded Pillow image of any mode) as 8-bit RGB, each visible change named in
    ``notes``. 16-bit greyscale keeps its full range (65535 becomes 255: divided by 257, not
    cut); 32-bit integer greyscale whose values fit 0..65535 is 16-bit data widened (as
    decoders give it) and scaled the same way, other ranges are stretched from darkest to
    lightest; float greyscale maps 0.0..1.0 to black..white, or is stretched when its values
    fall outside that. Transparent areas are composited over white."""
    from PIL import Image

    mode = image.mode
    if mode in _SIXTEEN_BIT or mode == "I":
        values = np.asarray(image)
        low, high = (int(values.min()), int(values.max())) if values.size else (0, 0)
        if mode in _SIXTEEN_BIT or (low >= 0 and high <= 0xFFFF):
            wide = values.astype(np.uint32)
            wide *= 2
            wide += 257
            wide //= 514  # round(value / 257): 65535 -> 255, 32896 -> 128
            notes.append("16-bit image reduced to 8 bits")
            image = Image.fromarray(wide.astype(np.uint8))
        else:
            notes.append("32-bit image reduced to 8 bits, its darkest value as black and its lightest as white")
            image = Image.fromarray(_stretch(values.astype(np.float32), float(low), float(high)))
    elif mode == "F":
        values = np.nan_to_num(np.asarray(image, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
        if low >= 0.0 and high <= 1.0:
            notes.append("32-bit float image reduced to 8 bits")
            image = Image.fromarray(_stretch(values, 0.0, 1.0))
        else:
            notes.append("32-bit float image reduced to 8 bits, its darkest value as black and its lightest as white")
            image = Image.fromarray(_stretch(values, low, high))

    if image.mode in _ALPHA or "transparency" in image.info:
        rgba = image.convert("RGBA")  # also applies a palette's or a colour key's transparency
        if rgba.getextrema()[3][0] < 255:
            notes.append(_FILLED_WHITE)
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            rgba = Image.alpha_composite(white, rgba)
        return rgba.convert("RGB")
    if image.mode == "CMYK":
        notes.append("CMYK converted to RGB")
    elif image.mode == "LAB":
        notes.append("Lab colours converted to RGB")
        return _lab_to_rgb(image)
    return image if image.mode == "RGB" else image.convert("RGB")


def _open(data: bytes, name: str, notes: list[str]):
    """The first frame of ``data``, decoded, after the import checks (``transfer``) passed."""
    from PIL import Image

    if not data:
        raise _refused(name, "the file is empty")
    if len(data) > MAX_IMPORT_BYTES:
        raise _refused(name, f"too large: {describe_size(len(data))} (at most {describe_size(MAX_IMPORT_BYTES)})",
                       "choose a smaller picture")
    try:
        suffix, opener = _image_kind(name, data)
    except ProjectError as exc:
        # transfer names the kind it recognised but refuses ("GIF images cannot be imported").
        kind = re.search(r"(\w+) images cannot be imported", str(exc))
        reason = f"{kind[1]} pictures are not supported" if kind else \
            "cannot be read as an image (not a PNG, JPEG or WebP file)"
        raise _refused(name, reason) from None
    try:
        if suffix == "png":
            png_text_chunks(data)  # refuses text chunks past Pillow's limits before Pillow walks them
        elif suffix == "jpg":
            _check_jpeg_segments(data)
        _check_size(name, _header_size(suffix, data))
        image = opener(io.BytesIO(data))
    except MetadataLimitError as exc:
        raise _refused(name, f"refused: {exc}", "save it again from an image editor, or choose another picture") \
            from None
    except Image.DecompressionBombError as exc:
        raise _refused(name, f"too large ({_one_line(exc)})", "choose a smaller picture") from None
    except (AtelierError, MemoryError):
        raise
    except Exception as exc:  # Pillow raises many kinds for damaged files
        raise _refused(name, f"cannot be read as an image ({_one_line(exc)})") from None
    try:
        _check_size(name, image.size)
        if min(image.size) < MIN_SIDE:
            raise _refused(name, f"too small: {image.width}x{image.height} pixels (each side must be at least "
                           f"{MIN_SIDE})", "choose a larger picture")
        if getattr(image, "n_frames", 1) > 1:
            notes.append("first frame used")
        image.load()  # decode now: a damaged file is refused here, not halfway through a conversion
    except (AtelierError, MemoryError):
        image.close()
        raise
    except Exception as exc:
        image.close()
        raise _refused(name, f"cannot be read as an image ({_one_line(exc)})") from None
    # Pillow gives 16-bit colour PNGs as 8-bit (the high byte); 16-bit grey is reduced in to_rgb8.
    if suffix == "png" and data[24:25] == b"\x10" and image.mode not in _SIXTEEN_BIT + ("I",):
        notes.append("16-bit image reduced to 8 bits")
    return image


def _upright(image, notes: list[str]):
    """``image`` turned by its EXIF orientation (an unreadable EXIF block leaves it as stored)."""
    from PIL import ImageOps

    try:
        orientation = image.getexif().get(0x0112)
        if orientation not in (2, 3, 4, 5, 6, 7, 8):
            return image
        turned = ImageOps.exif_transpose(image)
    except (MemoryError, AtelierError):
        raise
    except Exception:  # EXIF is often damaged by editors; the pixels are still good
        notes.append("its EXIF orientation could not be read, so it was left as stored")
        return image
    notes.append("rotated upright from its EXIF orientation")
    return turned


def _check_size(name: str, size: tuple[int, int] | None) -> None:
    """Refuse what an import refuses (``transfer._check_pixels``), worded for an init image."""
    try:
        _check_pixels(name, size)
    except ProjectError:
        raise _refused(name, f"too large: {size[0]}x{size[1]} pixels (at most {MAX_IMPORT_PIXELS:,}, e.g. 8192x8192)",
                       "choose a smaller picture") from None


def _stretch(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """``values`` from ``low``..``high`` to 0..255, rounded; a flat image is black."""
    span = high - low
    if span <= 0:
        return np.zeros(values.shape, dtype=np.uint8)
    scaled = values - np.float32(low)  # float32, in place: an 8192x8192 image takes 256 MB, not 512
    scaled *= np.float32(255.0 / span)
    scaled += np.float32(0.5)
    return np.clip(scaled, 0, 255, out=scaled).astype(np.uint8)


def _lab_to_rgb(image):
    """Lab to sRGB through Little CMS: Pillow's plain convert treats the bands as RGB."""
    try:
        from PIL import ImageCms

        transform = ImageCms.buildTransform(ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB"),
                                            "LAB", "RGB")
        return ImageCms.applyTransform(image, transform)
    except ImportError:  # a Pillow built without Little CMS
        return image.convert("RGB")


def _refused(name: str, reason: str, fix: str = _FORMATS) -> RequestError:
    shown = re.sub(r"[\x00-\x1f\x7f]+", " ", name)  # a file name can hold a newline
    return RequestError(f"init image {shown}: {reason}; {fix}")
