"""A model file's hashes as other tools write them in an image's metadata, so Atelier can name
the same file they do:

- sha256 of the whole file; its first 10 hex digits are A1111's "Model hash";
- A1111's LoRA hash (its "addnet" hash, from kohya's additional-networks extension): sha256 of
  the file after the safetensors header (the 8-byte length and the JSON), so editing the
  metadata keeps the hash; A1111 writes its first 12 hex digits in "Lora hashes".

Hashing gigabytes takes seconds: callers run it off the UI thread (the CLI, the engine, the
library window's hashing thread). One pass computes both digests, and one cache holds them by
(real path, size, mtime) for every caller (engine/fingerprint.py's recipes included), so a file
is read once; a changed file is hashed again. Entries of the older sha256-only cache
(``fingerprints.json``) are still read for the sha256.
"""

import hashlib
import struct
import threading
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
    try:
        return _hashes(Path(path), on_progress)
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror or exc}); check the file") from exc


def file_sha256(path: Path) -> str:
    """The sha256 of ``path``: from the cache (either one), else both hashes computed and kept.
    OSError when it cannot be read."""
    real, key, _size = _identity(Path(path))
    entry = load_cache().get(key)
    if isinstance(entry, dict) and isinstance(entry.get("sha256"), str):
        return entry["sha256"]
    return _hashes(real).sha256


def cached_file_hashes(path: Path, cache: dict | None = None) -> FileHashes | None:
    """Both hashes of ``path`` when the cache has them for the file as it is now, else None;
    never reads the file's bytes. ``cache`` is ``load_cache()``'s, for many lookups in a row."""
    try:
        _real, key, _size = _identity(Path(path))
    except OSError:
        return None
    return _complete((load_cache() if cache is None else cache).get(key))


def cached_sha256(path: Path, cache: dict | None = None) -> str | None:
    """The cached sha256 of ``path`` as it is now, or None; never reads the file's bytes.
    ``cache`` is ``load_cache()``'s, for callers that look up many files."""
    try:
        _real, key, _size = _identity(Path(path))
    except OSError:
        return None
    entry = (load_cache() if cache is None else cache).get(key)
    return entry.get("sha256") if isinstance(entry, dict) and isinstance(entry.get("sha256"), str) else None


def _hashes(path: Path, on_progress: Progress | None = None) -> FileHashes:
    real, key, size = _identity(path)
    cached = _complete(load_cache().get(key))
    if cached is not None:
        return cached
    hashes = _hash_file(real, size, on_progress)
    _remember(key, hashes)
    return hashes


def _identity(path: Path) -> tuple[Path, str, int]:
    """(real path, cache key, size); OSError when the file cannot be found."""
    try:
        real = path.resolve(strict=True)
    except RuntimeError as exc:  # a symlink loop, on Python < 3.13
        raise OSError(str(exc)) from exc
    stat = real.stat()
    return real, f"{real}|{stat.st_size}|{stat.st_mtime_ns}", stat.st_size


def _complete(entry) -> FileHashes | None:
    """The entry's hashes when it has both (a sha256-only entry from the old cache has not)."""
    if isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and "lora_sha256" in entry:
        return FileHashes(entry["sha256"], entry["lora_sha256"])
    return None


def _hash_file(path: Path, size: int, on_progress: Progress | None) -> FileHashes:
    whole = hashlib.sha256()
    data_start = _data_start(path, size) if path.suffix == ".safetensors" else None
    data = hashlib.sha256() if data_start is not None else None
    done = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            whole.update(chunk)
            if data is not None and done + len(chunk) > data_start:
                data.update(chunk[max(0, data_start - done):])
            done += len(chunk)
            if on_progress is not None:
                on_progress(done, size)
    return FileHashes(whole.hexdigest(), data.hexdigest() if data is not None else None)


def _data_start(path: Path, size: int) -> int | None:
    """Where a safetensors file's tensor data begins (after the 8-byte length and the header);
    None when the file is too short to be one: it still has a sha256, but no LoRA hash."""
    with open(path, "rb") as fh:
        prefix = fh.read(8)
    start = 8 + struct.unpack("<Q", prefix)[0] if len(prefix) == 8 else None
    return start if start is not None and start <= size else None


def _cache_path() -> Path:
    return paths.cache_dir() / "model_hashes.json"


def _legacy_cache_path() -> Path:
    """The sha256-only cache engine/fingerprint.py kept before both hashes shared one."""
    return paths.cache_dir() / "fingerprints.json"


# Threads of one process (the library window's hashing, a scan) add entries: one at a time, so
# none is lost. Another process may still overwrite an entry: that only costs a hash again.
_saving = threading.Lock()


def load_cache() -> dict:
    """The whole cache, for many ``cached_sha256`` lookups in a row."""
    cache = read_cache(_cache_path())
    for key, sha256 in read_cache(_legacy_cache_path()).items():
        if key not in cache and isinstance(sha256, str):
            cache[key] = {"sha256": sha256}
    return cache


def _remember(key: str, hashes: FileHashes) -> None:
    with _saving:
        cache = load_cache()  # read again: another thread may have added entries while this one hashed
        cache[key] = {"sha256": hashes.sha256, "lora_sha256": hashes.lora_sha256}
        write_cache(_cache_path(), cache)
