"""Models that come and go while the window is open: a model deleted since the scan is named
with where it was and what to do, the list is rescanned on demand (F5, the button, the
message's link) and by itself when a models folder changes on disk."""

import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from window_driver import fill, heard

from atelier import paths


def model_names(win) -> list[str]:
    combo = win.panel.model_combo
    return [combo.itemText(i) for i in range(combo.count())]


def test_a_model_deleted_since_the_scan_is_named_marked_and_dropped_by_a_rescan(qtbot, window):
    window.folder_watch.watch([])  # the watch would drop it first: this is the case it misses
    folder = paths.models_dir() / "tiny-sd15"
    shutil.rmtree(folder)
    fill(qtbot, window)
    with heard(qtbot, window.engine.worker.job_done, timeout=20_000):
        qtbot.mouseClick(window.panel.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "(missing)" in model_names(window)[0], timeout=5_000)
    label = window.panel.message_label
    home = Path.home()
    where = f"~/{folder.relative_to(home)}" if folder.is_relative_to(home) else str(folder)
    assert label.toolTip() == f"tiny-sd15 is no longer at {where}"  # whole; the label fits it to one line
    assert label.text().startswith("tiny-sd15 is no longer")
    assert "unexpected" not in label.text() and "Errno" not in label.text()
    assert 'href="rescan"' in label.text() and 'href="settings"' in label.text()
    assert window.generation.jobs.jobs[-1].state.value == "failed"

    label.linkActivated.emit("rescan")  # what a click on "Rescan models" does
    qtbot.waitUntil(lambda: model_names(window) == ["No models found"], timeout=10_000)
    assert not window.panel.generate_button.isEnabled()


def test_f5_and_the_button_rescan_and_the_chosen_model_stays_chosen(qtbot, window, sd15_dir):
    window.folder_watch.watch([])
    shutil.copytree(sd15_dir, paths.models_dir() / "another-sd15")
    window.panel.model_combo.setCurrentIndex(0)
    chosen = window.panel.current_model().id
    window.findChild(type(window.menuBar().actions()[0]), "rescanModelsAction").trigger()
    qtbot.waitUntil(lambda: len(model_names(window)) == 2, timeout=10_000)
    assert window.panel.current_model().id == chosen

    shutil.rmtree(paths.models_dir() / "another-sd15")
    qtbot.mouseClick(window.panel.rescan_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(model_names(window)) == 1, timeout=10_000)
    assert window.panel.current_model().id == chosen


def test_a_model_copied_into_the_models_folder_appears_by_itself(qtbot, window, sd15_dir):
    qtbot.waitUntil(lambda: str(paths.models_dir()) in window.folder_watch.folders, timeout=5_000)
    shutil.copytree(sd15_dir, paths.models_dir() / "copied-in")
    qtbot.waitUntil(lambda: any("copied-in" in name for name in model_names(window)), timeout=15_000)
    shutil.rmtree(paths.models_dir() / "copied-in")
    qtbot.waitUntil(lambda: not any("copied-in" in name for name in model_names(window)), timeout=15_000)
