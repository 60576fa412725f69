"""What can be done to an output: one list that builds both the history's context menu and the
window's menu items that act on the current output, each enabled only for the output kinds it
applies to (an edit that flips pixels has nothing to do with a sound).

An action names its handler directly; the handler is called with the output's id.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from ..core.edits import EDITS
from ..core.project import Entry, Output
from ..core.limits import VARIATION_STRENGTHS
from .history.model import prompt_of, seed_of

IMAGE = "image"
AUDIO = "audio"
NO_OUTPUT = None  # in ``kinds``: also enabled while no output is chosen
ANY_OUTPUT = frozenset({IMAGE, AUDIO})


@dataclass(frozen=True)
class OutputAction:
    """One thing to do to an output."""

    name: str  # snake_case, stable: objectName "history_<name>" in the context menu, "<camelName>Action" in a window menu
    text: str
    handler: Callable[[str], None]  # called with the output id
    kinds: frozenset = ANY_OUTPUT  # the output kinds it is enabled for
    shortcut: QKeySequence | str | None = None
    window_menu: str | None = None  # the window menu it also sits in, acting on the current output
    in_context_menu: bool = True
    submenu: str | None = None  # the context submenu it sits in
    group: str = ""  # a separator goes between groups
    label: Callable[[Entry, Output], str] | None = None  # a text for this output ("Use seed (42)")
    available: Callable[[Entry, Output], bool] | None = None  # beyond its kind: whether this output allows it
    checked: Callable[[Output], bool] | None = None  # checkable, checked when this says so

    def enabled_for(self, found: tuple[Entry, Output] | None) -> bool:
        if found is None:
            return NO_OUTPUT in self.kinds
        entry, output = found
        return output.kind in self.kinds and (self.available is None or self.available(entry, output))


def output_actions(*, use_prompt, use_seed, reproduce, toggle_favourite, rate, export, toggle_hidden, delete,
                   edit, save_as, save_sound_as, use_as_init_image, use_as_init_sound, vary,
                   show_info=None, extend_canvas=None, upscale=None, remove_background=None) -> list[OutputAction]:
    """The list, bound to its handlers (each takes an output id; ``rate``, ``edit`` and
    ``vary`` take their stars, operation or strength first). ``show_info``, where there is an
    Info pane to show, adds "Info"; ``extend_canvas`` (taking first whether to open its dialog,
    else the handles on the canvas), where a canvas can extend, adds Extend Canvas;
    ``upscale`` and ``remove_background``, where their dialogs can open, add theirs."""
    image = frozenset({IMAGE})
    actions = [
        OutputAction("use_as_init_image", "Use as Init Image", use_as_init_image, kinds=image, window_menu="image",
                     group="start", shortcut="Ctrl+I"),
        OutputAction("use_as_init_sound", "Use as Init Sound", use_as_init_sound, kinds=frozenset({AUDIO}),
                     group="start"),
        OutputAction("variations_subtle", "Variations: Subtle", partial(vary, VARIATION_STRENGTHS["subtle"]),
                     kinds=image, window_menu="image", group="start"),
        OutputAction("variations_strong", "Variations: Strong", partial(vary, VARIATION_STRENGTHS["strong"]),
                     kinds=image, window_menu="image", group="start"),
        OutputAction("use_prompt", "Use prompt", use_prompt, group="reuse",
                     available=lambda entry, output: bool(prompt_of(entry, output))),
        OutputAction("use_seed", "Use seed", use_seed, group="reuse", label=_seed_label,
                     available=lambda entry, output: seed_of(entry, output) is not None),
        OutputAction("reproduce", "Reproduce", reproduce, group="reuse",
                     available=lambda _entry, output: output.recipe is not None),
        *([OutputAction("show_info", "Info", show_info, group="reuse")] if show_info is not None else []),
        OutputAction("favourite", "Favourite", toggle_favourite, group="marks", checked=lambda o: o.favourite),
    ]
    for stars in range(6):
        text = "No rating" if stars == 0 else "\u2605" * stars + "\u2606" * (5 - stars)
        actions.append(OutputAction(f"rate_{stars}", text, partial(rate, stars), group="marks", submenu="Rate",
                                    checked=lambda o, stars=stars: o.rating == stars))
    for operation, (text, _transpose) in EDITS.items():
        actions.append(OutputAction(operation.replace("-", "_"), text, partial(edit, operation),
                                    kinds=frozenset({IMAGE}), window_menu="image", group="edit", submenu="Transform"))
    if extend_canvas is not None:
        actions += [
            OutputAction("extend_canvas", "Extend Canvas...", partial(extend_canvas, True), kinds=image,
                         shortcut="Ctrl+Alt+C", window_menu="image", group="extend"),
            OutputAction("extend_with_handles", "Extend Canvas with Handles", partial(extend_canvas, False),
                         kinds=image, window_menu="image", in_context_menu=False, group="extend"),
        ]
    if upscale is not None:
        actions.append(OutputAction("upscale", "Upscale...", upscale, kinds=image, window_menu="image", group="extend"))
    if remove_background is not None:
        actions.append(OutputAction("remove_background", "Remove Background...", remove_background, kinds=image,
                                    window_menu="image", group="extend"))
    actions += [
        OutputAction("save_image_as", "Save &Image As...", save_as, kinds=frozenset({IMAGE}),
                     shortcut="Ctrl+Shift+E", window_menu="file", in_context_menu=False, group="file"),
        OutputAction("save_sound_as", "Save S&ound As...", save_sound_as, kinds=frozenset({AUDIO}),
                     shortcut="Ctrl+Alt+E", window_menu="file", group="file"),
        OutputAction("export", "Export...", export, group="file"),
        OutputAction("hide", "Hide", toggle_hidden, group="file", label=lambda _e, o: "Show" if o.hidden else "Hide"),
        OutputAction("delete", "Delete", delete, group="file"),
    ]
    return actions


def _seed_label(entry: Entry, output: Output) -> str:
    seed = seed_of(entry, output)
    return f"Use seed ({seed})" if seed is not None else "Use seed"


class OutputActions(QObject):
    """Builds menus from the list. ``find(output_id)`` gives (entry, output) or None."""

    def __init__(self, actions: Iterable[OutputAction], find: Callable[[str], tuple[Entry, Output] | None],
                 parent: QObject | None = None):
        super().__init__(parent)
        self.actions = list(actions)
        self._find = find
        self._window_actions: list[tuple[OutputAction, QAction]] = []
        self._current: str | None = None

    def action(self, name: str) -> OutputAction:
        return next(a for a in self.actions if a.name == name)

    # ----- the context menu ----------------------------------------------------------------
    def context_menu(self, output_id: str, parent: QWidget | None = None) -> QMenu | None:
        """The menu for one output, its texts, checks and enabled states as the output is now."""
        found = self._find(output_id)
        if found is None:
            return None
        entry, output = found
        menu = QMenu(parent)
        menu.setObjectName("historyMenu")
        submenus: dict[str, QMenu] = {}
        group = None
        for spec in self.actions:
            if not spec.in_context_menu:
                continue
            if group is not None and spec.group != group:
                menu.addSeparator()
            group = spec.group
            target = menu
            if spec.submenu is not None:
                target = submenus.get(spec.submenu)
                if target is None:
                    target = submenus[spec.submenu] = menu.addMenu(spec.submenu)
                    target.setObjectName(f"history{spec.submenu}Menu")
            action = QAction(spec.label(entry, output) if spec.label else spec.text, target)
            action.setObjectName(f"history_{spec.name}")
            action.setData(spec.name)
            action.setEnabled(spec.enabled_for(found))
            if spec.checked is not None:
                action.setCheckable(True)
                action.setChecked(spec.checked(output))
            action.triggered.connect(partial(_call, spec.handler, output_id))
            target.addAction(action)
        return menu

    # ----- the window's menus --------------------------------------------------------------
    def add_to_menu(self, menu: QMenu, window_menu: str, parent: QObject) -> list[QAction]:
        """Add the actions of ``window_menu`` to ``menu``, a separator between groups; they act
        on the current output. Returns what was added, separators included (for a widget's own
        context menu)."""
        added = []
        group = None
        for spec in self.actions:
            if spec.window_menu != window_menu:
                continue
            if group is not None and spec.group != group:
                added.append(menu.addSeparator())
            group = spec.group
            action = QAction(spec.text, parent)
            action.setObjectName(_camel(spec.name) + "Action")
            if spec.shortcut is not None:
                action.setShortcut(QKeySequence(spec.shortcut))
            action.triggered.connect(partial(self._trigger_current, spec))
            menu.addAction(action)
            self._window_actions.append((spec, action))
            added.append(action)
        self.refresh(self._current)
        return added

    def refresh(self, current_output_id: str | None) -> None:
        """Enable the window's actions for the current output (its kind, its state)."""
        self._current = current_output_id
        found = self._find(current_output_id) if current_output_id is not None else None
        for spec, action in self._window_actions:
            action.setEnabled(spec.enabled_for(found))

    def _trigger_current(self, spec: OutputAction, *_checked) -> None:
        if self._current is not None and spec.enabled_for(self._find(self._current)):
            spec.handler(self._current)


def _call(handler: Callable[[str], None], output_id: str, *_checked) -> None:
    handler(output_id)


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)
