"""The prompt panel on its own: presets per family, seed controls, prompt history, the request."""

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLineEdit

from atelier.engine.registry import ModelInfo
from atelier.ui.prompt_panel import PromptPanel


def model(name: str, family: str) -> ModelInfo:
    return ModelInfo(name, name, Path(f"/models/{name}"), "image", family, "Pipeline", 1, "folder")


@pytest.fixture
def panel(qtbot):
    panel = PromptPanel()
    qtbot.addWidget(panel)
    panel.set_models([model("base", "sd15"), model("xl", "sdxl-inpaint")])
    return panel


def presets(panel) -> list[str]:
    return [panel.size_combo.itemText(i) for i in range(panel.size_combo.count())]


def test_each_family_gets_its_sizes_and_default(panel):
    assert (panel.width_spin.value(), panel.height_spin.value()) == (512, 512)
    assert presets(panel)[:3] == ["1:1 square · 512×512", "2:3 portrait · 512×768", "3:2 landscape · 768×512"]
    assert presets(panel)[-1] == "Custom"
    assert panel.size_combo.currentText() == "1:1 square · 512×512"  # the box shows the preset the size is
    panel.model_combo.setCurrentIndex(1)
    assert (panel.width_spin.value(), panel.height_spin.value()) == (1024, 1024)
    assert "2:3 portrait · 832×1216" in presets(panel) and panel.size_combo.currentText() == "1:1 square · 1024×1024"
    panel.size_combo.setCurrentIndex(1)
    panel.size_combo.activated.emit(1)
    assert (panel.width_spin.value(), panel.height_spin.value()) == (832, 1216)
    assert panel.size_combo.currentText() == "2:3 portrait · 832×1216"  # a chosen preset stays chosen
    panel.width_spin.setValue(1000)
    assert panel.size_combo.currentText() == "Custom"
    panel.width_spin.setValue(832)
    assert panel.size_combo.currentText() == "2:3 portrait · 832×1216"


def test_the_request_snapshots_the_form(panel):
    panel.use_prompt("a fox", "blurry")
    panel.use_seed(77)
    panel.steps_spin.setValue(12)
    request = panel.request()
    assert (request.prompt, request.negative_prompt, request.seed, request.steps) == ("a fox", "blurry", 77, 12)
    panel.dice_button.click()
    assert panel.request().seed is None and panel.seed_spin.text() == "Random"


def test_lock_keeps_the_last_seed(panel):
    panel.remember_seed(4242)
    panel.lock_button.click()
    assert panel.request().seed == 4242


def test_a_size_set_from_code_snaps_to_a_multiple_of_8(panel):
    panel.width_spin.setValue(100)  # e.g. from an imported image's parameters: Generate never refuses it
    assert panel.width_spin.value() == 104 and panel.request().width == 104


def test_prompt_history_is_searchable(panel, qtbot):
    for prompt in ("a red fox", "a lighthouse at dusk", "a red barn"):
        panel.remember_prompt(prompt)
    panel.remember_prompt("a red fox")  # used again: moves to the top, no duplicate
    assert panel.prompt_history == ["a red fox", "a red barn", "a lighthouse at dusk"]
    panel.history_menu.aboutToShow.emit()
    search = panel.history_menu.findChild(QLineEdit, "promptHistorySearch")
    search.setText("RED")
    visible = [a.data() for a in panel.history_menu.actions() if a.data() and a.isVisible()]
    assert visible == ["a red fox", "a red barn"]
    [barn] = [a for a in panel.history_menu.actions() if a.data() == "a red barn"]
    barn.trigger()
    assert panel.prompt_edit.toPlainText() == "a red barn"
