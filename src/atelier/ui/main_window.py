"""The main window: the canvas in the centre, the prompt panel docked beside it, a project
menu, and two worker threads (engine and project) so the window never waits on either."""

import os
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer, Slot
from PySide6.QtGui import (
    QAction,
    QImage,
    QKeySequence,
    QShortcut,
    QUndoCommand,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QWidget,
)

from .. import __version__, paths
from ..core.autosave import AutosaveClock
from ..core.edits import EDITS
from ..core.errors import RequestError
from ..core.jobs import Job, JobState
from ..core.project import Project, new_id
from ..core.project_io import SUFFIX
from ..core.queue import JobQueue
from ..core.recipe import Recipe
from ..settings import Settings
from .canvas import CanvasView
from .history import HistoryView
from .project_worker import ProjectThread
from .prompt_panel import PromptPanel
from .queue import QueueView
from .theme import apply_theme
from .widgets import FrameLimiter, after_first_frame, named
from .worker import EngineThread, ImageOutput

_FILE_FILTER = f"Atelier projects (*{SUFFIX})"


_WARM_UP_DELAY_MS = 300
# Progress and live previews repaint at most this often (12.5 per second): smooth to the eye,
# and a fast engine's steps do not turn into repaints that take CPU from it.
_PROGRESS_FRAME_MS = 80


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None, engine_host=None):
        """``engine_host``: the EngineHost to generate with; the process-wide one when None."""
        super().__init__()
        self.settings = settings or Settings.load()
        self.setObjectName("mainWindow")
        self.resize(1280, 800)
        self._models = []
        self._frames = FrameLimiter(_PROGRESS_FRAME_MS, self)  # step and preview repaints
        self._pending: dict[str, ImageOutput] = {}  # images waiting to be stored before shown
        self._closing = False
        self._close_when_idle = False  # closing waits for the engine call to end (bounded)
        self._force_close = False  # the wait is over: close even if the engine thread is busy
        self._storage_problem: str | None = None  # set when no work could be kept: no generating
        self.project: Project = Project()
        self.project_path: Path | None = None
        self.last_output: ImageOutput | None = None
        self.reproductions: dict[str, bool] = {}  # output id -> pixels identical when remade
        self._edits: dict[str, "_EditCommand"] = {}  # token -> the edit waiting for its new output
        self.autosave = AutosaveClock(interval=float(self.settings.autosave_seconds))
        self._merged_message = ""  # what the next "Saved" says about outputs taken in from elsewhere

        self.canvas = CanvasView()
        self.canvas.file_dropped.connect(self.import_image_file)
        self.canvas.paste_requested.connect(self.import_pasted_image)
        self.setCentralWidget(self.canvas)
        self.current_output_id: str | None = None  # the project output the canvas shows
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.panel = PromptPanel()
        self.panel.generate_requested.connect(self.start_generation)
        self.panel.cancel_requested.connect(self.cancel_generation)
        self.prompt_dock = self._dock("Prompt", "promptDock", self.panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.start_generation)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.start_generation)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.cancel_generation)
        self.jobs = JobQueue()
        self.queue = QueueView(self.jobs)
        self.queue.cancel_requested.connect(self.cancel_job)
        self.history = HistoryView()
        self.history.output_activated.connect(self.show_output)
        self.history.action_requested.connect(self.on_history_action)
        self.history_dock = self._dock("History", "historyDock", self.history, Qt.DockWidgetArea.RightDockWidgetArea)
        self.queue_dock = self._dock("Queue", "queueDock", self.queue, Qt.DockWidgetArea.RightDockWidgetArea)
        self.undo_stack = QUndoStack(self)
        # The gallery is what artists browse; the queue needs only a few lines.
        self.resizeDocks([self.history_dock, self.queue_dock], [560, 200], Qt.Orientation.Vertical)
        self.resizeDocks([self.prompt_dock, self.history_dock], [320, 380], Qt.Orientation.Horizontal)
        self._build_menus()
        self.statusBar().showMessage("Looking for models ...")
        self.engine_label = self._status_label("engineLabel", "Engine: not started")
        self.memory_label = self._status_label("memoryLabel", "")

        self.engine = EngineThread(self.settings, host=engine_host, parent=self)
        worker = self.engine.worker
        worker.models_found.connect(self._on_models_found)
        worker.status.connect(self._on_status)
        worker.engine_ready.connect(self._on_engine_ready)
        worker.model_loading.connect(self._on_model_loading)
        worker.model_loaded.connect(self._on_model_loaded)
        worker.step.connect(self._on_step)
        worker.preview.connect(self._on_preview)
        worker.image_ready.connect(self._on_image_ready)
        worker.job_failed.connect(self._on_failed)
        worker.job_cancelled.connect(self._on_cancelled)
        worker.job_done.connect(self._on_job_done)
        self.engine.cancel_countdown.connect(self._on_cancel_countdown)
        self.engine.engine_stopped.connect(self._on_engine_stopped)
        self.engine.idle.connect(self._on_engine_idle)

        self.projects = ProjectThread(parent=self)
        pw = self.projects.worker
        pw.opened.connect(self._on_project_opened)
        pw.output_stored.connect(self._on_output_stored)
        pw.saved.connect(self._on_project_saved)
        pw.merged.connect(self._on_project_merged)
        pw.dirty_changed.connect(self._on_dirty_changed)
        pw.crashed_found.connect(self._on_crashed_found)
        pw.failed.connect(self._on_project_failed)
        pw.unavailable.connect(self._on_storage_unavailable)
        pw.closed.connect(self._on_project_closed)
        pw.output_changed.connect(self._on_output_changed)
        pw.asset_loaded.connect(self._on_asset_loaded)
        pw.compared.connect(self._on_compared)
        pw.exported.connect(self._on_exported)
        pw.output_removed.connect(self._on_output_removed)
        pw.output_restored.connect(self._on_output_restored)

        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(1000)
        self._autosave_timer.timeout.connect(self._maybe_autosave)
        self._autosave_timer.timeout.connect(self._show_memory)
        self._autosave_timer.start()

        self._restore_layout()
        self._update_title()
        self.engine.request_scan.emit(list(self.settings.model_folders))
        # torch loads in the engine process while the artist looks at the window, not on Generate;
        # started a moment after the window is up, so it does not compete with the first paint.
        QTimer.singleShot(_WARM_UP_DELAY_MS, self, self._warm_engine)  # dropped if the window goes first
        self.projects.request_start.emit()
        # The two threads start once the first frame is painted, so the scan and the new working
        # folder do not share the cores with it; what was asked of them waits in order.
        self._threads_ended = False
        QTimer.singleShot(0, self, lambda: after_first_frame(self, self._start_threads))

    # ----- building -------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_action = self._action(file_menu, "&New Project", "newAction", QKeySequence.StandardKey.New, self.new_project)
        self.open_action = self._action(file_menu, "&Open...", "openAction", QKeySequence.StandardKey.Open, self.open_project_dialog)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        self.save_action = self._action(file_menu, "&Save", "saveAction", QKeySequence.StandardKey.Save, self.save_project)
        self.save_as_action = self._action(file_menu, "Save &As...", "saveAsAction", QKeySequence.StandardKey.SaveAs,
                                           self.save_project_as_dialog)
        file_menu.addSeparator()
        self.save_image_action = self._action(file_menu, "Save &Image As...", "saveImageAsAction",
                                              QKeySequence("Ctrl+Shift+E"), self.save_image_as_dialog)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", "quitAction", QKeySequence.StandardKey.Quit, self.close)
        edit_menu = self.menuBar().addMenu("&Edit")
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        undo.setObjectName("undoAction")
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        redo.setObjectName("redoAction")
        edit_menu.addActions([undo, redo])
        edit_menu.addSeparator()
        self._action(edit_menu, "&Copy Image", "copyImageAction", QKeySequence.StandardKey.Copy, self.canvas.copy_image)
        edit_menu.addSeparator()
        self._action(edit_menu, "&Settings...", "settingsAction", QKeySequence.StandardKey.Preferences,
                     self.open_settings)
        image_menu = self.menuBar().addMenu("&Image")
        image_menu.setObjectName("imageMenu")
        for operation, (text, _transpose) in EDITS.items():
            action = self._action(image_menu, text, _camel(operation) + "Action", QKeySequence(),
                                  self._edit_from_menu)
            action.setData(operation)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.prompt_dock.toggleViewAction())
        view_menu.addAction(self.history_dock.toggleViewAction())
        view_menu.addAction(self.queue_dock.toggleViewAction())

    def _status_label(self, name: str, text: str) -> QLabel:
        label = named(QLabel(text), name, name.removesuffix("Label").capitalize())
        label.setContentsMargins(8, 0, 8, 0)
        self.statusBar().addPermanentWidget(label)
        return label

    def _action(self, menu, text, name, shortcut, slot) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    # ----- generation ------------------------------------------------------------------------
    @Slot()
    def start_generation(self) -> None:
        """Snapshot the form into an immutable request and queue it; it runs when its turn comes."""
        info = self.panel.current_model()
        if info is None:
            self._show_message("Choose a model first.", error=True)
            return
        try:
            request = self.panel.request()
        except RequestError as exc:
            self._show_message(str(exc), error=True)
            return
        self.panel.remember_prompt(request.prompt)
        self.queue.model.add(Job(request, info.id, info.name), info)
        self._show_message("")
        self._dispatch()

    @property
    def running_job(self) -> Job | None:
        """The job the engine has, until it is free again."""
        return self.jobs.running

    # ----- history actions ---------------------------------------------------------------------
    @Slot(str)
    def show_output(self, output_id: str) -> None:
        """Show an output on the canvas; the image is decoded on the project thread."""
        self.current_output_id = output_id
        self.projects.request_image.emit(output_id)

    @Slot(str)
    def import_image_file(self, path: str) -> None:
        """A dropped image joins the history, with the prompt its metadata reveals."""
        self.projects.request_import.emit([Path(path)])

    @Slot(QImage)
    def import_pasted_image(self, image: QImage) -> None:
        self.projects.request_paste.emit(image)

    @Slot()
    def save_image_as_dialog(self) -> None:
        if self.current_output_id is None:
            self._show_message("Choose an image in the history first.", error=True)
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save image as", str(Path.home() / "image.png"),
                                              "PNG (*.png);;JPEG (*.jpg *.jpeg);;WebP (*.webp)")
        if path:
            self.save_image_as(Path(path))

    def save_image_as(self, path: Path) -> None:
        """PNG keeps every metadata chunk; JPEG and WebP carry the A1111 text in EXIF."""
        self.projects.request_save_image.emit(self.current_output_id, Path(path))

    @Slot(str, str)
    def on_history_action(self, name: str, output_id: str) -> None:
        found = self._find(output_id)
        if found is None:
            return
        entry, output = found
        recipe = output.recipe or {}
        if name == "use_prompt":
            self.panel.use_prompt(recipe.get("prompt", entry.prompt), recipe.get("negative_prompt", entry.negative_prompt))
        elif name == "use_seed" and "seed" in recipe:
            self.panel.use_seed(recipe["seed"])
        elif name == "favourite":
            self.change_marks(output, favourite=not output.favourite)
        elif name == "hide":
            self.change_marks(output, hidden=not output.hidden)
        elif name.startswith("rate:"):
            self.change_marks(output, rating=int(name.split(":")[1]))
        elif name == "export":
            folder = QFileDialog.getExistingDirectory(self, "Export to folder", str(Path.home()))
            if folder:
                self.projects.request_export.emit([output_id], Path(folder))
        elif name == "reproduce":
            self.reproduce(output_id)
        elif name == "delete":
            self.undo_stack.push(_DeleteCommand(self, output_id))

    @Slot()
    def _edit_from_menu(self) -> None:
        self.edit_image(self.sender().data())

    def edit_image(self, operation: str) -> None:
        """Flip or rotate the image on the canvas into a new history output (undoable)."""
        found = self._find(self.current_output_id) if self.current_output_id else None
        if found is None or found[1].kind != "image":
            self._show_message("Choose an image in the history first.", error=True)
            return
        self.undo_stack.push(_EditCommand(self, found[1].id, operation))

    def change_marks(self, output, **marks) -> None:
        """One undoable step per change of favourite, rating or hidden."""
        before = {key: getattr(output, key) for key in marks}
        self.undo_stack.push(_MarkCommand(self, output.id, before, marks))

    def reproduce(self, output_id: str) -> None:
        """Queue the output's recipe again; when it is done, say whether the pixels match."""
        found = self._find(output_id)
        if found is None:
            return
        try:
            recipe = Recipe.from_dict(found[1].recipe or {})
            request = recipe.to_request()
        except (TypeError, ValueError, KeyError, RequestError):
            self._show_message("This image has no Atelier recipe to reproduce; use its prompt and seed instead.", error=True)
            return
        info = next((m for m in self._models if m.id == recipe.model.id), None)
        if info is None:
            self._show_message(f"Model {recipe.model.id!r} is not installed, so this image cannot be remade.", error=True)
            return
        self.queue.model.add(Job(request, info.id, info.name, reproduce_of=output_id), info)
        self._dispatch()

    def _find(self, output_id: str):
        return next(((e, o) for e, o in self.project.outputs() if o.id == output_id), None)

    def _dispatch(self) -> None:
        """Start the next queued job if the engine is free."""
        if self._closing:
            return
        job = self.jobs.start_next(time.perf_counter())
        if job is None:
            self._update_buttons()
            return
        info, request = self.jobs.model_of(job), job.request
        # The engine first: it starts on its threads while this one records and shows the job
        # (its answers wait in this thread's queue until this returns).
        self.engine.generate(info, request)
        self.queue.model.changed(job)
        self.queue.reveal(job)
        parameters = {k: v for k, v in request.to_dict().items() if k not in ("prompt", "negative_prompt")}
        model = {"id": info.id, "name": info.name, "family": info.family, "pipeline": info.pipeline}
        if job.reproduce_of is None:
            self.projects.request_begin.emit(job.id, request.prompt, request.negative_prompt, parameters, model)
        self.panel.show_progress("Starting ...", 0, job.total)
        self._update_buttons()

    @Slot()
    def cancel_generation(self) -> None:
        """Cancel the running job (Esc)."""
        if self.running_job is not None:
            self.cancel_job(self.running_job.id)

    @Slot(str)
    def cancel_job(self, job_id: str) -> None:
        """A queued job is dropped at once; the running one stops at the end of its step, or,
        if the engine has not confirmed within the grace, when its process is stopped."""
        job = self.jobs.find(job_id)
        if job is None or job.state.finished:
            return
        if job is self.running_job:
            self.panel.show_progress("Cancelling ...")
            self.engine.cancel()  # its countdown, if it starts one, replaces the text
        elif self.jobs.cancel_waiting(job_id) is not None:
            self.queue.model.changed(job)

    # ----- projects --------------------------------------------------------------------------
    @Slot()
    def new_project(self) -> None:
        if self._confirm_leaving("starting a new project"):
            self.projects.request_new.emit()

    @Slot()
    def open_project_dialog(self) -> None:
        start = str(Path(self.settings.recent_projects[0]).parent) if self.settings.recent_projects else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open project", start, _FILE_FILTER)
        if path:
            self.open_project(Path(path))

    def open_project(self, path: Path) -> None:
        if self._confirm_leaving(f"opening {Path(path).name}"):
            self.projects.request_open.emit(Path(path))

    @Slot()
    def save_project(self) -> bool:
        """Save, asking for a name if the project has none; False if the artist backed out."""
        if self.project_path is None:
            return self.save_project_as_dialog()
        self.projects.request_save.emit(None)
        return True

    @Slot()
    def save_project_as_dialog(self) -> bool:
        start = str(self.project_path or Path.home() / f"Untitled{SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self, "Save project as", start, _FILE_FILTER)
        if path:
            self.save_project_as(Path(path))
        return bool(path)

    def save_project_as(self, path: Path) -> None:
        path = Path(path)
        if path.suffix != SUFFIX:
            path = path.with_name(path.name + SUFFIX)
        self.projects.request_save.emit(path)

    def ask_unsaved(self, doing: str) -> QMessageBox.StandardButton:
        """Save, Discard or Cancel; a method so tests can answer without a modal dialog."""
        name = self.project_path.name if self.project_path else "Untitled"
        return QMessageBox.question(
            self, "Unsaved changes", f"{name} has unsaved changes. Save them before {doing}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )

    def ask_recover(self, crashed) -> bool:
        """Whether to bring back a crashed session's work; a method so tests can answer."""
        name = crashed.project_path.name if crashed.project_path else "an untitled project"
        answer = QMessageBox.question(
            self, "Recover work",
            f"Atelier closed unexpectedly while working on {name}.\n"
            f"{crashed.outputs} output(s) can be recovered, as of {crashed.modified[:19].replace('T', ' ')}.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Discard, QMessageBox.StandardButton.Yes,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _confirm_leaving(self, doing: str) -> bool:
        if not self.isWindowModified():
            return True
        answer = self.ask_unsaved(doing)
        if answer == QMessageBox.StandardButton.Save:
            return self.save_project()  # queued before what follows, on the same thread
        return answer == QMessageBox.StandardButton.Discard

    @Slot()
    def open_settings(self) -> None:
        # Imported when asked for: the dialog's module is not needed for the first frame.
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self)
        dialog.settings_accepted.connect(self.apply_settings)
        dialog.open()  # window-modal, not a nested event loop

    @Slot(object)
    def apply_settings(self, settings: Settings) -> None:
        """Keep the new settings and apply each where it lives."""
        folders_changed = settings.model_folders != self.settings.model_folders
        self.settings = settings
        self._save_settings()
        self.engine.worker.configure(settings)
        self.autosave.interval = float(settings.autosave_seconds)
        apply_theme(QApplication.instance(), settings.theme)
        if folders_changed:
            self.statusBar().showMessage("Looking for models ...")
            self.engine.request_scan.emit(list(settings.model_folders))

    @Slot()
    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for recent in self.settings.recent_projects:
            action = self.recent_menu.addAction(recent)
            action.setData(recent)
            action.triggered.connect(self._open_recent)
        if not self.settings.recent_projects:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    @Slot()
    def _open_recent(self) -> None:
        self.open_project(Path(self.sender().data()))

    @Slot()
    def _maybe_autosave(self) -> None:
        if self.project_path is not None and self.autosave.due(time.monotonic()):
            self.autosave.saved()
            self.projects.request_save.emit(None)

    # ----- engine signals ---------------------------------------------------------------------
    @Slot(object, object)
    def _on_models_found(self, models, problems) -> None:
        self._models = [m for m in models if m.kind == "image"]
        self.panel.set_models(self._models)
        if self._models:
            self.statusBar().showMessage(f"{len(self._models)} image model(s) found", 5000)
        else:
            self._show_message(f"No image models found. Put diffusers model folders in {paths.models_dir()}", error=True)
        if problems:
            self.statusBar().showMessage(f"{len(problems)} model folder(s) skipped: {problems[0]}", 15000)
        self._update_buttons()

    @Slot(str)
    def _on_status(self, text: str) -> None:
        self.statusBar().showMessage(text)
        self.panel.show_progress(text)

    @Slot()
    def _start_threads(self) -> None:
        if not self._threads_ended:  # a window closed before its first frame never starts them
            self.engine.start()
            self.projects.start()

    @Slot()
    def _warm_engine(self) -> None:
        if not self._closing:
            self.engine.warm()

    @Slot(int)
    def _on_cancel_countdown(self, seconds: int) -> None:
        """Say when the engine will be stopped if it has not stopped by itself (0: it has)."""
        if seconds and (self.running_job is not None or self._closing):
            text = f"{'Cancelling' if self.running_job else 'Closing'} ... stopping the engine in {seconds} s"
            self.statusBar().showMessage(text)
            if self.running_job is not None:
                self.panel.show_progress(text)
        elif "stopping the engine in" in self.statusBar().currentMessage():
            self.statusBar().clearMessage()

    @Slot()
    def _on_engine_stopped(self) -> None:
        self.engine_label.setText("Engine: stopped")
        self.statusBar().showMessage("Engine stopped; it starts again with the next job.", 10000)

    @Slot()
    def _on_engine_idle(self) -> None:
        if self._close_when_idle and not self._threads_ended:
            self.close()  # the close that waited for the engine

    @Slot()
    def _close_anyway(self) -> None:
        if self._close_when_idle and not self._threads_ended:
            self._force_close = True
            self.close()

    @Slot(str)
    def _on_engine_ready(self, torch_version: str) -> None:
        if self.engine_label.text().startswith("Engine"):
            self.engine_label.setText(f"Engine ready · torch {torch_version}")

    @Slot(str)
    def _on_model_loading(self, model: str) -> None:
        text = f"Loading {model} ..."
        self.statusBar().showMessage(text)
        if self.running_job is not None:
            self.panel.show_progress(maximum=0)  # busy, without text: a load has no steps to count

    @Slot(str, str, str)
    def _on_model_loaded(self, model: str, device: str, dtype: str) -> None:
        self.engine_label.setText(f"{model} · {device} · {dtype}")
        job = self.running_job
        if job is not None and job.state is JobState.LOADING:
            self.panel.show_progress(value=0, maximum=job.total)  # steps come next

    @Slot()
    def _show_memory(self) -> None:
        rss = _resident_bytes("self") + _resident_bytes(self.engine.worker.engine_pid)
        if rss:
            self.memory_label.setText(f"Memory {rss / 2**30:.1f} GB")

    @Slot(int, int, int, int, float)
    def _on_step(self, index: int, count: int, step: int, total: int, elapsed: float) -> None:
        job = self.jobs.stepped(index * total + step, time.perf_counter())
        if job is None:
            return
        eta = elapsed / step * (total - step) if step else 0.0
        image = f"image {index + 1}/{count}, " if count > 1 else ""
        self._frames.submit("progress", self._show_step, job, f"{image}step {step}/{total}  ·  {eta:.0f} s left",
                            total * count)

    def _show_step(self, job: Job, text: str, maximum: int) -> None:
        self.queue.model.changed(job)
        # While a cancel counts down, the bar keeps saying so; a late step only moves it.
        self.panel.show_progress(None if self.engine.counting_down else text, job.step, maximum)

    @Slot(QImage)
    def _on_preview(self, image: QImage) -> None:
        if self.running_job is not None:
            request = self.running_job.request
            self._frames.submit("preview", self.canvas.show_image, image, (request.width, request.height))

    @Slot(object)
    def _on_image_ready(self, output: ImageOutput) -> None:
        """Store first, show after: the image is on disk before the artist sees it."""
        if self.running_job is None:
            return
        self._frames.drop("preview")  # a preview still waiting must not cover the image
        job_id = self.running_job.id
        if self.running_job.reproduce_of is not None:
            self.canvas.show_image(output.image)
            self.projects.request_compare.emit(self.running_job.reproduce_of, output.png)
            return
        self._pending[f"{job_id}:{output.recipe.batch_index}"] = output
        self.projects.request_store.emit(job_id, output.png, output.recipe.to_dict())

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._finish_job(JobState.FAILED, message)
        self._show_message(message, error=True)

    @Slot(str)
    def _on_cancelled(self, message: str) -> None:
        self._finish_job(JobState.CANCELLED, message)
        self._show_message(f"Generation {message}.")

    @Slot()
    def _on_job_done(self) -> None:
        job = self.running_job
        if job is not None and not job.state.finished:
            self._finish_job(JobState.DONE)
        if job is not None and job.state is JobState.FAILED:
            self.panel.show_progress("Failed", 0, 100)
        elif job is not None and job.state is JobState.CANCELLED:
            self.panel.show_progress("Cancelled", maximum=100)
        else:
            self.panel.show_progress(f"Done in {self.jobs.seconds_running(time.perf_counter()):.1f} s", 100, 100)
        self.jobs.release()
        self._dispatch()

    def _finish_job(self, state: JobState, message: str = "") -> None:
        job = self.jobs.finish(state, message)
        if job is None:
            return
        self._frames.drop()  # the job's last word replaces any step or preview still waiting
        self.queue.model.changed(job)

    # ----- project signals --------------------------------------------------------------------
    @Slot(object, object)
    def _on_project_opened(self, project: Project, path) -> None:
        self.project = project
        self.project_path = path
        self._pending.clear()
        self.undo_stack.clear()
        self.history.set_project(project, self.projects.worker.read_asset)
        if path is not None:
            self._remember_recent(path)
        self._update_title()
        count = sum(1 for _ in project.outputs())
        self.statusBar().showMessage(f"Opened {path.name if path else 'a new project'}: {count} output(s)", 5000)

    @Slot(str, object, object)
    def _on_output_stored(self, token: str, entry, output) -> None:
        self._add_to_history(entry, output)
        shown = self._pending.pop(f"{token}:{(output.recipe or {}).get('batch_index', 0)}", None)
        if token == "import":
            self.show_output(output.id)
            self._tell_import_notes(entry)
        elif token.startswith("edit:"):
            command = self._edits.pop(token, None)
            if command is not None:
                command.stored(output.id)
        if shown is not None:
            self.current_output_id = output.id
            self.last_output = shown
            self.panel.remember_seed(shown.recipe.seed)
            self.canvas.show_image(shown.image)
            self.statusBar().showMessage(f"Image stored in the project (seed {shown.recipe.seed})", 5000)
        self.autosave.changed(time.monotonic())

    def _add_to_history(self, entry, output) -> None:
        """A stored output joins the window's copy of the project (under its request, which
        ``entry``, a header without outputs, brings if it is new) and the history."""
        existing = self.project.find_entry(entry.id)
        if existing is None:
            existing = entry
            self.project.entries.append(existing)
        existing.outputs.append(output)
        self.history.add_output(existing, output)

    def _tell_import_notes(self, entry) -> None:
        """What an import left out of or cut from an image's metadata, for the artist to see."""
        notes = entry.extra.get("import_notes") or []
        if notes:
            name = Path(entry.extra.get("imported_from", "")).name or "the image"
            message = f"Imported {name}, but {'; '.join(notes)}."
            self._show_message(message)
            self.statusBar().showMessage(message, 15000)

    @Slot(object)
    def _on_output_changed(self, changed) -> None:
        found = self._find(changed.id)
        if found is not None:
            for key in ("favourite", "rating", "note", "hidden"):
                setattr(found[1], key, getattr(changed, key))
            self.history.update_output(found[1])

    @Slot(str)
    def _on_output_removed(self, output_id: str) -> None:
        for entry in self.project.entries:
            entry.outputs = [o for o in entry.outputs if o.id != output_id]
        self.history.set_project(self.project, self.projects.worker.read_asset)

    @Slot(str, QImage)
    def _on_asset_loaded(self, _output_id: str, image: QImage) -> None:
        self.canvas.show_image(image)

    @Slot(str, bool, int)
    def _on_compared(self, output_id: str, identical: bool, difference: int) -> None:
        self.reproductions[output_id] = identical
        if identical:
            self._show_message("Reproduced: the pixels are identical.")
        else:
            self._show_message(f"Reproduced, but the pixels differ (by up to {difference} of 255).", error=True)

    @Slot(int, object)
    def _on_exported(self, count: int, folder: Path) -> None:
        self.statusBar().showMessage(f"Exported {count} file(s) to {folder}", 8000)

    @Slot(str, object, int)
    def _on_output_restored(self, entry_id: str, output, index: int) -> None:
        """An undone delete goes back where it was."""
        entry = self.project.find_entry(entry_id)
        if entry is not None:
            entry.outputs.insert(index, output)
            self.history.set_project(self.project, self.projects.worker.read_asset)

    @Slot(object)
    def _on_project_merged(self, added: list) -> None:
        """Outputs another Atelier (a CLI run, another window) saved to this file meanwhile:
        the save kept them, and the history shows them."""
        for entry, output in added:
            self._add_to_history(entry, output)
        self._merged_message = f"; took in {len(added)} output(s) saved to it from elsewhere"

    @Slot(object)
    def _on_project_saved(self, path: Path) -> None:
        self.project_path = path
        self.autosave.saved()
        self._remember_recent(path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}{self._merged_message}", 5000)
        self._merged_message = ""
        if self._closing:
            self.close()

    @Slot(bool)
    def _on_dirty_changed(self, dirty: bool) -> None:
        self.setWindowModified(dirty)
        if dirty:
            self.autosave.changed(time.monotonic())

    @Slot(object)
    def _on_crashed_found(self, crashed: list) -> None:
        for session in crashed:
            if self.ask_recover(session):
                self.projects.request_recover.emit(session)
                break  # one recovered project at a time; the rest are offered next start
            self.projects.request_discard_crashed.emit(session)

    @Slot(str)
    def _on_project_failed(self, message: str) -> None:
        self._closing = False
        self._show_message(message, error=True)
        self.statusBar().showMessage(message, 15000)

    @Slot()
    def _on_project_closed(self) -> None:
        if self._closing:
            self.close()

    # ----- helpers ---------------------------------------------------------------------------
    def _update_title(self) -> None:
        name = self.project_path.stem if self.project_path else "Untitled"
        self.setWindowTitle(f"{name}[*] — Atelier {__version__}")

    def _remember_recent(self, path: Path) -> None:
        self.settings.add_recent(path)
        self._save_settings()

    def _save_settings(self) -> None:
        try:
            self.settings.save()
        except OSError as exc:
            self.statusBar().showMessage(f"Could not save settings: {exc}", 10000)

    def _restore_layout(self) -> None:
        if self.settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(self.settings.window_geometry.encode()))
        if self.settings.window_state:
            self.restoreState(QByteArray.fromBase64(self.settings.window_state.encode()))

    def _update_buttons(self) -> None:
        # More can be queued while one runs; nothing, if what it makes could not be kept.
        self.panel.generate_button.setEnabled(bool(self._models) and self._storage_problem is None)
        self.panel.cancel_button.setEnabled(self.running_job is not None)

    def _show_message(self, text: str, error: bool = False) -> None:
        self.panel.set_message(self._storage_problem or text, error or self._storage_problem is not None)

    @Slot(str)
    def _on_storage_unavailable(self, message: str) -> None:
        self._storage_problem = message
        self._show_message(message, error=True)
        self._update_buttons()

    def closeEvent(self, event) -> None:
        # 1. Unsaved work: ask; saving or discarding finishes asynchronously, then closes again.
        if not self._closing and self.isWindowModified():
            answer = self.ask_unsaved("closing")
            if answer == QMessageBox.StandardButton.Cancel:
                event.ignore()
                return
            if answer == QMessageBox.StandardButton.Save:
                if not self.save_project():
                    event.ignore()
                    return
            else:
                self.projects.request_close.emit()
            self._closing = True
            self.engine.cancel()  # meanwhile: the grace for the engine runs alongside the save
            event.ignore()
            return
        # 2. The engine: a running job or warm-up is cancelled, and the window closes when it
        #    has ended; at the latest, when the grace has run out and the engine process was
        #    stopped (the countdown shows in the status bar). The fallback timer is for an
        #    engine thread that still has not answered then; its join below is bounded too.
        if self.engine.busy and not self._force_close:
            self._closing = True  # no further job starts
            if not self._close_when_idle:
                self._close_when_idle = True
                QTimer.singleShot(int(self.engine.longest_wait_s * 1000), self, self._close_anyway)
            self.engine.cancel()
            event.ignore()
            return
        # 3. Nothing unsaved, engine free: end the session, join threads.
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64()).decode()
        self.settings.window_state = bytes(self.saveState().toBase64()).decode()
        self._save_settings()
        self._autosave_timer.stop()
        self._threads_ended = True
        self.engine.shutdown()
        self.projects.shutdown()
        session = self.projects.worker.session  # its thread has ended: safe to touch here
        if session is not None and not session.dirty:
            session.close()  # everything is in the file; a dirty one stays for recovery
        super().closeEvent(event)


def _resident_bytes(pid) -> int:
    """A process's resident memory, cheaply (Linux /proc); 0 where unknown."""
    if pid is None:
        return 0
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class _MarkCommand(QUndoCommand):
    """Undo and redo a change to an output's marks; the project thread applies each."""

    def __init__(self, window: MainWindow, output_id: str, before: dict, after: dict):
        super().__init__(f"change {', '.join(after)}")
        self.window, self.output_id, self.before, self.after = window, output_id, before, after

    def redo(self) -> None:
        self.window.projects.request_mark.emit(self.output_id, self.after)

    def undo(self) -> None:
        self.window.projects.request_mark.emit(self.output_id, self.before)


class _EditCommand(QUndoCommand):
    """A canvas edit: the project thread stores the edited image as a new output; undo deletes
    that output (asset kept, as for any delete) and shows the source again; redo brings it back."""

    def __init__(self, window: MainWindow, source_id: str, operation: str):
        super().__init__(EDITS[operation][0].replace("&", "").lower())
        self.window, self.source_id, self.operation = window, source_id, operation
        self.token = f"edit:{new_id()}"
        self.result_id: str | None = None
        self._undone_early = False

    def redo(self) -> None:
        if self.result_id is None:
            self._undone_early = False
            self.window._edits[self.token] = self
            self.window.projects.request_edit.emit(self.token, self.source_id, self.operation)
        else:
            self.window.projects.request_undelete.emit(self.result_id)
            self.window.show_output(self.result_id)

    def undo(self) -> None:
        if self.result_id is None:
            self._undone_early = True  # not stored yet: take it away the moment it is
            return
        self.window.projects.request_delete.emit(self.result_id)
        self.window.show_output(self.source_id)

    def stored(self, output_id: str) -> None:
        self.result_id = output_id
        if self._undone_early:
            self.window.projects.request_delete.emit(output_id)
        else:
            self.window.show_output(output_id)


def _camel(name: str) -> str:
    first, *rest = name.split("-")
    return first + "".join(part.capitalize() for part in rest)


class _DeleteCommand(QUndoCommand):
    """Delete an output from the history; undo brings it back, asset and all."""

    def __init__(self, window: MainWindow, output_id: str):
        super().__init__("delete output")
        self.window, self.output_id = window, output_id

    def redo(self) -> None:
        self.window.projects.request_delete.emit(self.output_id)

    def undo(self) -> None:
        self.window.projects.request_undelete.emit(self.output_id)
