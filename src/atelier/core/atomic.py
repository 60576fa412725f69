"""Atomic file writes: a reader sees the old file or the new one, never half of either."""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_writer(path: Path, backup: Path | None = None, durable: bool = True):
    """Yield a binary file object; on success it replaces ``path`` in one step.

    Temp file in the same folder (same filesystem, so ``os.replace`` is atomic), fsync before
    the rename, fsync the folder after it so the rename itself survives a power cut. With
    ``backup``, the previous file is kept there; ``path`` itself is never missing meanwhile.
    ``durable=False`` skips both syncs: still all-or-nothing, but a power cut may undo it.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        # mkstemp makes 0600 files; a document keeps its old mode, or gets the usual 0644.
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o644)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        if backup is not None and path.exists():
            _keep_backup(path, Path(backup))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        _fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes, durable: bool = True) -> None:
    with atomic_writer(path, durable=durable) as fh:
        fh.write(data)


def _keep_backup(path: Path, backup: Path) -> None:
    """Make ``backup`` a second name for the current file (a hard link: instant, no copy),
    falling back to a copy on filesystems without hard links."""
    staging = backup.with_name(f".{backup.name}.tmp")
    staging.unlink(missing_ok=True)
    try:
        os.link(path, staging)
    except OSError:
        shutil.copy2(path, staging)
    os.replace(staging, backup)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open folders; its rename is durable enough
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
