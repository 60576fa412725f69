"""Regenerate docs/screenshot.png: the window after a real generation with a tiny random model.

Run with `make screenshot` (under Xvfb). The tiny model draws noise; the point is the window.
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = [
    ("a lighthouse on a cliff at dusk, oil painting, warm light", 42, 2),
    ("a red fox in fresh snow, morning mist", 7, 1),
    ("still life with pears and a copper jug", 1234, 1),
]


def open_window_on_tiny_model(more_models=None):
    """(app, window): the real window in a throwaway home whose only model is the tiny SD1.5
    (and what ``more_models(models_dir)`` adds). Call it inside main(): the engine process is
    spawned, and re-imports the running script."""
    sys.path.insert(0, str(ROOT / "tests"))
    home = Path(tempfile.mkdtemp(prefix="atelier-shot-"))
    for var, sub in (("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache")):
        os.environ[var] = str(home / sub)
    os.environ["HF_HUB_CACHE"] = str(home / "hf")

    import tiny_models  # after the environment is redirected
    from PySide6.QtWidgets import QApplication, QMessageBox

    from atelier import paths
    from atelier.ui.main_window import MainWindow
    from atelier.ui.theme import STYLE_ARGUMENTS, dark_palette

    tiny_models.build_sd15(paths.models_dir() / "tiny-sd15")
    if more_models is not None:
        more_models(paths.models_dir())
    app = QApplication([sys.argv[0], *STYLE_ARGUMENTS])
    app.setPalette(dark_palette())
    window = MainWindow()
    window.ask_unsaved = lambda doing: QMessageBox.StandardButton.Discard  # a throwaway project
    window.resize(1280, 800)
    window.show()
    return app, window


def fill(panel, prompt: str, seed: int, steps: int = 4, size: tuple[int, int] = (256, 256)) -> None:
    """Fill the prompt panel for a quick generation with the tiny model."""
    panel.prompt_edit.setPlainText(prompt)
    panel.steps_spin.setValue(steps)
    panel.width_spin.setValue(size[0])
    panel.height_spin.setValue(size[1])
    panel.seed_spin.setValue(seed)


def stored(window) -> int:
    """How many outputs the window's project holds."""
    return sum(len(e.outputs) for e in window.project.entries)


def save_and_quit(app, window, name: str) -> None:
    """Save the window's picture as docs/NAME (or the path given on the command line), close."""
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / name
    window.grab().save(str(out))
    print(f"wrote {out}")
    window.close()
    app.quit()


def run(app, window, step) -> int:
    """Run the app, ``step`` polled on the GUI thread from 100 ms on, until it saves and quits."""
    from PySide6.QtCore import QTimer

    QTimer.singleShot(100, step)
    status = app.exec()
    window.engine.worker.stop_engine()
    return status


def main() -> int:
    from PySide6.QtCore import QTimer

    app, window = open_window_on_tiny_model()

    def generate():
        if not window.panel.model_combo.isEnabled():
            QTimer.singleShot(100, generate)
            return
        for prompt, seed, count in reversed(PROMPTS):
            fill(window.panel, prompt, seed)
            window.panel.negative_edit.setPlainText("blurry, low quality")
            window.panel.batch_spin.setValue(count)
            window.start_generation()
        QTimer.singleShot(100, wait_for_image)

    def wait_for_image():
        # Polled on the GUI thread: a lambda on the worker's signal would run on the worker thread.
        if window.running_job is not None or stored(window) < sum(count for _p, _s, count in PROMPTS):
            QTimer.singleShot(100, wait_for_image)
            return
        QTimer.singleShot(800, lambda: save_and_quit(app, window, "screenshot.png"))  # thumbnails arrive first

    QTimer.singleShot(100, generate)
    status = app.exec()
    window.engine.worker.stop_engine()
    return status


if __name__ == "__main__":
    sys.exit(main())
