"""Image files made to hurt, built by hand and small on disk: a PNG header that claims 20000x20000
pixels, a text chunk of 200 MB of zeros that compresses to 200 KB, JSON nested 100,000 deep.
Each is a real file of its format up to the part that hurts."""

import io
import json
import struct
import zlib

from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, body, CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_file(width: int = 8, height: int = 8, before: bytes = b"", after: bytes = b"") -> bytes:
    """A PNG whose header may claim any size; its pixel rows are 8x8 whatever it claims (a
    decompression bomb needs no more to be refused). ``before``/``after``: chunks before or
    after the pixel data."""
    rows = b"".join(b"\0" + b"\x80" * 8 * 3 for _ in range(8))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (PNG_SIGNATURE + chunk(b"IHDR", header) + before + chunk(b"IDAT", zlib.compress(rows))
            + after + chunk(b"IEND", b""))


def text_chunk(key: str, text: str) -> bytes:
    return chunk(b"tEXt", key.encode("latin-1") + b"\0" + text.encode("latin-1"))


def zeros_chunk(kind: bytes, key: bytes, megabytes: int) -> bytes:
    """A zTXt or compressed iTXt chunk of ``megabytes`` MB of zeros, about 1 KB a MB on disk,
    made a megabyte at a time."""
    packer = zlib.compressobj(9)
    block = b"\0" * (1 << 20)
    packed = b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()
    prefix = b"\0\0" if kind == b"zTXt" else b"\0\x01\x00\0\0"  # iTXt: compressed, zlib, no lang/key
    return chunk(kind, key + prefix + packed)


def comfyui_graph(seed) -> str:
    return json.dumps({"3": {"class_type": "KSampler", "inputs": {"seed": seed, "steps": 20}}})


def deep_comfyui_graph(depth: int = 100_000) -> str:
    """A ComfyUI API graph whose sampler's seed is a list nested ``depth`` deep."""
    return comfyui_graph("SEED").replace('"SEED"', "[" * depth + "]" * depth)


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real 8x8 JPEG whose frame header (SOF0) is changed to claim ``width`` x ``height``."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "gray").save(out, format="JPEG")
    data = bytearray(out.getvalue())
    at = data.index(b"\xff\xc0") + 5
    data[at : at + 4] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """The header of an extended WebP (VP8X) that claims ``width`` x ``height``: 30 bytes."""
    size = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0" + size
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


BOMB = lambda: png_file(20000, 20000)  # noqa: E731
ZTXT_200_MB = lambda: png_file(before=zeros_chunk(b"zTXt", b"parameters", 200))  # noqa: E731
DEEP_COMFYUI = lambda: png_file(before=text_chunk("prompt", deep_comfyui_graph()))  # noqa: E731
