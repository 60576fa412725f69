"""The engine in a child process, behind plain blocking calls with callbacks.

Why a process and not a thread: importing torch holds the GIL for hundreds of milliseconds
at a time, which freezes any window in the same process; a crash or an out-of-memory kill in
native code takes down only the child; and when a model is dropped its memory really goes back
to the system. The window's engine QThread calls ``EngineHost.generate`` and turns the
callbacks into Qt signals, exactly as it would for an in-process engine.

The pipe carries our own small messages between our own two processes (multiprocessing pickles
them); no user file is ever unpickled.
"""

import atexit
import logging
import multiprocessing
import multiprocessing.connection
import threading

from ..core.errors import AtelierError, GenerationCancelled, GenerationError, ModelError, RequestError
from ..core.jobs import ImageRequest
from .messages import EngineCallbacks, EngineOptions, FinishedImage, Picture

log = logging.getLogger(__name__)

_ERRORS = {cls.__name__: cls for cls in (AtelierError, RequestError, ModelError, GenerationError)}


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
            return self._receive_until_done(EngineCallbacks())

    def generate(self, info, request: ImageRequest, options: EngineOptions, callbacks: EngineCallbacks) -> None:
        """Run one request to the end. Raises GenerationCancelled after ``cancel()``, or the
        AtelierError the child raised; images already finished have gone to ``on_image``."""
        with self._lock:
            self._ensure_started()
            self._conn.send(("generate", info, request, options))
            self._receive_until_done(callbacks, request.steps)

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

    def _receive_until_done(self, callbacks: EngineCallbacks, total: int = 0):
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
            kind, *payload = message
            if kind == "done":
                return payload[0] if payload else None
            if kind == "status":
                callbacks.on_status(*payload)
            elif kind == "loading":
                callbacks.on_loading(*payload)
            elif kind == "loaded":
                callbacks.on_loaded(*payload)
            elif kind == "step":
                *progress, picture = payload
                step, total = progress[2], progress[3]
                callbacks.on_step(*progress)
                if picture is not None:
                    callbacks.on_preview(picture)
            elif kind == "image":
                callbacks.on_image(*payload)
            elif kind == "cancelled":
                raise GenerationCancelled(*payload)
            elif kind == "error":
                name, text = payload
                raise _ERRORS.get(name, GenerationError)(text)


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
                conn.send(("done", _warm()))
            elif command == "generate":
                _run_generation(conn, cancel, cache, *args)
                conn.send(("done",))
        except GenerationCancelled as exc:
            conn.send(("cancelled", exc.step, exc.total))
        except AtelierError as exc:
            conn.send(("error", type(exc).__name__, str(exc)))
        except Exception as exc:  # a bug in the child must still end the job with a message
            log.exception("engine command %s crashed", command)
            conn.send(("error", "GenerationError", f"unexpected engine error: {exc}"))


def _warm() -> str:
    import diffusers  # noqa: F401  (the import itself is the point: it takes seconds)
    import torch

    return str(torch.__version__)  # a plain str: unpickling TorchVersion would import torch here


def _run_generation(conn, cancel, cache, info, request: ImageRequest, options: EngineOptions) -> None:
    from ..core.metadata import png_bytes
    from .image import generate_images
    from .loader import dtype_for, require_text_to_image

    require_text_to_image(info)
    wanted = (info, options.device, dtype_for(options.precision), options.memory_mode)
    if not cache.holds(*wanted):
        conn.send(("loading", info.name))
    loaded = cache.get(*wanted)
    conn.send(("loaded", info.name, loaded.device, loaded.dtype))
    conn.send(("status", f"Generating with {info.name} on {loaded.device} ..."))

    def on_step(progress):
        # One message per step, its preview inside: one wake-up and one repaint in the window.
        picture = Picture.of(progress.preview) if progress.preview is not None else None
        conn.send(("step", progress.image_index, progress.image_count, progress.step, progress.total,
                   progress.elapsed, picture))

    def on_image(result):
        png = png_bytes(result.image, result.recipe)
        conn.send(("image", FinishedImage(png, Picture.of(result.image), result.recipe)))

    generate_images(
        loaded, request, on_step=on_step, on_image=on_image,
        should_cancel=lambda: cancel.value != 0, preview_every=options.preview_every,
        on_notice=lambda text: conn.send(("status", text)),
    )
