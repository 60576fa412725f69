"""The bridge between the Qt window and the Qt-free engine.

One long-lived QThread hosts an EngineWorker; the window sends it requests through queued
signals and gets progress, previews and images back as signals. Only signals cross threads:
the worker never touches a widget. Cancel is a threading.Event the UI sets directly, because
the worker's own event loop is busy while it generates.
"""

import logging
import threading
from dataclasses import dataclass

from PIL import Image
from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from ..core.errors import AtelierError, GenerationCancelled
from ..core.jobs import ImageRequest
from ..core.recipe import Recipe

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageOutput:
    """A finished image: its PNG (metadata included, encoded off the UI thread), a QImage
    for display, and its recipe. The window stores the PNG in the project before showing it."""

    png: bytes
    image: QImage
    recipe: Recipe


def pil_to_qimage(image: Image.Image) -> QImage:
    """A QImage that owns its pixels (the copy detaches it from the Python bytes)."""
    rgba = image.convert("RGBA")
    data = rgba.tobytes()
    return QImage(data, rgba.width, rgba.height, rgba.width * 4, QImage.Format.Format_RGBA8888).copy()


class EngineWorker(QObject):
    """Runs engine calls on its own thread. Slots are invoked through queued signals."""

    models_found = Signal(object, object)  # list[ModelInfo], list[str] problems
    status = Signal(str)  # "Loading model ..." and the like
    model_loaded = Signal(str, str, str)  # model name, device, dtype
    step = Signal(int, int, int, int, float)  # image index, image count, step, total, elapsed s
    preview = Signal(QImage)
    image_ready = Signal(object)  # ImageOutput
    job_failed = Signal(str)  # one-line message
    job_cancelled = Signal(str)
    job_done = Signal()  # the job ended, whatever the outcome

    def __init__(self, settings):
        super().__init__()
        self.configure(settings)
        self.cancel_event = threading.Event()
        self._cache = None  # PipelineCache, created on first use: that is when torch loads

    def configure(self, settings) -> None:
        """Take engine settings; they apply from the next job (plain attributes read at its start)."""
        self.device = settings.device
        self.precision = settings.precision
        self.memory_mode = settings.memory_mode
        self.preview_every = settings.preview_every if settings.previews else 0

    @Slot(object)
    def scan(self, extra_folders) -> None:
        from ..engine import registry

        result = registry.scan(extra_folders)
        self.models_found.emit(result.models, result.problems)

    @Slot(object, object)
    def generate(self, info, request: ImageRequest) -> None:
        try:
            self._generate(info, request)
        except GenerationCancelled as exc:
            self.job_cancelled.emit(str(exc))
        except AtelierError as exc:
            self.job_failed.emit(str(exc))
        except Exception as exc:  # a bug must not take the window down; the log has the details
            log.exception("generation crashed")
            self.job_failed.emit(f"unexpected error: {exc}")
        finally:
            self.job_done.emit()

    def _generate(self, info, request: ImageRequest) -> None:
        from ..core.metadata import png_bytes
        from ..engine.image import generate_images
        from ..engine.loader import PipelineCache, dtype_for, require_text_to_image

        require_text_to_image(info)
        if self._cache is None:
            self.status.emit("Starting the engine (first time: loading torch) ...")
            self._cache = PipelineCache()
        self.status.emit(f"Loading {info.name} ...")
        loaded = self._cache.get(info, self.device, dtype_for(self.precision), self.memory_mode)
        self.model_loaded.emit(info.name, loaded.device, loaded.dtype)
        self.status.emit(f"Generating with {info.name} on {loaded.device} ...")

        def on_step(progress):
            self.step.emit(progress.image_index, progress.image_count, progress.step, progress.total, progress.elapsed)
            if progress.preview is not None:
                self.preview.emit(pil_to_qimage(progress.preview))

        def on_image(result):
            png = png_bytes(result.image, result.recipe)
            self.image_ready.emit(ImageOutput(png, pil_to_qimage(result.image), result.recipe))

        generate_images(
            loaded, request, on_step=on_step, on_image=on_image,
            should_cancel=self.cancel_event.is_set, preview_every=self.preview_every,
        )


class EngineThread(QObject):
    """Owns the worker thread for the window's lifetime; ``shutdown`` cancels and joins it."""

    request_scan = Signal(object)
    request_generate = Signal(object, object)

    def __init__(self, settings, parent=None):
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("atelier-engine")
        self.worker = EngineWorker(settings)
        self.worker.moveToThread(self.thread)
        self.request_scan.connect(self.worker.scan)
        self.request_generate.connect(self.worker.generate)
        self.thread.start()

    def generate(self, info, request: ImageRequest) -> None:
        self.worker.cancel_event.clear()
        self.request_generate.emit(info, request)

    def cancel(self) -> None:
        self.worker.cancel_event.set()

    def shutdown(self) -> None:
        """Cancel any job (it stops within one step), then stop and join the thread."""
        self.cancel()
        self.thread.quit()
        self.thread.wait()
