"""The bridge between the Qt window and the engine process.

One long-lived QThread hosts an EngineWorker; the window sends it requests through queued
signals and gets progress, previews and images back as signals. The worker waits on the
engine child process (``atelier.engine.host``), so neither torch's import nor a generation can
hold this process's GIL. Only signals cross threads: the worker never touches a widget.
"""

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from ..core.errors import AtelierError, GenerationCancelled
from ..core.jobs import ImageRequest
from ..core.recipe import Recipe
from ..engine.messages import EngineCallbacks, EngineOptions, FinishedImage, Picture

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageOutput:
    """A finished image: its PNG (metadata included, encoded in the engine process), a QImage
    for display, and its recipe. The window stores the PNG in the project before showing it."""

    png: bytes
    image: QImage
    recipe: Recipe


def picture_to_qimage(picture: Picture) -> QImage:
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
    step = Signal(int, int, int, int, float)  # image index, image count, step, total, elapsed s
    preview = Signal(QImage)
    image_ready = Signal(object)  # ImageOutput
    job_failed = Signal(str)  # one-line message
    job_cancelled = Signal(str)
    job_done = Signal()  # the job ended, whatever the outcome

    def __init__(self, settings, host=None):
        super().__init__()
        self._host = host  # an EngineHost; the process-wide one, made on first use, when None
        self.configure(settings)
        self._callbacks = EngineCallbacks(
            on_status=self.status.emit,
            on_loading=self.model_loading.emit,
            on_loaded=self.model_loaded.emit,
            on_step=self.step.emit,
            on_preview=lambda picture: self.preview.emit(picture_to_qimage(picture)),
            on_image=self._on_image,
        )

    def configure(self, settings) -> None:
        """Take engine settings; they apply from the next job."""
        self.options = EngineOptions(
            device=settings.device,
            precision=settings.precision,
            memory_mode=settings.memory_mode,
            preview_every=settings.preview_every if settings.previews else 0,
        )

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

    def _on_image(self, finished: FinishedImage) -> None:
        self.image_ready.emit(ImageOutput(finished.png, picture_to_qimage(finished.picture), finished.recipe))

    @Slot(object)
    def scan(self, extra_folders) -> None:
        from ..engine import registry

        result = registry.scan(extra_folders)
        self.models_found.emit(result.models, result.problems)

    @Slot()
    def warm(self) -> None:
        """Start the engine process ahead of the first job, so that job starts at once."""
        if self.engine_pid is not None:
            return  # a job got there first: the engine is running
        self.status.emit("Starting the engine ...")
        try:
            version = self.host.warm()
        except AtelierError as exc:
            self.status.emit(str(exc))
            return
        self.engine_ready.emit(version)

    @Slot(object, object)
    def generate(self, info, request: ImageRequest) -> None:
        try:
            self.host.generate(info, request, self.options, self._callbacks)
        except GenerationCancelled as exc:
            self.job_cancelled.emit(str(exc))
        except AtelierError as exc:
            self.job_failed.emit(str(exc))
        except Exception as exc:  # a bug must not take the window down; the log has the details
            log.exception("generation crashed")
            self.job_failed.emit(f"unexpected error: {exc}")
        finally:
            self.job_done.emit()


class EngineThread(QObject):
    """Owns the worker thread for the window's lifetime; ``shutdown`` cancels and joins it."""

    request_scan = Signal(object)
    request_warm = Signal()
    request_generate = Signal(object, object)

    def __init__(self, settings, host=None, parent=None):
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("atelier-engine")
        self.worker = EngineWorker(settings, host)
        self.worker.moveToThread(self.thread)
        self.request_scan.connect(self.worker.scan)
        self.request_warm.connect(self.worker.warm)
        self.request_generate.connect(self.worker.generate)

    def start(self) -> None:
        """Start the thread; what was asked of the worker before waits in its queue, in order."""
        self.thread.start()

    def generate(self, info, request: ImageRequest) -> None:
        self.worker.host.reset_cancel()
        self.request_generate.emit(info, request)

    def cancel(self) -> None:
        self.worker.cancel()

    def shutdown(self) -> None:
        """Cancel any job (it stops within one step), then stop and join the thread."""
        self.cancel()
        self.thread.quit()
        self.thread.wait()
