"""A model file's hashes as other tools write them in an image's metadata, so Atelier can name
the same file they do:

- sha256 of the whole file; its first 10 hex digits are A1111's "Model hash";
- A1111's LoRA hash (its "addnet" hash, from kohya's additional-networks extension): sha256 of
  the file after the safetensors header (the 8-byte length and the JSON), so editing the
  metadata keeps the hash; A1111 writes its first 12 hex digits in "Lora hashes".

Hashing gigabytes takes seconds: callers run it off the UI thread (the CLI, the scan thread).
Results are cached by (real path, size, mtime) beside engine/fingerprint.py's cache; a changed
file is hashed again.
"""

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..core.errors import ModelError
from ..core.json_cache import read_cache, write_cache

_CHUNK = 1 << 20
MODEL_HASH_DIGITS = 10  # A1111's "Model hash"
LORA_HASH_DIGITS = 12  # A1111's "Lora hashes"

# Called with (bytes hashed, bytes to hash) after each chunk.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FileHashes:
    sha256: str
    lora_sha256: str | None  # sha256 of the tensor data (safetensors only), else None

    @property
    def model_hash(self) -> str:
        return self.sha256[:MODEL_HASH_DIGITS]

    @property
    def lora_hash(self) -> str | None:
        return self.lora_sha256[:LORA_HASH_DIGITS] if self.lora_sha256 else None


def file_hashes(path: Path, on_progress: Progress | None = None) -> FileHashes:
    """Both hashes of ``path``, from the cache when the file is unchanged since, else read once
    (both digests in one pass). ModelError naming the file when it cannot be read."""
    path = Path(path)
    try:
        real = path.resolve(strict=True)
        stat = real.stat()
    except (OSError, RuntimeError) as exc:
        raise ModelError(f"{path}: cannot be read ({getattr(exc, 'strerror', None) or exc}); check the path") from exc
    key = f"{real}|{stat.st_size}|{stat.st_mtime_ns}"
    cache = _load_cache()
    entry = cache.get(key)
    if isinstance(entry, dict) and isinstance(entry.get("sha256"), str):
        return FileHashes(entry["sha256"], entry.get("lora_sha256"))
    hashes = _hash_file(real, stat.st_size, on_progress)
    cache[key] = {"sha256": hashes.sha256, "lora_sha256": hashes.lora_sha256}
    _save_cache(cache)
    return hashes


def _hash_file(path: Path, size: int, on_progress: Progress | None) -> FileHashes:
    whole = hashlib.sha256()
    data = hashlib.sha256() if path.suffix == ".safetensors" else None
    data_start = _data_start(path) if data is not None else 0
    done = 0
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                whole.update(chunk)
                if data is not None and done + len(chunk) > data_start:
                    data.update(chunk[max(0, data_start - done):])
                done += len(chunk)
                if on_progress is not None:
                    on_progress(done, size)
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror or exc}); check the file") from exc
    return FileHashes(whole.hexdigest(), data.hexdigest() if data is not None else None)


def _data_start(path: Path) -> int:
    """Where a safetensors file's tensor data begins: after the 8-byte length and the header."""
    try:
        with open(path, "rb") as fh:
            prefix = fh.read(8)
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror or exc}); check the file") from exc
    if len(prefix) < 8:
        raise ModelError(f"{path}: weights file is empty or truncated; copy the model again")
    return 8 + struct.unpack("<Q", prefix)[0]


def _cache_path() -> Path:
    return paths.cache_dir() / "model_hashes.json"


def _load_cache() -> dict:
    return read_cache(_cache_path())


def _save_cache(cache: dict) -> None:
    write_cache(_cache_path(), cache)
