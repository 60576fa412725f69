"""How the artist reaches the mask layer: an "Image > Mask" submenu (cheap actions, made with the
window) and a tool row over the canvas (brush size, hardness, fill mode, the Advanced fill
controls), made the first time a mask tool or command is used. While a painted mask is shown,
the prompt panel's size fields say that generative fill keeps the picture's size."""

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QMenu, QSpinBox, QToolBar, QToolButton

from ..core.limits import FILL_MODES

# (tool, text, objectName): None is the plain view (pan and zoom)
_TOOLS = (
    (None, "&Pan and Zoom (no mask tool)", "maskNoToolAction"),
    ("brush", "&Brush", "maskBrushAction"),
    ("eraser", "&Eraser", "maskEraserAction"),
    ("rect", "&Rectangle Selection", "maskRectAction"),
    ("lasso", "&Lasso Selection", "maskLassoAction"),
)
_COMMANDS = (("fill", "&Fill Mask", "maskFillAction"), ("clear", "&Clear Mask", "maskClearAction"),
             ("invert", "&Invert Mask", "maskInvertAction"))
_FILL_MODE_NAMES = {"fill": "Fill", "expand": "Expand", "add": "Add object", "remove": "Remove object",
                    "replace": "Replace background"}
_FILL_MODE_TIPS = {
    "fill": "Repaint the painted area, starting from a blur of what is there",
    "expand": "Continue the picture into the painted area from its edges (for a canvas made larger)",
    "add": "Paint something new into the painted area, starting from plain grey",
    "remove": "Take away what is painted, starting from the colours around it (the prompt may stay empty)",
    "replace": "Paint over the subject to keep: everything else, the background, is repainted",
}
_SIZE_CHECK_MS = 50  # painting changes the mask dab by dab: the size fields follow at most this often


class MaskTools(QObject):
    """The mask's actions in ``menu``; the layer and the tool row come with the first use."""

    def __init__(self, window, menu: QMenu):
        super().__init__(window)
        self.window = window
        self.toolbar: QToolBar | None = None
        self.fill_mode_combo: QComboBox | None = None
        self.advanced_panel = None  # the Advanced popup (fill_advanced.AdvancedFillPanel), made when first opened
        self._advanced_action: QAction | None = None  # its button in the tool row
        # The side the masked area is generated at; None: the model's native side (what artists
        # want). Tests and benchmarks set a small one to stay quick on the CPU.
        self.generation_side: int | None = None
        self._menu = menu
        self._actions: dict[str, QAction] = {}
        # The submenu is filled when the Image menu first opens (a dozen actions less on the way to
        # the first frame); Show Mask's shortcut works from the start.
        self._show = QAction("&Show Mask", window)
        self._show.setObjectName("maskShowAction")
        self._show.setCheckable(True)
        self._show.setChecked(True)
        self._show.setShortcut(QKeySequence("Ctrl+Shift+M"))
        self._show.triggered.connect(self.show_mask)
        window.addAction(self._show)
        menu.aboutToShow.connect(self._build_menu)

    @property
    def actions(self) -> dict[str, QAction]:
        """The mask's actions by objectName (the submenu is made if it was not)."""
        self._build_menu()
        return self._actions

    def _build_menu(self) -> None:
        if self._actions:
            return
        mask_menu = self._menu.addMenu("&Mask")
        mask_menu.setObjectName("maskMenu")
        self.tool_group = QActionGroup(self)  # one tool at a time
        for tool, text, name in _TOOLS:
            action = self._action(mask_menu, text, name, lambda _checked=False, t=tool: self.pick(t))
            action.setCheckable(True)
            action.setChecked(tool is None)
            self.tool_group.addAction(action)
        mask_menu.addSeparator()
        for change, text, name in _COMMANDS:
            self._action(mask_menu, text, name, lambda _checked=False, c=change: self.apply(c))
        mask_menu.addSeparator()
        mask_menu.addAction(self._show)
        self._actions["maskShowAction"] = self._show

    def _action(self, menu: QMenu, text: str, name: str, slot) -> QAction:
        action = menu.addAction(text)
        action.setObjectName(name)
        action.triggered.connect(slot)
        self._actions[name] = action
        return action

    # ----- what the actions do ---------------------------------------------------------------------
    @property
    def layer(self):
        """The canvas's mask layer (made now if it was not)."""
        layer = self.window.canvas.add_mask_layer(self.window.undo_stack)
        self._ensure_toolbar(layer)
        return layer

    def pick(self, tool: str | None) -> None:
        if tool is None and self.window.canvas.mask_layer is None:
            return  # back to the plain view, which it already is
        if tool is not None:
            self.window.sketch_tools.pick(None)  # one tool at a time: a mask tool puts the sketch's down
        self.layer.set_tool(tool)

    def apply(self, change: str) -> None:
        if not self.layer.apply(change):
            self.window.statusBar().showMessage("Show an image first: the mask is painted over it.", 5000)

    def show_mask(self, shown: bool) -> None:
        self.layer.set_visible(shown)

    def show_stored_mask(self, raster, subject: bool) -> None:
        """An output's stored mask over it, shown. A removed background's ``subject`` mask sets
        Generate to replace the background: the artist can refine the mask with the brush first."""
        if self.layer.set_mask(raster, "subject" if subject else "stored"):
            self._show.setChecked(True)
            self.show_mask(True)
            if subject:
                self.fill_mode_combo.setCurrentIndex(FILL_MODES.index("replace"))

    @property
    def fill_mode(self) -> str:
        return self.fill_mode_combo.currentData() if self.fill_mode_combo is not None else "fill"

    def advanced_values(self) -> dict:
        """The Advanced controls as InpaintRequest fields: grow, feather, blend, padding (None:
        automatic) and colour_match; their defaults before the popup is first opened."""
        if self.advanced_panel is None:
            return {"grow": None, "feather": None, "blend": None, "padding": None, "colour_match": True}
        return self.advanced_panel.values()

    def show_advanced(self) -> None:
        """Open the Advanced popup under its button."""
        if self.advanced_panel is None:
            from .fill_advanced import AdvancedFillPanel

            self.advanced_panel = AdvancedFillPanel(self.window)
        button = self.toolbar.widgetForAction(self._advanced_action)
        self.advanced_panel.move(button.mapToGlobal(button.rect().bottomLeft()))
        self.advanced_panel.show()

    # ----- the tool row -------------------------------------------------------------------------------
    def _ensure_toolbar(self, layer) -> None:
        if self.toolbar is not None:
            return
        bar = QToolBar("Mask", self.window)
        bar.setObjectName("maskToolBar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for _tool, _text, name in _TOOLS:
            bar.addAction(self.actions[name])
        self.actions["maskNoToolAction"].setIconText("Pan")
        bar.addSeparator()
        size = QSpinBox()
        size.setObjectName("maskBrushSize")
        size.setAccessibleName("Brush size")
        size.setToolTip("Brush size in image pixels ([ and ] change it)")
        size.setRange(1, 1024)
        size.setSuffix(" px")
        size.setValue(layer.brush_size)
        size.valueChanged.connect(layer.set_brush_size)
        layer.brush_changed.connect(size.setValue)
        hardness = QSpinBox()
        hardness.setObjectName("maskHardness")
        hardness.setAccessibleName("Brush hardness")
        hardness.setRange(0, 100)
        hardness.setSuffix(" %")
        hardness.setValue(round(layer.hardness * 100))
        hardness.valueChanged.connect(lambda value: setattr(layer, "hardness", value / 100))
        bar.addWidget(QLabel(" Size "))
        bar.addWidget(size)
        bar.addWidget(QLabel(" Hardness "))
        bar.addWidget(hardness)
        bar.addSeparator()
        for _change, _text, name in _COMMANDS:
            action = self.actions[name]
            action.setIconText(action.text().replace("&", "").removesuffix(" Mask"))
            bar.addAction(action)
        self.actions["maskShowAction"].setIconText("Show")
        bar.addAction(self.actions["maskShowAction"])
        bar.addSeparator()
        self.fill_mode_combo = QComboBox()
        self.fill_mode_combo.setObjectName("maskFillModeCombo")
        self.fill_mode_combo.setAccessibleName("Fill mode")
        self.fill_mode_combo.setToolTip("What Generate does with the mask:\n" + "\n".join(
            f"{_FILL_MODE_NAMES[mode]}: {_FILL_MODE_TIPS[mode].lower()}" for mode in FILL_MODES))
        for mode in FILL_MODES:
            self.fill_mode_combo.addItem(_FILL_MODE_NAMES.get(mode, mode.capitalize()), mode)
            self.fill_mode_combo.setItemData(self.fill_mode_combo.count() - 1, _FILL_MODE_TIPS.get(mode),
                                             Qt.ItemDataRole.ToolTipRole)
        bar.addWidget(QLabel(" Generate: "))
        bar.addWidget(self.fill_mode_combo)
        advanced = QToolButton()
        advanced.setObjectName("maskAdvancedButton")
        advanced.setText("Advanced ▾")
        advanced.setAccessibleName("Advanced fill settings")
        advanced.setToolTip("How the repainted area's edge blends in, how much of the picture the model sees, "
                            "colour match")
        advanced.clicked.connect(self.show_advanced)
        self._advanced_action = bar.addWidget(advanced)
        layer.tool_changed.connect(self._follow_tool)
        # The size fields follow the mask: painted, undone, shown, hidden, or another picture.
        self._size_check = QTimer(self)
        self._size_check.setSingleShot(True)
        self._size_check.setInterval(_SIZE_CHECK_MS)
        self._size_check.timeout.connect(self._show_size_kept)
        for signal in (layer.changed, layer.tool_changed, self._show.toggled,
                       self.window.project_controller.current_changed):
            signal.connect(self._size_changes)
        self.window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        bar.show()  # a tool bar added to a window already shown stays hidden until told
        self.toolbar = bar

    def _size_changes(self, *_args) -> None:
        if not self._size_check.isActive():
            self._size_check.start()

    def _show_size_kept(self) -> None:
        """The prompt panel's size fields are off while Generate repaints the shown picture at
        its own size (the condition MainWindow._generate_with_mask acts on)."""
        layer = self.window.canvas.mask_layer
        kept = (layer is not None and layer.painted and layer.visible
                and self.window.project_controller.current_output_id is not None)
        self.window.panel.keep_picture_size((layer.document.width, layer.document.height) if kept else None)

    def _follow_tool(self, tool: str | None) -> None:
        name = next(name for t, _text, name in _TOOLS if t == tool)
        self.actions[name].setChecked(True)
        if tool is not None:
            self.actions["maskShowAction"].setChecked(True)
