"""One save at a time in a folder, across processes.

A save reads the project file, lays its changes over what it finds, and writes; two saves
interleaving those steps would each write over the other's. An advisory lock on the folder
(``flock``: released by the kernel when a process dies, so a killed save never leaves it held)
makes the read-merge-write one step. It is held for the save only, never while a project is
open: the window holds a project for hours, and a CLI run must still be able to add to it.

Where folders cannot be locked (Windows, some network filesystems) saves go on without it;
the check that the file changed since it was read still catches a writer that came between.
"""

import contextlib
import errno
import os
import time
from pathlib import Path

from .errors import ProjectError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

WAIT_SECONDS = 120.0  # a full write of a large project can take a while; the other save waits


@contextlib.contextmanager
def save_lock(target: Path, wait: float = WAIT_SECONDS):
    folder = Path(target).parent
    fd = _open_folder(folder)
    if fd is None:
        yield
        return
    try:
        _acquire(fd, folder, target, wait)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _open_folder(folder: Path) -> int | None:
    if fcntl is None:
        return None
    try:
        return os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return None  # a missing folder fails the save itself, with the right message


def _acquire(fd: int, folder: Path, target: Path, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise ProjectError(
                    f"{target}: another program has been saving in {folder} for {wait:.0f} s; "
                    "nothing was saved, your work is kept; save again in a moment"
                ) from None
            time.sleep(0.02)
        except OSError as exc:
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL, errno.EBADF):
                return  # this filesystem cannot lock: go on as without fcntl
            raise
