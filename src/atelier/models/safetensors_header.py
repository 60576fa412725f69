"""Read and check a ``.safetensors`` header without torch and without reading the tensors.

Layout: 8-byte little-endian header length, a JSON header mapping tensor names to
``{"dtype", "shape", "data_offsets": [begin, end]}`` (plus optional ``__metadata__``), then data.
"""

import json
import struct
from pathlib import Path

from ..core.errors import ModelError

MAX_HEADER_BYTES = 100 * 1024 * 1024


def read_header(path: Path) -> dict:
    """Return the parsed JSON header, or raise ModelError saying what is wrong with the file."""
    return _read(Path(path))[1]


def _read(path: Path) -> tuple[int, dict]:
    try:
        with path.open("rb") as fh:
            prefix = fh.read(8)
            if len(prefix) < 8:
                raise ModelError(f"{path}: weights file is empty or truncated; copy the model again")
            (length,) = struct.unpack("<Q", prefix)
            if length > MAX_HEADER_BYTES:
                raise ModelError(f"{path}: not a safetensors file (header of {length} bytes)")
            raw = fh.read(length)
    except OSError as exc:
        raise ModelError(f"{path}: cannot read weights ({exc.strerror or exc})") from exc
    if len(raw) < length:
        raise ModelError(f"{path}: weights file is truncated; copy the model again")
    try:
        header = json.loads(raw)
    except ValueError as exc:
        raise ModelError(f"{path}: not a safetensors file (bad header); copy the model again") from exc
    if not isinstance(header, dict):
        raise ModelError(f"{path}: not a safetensors file (header is not an object)")
    return length, header


def check_complete(path: Path) -> dict:
    """The parsed header; ModelError if the file is shorter than it says (a cut-off copy).

    Reads the header only: the length check compares against the file's size."""
    path = Path(path)
    header_len, header = _read(path)
    data_end = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            data_end = max(data_end, int(entry["data_offsets"][1]))
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ModelError(f"{path}: tensor {name!r} has no valid data_offsets") from exc
    expected = 8 + header_len + data_end
    actual = path.stat().st_size
    if actual < expected:
        raise ModelError(
            f"{path}: weights file is truncated ({actual:,} of {expected:,} bytes); copy the model again"
        )
    return header
