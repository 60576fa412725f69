"""The engine in a child process, behind plain blocking calls that report events.

Why a process and not a thread: importing torch holds the GIL for hundreds of milliseconds
at a time, which freezes any window in the same process; a crash or an out-of-memory kill in
native code takes down only the child; and when a model is dropped its memory really goes back
to the system. The window's engine QThread calls ``EngineHost.run`` and turns the events into
Qt signals, exactly as it would for an in-process runner.

The pipe carries our own events and jobs between our own two processes (multiprocessing
pickles them); no user file is ever unpickled. This is the child-process implementation of
``runner.Runner``.
"""

import atexit
import logging
import multiprocessing
import multiprocessing.connection
import threading

from ..core.errors import GenerationCancelled, GenerationError
from .events import Cancelled, EngineOptions, Failed, Progress
from .runner import EngineJob, OnEvent

log = logging.getLogger(__name__)


class _Done:
    """The child's answer that a command ended well, with its value."""

    def __init__(self, value=None):
        self.value = value


class EngineHost:
    """One engine child process, started on first use and restarted after it dies."""

    def __init__(self):
        self._context = multiprocessing.get_context("spawn")  # fork would copy Qt's threads
        self._process = None
        self._conn = None
        # The cancel flag: one shared byte without a lock. An Event's lock, held by a child that
        # is killed or frozen (SIGSTOP) inside it, would block the next cancel for good.
        self._cancel = self._context.RawValue("b", 0)
        self._lock = threading.Lock()  # one job at a time through the pipe
        self._stopped = None  # the process ``stop()`` ended: its job is cancelled, not crashed

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None and self._process.is_alive() else None

    def warm(self) -> str:
        """Start the child and wait until torch and diffusers are imported; returns torch's
        version. Blocks the calling thread (never the UI thread) for a few seconds."""
        with self._lock:
            self._ensure_started()
            self._conn.send(("warm",))
            return self._receive_until_done(lambda event: None)

    def run(self, job: EngineJob, options: EngineOptions, on_event: OnEvent) -> None:
        """Run one job to the end in the child. Raises GenerationCancelled after ``cancel()``,
        or the AtelierError the task raised; outputs already finished have gone to ``on_event``."""
        with self._lock:
            self._ensure_started()
            self._conn.send(("run", job, options))
            self._receive_until_done(on_event, job.request.steps_per_image)

    def cancel(self) -> None:
        """Stop the running job at the end of its current step (safe from any thread). A
        child busy inside one long step, or frozen, only stops with ``stop()``."""
        self._cancel.value = 1

    def reset_cancel(self) -> None:
        """Call before handing over the next job; a cancel after this applies to that job."""
        self._cancel.value = 0

    def stop(self, wait: float = 1.0) -> None:
        """Stop the engine process itself, at once, from any thread; returns without waiting.

        For a child that does not answer a cancel (inside a long step, or frozen): the job
        lock is not taken, since the job waiting on the child holds it. The child is sent
        SIGTERM, then SIGKILL if it is still there after ``wait`` seconds (a stopped process
        never acts on SIGTERM). The job in progress then ends with GenerationCancelled, and
        the next job starts a new child, as after a crash."""
        process = self._process
        if process is None:
            return
        self._stopped = process
        threading.Thread(target=_end_process, args=(process, wait), name="atelier-engine-stop", daemon=True).start()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel any job and stop the child: asked to quit, then terminated, then killed.
        Bounded, even with a frozen child: a job still holding the pipe after ``timeout`` has
        its child stopped under it (that job then ends as cancelled)."""
        self._cancel.value = 1
        if not self._lock.acquire(timeout=timeout):
            self.stop()
            return
        try:
            process, conn = self._process, self._conn
            self._process = self._conn = None
            if process is None:
                return
            try:
                conn.send(("quit",))
            except OSError:
                pass
            process.join(timeout)
            if process.is_alive():
                log.warning("engine process did not stop in %.0f s; killing it", timeout)
                _end_process(process, 1.0)
                process.join(5)
            conn.close()
        finally:
            self._lock.release()

    def _ensure_started(self) -> None:
        process = self._process
        if process is not None and process is not self._stopped and process.is_alive():
            return
        if process is not None:  # died or was stopped between jobs: drop its pipe, reap it
            self._conn.close()
            if process is self._stopped:
                process.join(5)  # stop() kills it within a second or so
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(child_end, self._cancel), name="atelier-engine", daemon=True
        )
        process.start()
        child_end.close()  # so the parent sees EOF when the child dies
        self._process, self._conn = process, parent_end

    def _receive_until_done(self, on_event: OnEvent, total: int = 0):
        step = 0  # the last step the child reported, for the message if it is stopped
        while True:
            try:
                message = self._conn.recv()
            except (EOFError, OSError):
                process, conn, self._process, self._conn = self._process, self._conn, None, None
                conn.close()
                process.join(5)
                if process is self._stopped:
                    raise GenerationCancelled(step, total) from None
                code = process.exitcode
                raise GenerationError(
                    f"the engine process stopped unexpectedly (exit code {code}); "
                    "it starts again with the next job; if this repeats, try a smaller size or memory mode"
                ) from None
            if isinstance(message, _Done):
                return message.value
            if isinstance(message, (Cancelled, Failed)):
                raise message.error()
            if isinstance(message, Progress):
                step, total = message.step, message.total
            on_event(message)


_default: EngineHost | None = None


def default_host() -> EngineHost:
    """The process-wide host, stopped when the interpreter exits."""
    global _default
    if _default is None:
        _default = EngineHost()
        atexit.register(_default.shutdown)
    return _default


def _end_process(process, wait: float) -> None:
    """SIGTERM, then SIGKILL if the process is still there after ``wait`` seconds. Waits on its
    sentinel rather than joining it: the thread of the job it ran may be reaping it."""
    process.terminate()
    if not multiprocessing.connection.wait([process.sentinel], wait):
        log.warning("engine process %s did not end on SIGTERM; killing it", process.pid)
        process.kill()


# ----- the child side ---------------------------------------------------------------------------

def _serve(conn, cancel) -> None:
    """The child's main loop: one command at a time until "quit" or the parent goes away."""
    from .loader import PipelineCache
    from .runner import outcome_event, run_task

    cache = PipelineCache()
    while True:
        try:
            command, *args = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if command == "quit":
            return
        try:
            if command == "warm":
                conn.send(_Done(_warm()))
            elif command == "run":
                job, options = args
                run_task(job, options, cache, conn.send, lambda: cancel.value != 0)
                conn.send(_Done())
        except Exception as exc:  # every job ends with an answer, a bug's included
            conn.send(outcome_event(exc))


def _warm() -> str:
    import diffusers  # noqa: F401  (the import itself is the point: it takes seconds)
    import torch

    return str(torch.__version__)  # a plain str: unpickling TorchVersion would import torch here
