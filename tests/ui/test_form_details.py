"""The prompt panel's form details in the real window: sizes named by aspect ratio, the swap,
sides that snap to multiples of 8 as typed, the size kept or changed (and said) on a model
switch, a message line that never moves the form and reads in both themes, and the columns at
a small and a large window."""

import shutil

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget
from window_driver import close_window, open_window

from atelier import paths
from atelier.core.jobs import JobState
from atelier.ui.size_picker import SIZE_PRESETS, aspect_name, preset_label, size_for_family
from atelier.ui.theme import apply_theme, contrast_ratio

LONG_ERROR = ("The engine could not load tiny-sd15 from /home/artist/models/checkpoints/tiny-sd15: "
              "the file unet/diffusion_pytorch_model.safetensors is truncated (read 1,048,576 of "
              "3,455,123 bytes). Copy the model again, or remove it from the models folder and rescan. "
              "Nothing was generated and the queue goes on with the next job.")


def size(window) -> tuple[int, int]:
    return window.panel.width_spin.value(), window.panel.height_spin.value()


def presets(window) -> list[str]:
    combo = window.panel.size_combo
    return [combo.itemText(i) for i in range(combo.count())]


def choose_model(window, name: str, by_hand: bool = True) -> None:
    """Choose the model ``name`` as the artist does in the box (``by_hand``), or as restoring a form does."""
    combo = window.panel.model_combo
    [index] = [i for i in range(combo.count()) if combo.itemData(i) is not None and combo.itemData(i).name == name]
    combo.setCurrentIndex(index)
    if by_hand:
        combo.activated.emit(index)  # what the box emits after a pick from its list, the keys or the wheel


def type_into(qtbot, spin, text: str) -> None:
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)


@pytest.fixture
def families_window(qtbot, user_home, sd15_dir, sdxl_dir):
    """The window with two SD1.5 models and one SDXL model."""
    for name, source in (("tiny-sd15", sd15_dir), ("tiny-sd15-b", sd15_dir), ("tiny-sdxl", sdxl_dir)):
        shutil.copytree(source, paths.models_dir() / name)
    win = open_window(qtbot)
    qtbot.waitUntil(lambda: win.panel.model_combo.count() == 3, timeout=10_000)
    yield win
    close_window(qtbot, win)


# ----- presets by aspect ratio ---------------------------------------------------------------
def test_presets_are_named_by_their_aspect_ratio():
    labels = [preset_label(*preset) for preset in SIZE_PRESETS["sdxl"]]
    assert labels == ["1:1 square · 1024×1024", "2:3 portrait · 832×1216", "3:2 landscape · 1216×832",
                      "4:5 portrait · 896×1152", "5:4 landscape · 1152×896", "9:16 portrait · 768×1344",
                      "16:9 landscape · 1344×768"]
    assert aspect_name(1024, 768) == "4:3 landscape" and aspect_name(1000, 1000) == "1:1 square"


def test_the_size_box_shows_the_preset_the_size_is(qtbot, window):
    panel = window.panel
    assert presets(window) == ["1:1 square · 512×512", "2:3 portrait · 512×768", "3:2 landscape · 768×512",
                               "3:2 landscape · 640×448", "2:3 portrait · 448×640", "Custom"]
    assert panel.size_combo.currentText() == "1:1 square · 512×512"
    panel.size_combo.setCurrentIndex(1)
    panel.size_combo.activated.emit(1)  # what choosing it in the open box does
    assert size(window) == (512, 768) and panel.size_combo.currentText() == "2:3 portrait · 512×768"
    type_into(qtbot, panel.width_spin, "600")
    qtbot.keyClick(panel.width_spin, Qt.Key.Key_Return)
    assert size(window) == (600, 768) and panel.size_combo.currentText() == "Custom"
    panel.width_spin.setValue(640)
    panel.height_spin.setValue(448)  # sides typed to a preset's show that preset
    assert panel.size_combo.currentText() == "3:2 landscape · 640×448"


def test_the_swap_button_turns_portrait_into_landscape(qtbot, window):
    panel = window.panel
    panel.width_spin.setValue(512)
    panel.height_spin.setValue(768)
    swap = panel.findChild(QWidget, "swapSizeButton")
    qtbot.mouseClick(swap, Qt.MouseButton.LeftButton)
    assert size(window) == (768, 512) and panel.size_combo.currentText() == "3:2 landscape · 768×512"
    qtbot.mouseClick(swap, Qt.MouseButton.LeftButton)
    assert size(window) == (512, 768) and panel.size_combo.currentText() == "2:3 portrait · 512×768"


# ----- sides snap to multiples of 8 ----------------------------------------------------------
def test_a_typed_side_snaps_to_the_nearest_multiple_of_8_when_the_field_is_left(qtbot, window):
    panel = window.panel
    window.activateWindow()
    type_into(qtbot, panel.width_spin, "515")
    assert panel.width_spin.text() == "515"  # not changed under the fingers while typing
    panel.width_spin.clearFocus()  # leaving the field
    assert panel.width_spin.value() == 512 and panel.width_spin.text() == "512"
    type_into(qtbot, panel.height_spin, "516")
    qtbot.keyClick(panel.height_spin, Qt.Key.Key_Return)
    assert panel.height_spin.value() == 520  # a half rounds up
    qtbot.keyClick(panel.height_spin, Qt.Key.Key_Up)
    assert panel.height_spin.value() == 528  # the arrows step by 8


def test_generate_takes_a_side_still_being_typed_snapped_instead_of_failing(qtbot, window):
    panel = window.panel
    panel.prompt_edit.setPlainText("a lighthouse")
    panel.steps_spin.setValue(1)
    panel.width_spin.setValue(512)
    panel.height_spin.setValue(64)
    type_into(qtbot, panel.width_spin, "61")
    assert (panel.width_spin.text(), panel.width_spin.value()) == ("61", 512)  # typed, not yet taken
    window.start_generation()  # what Ctrl+Enter does, the field still focused
    job = window.generation.jobs.jobs[-1]
    assert (job.request.width, job.request.height) == (64, 64)
    assert not panel.message_label.property("error")
    assert size(window) == (64, 64)
    qtbot.waitUntil(lambda: job.state.finished, timeout=60_000)
    assert job.state is JobState.DONE, job.message


# ----- switching model -------------------------------------------------------------------------
def test_switching_model_keeps_a_size_the_family_supports_and_says_when_it_changes_it(qtbot, families_window):
    window, panel = families_window, families_window.panel
    choose_model(window, "tiny-sd15")
    panel.width_spin.setValue(1024)  # beyond what SD1.5 was trained at, but what the artist chose
    panel.height_spin.setValue(1024)
    panel.set_message("")
    choose_model(window, "tiny-sd15-b")
    assert size(window) == (1024, 1024) and panel.message_label.text() == ""  # same family: kept, nothing said

    panel.width_spin.setValue(512)
    panel.height_spin.setValue(768)
    choose_model(window, "tiny-sdxl")
    assert size(window) == (832, 1216)  # SDXL's preset of the same aspect ratio
    assert panel.size_combo.currentText() == "2:3 portrait · 832×1216"
    assert panel.message_label.text() == "Size set to 832×1216 for SDXL"
    assert not panel.message_label.property("error")

    choose_model(window, "tiny-sd15")
    panel.width_spin.setValue(768)  # on SD1.5, near enough to SDXL's area: kept
    panel.height_spin.setValue(768)
    panel.set_message("")
    choose_model(window, "tiny-sdxl")
    assert size(window) == (768, 768) and panel.message_label.text() == ""

    panel.width_spin.setValue(1344)
    panel.height_spin.setValue(768)
    choose_model(window, "tiny-sd15")
    assert size(window) == (768, 512)  # the widest SD1.5 preset
    assert panel.message_label.text() == "Size set to 768×512 for SD 1.5"

    panel.set_message("")
    choose_model(window, "tiny-sdxl", by_hand=False)  # e.g. Use all, which sets the size after
    qtbot.wait(10)
    panel.model_combo.activated.emit(panel.model_combo.currentIndex())  # then picked again by hand
    assert size(window) == (1216, 832) and panel.message_label.text() == ""


def test_a_size_for_a_family_follows_its_presets_and_trained_area():
    assert size_for_family((832, 1216), "sd3") == (832, 1216)  # one of its presets
    assert size_for_family((640, 640), "sd15") == (640, 640)  # within half to twice its area
    assert size_for_family((2048, 2048), "sdxl") == (1024, 1024)
    assert size_for_family((1500, 1000), "unknown") == (1500, 1000)  # nothing known: kept


# ----- the message line ------------------------------------------------------------------------
def positions(window) -> dict:
    panel = window.panel
    widgets = {"prompt": panel.prompt_edit, "size": panel.size_picker, "generate": panel.generate_button,
               "progress": panel.progress_bar, "message": panel.message_line}
    return {name: (w.mapTo(window, QPoint(0, 0)), w.size()) for name, w in widgets.items()}


def test_a_long_error_keeps_to_its_own_two_lines_and_moves_nothing(qtbot, window):
    panel = window.panel
    panel.set_message("Ready.")
    qtbot.wait(50)
    before = positions(window)
    line_spacing = panel.message_label.fontMetrics().lineSpacing()
    assert 2 * line_spacing <= panel.message_line.height() < 3 * line_spacing
    panel.set_message(LONG_ERROR, error=True)
    qtbot.wait(50)
    assert positions(window) == before
    assert panel.message_label.text() == LONG_ERROR and panel.message_label.toolTip() == LONG_ERROR
    assert panel.message_label.height() > panel.message_line.height()  # the rest scrolls
    assert panel.message_line.verticalScrollBar().maximum() > 0
    panel.set_message("")
    qtbot.wait(50)
    assert positions(window) == before


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_an_error_reads_at_4_5_to_1_in_both_themes(qtbot, qapp, window, restore_palette, theme):
    other = "light" if theme == "dark" else "dark"
    apply_theme(qapp, other)
    window.panel.set_message("Generation failed: out of memory", error=True)
    apply_theme(qapp, theme)  # switched while the error shows
    qtbot.wait(50)
    label = window.panel.message_label
    text = label.palette().color(label.foregroundRole())
    background = label.palette().color(label.backgroundRole())
    panel = window.panel.palette().color(QPalette.ColorRole.Window)
    assert background == panel == qapp.palette().color(QPalette.ColorRole.Window)
    assert (panel.lightness() < 128) == (theme == "dark")
    assert contrast_ratio(text, panel) >= 4.5
    # What is painted: the background is that colour, and the text's strokes reach the red.
    image = label.grab().toImage()
    assert image.pixelColor(image.width() - 1, image.height() - 1).rgb() == panel.rgb()
    best = max(contrast_ratio(image.pixelColor(x, y), panel) for x in range(image.width())
               for y in range(0, image.height(), 2))
    assert best >= 4.5
    window.panel.set_message("Done.")
    assert label.palette().color(label.foregroundRole()) == qapp.palette().color(QPalette.ColorRole.WindowText)


def test_contrast_ratio_is_wcag_s():
    assert contrast_ratio(QColor("black"), QColor("white")) == pytest.approx(21)
    assert contrast_ratio(QColor("#777777"), QColor("white")) == pytest.approx(4.48, abs=0.01)


# ----- the columns -----------------------------------------------------------------------------
def settle(qtbot, window, width: int, height: int) -> dict:
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.width() == width, timeout=5_000)
    qtbot.wait(100)
    QApplication.processEvents()
    return {"canvas": window.canvas.width(), "prompt": window.prompt_dock.width(),
            "history": window.history_dock.width()}


def test_at_1024x700_the_canvas_is_the_widest_column(qtbot, window):
    settle(qtbot, window, 1280, 800)
    small = settle(qtbot, window, 1024, 700)
    assert small["canvas"] > max(small["prompt"], small["history"]), small


def test_at_2560x1440_the_history_grows_with_the_window(qtbot, window):
    at_1280 = settle(qtbot, window, 1280, 800)
    large = settle(qtbot, window, 2560, 1440)
    assert large["history"] > 1.5 * at_1280["history"], (at_1280, large)
    assert large["canvas"] > max(large["prompt"], large["history"]), large
    assert large["prompt"] <= at_1280["prompt"] + 8  # the form needs no more room
    back = settle(qtbot, window, 1280, 800)
    assert abs(back["history"] - at_1280["history"]) <= 8, (at_1280, back)
