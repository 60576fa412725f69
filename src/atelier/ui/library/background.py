"""The library's slow work off the UI thread: hashing files, checking models on disk, and
converting a pickle. One pool thread runs the tasks in turn (they all read the disk, which does
not get faster shared); each result comes back on the UI thread as a signal. A pickle is
converted in a spawned child process, so torch is never imported into the window's process."""

from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class Stopped(Exception):
    """Raised inside a task when the library is closing, to end a long hash early."""


class _Relay(QObject):
    """Made on the UI thread, so the pool thread's emissions reach its slots queued."""

    done = Signal(str, object)  # task key, result
    failed = Signal(str, str)  # task key, one line


class _Task(QRunnable):
    def __init__(self, key: str, work: Callable[[], object], relay: _Relay):
        super().__init__()
        self._key, self._work, self._relay = key, work, relay

    def run(self) -> None:  # on the pool thread: touches no widget
        try:
            result = self._work()
        except Stopped:
            return
        except Exception as exc:  # noqa: BLE001 - every failure is reported, none may escape a pool thread
            text = str(exc).strip()
            self._relay.failed.emit(self._key, text.splitlines()[0] if text else type(exc).__name__)
        else:
            self._relay.done.emit(self._key, result)


class Background(QObject):
    """Runs ``work`` callables one at a time on a pool thread; ``done(key, result)`` or
    ``failed(key, line)`` on the UI thread. A key already waiting or running is not queued twice."""

    done = Signal(str, object)
    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.stopping = False  # read by long tasks between chunks
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pending: dict[str, _Task] = {}  # waiting or running, by key
        self._relay = _Relay()  # kept alive by this object
        self._relay.done.connect(self._on_done)
        self._relay.failed.connect(self._on_failed)

    def busy(self, key: str) -> bool:
        return key in self._pending

    def busy_with(self, prefix: str) -> bool:
        """Whether a task whose key starts with ``prefix`` waits or runs."""
        return any(key.startswith(prefix) for key in self._pending)

    def submit(self, key: str, work: Callable[[], object]) -> bool:
        """Queue ``work``; False when a task of this key is already waiting or running."""
        if self.stopping or key in self._pending:
            return False
        task = self._pending[key] = _Task(key, work, self._relay)
        task.setAutoDelete(False)  # kept in _pending until it reports, so tryTake may ask for it
        self._pool.start(task)
        return True

    def drop_waiting(self, prefix: str) -> None:
        """Forget the tasks whose key starts with ``prefix`` that have not started (the hash of a
        model selected a moment ago, before the one selected now)."""
        for key, task in list(self._pending.items()):
            if key.startswith(prefix) and self._pool.tryTake(task):
                del self._pending[key]

    def check_stopping(self, *_progress) -> None:
        """For a task's progress callback: end it early once the library is closing."""
        if self.stopping:
            raise Stopped

    def stop(self) -> None:
        """Drop what waits, end a running hash at its next chunk, and wait for the thread."""
        self.stopping = True
        self._pool.clear()
        self._pool.waitForDone()

    @Slot(str, object)
    def _on_done(self, key: str, result) -> None:
        self._pending.pop(key, None)
        self.done.emit(key, result)

    @Slot(str, str)
    def _on_failed(self, key: str, line: str) -> None:
        self._pending.pop(key, None)
        self.failed.emit(key, line)


def convert_in_child(source, out):
    """``engine.pickle_convert.convert_pickle`` in a spawned child process (torch loads there,
    not in the window's process); its errors come back as they were raised."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from ...engine.pickle_convert import convert_pickle

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as child:
        return child.submit(convert_pickle, source, out).result()
