"""The main window (walking skeleton): model picker, prompt, settings, Generate/Cancel,
progress, and the canvas. Generation runs in the engine thread; this file never imports torch."""

import time

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from .. import __version__, paths
from ..core.errors import RequestError
from ..core.jobs import MAX_BATCH, MAX_SEED, MAX_SIDE, MAX_STEPS, ImageRequest
from ..core.schedulers import DEFAULT_SCHEDULER, SCHEDULER_NAMES
from ..settings import Settings
from .canvas import CanvasView
from .worker import EngineThread, ImageOutput

# Native size per family: what the model was trained at, and what artists expect by default.
_NATIVE_SIDE = {"sd15": 512, "sd2": 768, "sdxl": 1024, "sd3": 1024, "flux": 1024, "pixart": 1024}


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None):
        super().__init__()
        self.settings = settings or Settings.load()
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"Atelier {__version__}")
        self.resize(1180, 760)
        self._models = []
        self._running = False
        self._request: ImageRequest | None = None
        self.last_output: ImageOutput | None = None

        self.canvas = CanvasView()
        splitter = QSplitter()
        splitter.addWidget(self._build_panel())
        splitter.addWidget(self.canvas)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([340, 840])
        self.setCentralWidget(splitter)
        self.statusBar().showMessage("Looking for models ...")

        self.engine = EngineThread(paths.outputs_dir(), self.settings.device, parent=self)
        worker = self.engine.worker
        worker.models_found.connect(self._on_models_found)
        worker.status.connect(self._on_status)
        worker.step.connect(self._on_step)
        worker.preview.connect(self._on_preview)
        worker.image_ready.connect(self._on_image_ready)
        worker.job_failed.connect(self._on_failed)
        worker.job_cancelled.connect(self._on_cancelled)
        worker.job_done.connect(self._on_job_done)
        self.engine.request_scan.emit(list(self.settings.model_folders))

    # ----- building -------------------------------------------------------------------------
    def _build_panel(self) -> QWidget:
        panel = QWidget()
        panel.setMinimumWidth(300)
        layout = QVBoxLayout(panel)

        self.model_combo = _named(QComboBox(), "modelCombo", "Model")
        self.model_combo.setEnabled(False)
        self.model_combo.addItem("Looking for models ...")
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)
        self.prompt_edit = _named(QPlainTextEdit(), "promptEdit", "Prompt")
        self.prompt_edit.setPlaceholderText("Describe the image ...  (Ctrl+Enter generates)")
        self.negative_edit = _named(QPlainTextEdit(), "negativePromptEdit", "Negative prompt")
        self.negative_edit.setPlaceholderText("What to avoid (optional)")
        self.negative_edit.setMaximumHeight(70)

        # QSpinBox is 32-bit signed; seeds go to 2**32 - 1, which a 0-decimal double holds exactly.
        self.seed_spin = _named(QDoubleSpinBox(), "seedSpin", "Seed")
        self.seed_spin.setDecimals(0)
        self.seed_spin.setRange(-1, MAX_SEED)
        self.seed_spin.setValue(-1)
        self.seed_spin.setSpecialValueText("Random")
        self.steps_spin = _spin("stepsSpin", "Steps", 1, MAX_STEPS, 25)
        self.guidance_spin = _named(QDoubleSpinBox(), "guidanceSpin", "Guidance (CFG scale)")
        self.guidance_spin.setRange(0.0, 50.0)
        self.guidance_spin.setSingleStep(0.5)
        self.guidance_spin.setValue(7.0)
        self.scheduler_combo = _named(QComboBox(), "schedulerCombo", "Sampler")
        self.scheduler_combo.addItems(SCHEDULER_NAMES)
        self.scheduler_combo.setCurrentText(DEFAULT_SCHEDULER)
        self.width_spin = _spin("widthSpin", "Width", 8, MAX_SIDE, 512, step=8)
        self.height_spin = _spin("heightSpin", "Height", 8, MAX_SIDE, 512, step=8)
        self.batch_spin = _spin("batchSpin", "Images", 1, MAX_BATCH, 1)

        size_row = QHBoxLayout()
        size_row.addWidget(self.width_spin)
        size_row.addWidget(QLabel("x"))
        size_row.addWidget(self.height_spin)
        form = QFormLayout()
        form.addRow("Seed", self.seed_spin)
        form.addRow("Steps", self.steps_spin)
        form.addRow("Guidance", self.guidance_spin)
        form.addRow("Sampler", self.scheduler_combo)
        form.addRow("Size", size_row)
        form.addRow("Images", self.batch_spin)

        self.generate_button = _named(QPushButton("Generate"), "generateButton", "Generate")
        self.generate_button.setDefault(True)
        self.generate_button.setMinimumHeight(36)
        self.generate_button.clicked.connect(self.start_generation)
        self.cancel_button = _named(QPushButton("Cancel"), "cancelButton", "Cancel generation")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_generation)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 3)
        buttons.addWidget(self.cancel_button, 1)
        self.progress_bar = _named(QProgressBar(), "progressBar", "Progress")
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("Idle")
        self.progress_bar.setValue(0)
        self.message_label = _named(QLabel(""), "messageLabel", "Message")
        self.message_label.setWordWrap(True)

        layout.addWidget(QLabel("Model"))
        layout.addWidget(self.model_combo)
        layout.addWidget(QLabel("Prompt"))
        layout.addWidget(self.prompt_edit, 2)
        layout.addWidget(QLabel("Negative prompt"))
        layout.addWidget(self.negative_edit, 1)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.message_label)
        layout.addStretch(0)

        QShortcut(QKeySequence("Ctrl+Return"), self, self.start_generation)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.start_generation)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.cancel_generation)
        return panel

    # ----- actions ---------------------------------------------------------------------------
    @Slot()
    def start_generation(self) -> None:
        """Snapshot the form into an immutable request and hand it to the engine thread."""
        if self._running:
            return
        info = self.model_combo.currentData()
        if info is None:
            self._show_message("Choose a model first.", error=True)
            return
        try:
            request = ImageRequest(
                prompt=self.prompt_edit.toPlainText().strip(),
                negative_prompt=self.negative_edit.toPlainText().strip(),
                seed=None if self.seed_spin.value() < 0 else int(self.seed_spin.value()),
                steps=self.steps_spin.value(),
                guidance=self.guidance_spin.value(),
                width=self.width_spin.value(),
                height=self.height_spin.value(),
                scheduler=self.scheduler_combo.currentText(),
                batch_size=self.batch_spin.value(),
            )
        except RequestError as exc:
            self._show_message(str(exc), error=True)
            return
        self._request = request
        self._set_running(True)
        self._job_started = time.perf_counter()
        self.progress_bar.setRange(0, 0)  # busy until the first step arrives
        self.progress_bar.setFormat("Starting ...")
        self._show_message("")
        self.engine.generate(info, request)

    @Slot()
    def cancel_generation(self) -> None:
        if self._running:
            self.engine.cancel()
            self.progress_bar.setFormat("Cancelling ...")

    # ----- engine signals ---------------------------------------------------------------------
    @Slot(object, object)
    def _on_models_found(self, models, problems) -> None:
        self._models = [m for m in models if m.kind == "image"]
        self.model_combo.clear()
        for model in self._models:
            self.model_combo.addItem(f"{model.name}  [{model.family}]", model)
            self.model_combo.setItemData(self.model_combo.count() - 1, str(model.path), Qt.ItemDataRole.ToolTipRole)
        if self._models:
            self.model_combo.setEnabled(True)
            self.statusBar().showMessage(f"{len(self._models)} image model(s) found", 5000)
        else:
            self.model_combo.addItem("No models found")
            self.model_combo.setEnabled(False)
            self._show_message(f"No image models found. Put diffusers model folders in {paths.models_dir()}", error=True)
        if problems:
            self.statusBar().showMessage(f"{len(problems)} model folder(s) skipped: {problems[0]}", 15000)
        self._update_buttons()

    @Slot(int)
    def _on_model_changed(self, _index: int) -> None:
        info = self.model_combo.currentData()
        if info is not None and info.family.split("-")[0] in _NATIVE_SIDE:
            side = _NATIVE_SIDE[info.family.split("-")[0]]
            self.width_spin.setValue(side)
            self.height_spin.setValue(side)

    @Slot(str)
    def _on_status(self, text: str) -> None:
        self.statusBar().showMessage(text)
        self.progress_bar.setFormat(text)

    @Slot(int, int, int, int, float)
    def _on_step(self, index: int, count: int, step: int, total: int, elapsed: float) -> None:
        self.progress_bar.setRange(0, total * count)
        self.progress_bar.setValue(index * total + step)
        eta = elapsed / step * (total - step) if step else 0.0
        image = f"image {index + 1}/{count}, " if count > 1 else ""
        self.progress_bar.setFormat(f"{image}step {step}/{total}  ·  {eta:.0f} s left")

    @Slot(QImage)
    def _on_preview(self, image: QImage) -> None:
        if self._request is not None:
            self.canvas.show_image(image, (self._request.width, self._request.height))

    @Slot(object)
    def _on_image_ready(self, output: ImageOutput) -> None:
        self.last_output = output
        self.canvas.show_image(output.image)
        self.statusBar().showMessage(f"Saved {output.path}  (seed {output.recipe.seed})")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._show_message(message, error=True)

    @Slot(str)
    def _on_cancelled(self, message: str) -> None:
        self._show_message(f"Generation {message}.")

    @Slot()
    def _on_job_done(self) -> None:
        self._set_running(False)
        self.progress_bar.setRange(0, 100)
        if self.message_label.property("error"):
            self.progress_bar.setValue(0)
            self.progress_bar.setFormat("Failed")
        elif self.message_label.text().startswith("Generation cancelled"):
            self.progress_bar.setFormat("Cancelled")
        else:
            self.progress_bar.setValue(100)
            self.progress_bar.setFormat(f"Done in {time.perf_counter() - self._job_started:.1f} s")

    # ----- helpers ---------------------------------------------------------------------------
    def _set_running(self, running: bool) -> None:
        self._running = running
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.generate_button.setEnabled(not self._running and bool(self._models))
        self.cancel_button.setEnabled(self._running)

    def _show_message(self, text: str, error: bool = False) -> None:
        self.message_label.setText(text)
        self.message_label.setProperty("error", error)
        self.message_label.setStyleSheet("color: #ff8a80;" if error else "")

    def closeEvent(self, event) -> None:
        # Cancel any job; it stops within one step, then the engine thread is joined.
        self.engine.shutdown()
        super().closeEvent(event)


def _named(widget, name: str, accessible: str):
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    return widget


def _spin(name: str, accessible: str, low: int, high: int, value: int, step: int = 1) -> QSpinBox:
    spin = _named(QSpinBox(), name, accessible)
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setValue(value)
    return spin
