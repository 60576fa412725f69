"""A content fingerprint of a model's weights, so a recipe names exactly which weights made it.

For a diffusers folder: sha256 over each weight file's relative path and sha256. For a
single-file checkpoint: that file's sha256, whose first 10 hex digits are the "Model hash" A1111
writes for it, so images made in either tool name the same checkpoint. Hashing gigabytes takes
seconds: each file's sha256 comes from models/hashes.py, whose one cache (by real path, size and
mtime) also holds the A1111 hashes the library shows, so a file is read once for all of them.
"""

import hashlib
from pathlib import Path

from ..models.hashes import cached_sha256, file_sha256, load_cache
from .registry import weight_files

# What other tools put after a checkpoint's name (ComfyUI keeps it; A1111 drops it).
_WEIGHT_EXTENSIONS = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".sft", ".gguf")


def model_fingerprint(path: Path) -> str:
    """Hex sha256 identifying the weights in a pipeline folder or a single-file checkpoint."""
    return _fingerprint(Path(path), file_sha256)


def cached_fingerprint(path: Path) -> str | None:
    """``model_fingerprint`` when every file it needs was hashed before and is unchanged, else
    None: reads the cache and the files' sizes only, never their bytes, so the window may ask."""
    return _fingerprint_from(load_cache(), Path(path))


def _fingerprint_from(cache: dict, path: Path) -> str | None:
    if not path.exists():  # a folder's fingerprint would be that of no files
        return None

    def known(file: Path) -> str:
        sha256 = cached_sha256(file, cache)
        if sha256 is None:
            raise LookupError(file)  # not hashed yet, changed since, or gone
        return sha256

    try:
        return _fingerprint(path, known)
    except (OSError, LookupError):
        return None


def find_local_model(models, name: str | None, model_hash: str | None):
    """The model among ``models`` (registry.ModelInfo) that another tool's metadata names: the
    one whose cached fingerprint starts with ``model_hash`` (A1111 and Fooocus write the first
    10 hex digits of a checkpoint's sha256; others the whole), else the one called ``name``
    (a checkpoint's file stem, as A1111 writes it, or ComfyUI's file name with its folder).
    None when none matches. Never hashes: a model not fingerprinted yet matches by name only."""
    wanted = (model_hash or "").strip().lower().removeprefix("0x")
    if len(wanted) >= 10 and all(c in "0123456789abcdef" for c in wanted):
        cache = load_cache()
        for model in models:
            fingerprint = _fingerprint_from(cache, Path(model.path))
            if fingerprint is not None and fingerprint.startswith(wanted):
                return model
    stem = _model_stem(name or "")
    if not stem:
        return None
    return next((model for model in models if stem in (_model_stem(model.name), _model_stem(Path(model.path).name))),
                None)


def _model_stem(name: str) -> str:
    """A checkpoint's name without its folders and weight-file extension, for comparing."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lower()
    for extension in _WEIGHT_EXTENSIONS:
        if base.endswith(extension):
            return base[: -len(extension)]
    return base


def _fingerprint(path: Path, sha256_of) -> str:
    if path.is_file():
        return sha256_of(path)
    combined = hashlib.sha256()
    for file in weight_files(path):
        combined.update(f"{file.relative_to(path).as_posix()}\0{sha256_of(file)}\n".encode())
    return combined.hexdigest()
