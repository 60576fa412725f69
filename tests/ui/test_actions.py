"""The output actions: one list builds the context menu and the window's menu items, each
enabled for the output kinds it applies to, each calling its own handler."""

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from atelier.core.project import Entry, Output
from atelier.ui.actions import OutputActions, output_actions

HANDLERS = ("use_prompt", "use_seed", "reproduce", "toggle_favourite", "rate", "export", "toggle_hidden", "delete",
            "edit", "save_as", "save_sound_as", "use_as_init_image", "use_as_init_sound",
            "vary")
IMAGE_ONLY = {"flip_horizontal", "flip_vertical", "rotate_right", "rotate_left", "use_as_init_image",
              "variations_subtle", "variations_strong"}
AUDIO_ONLY = {"save_sound_as", "use_as_init_sound"}


@pytest.fixture
def outputs():
    entry = Entry(prompt="rain on a roof")
    entry.outputs = [Output(kind="audio", asset="assets/rain.flac", recipe={"prompt": "rain on a roof", "seed": 3}),
                     Output(kind="image", asset="assets/cover.png", recipe={"prompt": "a cover", "seed": 4})]
    return {output.kind: (entry, output) for output in entry.outputs}


@pytest.fixture
def registry(qtbot, outputs):
    host = QWidget()
    qtbot.addWidget(host)
    calls = []
    handlers = {name: (lambda name: lambda *args: calls.append((name, *args)))(name) for name in HANDLERS}
    by_id = {output.id: (entry, output) for entry, output in outputs.values()}
    actions = OutputActions(output_actions(**handlers), by_id.get, host)
    actions.calls, actions.host = calls, host
    return actions


def offered(menu: QMenu) -> dict[str, QAction]:
    return {a.data(): a for a in menu.findChildren(QAction) if a.data()}


def test_a_sound_is_offered_everything_but_what_only_pictures_allow(registry, outputs):
    sound, image = outputs["audio"][1], outputs["image"][1]
    for_sound = offered(registry.context_menu(sound.id, registry.host))
    for_image = offered(registry.context_menu(image.id, registry.host))
    assert set(for_sound) == set(for_image) == {a.name for a in registry.actions if a.in_context_menu}
    assert {name for name, action in for_sound.items() if not action.isEnabled()} == IMAGE_ONLY
    assert {name for name, action in for_image.items() if not action.isEnabled()} == AUDIO_ONLY
    assert registry.context_menu("no such id") is None


def test_window_menu_items_act_on_the_current_output_when_its_kind_allows(registry, outputs):
    sound, image = outputs["audio"][1], outputs["image"][1]
    menu = QMenu(registry.host)
    items = {a.objectName(): a for a in registry.add_to_menu(menu, "image", registry.host) if not a.isSeparator()}
    assert list(items) == ["useAsInitImageAction", "variationsSubtleAction", "variationsStrongAction",
                           "flipHorizontalAction", "flipVerticalAction", "rotateRightAction", "rotateLeftAction"]
    flip = items["flipHorizontalAction"]
    assert not flip.isEnabled()  # nothing is current
    registry.refresh(sound.id)
    assert not flip.isEnabled()
    registry.refresh(image.id)
    assert flip.isEnabled()
    flip.trigger()
    items["rotateLeftAction"].trigger()
    items["variationsStrongAction"].trigger()
    assert registry.calls == [("edit", "flip-horizontal", image.id), ("edit", "rotate-left", image.id),
                              ("vary", 0.85, image.id)]

    save_as, save_sound_as = registry.add_to_menu(QMenu(registry.host), "file", registry.host)
    assert save_as.objectName() == "saveImageAsAction" and save_as.shortcut().toString() == "Ctrl+Shift+E"
    assert save_sound_as.objectName() == "saveSoundAsAction" and save_sound_as.shortcut().toString() == "Ctrl+Alt+E"
    registry.refresh(sound.id)
    assert not save_as.isEnabled() and save_sound_as.isEnabled()
    save_sound_as.trigger()
    assert registry.calls[-1] == ("save_sound_as", sound.id)
