"""Regenerate docs/image-to-image.png: an image, two subtle variations of it, and the image
set as the init image with its strength slider (under Xvfb, like scripts/screenshot.py)."""

import os, sys, tempfile
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]

def main():
    sys.path.insert(0, str(ROOT / "tests"))
    home = Path(tempfile.mkdtemp(prefix="atelier-shot-"))
    for var, sub in (("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache")):
        os.environ[var] = str(home / sub)
    os.environ["HF_HUB_CACHE"] = str(home / "hf")
    import tiny_models
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox
    from atelier import paths
    from atelier.ui.main_window import MainWindow
    from atelier.ui.theme import STYLE_ARGUMENTS, dark_palette
    tiny_models.build_sd15(paths.models_dir() / "tiny-sd15")
    app = QApplication([sys.argv[0], *STYLE_ARGUMENTS]); app.setPalette(dark_palette())
    w = MainWindow(); w.ask_unsaved = lambda d: QMessageBox.StandardButton.Discard
    w.resize(1280, 800); w.show()
    stage = {"n": 0}
    def count(): return sum(len(e.outputs) for e in w.project.entries)
    def step():
        if not w.panel.model_combo.isEnabled():
            return QTimer.singleShot(100, step)
        if stage["n"] == 0:
            w.panel.prompt_edit.setPlainText("a lighthouse on a cliff at dusk, oil painting")
            w.panel.steps_spin.setValue(4); w.panel.width_spin.setValue(256); w.panel.height_spin.setValue(192)
            w.panel.seed_spin.setValue(42); w.start_generation(); stage["n"] = 1
        elif stage["n"] == 1 and count() >= 1 and w.running_job is None:
            src = w.project.entries[0].outputs[0].id
            w.panel.batch_spin.setValue(2)
            w.vary(0.5, src); stage["n"] = 2
        elif stage["n"] == 2 and count() >= 3 and w.running_job is None:
            w.use_as_init_image(w.project.entries[0].outputs[0].id); stage["n"] = 3
        elif stage["n"] == 3 and w.panel.init_image_box.current is not None:
            w.panel.init_image_box.set_strength(0.45); stage["n"] = 4
            return QTimer.singleShot(1000, snap)
        QTimer.singleShot(100, step)
    def snap():
        out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "image-to-image.png"
        w.grab().save(str(out)); print("wrote", out)
        w.close(); app.quit()
    QTimer.singleShot(100, step)
    app.exec(); w.engine.worker.stop_engine()

if __name__ == "__main__":
    main()
