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
    fd, tmp = _temp_beside(path)
    try:
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


def write_new(path: Path, data: bytes) -> bool:
    """Write ``data`` as a new file ``path``, all or nothing, synced. Never replaces a file:
    False, and nothing written, if the name is taken, even by a file made meanwhile.

    A hard link publishes the complete temp file under the name only if the name is free;
    where the filesystem has no hard links (FAT, exFAT, some shares), an exclusive create does.
    """
    path = Path(path)
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:
            return _create_exclusive(path, data)
    finally:
        Path(tmp).unlink(missing_ok=True)  # the new name stays, if it was made
    _fsync_dir(path.parent)
    return True


def _create_exclusive(path: Path, data: bytes) -> bool:
    try:
        fh = open(path, "xb")
    except FileExistsError:
        return False
    try:
        with fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        path.unlink(missing_ok=True)  # ours, half written
        raise
    return True


def _temp_beside(path: Path) -> tuple[int, str]:
    """A temp file in ``path``'s folder (the same filesystem, so it can be renamed or linked
    into place). mkstemp makes 0600 files; a document keeps its old mode, or gets the usual 0644."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o644)
    except BaseException:
        os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise
    return fd, tmp


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
