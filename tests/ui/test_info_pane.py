"""The Info pane on the real window: what made the selected output, following the selection, and
taking it back into the prompt panel (Use all, Copy parameters, Reuse); and the prompt panel's
settings API it restores through, round-tripped on an image and a sound model."""

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication, QImage
from PySide6.QtWidgets import QDockWidget, QLabel, QPushButton
from window_driver import fill, generate_and_wait

from atelier.core.metadata import a1111_parameters
from atelier.core.recipe import Recipe
from atelier.engine.registry import ModelInfo
from atelier.ui.init_image_box import InitImage
from atelier.ui.prompt_panel import PromptPanel


def outputs(window) -> list[str]:
    """Output ids, oldest first."""
    return [output.id for _entry, output in window.project.outputs()]


def open_info(window):
    window.findChild(QAction, "showInfoAction").trigger()
    return window.findChild(QDockWidget, "infoDock").widget()


def shown(pane, name: str) -> str:
    label = pane.findChild(QLabel, name)
    return label.text() if label is not None else ""


def click(qtbot, pane, name: str) -> None:
    button = pane.findChild(QPushButton, name)
    assert button.isEnabled(), name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def select(qtbot, window, output_id: str) -> None:
    """Select an output in the history as a click or the arrow keys would."""
    window.history.list_view.setCurrentIndex(window.history.index_of(output_id))
    qtbot.waitUntil(lambda: window.project_controller.current_output_id == output_id, timeout=5_000)


def test_the_pane_is_built_when_first_shown_and_shows_the_generated_image(qtbot, window):
    assert window.info_pane is None and window.findChild(QDockWidget, "infoDock") is None
    pane = open_info(window)
    assert pane.objectName() == "infoPane" and window.info_dock.isVisible()
    assert shown(pane, "infoEmptyLabel") == "No output selected"
    assert not any(pane.findChild(QPushButton, name).isEnabled() for name in
                   ("infoUsePromptButton", "infoUseSeedButton", "infoUseAllButton", "infoCopyParametersButton"))

    fill(qtbot, window, prompt="a lighthouse at dusk", steps=3, size=(64, 48), seed=77)
    window.panel.negative_edit.setPlainText("blurry")
    window.panel.scheduler_combo.setCurrentText("DDIM")
    generate_and_wait(qtbot, window)
    qtbot.waitUntil(lambda: shown(pane, "infoSeed") == "77", timeout=5_000)  # the new output is selected
    assert (shown(pane, "infoPrompt"), shown(pane, "infoNegativePrompt")) == ("a lighthouse at dusk", "blurry")
    assert (shown(pane, "infoSteps"), shown(pane, "infoSize"), shown(pane, "infoSampler")) == ("3", "64 × 48", "DDIM")
    assert shown(pane, "infoTitle") == "Text to image"
    assert shown(pane, "infoModel").startswith("tiny-sd15 · ")
    prompt = pane.findChild(QLabel, "infoPrompt")
    assert prompt.wordWrap() and prompt.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse


def test_the_pane_follows_the_selection_and_reuse_takes_the_selected_seed(qtbot, window):
    fill(qtbot, window, prompt="first", seed=11)
    generate_and_wait(qtbot, window)
    fill(qtbot, window, prompt="second", seed=22)
    generate_and_wait(qtbot, window, count=2)
    first, second = outputs(window)
    # Opened from the history's context menu on an output that is not the current one.
    menu = window.history.build_context_menu(first)
    menu.findChild(QAction, "history_show_info").trigger()
    menu.deleteLater()
    pane = window.info_pane
    assert (shown(pane, "infoPrompt"), shown(pane, "infoSeed")) == ("first", "11")
    select(qtbot, window, second)
    assert (shown(pane, "infoPrompt"), shown(pane, "infoSeed")) == ("second", "22")

    select(qtbot, window, first)
    window.panel.seed_spin.setValue(-1)
    qtbot.mouseClick(window.panel.lock_button, Qt.MouseButton.LeftButton)
    assert window.panel.seed_spin.value() == 11  # the selected output's, not the last one made (22)
    click(qtbot, pane, "infoUseSeedButton")
    assert window.panel.seed_spin.value() == 11
    window.panel.prompt_edit.setPlainText("")
    click(qtbot, pane, "infoUsePromptButton")
    assert window.panel.prompt_edit.toPlainText() == "first"


def test_use_all_restores_the_form_exactly_and_copy_parameters_gives_a1111_text(qtbot, window):
    panel = window.panel
    fill(qtbot, window, prompt="a red fox in snow", steps=3, size=(64, 48), seed=5)
    panel.negative_edit.setPlainText("text, watermark")
    panel.guidance_spin.setValue(4.5)
    panel.scheduler_combo.setCurrentText("Euler")
    before = panel.request()
    generate_and_wait(qtbot, window)
    pane = open_info(window)
    qtbot.waitUntil(lambda: shown(pane, "infoSeed") == "5", timeout=5_000)

    fill(qtbot, window, prompt="something else", steps=9, size=(128, 128), seed=-1)
    panel.negative_edit.setPlainText("")
    panel.guidance_spin.setValue(12.0)
    panel.scheduler_combo.setCurrentText("DDIM")
    assert panel.request() != before
    click(qtbot, pane, "infoUseAllButton")
    assert panel.request() == before
    assert "Every setting" in panel.message_label.text()

    click(qtbot, pane, "infoCopyParametersButton")
    _entry, output = window.project_controller.find(outputs(window)[0])
    text = QGuiApplication.clipboard().text()
    assert text == a1111_parameters(Recipe.from_dict(output.recipe))
    assert text.startswith("a red fox in snow\nNegative prompt: text, watermark\nSteps: 3") and "Seed: 5" in text


def test_use_all_says_when_the_model_that_made_it_is_not_installed(qtbot, window):
    fill(qtbot, window, prompt="a pear", steps=2, seed=8)
    generate_and_wait(qtbot, window)
    pane = open_info(window)
    _entry, output = window.project_controller.find(outputs(window)[0])
    output.recipe["model"] = {**output.recipe["model"], "id": "gone", "name": "Gone Model v2"}
    pane.show_output(output.id)
    window.panel.prompt_edit.setPlainText("")
    click(qtbot, pane, "infoUseAllButton")
    message = window.panel.message_label.text()
    assert "Gone Model v2 is not installed" in message and "tiny-sd15" in message
    assert window.panel.prompt_edit.toPlainText() == "a pear"  # the rest is restored all the same
    assert window.panel.current_model().name == "tiny-sd15"


def test_use_all_on_an_image_to_image_output_brings_back_its_init_image_and_strength(qtbot, window):
    panel = window.panel
    fill(qtbot, window, prompt="source", steps=2, size=(64, 64), seed=3)
    generate_and_wait(qtbot, window)
    window.use_as_init_image(outputs(window)[0])
    qtbot.waitUntil(lambda: panel.init_image_box.current is not None, timeout=10_000)
    fill(qtbot, window, prompt="made from it", steps=4, size=(64, 64), seed=4)
    panel.init_image_box.set_strength(0.7)
    before = panel.request()
    generate_and_wait(qtbot, window, count=2)
    pane = open_info(window)
    qtbot.waitUntil(lambda: pane.findChild(QLabel, "infoInputThumbnail0") is not None
                    and pane.findChild(QLabel, "infoInputThumbnail0").pixmap() is not None
                    and not pane.findChild(QLabel, "infoInputThumbnail0").pixmap().isNull(), timeout=5_000)
    assert shown(pane, "infoInputLabel0") == "Init image\n64 × 64"

    panel.init_image_box.clear()
    fill(qtbot, window, prompt="plain", steps=2, size=(64, 64), seed=1)
    click(qtbot, pane, "infoUseAllButton")
    qtbot.waitUntil(lambda: panel.init_image_box.current is not None, timeout=5_000)  # read off the UI thread
    assert panel.request() == before


# ----- the prompt panel's settings API ------------------------------------------------------------------

def model(name: str, family: str, kind: str = "image") -> ModelInfo:
    return ModelInfo(name, name, Path(f"/models/{name}"), kind, family, "Pipeline", 1, "folder")


def test_form_settings_round_trip_on_an_image_model_with_an_init_image(qtbot):
    panel = PromptPanel()
    qtbot.addWidget(panel)
    panel.set_models([model("one", "sd15"), model("two", "sdxl")])
    panel.model_combo.setCurrentIndex(1)
    picture = InitImage("assets/" + "b" * 64 + ".png", 96, 64, "a file", QImage(8, 8, QImage.Format.Format_RGB32))
    reads = []
    panel.init_image_reader = lambda asset, then: (reads.append(asset), then(picture if asset == picture.asset else None))
    fill_form = dict(prompt="a castle", negative_prompt="fog", seed=123, steps=31, guidance=3.5, width=832,
                     height=1216, scheduler="UniPC", batch_size=3, init_image=picture.asset, strength=0.35)
    assert panel.apply_settings(fill_form) == []
    settings = panel.form_settings()
    assert settings == {"task": "image-to-image", **fill_form, "loras": [], "references": [], "vae": "",
                        "model_id": "two"}
    request = panel.request()

    panel.apply_settings({"prompt": "other", "seed": None, "steps": 5, "width": 512, "height": 512,
                          "task": "text-to-image", "model_id": "one"})
    assert panel.init_image_box.current is None and panel.current_model().id == "one"
    assert panel.apply_settings(settings) == [] and reads == [picture.asset] * 2
    assert panel.form_settings() == settings and panel.request() == request


def test_form_settings_round_trip_on_a_sound_model_and_what_does_not_fit_is_named(qtbot):
    panel = PromptPanel()
    qtbot.addWidget(panel)
    panel.set_models([model("pic", "sd15"), model("ace", "ace-step", "audio")])
    panel.model_combo.setCurrentIndex(1)
    song = dict(prompt="pop, piano", seed=9, steps=12, guidance=5.0, seconds=42.5, lyrics="[verse]\nhello",
                bpm=128, key="F# minor", time_signature="3", language="ja", batch_size=2)
    assert panel.apply_settings(song) == []
    settings = panel.form_settings()
    assert settings == {"task": "song", **song, "model_id": "ace"}
    request = panel.request()
    panel.apply_settings({"prompt": "x", "bpm": None, "lyrics": "", "language": "en", "model_id": "pic"})
    assert panel.task == "text-to-image"
    assert panel.apply_settings(settings) == [] and panel.request() == request

    missed = panel.apply_settings({"task": "song", "lyrics": "words", "negative_prompt": "noise", "top_k": 5},
                                  model_id="not-here")
    assert missed == ["model", "negative prompt", "top k"]
    assert panel.sound_fields.lyrics_edit.toPlainText() == "words"
