"""Extend Canvas in the window: one set of sides (left, top, right, bottom, in image pixels) for the
picture shown, edited by the handles on the canvas (ui/extend_frame.py) and by the dialog
(ui/extend_dialog.py), each made the first time it is used. Extend (the bar's button, the
dialog's, or Generate) stores the extended picture and the mask of its new area on the project
thread, then queues an inpaint with fill mode "expand", linked to the picture in the history."""

from PySide6.QtCore import QObject, QRectF, Signal, Slot
from PySide6.QtGui import QImage

from ..core.errors import RequestError
from ..core.extension import NO_EXTENSION, Sides, extended_size

_ROOM = 0.3  # of the picture's longer side: the space shown around the frame to drag into
_FIT_MAX = 2.0  # as the canvas's own fit: a small picture is not blown up past 2x
_HANDLE_ROOM = 16  # px on screen a handle needs beyond the frame to be seen and taken


class CanvasExtension(QObject):
    """The extension of the output ``output_id`` while one is being set up (None: none is)."""

    changed = Signal(object)  # Sides

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.output_id: str | None = None
        self.picture: tuple[int, int] | None = None  # its size, once the canvas shows it
        self.sides: Sides = NO_EXTENSION
        self.frame = None  # ExtendFrame, made when first used
        self.bar = None  # ExtendBar
        self.dialog = None  # ExtendDialog
        self._with_dialog = False
        project = window.project_controller
        project.current_changed.connect(self._on_current_changed)
        project.image_loaded.connect(self._on_image_loaded)
        window.canvas.zoom_changed.connect(self._on_zoom)

    @property
    def active(self) -> bool:
        return self.output_id is not None

    # ----- starting and leaving ----------------------------------------------------------------
    def start(self, output_id: str, with_dialog: bool) -> None:
        """Set up an extension of ``output_id`` (shown on the canvas first if it is not): the
        handles and their bar, or the handles and the dialog."""
        project, canvas = self.window.project_controller, self.window.canvas
        shown = output_id == project.current_output_id and canvas.image_size() is not None
        if output_id != self.output_id:
            self.sides = NO_EXTENSION
        if not shown:
            project.show_output(output_id)  # current_changed: an extension of another picture ends
        self.output_id, self._with_dialog = output_id, with_dialog
        if shown:
            self._begin(canvas.image_size())
        # else: it begins when the canvas has the picture (_on_image_loaded)

    def leave(self) -> None:
        """No extension any more: the frame, the bar and the dialog go, the canvas fits again."""
        if self.output_id is None:
            return
        self.output_id, self.picture = None, None
        for part in (self.frame, self.bar):
            if part is not None:
                part.hide()
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.hide()
        canvas = self.window.canvas
        size = canvas.image_size()
        if size is not None:
            canvas.scene().setSceneRect(QRectF(0, 0, *size))  # the room made for dragging goes
            canvas.fit()

    def _begin(self, size: tuple[int, int]) -> None:
        from .extend_frame import ExtendFrame

        self.picture = size
        canvas = self.window.canvas
        if canvas.mask_layer is not None:
            canvas.mask_layer.set_tool(None)  # a left drag now takes a handle, not paint
        if self.frame is None:
            self.frame = ExtendFrame(*size)
            self.frame.side_dragged.connect(self._on_side_dragged)
            self.frame.drag_finished.connect(self._make_room)
            self.changed.connect(self.frame.set_sides)
            canvas.scene().addItem(self.frame)
        self.frame.set_picture(*size)
        self.frame.set_scale(canvas.zoom)
        self.frame.show()
        if self._with_dialog:
            self._show_dialog()
            if self.bar is not None:
                self.bar.hide()
        else:
            self._show_bar()
        self._set(self.sides)
        self._make_room(refit=True)

    def _show_bar(self) -> None:
        if self.bar is None:
            from .extend_frame import ExtendBar

            self.bar = ExtendBar(self.window.canvas)
            self.bar.extend_requested.connect(self.extend)
            self.bar.cancel_requested.connect(self.leave)
            self.bar.dialog_requested.connect(self.open_dialog)
            self.changed.connect(self._show_bar_state)
        self.bar.show()
        self.bar.raise_()

    def _show_dialog(self) -> None:
        if self.dialog is None:
            from .extend_dialog import ExtendDialog

            self.dialog = ExtendDialog(self.window)
            self.dialog.sides_edited.connect(self.set_sides)
            self.dialog.extend_requested.connect(self.extend)
            self.dialog.rejected.connect(self.leave)
            self.changed.connect(self._show_dialog_state)
        self.dialog.start(self.picture)
        self.dialog.show()
        self.dialog.raise_()

    @Slot()
    def open_dialog(self) -> None:
        """The dialog for the extension being set up, its sides kept (the bar's Size...)."""
        if self.output_id is not None and self.picture is not None:
            self._with_dialog = True
            self.bar.hide()
            self._show_dialog()
            self._set(self.sides)

    # ----- the sides ---------------------------------------------------------------------------
    def set_sides(self, sides: Sides) -> None:
        """The sides as they are now (from the dialog, or a test), the canvas zoomed out to
        show them when they reach out of sight."""
        self._set(sides)
        self._make_room()

    def _set(self, sides: Sides) -> None:
        self.sides = tuple(int(side) for side in sides)
        self.changed.emit(self.sides)

    def problem(self) -> str | None:
        """Why the extension cannot be made as it is, in one line; None when it can."""
        if self.picture is None:
            return "Show a picture first: its canvas is what extends."
        try:
            extended_size(*self.picture, self.sides)
        except RequestError as exc:
            return str(exc)
        return None

    def extended(self) -> tuple[int, int]:
        left, top, right, bottom = self.sides
        return self.picture[0] + left + right, self.picture[1] + top + bottom

    @Slot(int, int)
    def _on_side_dragged(self, side: int, value: int) -> None:
        sides = list(self.sides)
        sides[side] = value
        self._set(tuple(sides))  # the view stays put under the hand; room is made when it lets go

    @Slot(object)
    def _show_bar_state(self, _sides) -> None:
        if self.bar is not None and self.picture is not None:
            self.bar.show_state(self.picture, self.extended(), self.problem())

    @Slot(object)
    def _show_dialog_state(self, sides) -> None:
        if self.dialog is not None and self.picture is not None:
            self.dialog.show_state(sides, self.extended(), self.problem())

    # ----- extending ---------------------------------------------------------------------------
    @Slot()
    def extend(self) -> None:
        """Queue the extension as it is set up (Extend, the dialog's OK, or Generate), with the
        prompt panel's prompt and sampling; what stops it is said in one line, nothing queued."""
        window = self.window
        problem = self.problem()
        if problem is None and self.sides == NO_EXTENSION:
            problem = "Nothing to extend yet: drag a side of the frame outward, or enter pixels per side."
        info = window.panel.current_model()
        if problem is None and info is None:
            problem = "Choose a model first."
        if problem is not None:
            window.panel.set_message(problem, True)
            window.statusBar().showMessage(problem, 10000)
            return
        values, source_id, sides = window.panel.common_values(), self.output_id, self.sides
        window.project_controller.prepare_extension(
            source_id, sides, lambda stored: self._queue(stored, values, info, source_id))
        width, height = self.extended()
        window.statusBar().showMessage(f"Extending to {width} \u00d7 {height} ...", 5000)
        self.leave()

    def _queue(self, stored, values: dict, info, source_id: str) -> None:
        """Queue the inpaint of ``stored`` (a core.extension.StoredExtension) as the panel said."""
        self.window.queue_fill(values, info, source_id, init_image=stored.init_image, mask=stored.mask,
                               width=stored.width, height=stored.height, fill_mode="expand")

    # ----- the canvas ----------------------------------------------------------------------------
    @Slot(object)
    def _on_current_changed(self, output_id) -> None:
        if self.output_id is not None and output_id != self.output_id:
            self.leave()  # another picture is shown: its canvas is not the one being extended

    @Slot(str, QImage)
    def _on_image_loaded(self, output_id: str, image: QImage) -> None:
        if output_id == self.output_id and output_id == self.window.project_controller.current_output_id:
            self._begin((image.width(), image.height()))

    @Slot(float)
    def _on_zoom(self, scale: float) -> None:
        if self.frame is not None:
            self.frame.set_scale(scale)

    @Slot()
    def _make_room(self, refit: bool = False) -> None:
        """Room around the frame to drag into: when the frame (and its handles) reach out of
        sight, or with ``refit``, the canvas shows it with a margin, zoomed out to fit."""
        if self.frame is None or self.picture is None:
            return
        canvas = self.window.canvas
        frame = self.frame.extended_rect()
        handles = _HANDLE_ROOM / canvas.zoom
        visible = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
        if not refit and visible.contains(frame.adjusted(-handles, -handles, handles, handles)):
            return  # in sight: the view stays put
        room = _ROOM * max(self.picture)
        wanted = frame.adjusted(-room, -room, room, room)
        canvas.scene().setSceneRect(wanted)
        viewport = canvas.maximumViewportSize()
        canvas.set_zoom(min(viewport.width() / wanted.width(), viewport.height() / wanted.height(), _FIT_MAX))
        canvas.centerOn(frame.center())
