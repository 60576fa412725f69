"""The bridge between the Qt window and the engine process.

One long-lived QThread hosts an EngineWorker; the window sends it requests through queued
signals and gets progress, previews and images back as signals. The worker waits on the
engine child process (``atelier.engine.host``), so neither torch's import nor a generation can
hold this process's GIL. Only signals cross threads: the worker never touches a widget.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from ..core.errors import AtelierError, GenerationCancelled, ProjectError

if TYPE_CHECKING:  # the request and recipe types load with the first job, not with the window
    from ..core.recipe import Recipe
    from ..core.tasks import Request

log = logging.getLogger(__name__)

# Seconds a running job has to confirm a cancel before the engine process itself is stopped.
# Cancel is heard between steps, and one step can take minutes on a CPU, or never end when the
# engine is frozen. Tests lower it.
CANCEL_GRACE_S = 5.0
# How long closing waits for the engine thread once the engine was told to stop (then stops it).
_JOIN_S = 5.0


@dataclass(frozen=True)
class MadeOutput:
    """A finished output: its file (a PNG or a FLAC, recipe inside, encoded in the engine
    process), its recipe, and for an image a QImage to show. The window stores the file in the
    project before showing it."""

    data: bytes
    suffix: str
    recipe: Recipe
    image: QImage | None = None
    peaks: bytes | None = None  # a sound's waveform peaks
    mask: bytes | None = None  # a picture's subject mask (a greyscale PNG: a removed background's)

    @property
    def kind(self) -> str:
        return self.recipe.kind


def picture_to_qimage(picture) -> QImage:
    """A QImage that owns its pixels (the copy detaches it from the Python bytes); opaque
    (RGBX: the same bytes, alpha ignored) when the picture has no transparency."""
    layout = QImage.Format.Format_RGBA8888 if picture.alpha else QImage.Format.Format_RGBX8888
    image = QImage(picture.rgba, picture.width, picture.height, picture.width * 4, layout)
    return image.copy()


class EngineWorker(QObject):
    """Runs engine calls on its own thread. Slots are invoked through queued signals."""

    models_found = Signal(object, object)  # list[ModelInfo], list[str] problems
    status = Signal(str)  # "Loading model ..." and the like
    engine_ready = Signal(str)  # torch version, once the engine process has imported it
    model_loading = Signal(str)  # model name: loading it takes a while (it was not in memory)
    model_loaded = Signal(str, str, str)  # model name, device, dtype
    step = Signal(int, int, int, int, float)  # output index, output count, step, total, elapsed s
    preview = Signal(QImage)
    output_ready = Signal(object)  # MadeOutput
    job_failed = Signal(str)  # one-line message
    model_missing = Signal(object)  # the ModelInfo of a job whose model is no longer on disk
    job_cancelled = Signal(str)
    job_done = Signal()  # the job ended, whatever the outcome
    call_ended = Signal(bool)  # a warm-up (False) or a job (True) returned: the engine is free

    def __init__(self, settings, host=None):
        super().__init__()
        self._host = host  # an EngineHost; the process-wide one, made on first use, when None
        self.closing = False  # set by the window's thread on close: calls still queued are skipped
        self._had_job = False  # a warm-up after a job is pointless (and would restart a stopped engine)
        self.configure(settings)
        self._read_asset = None  # where a job's inputs are read from (the project's assets)
        self._handlers = None  # made with the first job: the event types are not imported at start

    def _event_handlers(self) -> dict:
        """Each engine event becomes a signal; a type without a handler is not for the window."""
        from ..engine.events import Artifact, Loaded, Loading, Preview, Progress, Status

        return {
            Status: lambda event: self.status.emit(event.text),
            Loading: lambda event: self.model_loading.emit(event.model),
            Loaded: lambda event: self.model_loaded.emit(event.model, event.device, event.dtype),
            Progress: lambda e: self.step.emit(e.index, e.count, e.step, e.total, e.elapsed),
            Preview: lambda event: self.preview.emit(picture_to_qimage(event.picture)),
            Artifact: self._on_artifact,
        }

    def set_asset_source(self, read_asset) -> None:
        """Where jobs' inputs are read from: the open project's ``read_asset``, which is safe
        from any thread. Read on this thread, just before the job goes to the engine."""
        self._read_asset = read_asset

    def configure(self, settings) -> None:
        """Take engine settings (a snapshot); they apply from the next job."""
        self._options = dict(device=settings.device, precision=settings.precision, memory_mode=settings.memory_mode,
                             preview_every=settings.preview_every if settings.previews else 0)

    @property
    def options(self):
        """The engine options for the next job (made per job: the event types, EngineOptions
        among them, are not imported at the window's start)."""
        from ..engine.events import EngineOptions

        return EngineOptions(**self._options)

    @property
    def host(self):
        # Imported and made here, on first use in this thread, so that multiprocessing is not
        # imported before the window is shown.
        if self._host is None:
            from ..engine.host import default_host

            self._host = default_host()
        return self._host

    @property
    def engine_pid(self) -> int | None:
        return self._host.pid if self._host is not None else None

    def cancel(self) -> None:
        if self._host is not None:  # no host yet: no job has started, nothing to cancel
            self._host.cancel()

    def stop_engine(self) -> None:
        """End the engine process (at exit; call after the thread has stopped)."""
        if self._host is not None:
            self._host.shutdown()

    def stop_engine_process(self) -> None:
        """Stop the engine process now, whatever it is doing (safe from any thread): the call
        waiting on it ends as cancelled, and the next job starts a new one."""
        if self._host is not None:
            self._host.stop()

    def _on_event(self, event) -> None:
        if self._handlers is None:
            self._handlers = self._event_handlers()
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def _on_artifact(self, artifact) -> None:
        image = picture_to_qimage(artifact.picture) if artifact.picture is not None else None
        self.output_ready.emit(MadeOutput(artifact.data, artifact.suffix, artifact.recipe, image, artifact.peaks,
                                          artifact.mask))

    def _inputs(self, request: Request) -> dict[str, bytes]:
        names = set(request.inputs.values())
        if names and self._read_asset is None:
            raise ProjectError("the job's inputs are not in an open project; open the project again")
        return {name: self._read_asset(name) for name in names}

    @Slot(object)
    def scan(self, extra_folders) -> None:
        from ..engine import registry

        result = registry.scan(extra_folders)
        self.models_found.emit(result.models, result.problems)

    @Slot()
    def warm(self) -> None:
        """Start the engine process ahead of the first job, so that job starts at once."""
        try:
            if self._had_job or self.engine_pid is not None or self.closing:
                return  # a job got there first (it starts the engine), or the window is going
            self.status.emit("Starting the engine ...")
            try:
                version = self.host.warm()
            except GenerationCancelled:  # stopped while starting (frozen, or the window closed)
                self.status.emit("Engine stopped; it starts again with the next job.")
                return
            except AtelierError as exc:
                self.status.emit(str(exc))
                return
            self.engine_ready.emit(version)
        finally:
            self.call_ended.emit(False)

    @Slot(object, object, object)
    def generate(self, info, request: Request, extra_models: dict | None = None) -> None:
        """Run ``request`` on model ``info`` (None for a task that needs none: a Lanczos
        upscale), with ``extra_models`` (id -> ModelInfo: an upscale's refining model)."""
        from ..engine.runner import EngineJob

        try:
            self._had_job = True
            if self.closing:
                self.job_cancelled.emit("cancelled: the window closed")
                return
            extra_models = dict(extra_models or {})
            for model in (info, *extra_models.values()):
                if model is not None and not Path(model.path).exists():  # deleted or moved since the scan
                    self.job_failed.emit(f"{model.name} is no longer at {model.path}")
                    self.model_missing.emit(model)  # after the failure, so its message is the last word
                    return
            job = EngineJob(info, request, self._inputs(request), extra_models=extra_models)
            self.host.run(job, self.options, self._on_event)
        except GenerationCancelled as exc:
            self.job_cancelled.emit(str(exc))
        except AtelierError as exc:
            self.job_failed.emit(str(exc))
        except Exception as exc:  # a bug must not take the window down; the log has the details
            log.exception("generation crashed")
            self.job_failed.emit(f"unexpected error: {exc}")
        finally:
            self.job_done.emit()
            self.call_ended.emit(True)


class EngineThread(QObject):
    """Owns the worker thread for the window's lifetime (lives in the window's thread).

    Cancel asks the engine to stop at the end of its step and counts down ``CANCEL_GRACE_S``
    (``cancel_countdown``, each second); if the engine call has not returned by then, the
    engine process itself is stopped (``engine_stopped``). Nothing here ever blocks on the
    engine: the countdown is a timer, and ``shutdown``'s join is bounded."""

    request_scan = Signal(object)
    request_warm = Signal()
    request_generate = Signal(object, object, object)  # model (or None), request, extra models
    cancel_countdown = Signal(int)  # seconds until the engine is stopped; 0: no longer waiting
    engine_stopped = Signal()  # the grace ran out: the engine process was stopped
    idle = Signal()  # no warm-up or job is running or waiting in the worker's queue

    def __init__(self, settings, host=None, parent=None):
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("atelier-engine")
        self.worker = EngineWorker(settings, host)
        self.worker.moveToThread(self.thread)
        self.request_scan.connect(self.worker.scan)
        self.request_warm.connect(self.worker.warm)
        self.request_generate.connect(self.worker.generate)
        self.worker.call_ended.connect(self._on_call_ended)
        self._calls = 0  # warm-ups and jobs handed to the worker that have not returned yet
        self._deadline: float | None = None  # monotonic time the engine is stopped at
        self._shown = 0  # the last second counted down
        self._countdown = QTimer(self)
        self._countdown.setInterval(100)  # fine enough for a grace of under a second in tests
        self._countdown.timeout.connect(self._tick)

    @property
    def busy(self) -> bool:
        return self._calls > 0

    @property
    def counting_down(self) -> bool:
        return self._deadline is not None

    @property
    def longest_wait_s(self) -> float:
        """The most a cancel can take to end the running call: the grace, then the process stop."""
        return CANCEL_GRACE_S + 2 * _JOIN_S

    def start(self) -> None:
        """Start the thread; what was asked of the worker before waits in its queue, in order."""
        self.thread.start()

    def warm(self) -> None:
        self._calls += 1
        self.request_warm.emit()

    def generate(self, info, request: Request, extra_models: dict | None = None) -> None:
        self.worker.host.reset_cancel()
        self._calls += 1
        self.request_generate.emit(info, request, extra_models or {})

    def cancel(self) -> None:
        """Ask the running call to stop; stop the engine process if it has not within the grace."""
        self.worker.cancel()
        if self.busy and self._deadline is None:
            self._deadline = time.monotonic() + CANCEL_GRACE_S
            self._shown = 0
            self._countdown.start()
            self._tick()

    @Slot()
    def _tick(self) -> None:
        left = self._deadline - time.monotonic()
        if left > 0:
            if math.ceil(left) != self._shown:
                self._shown = math.ceil(left)
                self.cancel_countdown.emit(self._shown)
            return
        self._end_countdown()
        log.warning("the engine did not confirm a cancel in %.0f s; stopping its process", CANCEL_GRACE_S)
        self.worker.stop_engine_process()
        self.engine_stopped.emit()

    def _end_countdown(self) -> None:
        self._countdown.stop()
        if self._deadline is not None:
            self._deadline = None
            self.cancel_countdown.emit(0)

    @Slot(bool)
    def _on_call_ended(self, was_job: bool) -> None:
        self._calls = max(0, self._calls - 1)
        # A job ending answers the cancel; a warm-up ending does not if a job waits behind it.
        if was_job or not self.busy:
            self._end_countdown()
        if not self.busy:
            self.idle.emit()

    def shutdown(self) -> None:
        """Stop and join the thread, bounded: calls still queued are skipped, and a call still
        running after ``_JOIN_S`` has its engine process stopped under it, which ends it."""
        self._end_countdown()
        self.worker.closing = True
        self.worker.cancel()
        self.thread.quit()
        if not self.thread.wait(int(_JOIN_S * 1000)):
            log.warning("the engine thread did not end in %.0f s; stopping the engine process", _JOIN_S)
            self.worker.stop_engine_process()
            if not self.thread.wait(int(_JOIN_S * 1000)):
                log.error("the engine thread is still running; leaving it behind")
                _left_behind.append(self.thread)  # destroying a running QThread aborts the app


_left_behind: list[QThread] = []
