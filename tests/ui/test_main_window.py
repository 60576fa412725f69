"""The walking-skeleton window, driven like a person would with qtbot, on the real engine."""

import shutil
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt

from atelier import paths
from atelier.core.metadata import read_recipe
from atelier.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, user_home, sd15_dir):
    shutil.copytree(sd15_dir, paths.models_dir() / "tiny-sd15")
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.model_combo.isEnabled(), timeout=10_000)
    yield win
    win.close()


def fill(qtbot, win, prompt="a photo of a cat", steps=2, size=(64, 64), seed=5):
    win.prompt_edit.setPlainText(prompt)
    win.steps_spin.setValue(steps)
    win.width_spin.setValue(size[0])
    win.height_spin.setValue(size[1])
    win.seed_spin.setValue(seed)


def test_generate_shows_the_image_and_writes_it_with_its_recipe(qtbot, window):
    assert window.model_combo.currentText().startswith("tiny-sd15")
    fill(qtbot, window, size=(64, 48))
    with qtbot.waitSignal(window.engine.worker.job_done, timeout=60_000):
        qtbot.mouseClick(window.generate_button, Qt.MouseButton.LeftButton)
    assert window.message_label.text() == ""
    assert window.canvas.image_size() == (64, 48)
    output = window.last_output
    assert output.path.parent == paths.outputs_dir() and output.path.is_file()
    recipe = read_recipe(output.path)
    assert (recipe.prompt, recipe.seed, recipe.width, recipe.height) == ("a photo of a cat", 5, 64, 48)
    assert window.generate_button.isEnabled() and not window.cancel_button.isEnabled()
    assert window.progress_bar.value() == window.progress_bar.maximum()


def test_ctrl_enter_generates_and_shows_previews_while_running(qtbot, window):
    fill(qtbot, window, steps=3)
    previews = []
    window.engine.worker.preview.connect(previews.append)
    with qtbot.waitSignal(window.engine.worker.job_done, timeout=60_000):
        qtbot.keyClick(window.prompt_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert len(previews) == 3
    assert window.canvas.image_size() == (64, 64)


def test_cancel_stops_the_job_and_the_window_keeps_working(qtbot, window):
    fill(qtbot, window, steps=400)
    with qtbot.waitSignal(window.engine.worker.step, timeout=60_000):
        qtbot.mouseClick(window.generate_button, Qt.MouseButton.LeftButton)
    assert window.cancel_button.isEnabled() and not window.generate_button.isEnabled()
    with qtbot.waitSignal(window.engine.worker.job_cancelled, timeout=10_000):
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(window.generate_button.isEnabled, timeout=5_000)
    assert window.message_label.text().startswith("Generation cancelled after step")
    assert window.progress_bar.text() == "Cancelled"
    # and it still generates afterwards
    fill(qtbot, window)
    with qtbot.waitSignal(window.engine.worker.job_done, timeout=60_000):
        qtbot.mouseClick(window.generate_button, Qt.MouseButton.LeftButton)
    assert window.canvas.image_size() == (64, 64)


def test_bad_field_is_reported_in_the_window_not_raised(qtbot, window):
    fill(qtbot, window)
    window.scheduler_combo.addItem("Nonsense")
    window.scheduler_combo.setCurrentText("Nonsense")
    qtbot.mouseClick(window.generate_button, Qt.MouseButton.LeftButton)
    assert "unknown scheduler 'Nonsense'" in window.message_label.text()
    assert window.generate_button.isEnabled()


def test_broken_model_fails_in_the_window_and_the_app_keeps_running(qtbot, window):
    weights = paths.models_dir() / "tiny-sd15" / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    fill(qtbot, window)
    with qtbot.waitSignal(window.engine.worker.job_failed, timeout=60_000) as failed:
        qtbot.mouseClick(window.generate_button, Qt.MouseButton.LeftButton)
    assert "truncated" in failed.args[0] and str(weights) in failed.args[0]
    qtbot.waitUntil(window.generate_button.isEnabled, timeout=5_000)
    assert window.progress_bar.text() == "Failed"


def test_closing_during_generation_cancels_and_joins_the_thread(qtbot, user_home, sd15_dir):
    shutil.copytree(sd15_dir, paths.models_dir() / "tiny-sd15")
    win = MainWindow()
    win.show()
    qtbot.waitUntil(lambda: win.model_combo.isEnabled(), timeout=10_000)
    fill(qtbot, win, steps=400)
    steps = []
    win.engine.worker.step.connect(lambda *args: steps.append(args[2]))
    with qtbot.waitSignal(win.engine.worker.step, timeout=60_000):
        qtbot.mouseClick(win.generate_button, Qt.MouseButton.LeftButton)
    win.close()
    assert win.engine.thread.isFinished()
    assert max(steps) < 400


def test_no_models_says_where_to_put_them(qtbot, user_home):
    win = MainWindow()
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: "No image models found" in win.message_label.text(), timeout=10_000)
    assert str(paths.models_dir()) in win.message_label.text()
    assert not win.generate_button.isEnabled()
    win.close()


def test_window_is_shown_before_torch_is_imported(guard_env):
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from atelier.ui.main_window import MainWindow\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "print(w.isVisible(), 'torch' in sys.modules, 'diffusers' in sys.modules)\n"
        "w.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=guard_env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "False", "False"]
