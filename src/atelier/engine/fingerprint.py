"""A content fingerprint of a model's weights, so a recipe names exactly which weights made it.

For a diffusers folder: sha256 over each weight file's relative path and sha256. For a
single-file checkpoint: that file's sha256, whose first 10 hex digits are the "Model hash" A1111
writes for it, so images made in either tool name the same checkpoint. Hashing gigabytes takes
seconds, so results are cached by (real path, size, mtime); a changed file is hashed again.
"""

import hashlib
import json
import logging
from pathlib import Path

from .. import paths
from ..core.atomic import atomic_write_bytes
from .registry import weight_files

log = logging.getLogger(__name__)
_CHUNK = 1 << 20


def model_fingerprint(path: Path) -> str:
    """Hex sha256 identifying the weights in a pipeline folder or a single-file checkpoint."""
    path = Path(path)
    cache = _load_cache()
    size = len(cache)
    if path.is_file():
        fingerprint = _cached_sha256(path, cache)
    else:
        combined = hashlib.sha256()
        for file in weight_files(path):
            digest = _cached_sha256(file, cache)
            combined.update(f"{file.relative_to(path).as_posix()}\0{digest}\n".encode())
        fingerprint = combined.hexdigest()
    if len(cache) != size:
        _save_cache(cache)
    return fingerprint


def _cached_sha256(file: Path, cache: dict) -> str:
    real = file.resolve()
    stat = real.stat()
    key = f"{real}|{stat.st_size}|{stat.st_mtime_ns}"
    if key not in cache:
        cache[key] = file_sha256(real)
    return cache[key]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _cache_path() -> Path:
    return paths.cache_dir() / "fingerprints.json"


def _load_cache() -> dict:
    try:
        data = json.loads(_cache_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_cache(cache: dict) -> None:
    try:
        _cache_path().parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(_cache_path(), json.dumps(cache).encode())
    except OSError as exc:  # a read-only cache only costs time, never correctness
        log.warning("could not save the fingerprint cache: %s", exc)
