"""The main window: the canvas in the centre, the prompt panel docked beside it, the history and
the queue, and the sound player under the canvas once there is a sound; menus, dialogs and the
status bar. Its state lives in two controllers (generating,
the project), each talking to its own thread, so the window never waits on either."""

import dataclasses
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QImage, QKeySequence, QShortcut
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
from ..core.errors import RequestError
from ..core.project import SUFFIX, Project
from ..core.recipe_settings import is_long_seed, settings_of
from ..settings import Settings
from .actions import OutputActions, output_actions
from .bridges.project import ProjectThread
from .canvas import CanvasView
from .controllers.generation import GenerationController
from .controllers.project import ProjectController
from .fill_review import FillReview
from .first_run import ModelFolderPicker
from .history import HistoryView
from .history.model import seed_of
from .importing import FolderDrops, ImportProgress
from .mask_tools import MaskTools
from .prompt_panel import PromptPanel
from .queue import QueueView
from .sketch_tools import SketchTools
from .theme import apply_theme
from .widgets import DockWidths, after_first_frame, named
from .worker import EngineThread

_FILE_FILTER = f"Atelier projects (*{SUFFIX})"
_WARM_UP_DELAY_MS = 300


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None, engine_host=None, project: Path | None = None):
        """``engine_host``: the EngineHost to generate with; the process-wide one when None.
        ``project``: the project to start with; else the last one (if the settings say so), else
        a new one."""
        super().__init__()
        self.settings = settings or Settings.load()
        self.setObjectName("mainWindow")
        self.resize(1280, 800)
        self._closing = False
        self._close_when_idle = False  # closing waits for the engine call to end (bounded)
        self._force_close = False  # the wait is over: close even if the engine thread is busy
        self._storage_problem: str | None = None  # set when no work could be kept: no generating

        # 1. The threads, and the controllers that talk to them.
        self.engine = EngineThread(self.settings, host=engine_host, parent=self)
        self.projects = ProjectThread(parent=self)
        recent = self.settings.recent_projects
        if project is None and self.settings.reopen_last_project and recent:
            project = Path(recent[0])
        self.project_controller = ProjectController(self.projects, self.settings.autosave_seconds, self,
                                                    reopen=project)
        self.generation = GenerationController(self.engine, self.project_controller, self)
        self.undo_stack = self.project_controller.undo_stack
        project = self.project_controller
        self.output_actions = OutputActions(output_actions(
            use_prompt=self.use_prompt_of, use_seed=self.use_seed_of, reproduce=self.generation.reproduce,
            toggle_favourite=project.toggle_favourite, rate=project.rate, export=self.export_dialog,
            toggle_hidden=project.toggle_hidden, delete=project.delete_output, edit=project.edit_output,
            save_as=self.save_image_as_dialog, save_sound_as=self.save_sound_as_dialog,
            use_as_init_image=self.use_as_init_image, use_as_init_sound=self.use_as_init_sound, vary=self.vary,
            show_info=self.show_info, extend_canvas=self.extend_canvas, upscale=self.upscale,
            remove_background=self.remove_background,
        ), project.find, self)

        # 2. The layout.
        self.canvas = CanvasView()
        self.setCentralWidget(self.canvas)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.panel = PromptPanel()
        self.panel.prompt_history = list(self.settings.prompt_history)  # searchable from the first click
        self.prompt_dock = self._dock("Prompt", "promptDock", self.panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.queue = QueueView(self.generation.queue_model)
        self.history = HistoryView()
        self.history.set_actions(self.output_actions)
        self.history.set_thumbnail_size(self.settings.thumbnail_size)
        self._comparison: tuple[str, str] | None = None  # what Space in the history shows for now: id, caption
        self.history_dock = self._dock("History", "historyDock", self.history, Qt.DockWidgetArea.RightDockWidgetArea)
        self.queue_dock = self._dock("Queue", "queueDock", self.queue, Qt.DockWidgetArea.RightDockWidgetArea)
        # The gallery is what artists browse; the queue needs only a few lines.
        self.resizeDocks([self.history_dock, self.queue_dock], [560, 200], Qt.Orientation.Vertical)
        self.resizeDocks([self.prompt_dock, self.history_dock], [320, 380], Qt.Orientation.Horizontal)
        # A larger window: more gallery (kept from the first frame on).
        self._dock_widths = DockWidths(self, fixed=[self.prompt_dock], growing=[self.history_dock])
        self.player = None  # the sound player (ui/audio), made when the first sound is shown
        self.player_dock: QDockWidget | None = None
        self.info_pane = None  # the Info pane (ui/info_pane.py), made when first shown
        self.canvas_extension = None  # Extend Canvas (ui/canvas_extension.py), made when first used
        self.upscale_dialog = None  # ui/upscale_dialog.py, made when first shown
        self.remove_background_dialog = None  # ui/remove_background_dialog.py, made when first shown
        self.info_dock: QDockWidget | None = None
        self.model_folder_picker = ModelFolderPicker(self)  # the first run's card; adds model folders
        self.model_library = None  # ui/library (the Model Library window), made when first shown
        self._build_menus()
        self.statusBar().showMessage("Looking for models ...")
        self.engine_label = self._status_label("engineLabel", "Engine: not started")
        self.memory_label = self._status_label("memoryLabel", "")
        self.import_progress = ImportProgress()  # shown while images are imported
        self.statusBar().addPermanentWidget(self.import_progress)

        # 3. The wiring.
        self.canvas.file_dropped.connect(self.import_image_file)
        self.folder_drops = FolderDrops(self)  # folders and several files, on the history or the canvas
        self.folder_drops.watch(self.history.list_view.viewport())
        self.folder_drops.watch(self.canvas.viewport(), only_many=True)
        self.folder_drops.dropped.connect(self.import_paths)
        self.import_progress.cancel_requested.connect(self.cancel_import)
        self.canvas.paste_requested.connect(self.import_pasted_image)
        self.panel.generate_requested.connect(self.start_generation)
        self.panel.cancel_requested.connect(self.generation.cancel_running)
        self.panel.choose_init_image_requested.connect(self.choose_init_image_dialog)
        self.panel.adapter_pickers.choose_reference_requested.connect(self.choose_reference_dialog)
        self.panel.adapter_pickers.reference_from_canvas_requested.connect(self.reference_from_canvas)
        self.panel.guidance_box.choose_file_requested.connect(self.choose_control_image_dialog)
        self.panel.selected_seed = lambda: self._seed_of(self.project_controller.current_output_id)
        self.panel.init_image_reader = self._read_init_image
        self.panel.rescan_requested.connect(self.rescan_models)
        self.panel.add_models_folder_requested.connect(self.model_folder_picker.add_models_folder)
        self.panel.use_install_folder_requested.connect(self.model_folder_picker.use_install_folder)
        self.panel.message_link_activated.connect(self._on_message_link)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.start_generation)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.start_generation)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self._escape)
        self.queue.cancel_requested.connect(self.generation.cancel_job)
        self.queue.cancel_all_requested.connect(self.generation.cancel_all)
        self.queue.retry_requested.connect(self.generation.retry)
        self.history.output_activated.connect(project.show_output)
        self.history.compare_started.connect(self._start_compare)
        self.history.compare_ended.connect(self._end_compare)
        self.history.undo_requested.connect(self.undo_stack.undo)
        self.history.thumbnail_size_changed.connect(self._on_thumbnail_size)

        generation = self.generation
        generation.parts_changed.connect(self.panel.set_parts)
        generation.models_changed.connect(self.panel.set_models)
        generation.models_changed.connect(self.model_folder_picker.show_for)
        generation.model_missing.connect(self._on_model_missing)
        self.folder_watch = None  # a ModelFolderWatch, made after the first frame
        generation.progress.connect(self.panel.show_progress)
        generation.waiting_changed.connect(self.panel.show_waiting)
        generation.message.connect(self._show_message)
        generation.status.connect(self.statusBar().showMessage)
        generation.countdown_over.connect(self._clear_countdown)
        generation.engine_described.connect(self.engine_label.setText)
        generation.preview_shown.connect(self.canvas.show_image)
        generation.image_shown.connect(self.canvas.show_image)
        generation.sound_shown.connect(self.show_sound)
        generation.seed_used.connect(self.panel.remember_seed)
        generation.job_started.connect(self.queue.reveal)
        generation.busy_changed.connect(self._update_buttons)
        self.engine.idle.connect(self._on_engine_idle)
        self.fill_review = FillReview(self)  # Before/After, Keep, Discard over a fill result; its bar when first needed

        project.opened.connect(self._on_project_opened)
        project.changed.connect(self.history.apply_change)
        project.changed.connect(self._refresh_actions)
        project.current_changed.connect(self.output_actions.refresh)
        project.image_loaded.connect(self._on_image_loaded)
        project.current_changed.connect(self.history.follow_current)
        project.output_deleted.connect(self.history.show_undo_notice)
        # Whatever is done or undone next, the notice's Undo would no longer undo its delete.
        self.undo_stack.indexChanged.connect(self.history.hide_undo_notice)
        project.sound_loaded.connect(self.show_sound)
        project.mask_loaded.connect(self._on_mask_loaded)
        project.sound_saved.connect(lambda text: self.statusBar().showMessage(text, 10000))
        project.saved.connect(self._on_project_saved)
        project.dirty_changed.connect(self.setWindowModified)
        project.message.connect(self._show_message)
        project.status.connect(self.statusBar().showMessage)
        project.crashed_found.connect(self._on_crashed_found)
        project.failed.connect(self._on_project_failed)
        project.unavailable.connect(self._on_storage_unavailable)
        project.closed.connect(self._on_project_closed)
        project.exported.connect(self._on_exported)
        project.import_progress.connect(self.import_progress.show_progress)
        project.imported.connect(self._on_imported)

        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(1000)
        self._autosave_timer.timeout.connect(project.autosave_if_due)
        self._autosave_timer.timeout.connect(self._show_memory)
        self._autosave_timer.start()

        self._restore_layout()
        self._update_title()
        self.generation.scan(self.settings.model_folders)
        # torch loads in the engine process while the artist looks at the window, not on Generate;
        # started a moment after the window is up, so it does not compete with the first paint.
        QTimer.singleShot(_WARM_UP_DELAY_MS, self, self.generation.warm)  # dropped if the window goes first
        # The two threads start once the first frame is painted, so the scan and the new working
        # folder do not share the cores with it; what was asked of them waits in order.
        self._threads_ended = False
        QTimer.singleShot(0, self, lambda: after_first_frame(self, self._after_first_frame))

    # ----- what tests and benchmarks read -------------------------------------------------------
    @property
    def project(self) -> Project:
        return self.project_controller.project

    @property
    def running_job(self):
        return self.generation.running_job

    @property
    def last_output(self):
        return self.generation.last_output

    # ----- building -------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&New Project", "newAction", QKeySequence.StandardKey.New, self.new_project)
        self._action(file_menu, "&Open...", "openAction", QKeySequence.StandardKey.Open, self.open_project_dialog)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        self._action(file_menu, "&Save", "saveAction", QKeySequence.StandardKey.Save, self.save_project)
        self._action(file_menu, "Save &As...", "saveAsAction", QKeySequence.StandardKey.SaveAs,
                     self.save_project_as_dialog)
        file_menu.addSeparator()
        self._action(file_menu, "&Import Images...", "importImagesAction", QKeySequence(), self.import_images_dialog)
        self._action(file_menu, "Import &Folder...", "importFolderAction", QKeySequence(), self.import_folder_dialog)
        file_menu.addSeparator()
        self.output_actions.add_to_menu(file_menu, "file", self)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", "quitAction", QKeySequence.StandardKey.Quit, self.close)
        edit_menu = self.menuBar().addMenu("&Edit")
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        undo.setObjectName("undoAction")
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts(QKeySequence.StandardKey.Redo)  # every binding: Ctrl+Y and Ctrl+Shift+Z on Linux
        redo.setObjectName("redoAction")
        edit_menu.addActions([undo, redo])
        edit_menu.addSeparator()
        self._action(edit_menu, "&Copy Image", "copyImageAction", QKeySequence.StandardKey.Copy, self.canvas.copy_image)
        edit_menu.addSeparator()
        self._action(edit_menu, "&Settings...", "settingsAction", QKeySequence.StandardKey.Preferences,
                     self.open_settings)
        self._action(edit_menu, "Rescan &Models", "rescanModelsAction", QKeySequence(Qt.Key.Key_F5),
                     self.rescan_models)
        self._action(edit_menu, "Add Models &Folder...", "addModelsFolderAction", QKeySequence(),
                     self.model_folder_picker.add_models_folder)
        self._action(edit_menu, "Use A1111 / ComfyUI Folder...", "useInstallFolderAction", QKeySequence(),
                     self.model_folder_picker.use_install_folder)
        self._action(edit_menu, "Model &Library...", "modelLibraryAction", QKeySequence("Ctrl+Shift+L"),
                     self.show_model_library)
        self.image_menu = image_menu = self.menuBar().addMenu("&Image")
        image_menu.setObjectName("imageMenu")
        # The canvas's right-click menu is the Image menu: both act on the image it shows.
        self.canvas.addActions(self.output_actions.add_to_menu(image_menu, "image", self))
        self.canvas.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        image_menu.addSeparator()
        self.mask_tools = MaskTools(self, image_menu)  # the mask layer and its tool row: when first used
        self.sketch_tools = SketchTools(self, image_menu)  # the sketch layer (ControlNet guidance): when first used
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.prompt_dock.toggleViewAction())
        view_menu.addAction(self.history_dock.toggleViewAction())
        view_menu.addAction(self.queue_dock.toggleViewAction())
        view_menu.addSeparator()
        zoom_in = self._action(view_menu, "Zoom &In", "zoomInAction", QKeySequence.StandardKey.ZoomIn,
                               self.canvas.zoom_in)
        zoom_in.setShortcuts([QKeySequence("Ctrl++"), QKeySequence("Ctrl+=")])  # = is + without Shift
        self._action(view_menu, "Zoom &Out", "zoomOutAction", QKeySequence("Ctrl+-"), self.canvas.zoom_out)
        self._action(view_menu, "&Fit", "zoomFitAction", QKeySequence("Ctrl+0"), self.canvas.fit)
        self._action(view_menu, "&Actual Size (100 %)", "actualSizeAction", QKeySequence("Ctrl+1"),
                     self.canvas.actual_size)
        view_menu.addSeparator()
        self._action(view_menu, "Output &Info", "showInfoAction", QKeySequence("Ctrl+Shift+I"),
                     lambda: self.show_info())
        self._action(view_menu, "Sound &Player", "showPlayerAction", QKeySequence("Ctrl+Shift+P"),
                     lambda: self.sound_player())

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

    # ----- sound --------------------------------------------------------------------------------
    def sound_player(self):
        """The sound player, docked under the canvas and shown; made the first time it is wanted
        (PortAudio itself starts only with the first play)."""
        if self.player is None:
            from .audio.player import AudioPlayer

            self.player = AudioPlayer()
            self.player.set_device(self.settings.audio_device or None)
            self.player_dock = self._dock("Sound", "soundDock", self.player, Qt.DockWidgetArea.BottomDockWidgetArea)
            self.player_dock.setMinimumHeight(170)
        self.player_dock.show()
        self.player_dock.raise_()
        return self.player

    @Slot(str, bytes, bytes)
    def show_sound(self, output_id: str, data: bytes, peaks: bytes = b"") -> None:
        """Load a sound (a stored output, or a remake when ``output_id`` is "") into the player,
        with the waveform peaks the project keeps for it when there are any."""
        found = self.project_controller.find(output_id) if output_id else None
        title = "Remade" if not output_id else found[0].prompt if found is not None else ""
        self.sound_player().load_file(data, title, peaks or None)

    # ----- generating ---------------------------------------------------------------------------
    @Slot()
    def start_generation(self) -> None:
        """Snapshot the form into an immutable request and queue it; it runs when its turn comes.
        With guidance on, its control image is stored in the project first."""
        info = self.panel.current_model()
        if info is None:
            self._show_message("Choose a model first.", error=True)
            return
        control = self.panel.guidance_box.choice()
        if control is None:
            self._generate(info, ())
        else:
            self._store_control_image(control, lambda use: self._generate(info, (use,)))

    def _generate(self, info, controls: tuple) -> None:
        """Queue what Generate makes now, guided by ``controls`` (ControlUse)."""
        self.fill_review.show_after()  # a fill under review: the mask goes over the result, not the Before
        if self.canvas_extension is not None and self.canvas_extension.active:
            self.canvas_extension.extend()  # Generate fills the new area being set up
            return
        if self._generate_with_mask(info, controls):
            return
        try:
            request = self.panel.request()
            if controls:
                request = dataclasses.replace(request, controls=controls)
        except RequestError as exc:
            self._show_message(str(exc), error=True)
            return
        self.panel.remember_prompt(request.prompt)
        self.generation.queue(request, info)

    def _store_control_image(self, control, then) -> None:
        """Store the Guidance section's control image in the project (a sketch as a greyscale PNG,
        encoded on the project thread), then ``then(ControlUse)``; one line says what is missing
        instead."""
        if control.source == "sketch":
            layer = self.canvas.sketch_layer
            raster = layer.control_raster() if layer is not None else None
            if raster is None:
                self._show_message("Nothing is sketched: draw with Image > Sketch > Pen, or choose another "
                                   "control image under Guidance.", error=True)
                return
            self.project_controller.store_mask(raster, lambda asset: then(control.use(asset)))
        elif control.source == "picture":
            found = self.project_controller.find(self.project_controller.current_output_id)
            if found is None or found[1].kind != "image":
                self._show_message("No picture on the canvas to guide with: show one, or choose another "
                                   "control image under Guidance.", error=True)
                return
            then(control.use(found[1].asset))
        elif control.file_asset is None:
            self._show_message("Choose the control image file under Guidance first.", error=True)
        else:
            then(control.use(control.file_asset))

    def choose_control_image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Control image", str(Path.home()),
                                              "Images (*.png *.jpg *.jpeg *.webp)")
        if path:  # stored in the project, as an init image is
            self.project_controller.prepare_init_image(self.panel.guidance_box.set_file, path=Path(path))

    def _generate_with_mask(self, info, controls: tuple = ()) -> bool:
        """With a mask painted (and shown) over a stored picture, Generate repaints only the masked
        area of that picture (an inpaint linked to it in the history); False when there is none."""
        layer, source_id = self.canvas.mask_layer, self.project_controller.current_output_id
        if layer is None or not (layer.painted and layer.visible) or source_id is None or self.canvas.comparing:
            return False
        found = self.project_controller.find(source_id)
        if found is None or found[1].kind != "image":
            return False
        values, fill_mode = self.panel.common_values(), self.mask_tools.fill_mode
        advanced = self.mask_tools.advanced_values()  # grow, feather, blend, padding, colour match
        raster = layer.document.raster.copy()  # as it is now: painting on goes into the next one

        def queue(image, mask: str) -> None:
            if (image.width, image.height) != (raster.shape[1], raster.shape[0]):
                self._show_message("The picture changed size under its mask; paint the mask again.", error=True)
                return
            self.queue_fill(values, info, source_id, init_image=image.asset, mask=mask, width=image.width,
                            height=image.height, fill_mode=fill_mode, controls=controls, **advanced)

        self.project_controller.store_mask(raster, lambda mask: self.project_controller.prepare_init_image(
            lambda image: queue(image, mask), output_id=source_id))
        return True

    def queue_fill(self, values: dict, info, source_id: str, **fill) -> None:
        """Queue a generative fill of ``source_id`` (masked painting, an extended canvas): the
        prompt panel's prompt and sampling (``values``, as the panel had them when Generate was
        pressed) and the fill's own fields; what is wrong with them is said in one line."""
        from ..core.tasks import InpaintRequest

        prompting = {key: values[key] for key in ("prompt", "negative_prompt", "seed", "steps", "guidance",
                                                  "scheduler", "batch_size")}
        try:
            prompting.update(self.panel.adapter_values(prompting["prompt"]))  # LoRAs, VAE, reference image
            request = InpaintRequest(**prompting, generation_side=self.mask_tools.generation_side, **fill)
        except RequestError as exc:
            self._show_message(str(exc), error=True)
            return
        self.panel.remember_prompt(request.prompt)
        self.generation.queue(request, info, source=source_id)

    @Slot()
    def _escape(self) -> None:
        """Esc leaves an extension being set up, else stops an import, else cancels the running job."""
        if self.canvas_extension is not None and self.canvas_extension.active:
            self.canvas_extension.leave()
        elif self.project_controller.importing:
            self.cancel_import()
        else:
            self.generation.cancel_running()

    def extend_canvas(self, with_dialog: bool, output_id: str) -> None:
        """Set up an extension of this picture's canvas: the dialog, or the handles on the canvas."""
        if self.canvas_extension is None:
            from .canvas_extension import CanvasExtension

            self.canvas_extension = CanvasExtension(self)
        self.canvas_extension.start(output_id, with_dialog)

    def upscale(self, output_id: str) -> None:
        """Ask how to upscale this picture (its size read on the project thread first)."""
        self.project_controller.prepare_init_image(lambda image: self._open_upscale(output_id, image),
                                                   output_id=output_id)

    def _open_upscale(self, output_id: str, image) -> None:
        if self.upscale_dialog is None:
            from .upscale_dialog import UpscaleDialog

            self.upscale_dialog = UpscaleDialog(self)
            self.upscale_dialog.upscale_requested.connect(self.queue_upscale)
        image_models = [m for m in self.generation.models if m.kind == "image"]
        self.upscale_dialog.start(output_id, image.asset, (image.width, image.height), self.generation.upscalers,
                                  image_models, self.panel.current_model())
        self.upscale_dialog.open()

    @Slot(object)
    def queue_upscale(self, choice) -> None:
        """Queue an upscale (ui/upscale_dialog.UpscaleChoice) linked to its source picture; a
        refining pass follows the prompt panel's prompt and sampling."""
        from ..core.tasks import UpscaleRequest

        fields = dict(choice.fields)
        if choice.refiner is not None:
            values = self.panel.common_values()
            fields.update({key: values[key] for key in ("prompt", "negative_prompt", "seed", "steps", "guidance",
                                                        "scheduler")})
        try:
            request = UpscaleRequest(**fields)
        except RequestError as exc:
            self._show_message(str(exc), error=True)
            return
        extra = {choice.refiner.id: choice.refiner} if choice.refiner is not None else {}
        self.generation.queue(request, choice.upscaler, source=choice.source, extra_models=extra)

    def remove_background(self, output_id: str) -> None:
        """Ask how to remove this picture's background."""
        found = self.project_controller.find(output_id)
        if found is None:
            return
        if self.remove_background_dialog is None:
            from .remove_background_dialog import RemoveBackgroundDialog

            self.remove_background_dialog = RemoveBackgroundDialog(self)
            self.remove_background_dialog.remove_requested.connect(self.queue_remove_background)
        self.remove_background_dialog.start(output_id, found[1].asset, self.generation.matting_models)
        self.remove_background_dialog.open()

    @Slot(object)
    def queue_remove_background(self, choice) -> None:
        """Queue a background removal (ui/remove_background_dialog.RemoveBackgroundChoice),
        linked to its source picture."""
        from ..core.tasks import RemoveBackgroundRequest

        try:
            request = RemoveBackgroundRequest(**choice.fields)
        except RequestError as exc:
            self._show_message(str(exc), error=True)
            return
        self.generation.queue(request, choice.model, source=choice.source)

    @Slot(str, object)
    def _on_mask_loaded(self, output_id: str, raster) -> None:
        """An output's stored mask goes over it on the canvas; a removed background's subject
        mask, ready to replace its background."""
        found = self.project_controller.find(output_id)
        if found is None or output_id != self.project_controller.current_output_id or self.canvas.comparing:
            return
        subject = (found[1].recipe or {}).get("task") == "remove-background"
        self.mask_tools.show_stored_mask(raster, subject)

    @Slot()
    def _after_first_frame(self) -> None:
        if not self._threads_ended:  # a window closed before its first frame never starts them
            self.engine.start()
            self.project_controller.start()
            self._dock_widths.start()
            self._watch_model_folders()

    # ----- models ---------------------------------------------------------------------------------
    @Slot()
    def rescan_models(self) -> None:
        """Look for models again (the button, F5, a watched folder that changed)."""
        self.statusBar().showMessage("Looking for models ...")
        self.generation.scan(self.settings.model_folders)
        self._watch_model_folders()  # a folder made since (the models folder itself) is watched now

    def show_model_library(self) -> None:
        """The Model Library window (every model found, with details, hashes and readiness)."""
        if self.model_library is None:
            from .library.window import ModelLibraryWindow

            self.model_library = ModelLibraryWindow(self)
        self.model_library.show()
        self.model_library.raise_()
        self.model_library.activateWindow()

    def _watch_model_folders(self) -> None:
        from .folder_watch import ModelFolderWatch

        if self.folder_watch is None:
            self.folder_watch = ModelFolderWatch(self)
            self.folder_watch.changed.connect(self.rescan_models)

        folders = [paths.models_dir(), *map(Path, self.settings.model_folders), paths.hf_hub_cache()]
        self.folder_watch.watch([folder.expanduser() for folder in folders])

    @Slot(object)
    def _on_model_missing(self, info) -> None:
        self.panel.mark_missing(info.id)
        self.panel.set_message(f"{info.name} is no longer at {paths.shown(info.path)}", True,
                               {"rescan": "Rescan", "settings": "Model folders..."})

    @Slot(str)
    def _on_message_link(self, name: str) -> None:
        {"rescan": self.rescan_models, "settings": self.open_settings}[name]()

    # ----- output actions that ask the artist ----------------------------------------------------
    def use_prompt_of(self, output_id: str) -> None:
        found = self.project_controller.find(output_id)
        if found is not None:
            entry, output = found
            settings = settings_of(output.recipe)
            self.panel.use_prompt(settings.get("prompt", entry.prompt), settings.get("negative_prompt", entry.negative_prompt))

    def use_as_init_image(self, output_id: str) -> None:
        """Start the next request from this output (read and sized on the project thread)."""
        self.project_controller.prepare_init_image(self.panel.set_init_image, output_id=output_id)

    def use_as_init_sound(self, output_id: str) -> None:
        """Start the next Stable Audio request from this sound (already in the project)."""
        from .sound_fields import InitSound

        found = self.project_controller.find(output_id)
        if found is None:
            return
        entry, output = found
        seconds = settings_of(output.recipe).get("seconds")
        sound = InitSound(output.asset, entry.prompt, seconds if isinstance(seconds, (int, float)) else None)
        if not self.panel.start_from_sound(sound):
            self._show_message("No Stable Audio model to start from a sound with; add one in Settings > Models.",
                               error=True)

    def vary(self, strength: float, output_id: str) -> None:
        """Queue variations of this output: as many as the panel's Images, new seeds."""
        def queue(image) -> None:
            self.generation.queue_variations(output_id, image, strength, self.panel.batch_spin.value(),
                                             self.panel.common_values(), self.panel.current_model())

        self.project_controller.prepare_init_image(queue, output_id=output_id)

    def choose_init_image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Start from an image", str(Path.home()),
                                              "Images (*.png *.jpg *.jpeg *.webp)")
        if path:
            self.project_controller.prepare_init_image(self.panel.set_init_image, path=Path(path))

    def choose_reference_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Reference image", str(Path.home()),
                                              "Images (*.png *.jpg *.jpeg *.webp)")
        if path:  # stored in the project, as an init image is
            self.project_controller.prepare_init_image(self.panel.adapter_pickers.set_reference, path=Path(path))

    def reference_from_canvas(self) -> None:
        """The picture on the canvas (the current output) as the reference image."""
        output_id = self.project_controller.current_output_id
        if output_id is None:
            self._show_message("No picture on the canvas: generate or import one, or choose an image file.", error=True)
            return
        self.project_controller.prepare_init_image(
            lambda image: self.panel.adapter_pickers.set_reference(dataclasses.replace(image, label="canvas picture")),
            output_id=output_id)

    def use_seed_of(self, output_id: str) -> None:
        from ..core.output_info import seed_reuse_problem

        found = self.project_controller.find(output_id)
        seed = seed_of(*found) if found is not None else None
        problem = seed_reuse_problem(seed, found[1].recipe) if found is not None else None
        if problem:
            self._show_message(self._seed_kept(problem))
        elif seed is not None:
            self.panel.use_seed(seed)

    def _seed_kept(self, problem: str) -> str:
        """``problem`` (why an output's seed cannot be reused), saying what the panel does instead."""
        kept = int(self.panel.seed_spin.value())
        return f"{problem}; {'a new one is drawn' if kept < 0 else f'the seed stays {kept}'}."

    def _seed_of(self, output_id: str | None) -> int | None:
        """The seed Reuse takes: none from an output whose seed is past ours (the last one made instead)."""
        found = self.project_controller.find(output_id) if output_id is not None else None
        seed = seed_of(*found) if found is not None else None
        return None if is_long_seed(seed) else seed

    def use_all_of(self, output_id: str) -> None:
        """Set the whole prompt panel as it was for this output, switching to its model when
        that is installed; say what could not be restored."""
        from ..core.output_info import describe, seed_reuse_problem
        from ..engine.fingerprint import find_local_model

        found = self.project_controller.find(output_id)
        if found is None:
            return
        info = describe(*found)
        model_id = info.model_id
        imported = model_id is None and bool(info.model_name or info.model_hash)
        if imported:  # another tool names its model by hash and name: find the weights here
            local = find_local_model(self.generation.models, info.model_name, info.model_hash)
            model_id = local.id if local is not None else ""
        settings = dict(info.settings)
        seed_problem = seed_reuse_problem(settings.get("seed"), found[1].recipe)
        if seed_problem:
            del settings["seed"]  # the panel keeps its own
        missed = self.panel.apply_settings(settings, model_id or None)
        model_missing = model_id == "" or "model" in missed
        missed = [name for name in missed if name != "model"]
        chosen = self.panel.current_model()
        if model_missing and imported:
            named = f"Model '{info.model_name}'" if info.model_name else "Its model"
            said = (f"{named}{f' (hash {info.model_hash})' if info.model_hash else ''} is not on this machine; "
                    f"keeping {chosen.name if chosen else 'the current one'}.")
        elif model_missing:
            said = (f"{info.model_name or 'Its model'} is not installed, so the model stays "
                    f"{chosen.name if chosen else 'as it was'}.")
        else:
            restored_all = not missed and not seed_problem
            said = "Every setting of this output is in the prompt panel." if restored_all else "Settings restored."
        if missed:
            said += f" Could not restore: {', '.join(missed)}."
        if seed_problem:
            said += f" {self._seed_kept(seed_problem)}"
        self._show_message(said, error=model_missing or bool(missed))
        if self.info_pane is not None:
            self.info_pane.say(said)

    def _read_init_image(self, asset: str, then) -> None:
        from .info_pane import read_init_image

        read_init_image(self.project_controller.read_asset, asset, self.panel, then)

    def show_info(self, output_id: str | None = None) -> None:
        """Show the Info pane (made the first time), for ``output_id`` (it becomes the current
        output) or for the current output."""
        project = self.project_controller
        if self.info_pane is None:
            from .info_pane import InfoPane

            self.info_pane = InfoPane(project.find, project.read_asset)
            self.info_pane.use_prompt_requested.connect(self.use_prompt_of)
            self.info_pane.use_seed_requested.connect(self.use_seed_of)
            self.info_pane.use_all_requested.connect(self.use_all_of)
            project.current_changed.connect(self.info_pane.show_output)
            project.changed.connect(self.info_pane.follow_change)
            self.info_dock = QDockWidget("Info", self)
            self.info_dock.setObjectName("infoDock")
            self.info_dock.setWidget(self.info_pane)
            if not self.restoreDockWidget(self.info_dock):  # where the artist last had it, else by the queue
                self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.info_dock)
                self.tabifyDockWidget(self.queue_dock, self.info_dock)
                self.resizeDocks([self.history_dock, self.queue_dock], [300, 460], Qt.Orientation.Vertical)
        if output_id is not None and output_id != project.current_output_id:
            project.show_output(output_id)
        self.info_pane.show_output(project.current_output_id)
        self.info_dock.show()
        self.info_dock.raise_()

    def export_dialog(self, output_id: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to folder", str(Path.home()))
        if folder:
            self.project_controller.export([output_id], Path(folder))

    def save_image_as_dialog(self, output_id: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save image as", str(Path.home() / "image.png"),
                                              "PNG (*.png);;JPEG (*.jpg *.jpeg);;WebP (*.webp)")
        if path:
            self.project_controller.save_image_as(output_id, Path(path))

    def save_sound_as_dialog(self, output_id: str) -> None:
        from .audio.export_dialog import SoundExportDialog  # built when first asked for

        found = self.project_controller.find(output_id)
        from ..core.names import file_stem

        stem = file_stem(found[0].prompt if found else "", "sound")
        dialog = SoundExportDialog(Path.home() / f"{stem}.wav", self)
        dialog.chosen.connect(lambda path, fmt, lufs, rate: self.project_controller.save_sound_as(
            output_id, path, fmt, lufs, rate))
        dialog.open()
        return dialog

    @Slot(str)
    def import_image_file(self, path: str) -> None:
        """A dropped image joins the history, with the prompt its metadata reveals."""
        self.project_controller.import_files([Path(path)])

    def import_images_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import images", str(Path.home()),
                                                "Images (*.png *.jpg *.jpeg *.webp);;All files (*)")
        if files:
            self.import_paths([Path(file) for file in files])

    def import_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder of images", str(Path.home()))
        if folder:
            self.import_paths([Path(folder)])

    @Slot(list)
    def import_paths(self, paths: list) -> None:
        """Import image files and folders (every image under them), on the project thread; the
        status bar shows how far it is, with Cancel."""
        self.import_progress.show_progress(0, 0)
        self.project_controller.import_files(paths)

    @Slot()
    def cancel_import(self) -> None:
        self.import_progress.cancelling()
        self.project_controller.cancel_import()

    @Slot(object)
    def _on_imported(self, summary) -> None:
        """An import ended: its summary in the status bar; when something was skipped or could
        not be imported, said in the panel too (a single file's failure the project thread said)."""
        if not self.project_controller.importing:
            self.import_progress.finish()
        if summary.total == 0:
            self._show_message("Found no PNG, JPEG or WebP images to import there.")
            return
        if summary.total == 1 and not (summary.duplicates or summary.cancelled):
            return  # a single image: shown, or its failure said already
        self.statusBar().showMessage(summary.brief(), 30000)
        if summary.failures:  # most came in: a notice naming one that did not, not an error
            self._show_message(f"{summary.brief()}, e.g. {summary.failures[0]}")
        elif summary.duplicates or summary.cancelled:
            self._show_message(summary.brief())

    @Slot(QImage)
    def import_pasted_image(self, image: QImage) -> None:
        self.project_controller.paste(image)

    # ----- projects --------------------------------------------------------------------------
    @Slot()
    def new_project(self) -> None:
        if self._confirm_leaving("starting a new project"):
            self._remember_form()
            self.project_controller.new()

    @Slot()
    def open_project_dialog(self) -> None:
        start = str(Path(self.settings.recent_projects[0]).parent) if self.settings.recent_projects else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open project", start, _FILE_FILTER)
        if path:
            self.open_project(Path(path))

    def open_project(self, path: Path) -> None:
        if self._confirm_leaving(f"opening {Path(path).name}"):
            self._remember_form()
            self.project_controller.open(Path(path))

    @Slot()
    def save_project(self) -> bool:
        """Save, asking for a name if the project has none; False if the artist backed out."""
        if self.project_controller.path is None:
            return self.save_project_as_dialog()
        self.project_controller.save()
        return True

    @Slot()
    def save_project_as_dialog(self) -> bool:
        start = str(self.project_controller.path or self.proposed_project_path())
        path, _ = QFileDialog.getSaveFileName(self, "Save project as", start, _FILE_FILTER)
        if path:
            self.save_project_as(Path(path))
        return bool(path)

    def proposed_project_path(self) -> Path:
        """A name for a new project file: its first prompt's words, in the documents folder
        (or the folder of the last project saved), never an existing file's."""
        from PySide6.QtCore import QStandardPaths

        recent = self.settings.recent_projects
        folder = Path(recent[0]).parent if recent else Path(QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation) or Path.home())
        first = next((entry.prompt for entry in self.project.entries if entry.prompt.strip()), "")
        from ..core.names import file_stem

        stem = file_stem(first, "Untitled")
        path, number = folder / f"{stem}{SUFFIX}", 2
        while path.exists():
            path, number = folder / f"{stem} {number}{SUFFIX}", number + 1
        return path

    def save_project_as(self, path: Path) -> None:
        self.project_controller.save(Path(path))

    def ask_unsaved(self, doing: str) -> QMessageBox.StandardButton:
        """Save, Discard or Cancel; a method so tests can answer without a modal dialog."""
        box = self.unsaved_question(doing)
        box.exec()
        return box.standardButton(box.clickedButton()) if box.clickedButton() else QMessageBox.StandardButton.Cancel

    def unsaved_question(self, doing: str) -> QMessageBox:
        """The question before unsaved work would go: what exactly would be lost, and Save first."""
        path = self.project_controller.path
        name = path.name if path else "This untitled project"
        loss = self.project_controller.unsaved_loss()
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes", f"{name} has unsaved changes.", parent=self)
        box.setObjectName("unsavedQuestion")
        box.setInformativeText(f"If you don't save before {doing}, {loss}." if loss
                               else f"Save them before {doing}?")
        buttons = QMessageBox.StandardButton
        box.setStandardButtons(buttons.Save | buttons.Discard | buttons.Cancel)
        box.setDefaultButton(buttons.Save)
        box.button(buttons.Save).setText("Save First..." if path is None else "Save First")
        box.button(buttons.Discard).setText("Don't Save")
        return box

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
        if self.player is not None:
            self.player.set_device(settings.audio_device or None)
        self.project_controller.autosave.interval = float(settings.autosave_seconds)
        apply_theme(QApplication.instance(), settings.theme)
        if folders_changed:
            self.rescan_models()

    @Slot()
    def _fill_recent_menu(self) -> None:
        """Newest first, as "name  —  folder"; a file that is gone is dropped from the list."""
        self.recent_menu.clear()
        present = [recent for recent in self.settings.recent_projects if Path(recent).is_file()]
        if present != self.settings.recent_projects:
            self.settings.recent_projects = present
            self._save_settings()
        for recent in present:
            path = Path(recent)
            action = self.recent_menu.addAction(f"{path.stem}  \u2014  {paths.shown(path.parent)}")
            action.setData(recent)
            action.setToolTip(recent)
            action.triggered.connect(self._open_recent)
        if not present:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    @Slot()
    def _open_recent(self) -> None:
        self.open_project(Path(self.sender().data()))

    # ----- what the controllers report ------------------------------------------------------------
    @Slot(object, object)
    def _on_project_opened(self, project: Project, path) -> None:
        self.history.set_project(project, self.project_controller.read_asset)
        self._refresh_actions()
        self.panel.init_image_box.clear()  # it is stored in the project that was open
        self.panel.adapter_pickers.set_reference(None)  # so is a reference image
        self.panel.guidance_box.set_file(None)  # and a control image file
        self.panel.project_prompts = list(dict.fromkeys(
            entry.prompt for entry in reversed(project.entries) if entry.prompt))
        if path is not None:
            self._remember_recent(path)
        self._update_title()
        outputs = [output for _entry, output in project.outputs() if not output.hidden]
        if outputs:  # where the artist left off: the newest output, and the form as it was
            self.project_controller.show_output(outputs[-1].id)
            self._restore_form(path, outputs[-1])
        self.statusBar().showMessage(f"Opened {path.name if path else 'a new project'}: {len(outputs)} output(s)", 5000)

    def _restore_form(self, path: Path | None, newest) -> None:
        """The form this project was left with here, else the settings of its newest output."""
        form = self.settings.project_forms.get(str(path)) if path is not None else None
        if form is None:
            form = {**settings_of(newest.recipe), "model_id": (newest.recipe or {}).get("model", {}).get("id")}
        missed = self.panel.apply_settings(form, form.get("model_id"))
        if missed:
            self.statusBar().showMessage(f"The form was restored, except {', '.join(missed)}", 10000)

    def _remember_form(self) -> None:
        """Keep the form with the project being left (a saved one: untitled ones have no name)."""
        if self.project_controller.path is not None:
            self.settings.remember_form(self.project_controller.path, self.panel.form_settings())

    @Slot()
    def _refresh_actions(self, *_change) -> None:
        """A change may take the current output away or change what it allows."""
        self.output_actions.refresh(self.project_controller.current_output_id)

    @Slot(str, QImage)
    def _on_image_loaded(self, output_id: str, image: QImage) -> None:
        if self._comparison is not None and output_id == self._comparison[0]:
            self.canvas.compare_with(image, self._comparison[1])
        elif output_id == self.project_controller.current_output_id:
            self.canvas.show_image(image)
        # else: a look that is over (a comparison ended, an output clicked past) came late

    @Slot(str, str)
    def _start_compare(self, output_id: str, caption: str) -> None:
        self._comparison = (output_id, caption)
        self.project_controller.load_image(output_id)

    @Slot()
    def _end_compare(self) -> None:
        self._comparison = None
        self.canvas.end_compare()

    @Slot(int)
    def _on_thumbnail_size(self, size: int) -> None:
        self.settings.thumbnail_size = size  # written with the rest when the window closes

    @Slot(int, object)
    def _on_exported(self, count: int, folder: Path) -> None:
        self.statusBar().showMessage(f"Exported {count} file(s) to {folder}", 8000)

    @Slot(object)
    def _on_project_saved(self, path: Path) -> None:
        self._remember_form()  # before: _remember_recent writes the settings
        self._remember_recent(path)
        self._update_title()
        if self._closing:
            self.close()

    @Slot(object)
    def _on_crashed_found(self, crashed: list) -> None:
        for session in crashed:
            if self.ask_recover(session):
                self.project_controller.recover(session)
                break  # one recovered project at a time; the rest are offered next start
            self.project_controller.discard_crashed(session)

    @Slot(str)
    def _on_project_failed(self, message: str) -> None:
        self._set_closing(False)
        self._show_message(message, error=True)
        self.statusBar().showMessage(message, 15000)

    @Slot()
    def _on_project_closed(self) -> None:
        if self._closing:
            self.close()

    @Slot(str)
    def _on_storage_unavailable(self, message: str) -> None:
        self._storage_problem = message
        self._show_message(message, error=True)
        self._update_buttons()

    @Slot()
    def _clear_countdown(self) -> None:
        if "stopping the engine in" in self.statusBar().currentMessage():
            self.statusBar().clearMessage()

    @Slot()
    def _show_memory(self) -> None:
        rss = _resident_bytes("self") + _resident_bytes(self.engine.worker.engine_pid)
        if rss:
            self.memory_label.setText(f"Memory {rss / 2**30:.1f} GB")

    # ----- helpers ---------------------------------------------------------------------------
    def _update_title(self) -> None:
        path = self.project_controller.path
        self.setWindowTitle(f"{path.stem if path else 'Untitled'}[*] — Atelier {__version__}")

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

    @Slot()
    def _update_buttons(self) -> None:
        # More can be queued while one runs; nothing, if what it makes could not be kept.
        self.panel.generate_button.setEnabled(bool(self.generation.models) and self._storage_problem is None)
        self.panel.cancel_button.setEnabled(self.running_job is not None)

    @Slot(str, bool)
    def _show_message(self, text: str, error: bool = False) -> None:
        self.panel.set_message(self._storage_problem or text, error or self._storage_problem is not None)

    def _set_closing(self, closing: bool) -> None:
        self._closing = closing
        self.generation.closing = closing  # no job starts while the window closes

    # ----- closing ---------------------------------------------------------------------------
    @Slot()
    def _on_engine_idle(self) -> None:
        if self._close_when_idle and not self._threads_ended:
            self.close()  # the close that waited for the engine

    @Slot()
    def _close_anyway(self) -> None:
        if self._close_when_idle and not self._threads_ended:
            self._force_close = True
            self.close()

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
                self.project_controller.discard()
            self._set_closing(True)
            self.engine.cancel()  # meanwhile: the grace for the engine runs alongside the save
            event.ignore()
            return
        # 2. The engine: a running job or warm-up is cancelled, and the window closes when it
        #    has ended; at the latest, when the grace has run out and the engine process was
        #    stopped (the countdown shows in the status bar). The fallback timer is for an
        #    engine thread that still has not answered then; its join below is bounded too.
        if self.engine.busy and not self._force_close:
            self._set_closing(True)  # no further job starts
            if not self._close_when_idle:
                self._close_when_idle = True
                QTimer.singleShot(int(self.engine.longest_wait_s * 1000), self, self._close_anyway)
            self.engine.cancel()
            event.ignore()
            return
        # 3. Nothing unsaved, engine free: end the session, join threads.
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64()).decode()
        self.settings.window_state = bytes(self.saveState().toBase64()).decode()
        self.settings.keep_prompts(self.panel.prompt_history)
        self._remember_form()
        self._save_settings()
        self._autosave_timer.stop()
        self._threads_ended = True
        if self.player is not None:
            self.player.shutdown()  # its stream closed, its background reads done
        if self.model_library is not None:
            self.model_library.shutdown()  # a hash under way ends at its next chunk
        self.engine.shutdown()
        self.project_controller.shutdown()
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
