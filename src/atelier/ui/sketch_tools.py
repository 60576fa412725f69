"""How the artist reaches the sketch layer: an "Image > Sketch" submenu (made when the Image menu
first opens) and a tool row over the canvas (pen, eraser, pen width, clear, show), made the
first time the sketch is used. The sketch's tools and the mask's take turns: picking one puts
the other down."""

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QLabel, QMenu, QSpinBox, QToolBar

# (tool, text, objectName): None is the plain view (pan and zoom)
_TOOLS = (
    (None, "&Pan and Zoom (no sketch tool)", "sketchNoToolAction"),
    ("pen", "&Pen", "sketchPenAction"),
    ("eraser", "&Eraser", "sketchEraserAction"),
)


class SketchTools(QObject):
    """The sketch's actions in ``menu``; the layer and the tool row come with the first use."""

    def __init__(self, window, menu: QMenu):
        super().__init__(window)
        self.window = window
        self.toolbar: QToolBar | None = None
        self._menu = menu
        self._actions: dict[str, QAction] = {}
        menu.aboutToShow.connect(self._build_menu)

    @property
    def actions(self) -> dict[str, QAction]:
        """The sketch's actions by objectName (the submenu is made if it was not)."""
        self._build_menu()
        return self._actions

    def _build_menu(self) -> None:
        if self._actions:
            return
        sketch_menu = self._menu.addMenu("S&ketch")
        sketch_menu.setObjectName("sketchMenu")
        self.tool_group = QActionGroup(self)  # one tool at a time
        for tool, text, name in _TOOLS:
            action = self._action(sketch_menu, text, name, lambda _checked=False, t=tool: self.pick(t))
            action.setCheckable(True)
            action.setChecked(tool is None)
            self.tool_group.addAction(action)
        sketch_menu.addSeparator()
        self._action(sketch_menu, "&Clear Sketch", "sketchClearAction", lambda: self.layer.clear())
        show = self._action(sketch_menu, "&Show Sketch", "sketchShowAction", self.show_sketch)
        show.setCheckable(True)
        show.setChecked(True)

    def _action(self, menu: QMenu, text: str, name: str, slot) -> QAction:
        action = menu.addAction(text)
        action.setObjectName(name)
        action.triggered.connect(slot)
        self._actions[name] = action
        return action

    # ----- what the actions do ---------------------------------------------------------------------
    @property
    def layer(self):
        """The canvas's sketch layer (made now if it was not)."""
        window = self.window
        layer = window.canvas.add_sketch_layer(window.undo_stack, window.panel.size_picker.chosen_size)
        self._ensure_toolbar(layer)
        return layer

    def pick(self, tool: str | None) -> None:
        """Pick the pen, the eraser, or (None) no sketch tool; a sketch tool puts the mask's down."""
        if tool is None and self.window.canvas.sketch_layer is None:
            return  # back to the plain view, which it already is
        mask = self.window.canvas.mask_layer
        if tool is not None and mask is not None and mask.tool is not None:
            self.window.mask_tools.pick(None)
        self.layer.set_tool(tool)

    def show_sketch(self, shown: bool) -> None:
        self.layer.set_visible(shown)

    # ----- the tool row -------------------------------------------------------------------------------
    def _ensure_toolbar(self, layer) -> None:
        if self.toolbar is not None:
            return
        bar = QToolBar("Sketch", self.window)
        bar.setObjectName("sketchToolBar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.addWidget(QLabel(" Sketch: "))
        for _tool, _text, name in _TOOLS:
            bar.addAction(self.actions[name])
        self.actions["sketchNoToolAction"].setIconText("Pan")
        size = QSpinBox()
        size.setObjectName("sketchPenSize")
        size.setAccessibleName("Pen width")
        size.setToolTip("Pen width in image pixels ([ and ] change it)")
        size.setRange(1, 256)
        size.setSuffix(" px")
        size.setValue(layer.brush_size)
        size.valueChanged.connect(layer.set_brush_size)
        layer.brush_changed.connect(size.setValue)
        bar.addWidget(QLabel(" Width "))
        bar.addWidget(size)
        bar.addSeparator()
        self.actions["sketchClearAction"].setIconText("Clear")
        bar.addAction(self.actions["sketchClearAction"])
        self.actions["sketchShowAction"].setIconText("Show")
        bar.addAction(self.actions["sketchShowAction"])
        layer.tool_changed.connect(self._follow_tool)
        self.window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        bar.show()  # a tool bar added to a window already shown stays hidden until told
        self.toolbar = bar

    def _follow_tool(self, tool: str | None) -> None:
        name = next(name for t, _text, name in _TOOLS if t == tool)
        self.actions[name].setChecked(True)
        if tool is not None:
            self.actions["sketchShowAction"].setChecked(True)
