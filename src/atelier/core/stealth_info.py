"""Read the text that A1111's stealth-pnginfo extension and NovelAI hide in an image's pixels.

They write it in the lowest bit of each pixel's alpha (one bit a pixel) or of its red, green
and blue (three bits a pixel), column by column from the top left: a 15-byte signature that
says which ("stealth_pnginfo", "stealth_pngcomp" in alpha; "stealth_rgbinfo",
"stealth_rgbcomp" in RGB; "comp" means gzip), the payload's length in bits (32 bits, big
end first), then the payload, UTF-8 text: A1111's ``parameters`` text, or NovelAI's text
chunks as one JSON object. The text survives tools that drop PNG text chunks.

Only the columns that hold the bits asked for are read, so a picture without a signature
costs a read of its first column. A length the picture cannot hold, or past
``MAX_HIDDEN_BYTES``, and a payload that does not unpack are a note, never an exception.

Pure Pillow and the standard library; no Qt, no torch.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

MAX_HIDDEN_BYTES = 1024 * 1024
"""The longest payload (packed or unpacked) read; A1111's or NovelAI's are a few KB."""

# Signature -> (bands holding the bits, gzip-compressed)
_SIGNATURES = {
    b"stealth_pnginfo": (("A",), False),
    b"stealth_pngcomp": (("A",), True),
    b"stealth_rgbinfo": (("R", "G", "B"), False),
    b"stealth_rgbcomp": (("R", "G", "B"), True),
}
_SIGNATURE_BITS = 15 * 8
_LENGTH_BITS = 32
# Each byte's lowest bit as the ASCII digit "0" or "1", so int(..., 2) packs bits in C.
_LOWEST_BIT_DIGIT = bytes(ord("0") + (value & 1) for value in range(256))


def hidden_text(image: Image.Image, notes: list[str]) -> str | None:
    """The text hidden in ``image``'s lowest bits, or None when there is none (or it cannot
    be read, which is said in ``notes``). Decodes the pixels, so call it only when the
    image's text chunks gave nothing. Raises whatever Pillow raises for damaged pixel data."""
    if image.mode not in ("RGBA", "RGB"):  # the modes both writers save
        return None
    for bands in (("A",), ("R", "G", "B")):
        if not set(bands) <= set(image.getbands()):
            continue
        signature = _read_bytes(image, bands, 0, _SIGNATURE_BITS)
        found = _SIGNATURES.get(signature) if signature else None
        if found is not None and found[0] == bands:
            return _payload(image, bands, found[1], signature.decode("ascii"), notes)
    return None


def _payload(image: Image.Image, bands: tuple, compressed: bool, signature: str, notes: list[str]) -> str | None:
    length_bytes = _read_bytes(image, bands, _SIGNATURE_BITS, _LENGTH_BITS)
    if length_bytes is None:
        notes.append(f"its hidden {signature} metadata stops before its length")
        return None
    bits = int.from_bytes(length_bytes, "big")
    start = _SIGNATURE_BITS + _LENGTH_BITS
    if bits % 8 or bits // 8 > MAX_HIDDEN_BYTES or start + bits > _capacity(image, bands):
        notes.append(f"its hidden {signature} metadata claims a length ({bits:,} bits) that the "
                     "picture cannot hold, so it was left out")
        return None
    data = _read_bytes(image, bands, start, bits) if bits else b""
    if compressed:
        data = _gunzip(data, signature, notes)
        if data is None:
            return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        notes.append(f"its hidden {signature} metadata is not UTF-8 text, so it was left out")
        return None


def _gunzip(data: bytes, signature: str, notes: list[str]) -> bytes | None:
    """gzip data unpacked to at most ``MAX_HIDDEN_BYTES``, or None with a note."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip header and trailer
    try:
        value = inflater.decompress(data, MAX_HIDDEN_BYTES)
    except zlib.error:
        notes.append(f"its hidden {signature} metadata does not unpack, so it was left out")
        return None
    if inflater.unconsumed_tail:
        notes.append(f"its hidden {signature} metadata unpacks to more than {MAX_HIDDEN_BYTES // 1024 // 1024} MB, "
                     "so it was left out")
        return None
    if not inflater.eof:
        notes.append(f"its hidden {signature} metadata is cut short, so it was left out")
        return None
    return value


def _capacity(image: Image.Image, bands: tuple) -> int:
    width, height = image.size
    return width * height * len(bands)


def _read_bytes(image: Image.Image, bands: tuple, start: int, count: int) -> bytes | None:
    """``count`` bits (a multiple of 8) from bit ``start`` on, packed into bytes; None when
    the picture holds fewer. Only the leftmost columns that hold them are decoded."""
    from PIL import Image

    width, height = image.size
    per_column = height * len(bands)
    end = start + count
    if end > width * per_column:
        return None
    columns = -(-end // per_column)
    # Transposed, the columns become rows, so the bytes come in the writers' order.
    strip = image.crop((0, 0, columns, height)).transpose(Image.Transpose.TRANSPOSE)
    values = strip.getchannel("A").tobytes() if bands == ("A",) else strip.convert("RGB").tobytes()
    digits = values[start:end].translate(_LOWEST_BIT_DIGIT)
    return int(digits, 2).to_bytes(count // 8, "big") if digits else b""
