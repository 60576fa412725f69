"""Regenerate docs/model-library.png: the Model Library window over an artist's A1111 and ComfyUI
folders (checkpoints, LoRAs, VAEs, a ControlNet, an embedding, a pickle), a LoRA selected with
its hashes computed. The files are real safetensors headers over sparse holes of real sizes.
Run under Xvfb:
xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_model_library.py"""

import sys
from pathlib import Path

from screenshot import ROOT, open_window_on_tiny_model, run


def add_library(models_dir) -> None:
    import library_files  # tests/, on the path once the window helper has run

    library_files.write_a1111_library(models_dir, real_sizes=True)


def main() -> int:
    from PySide6.QtCore import QTimer

    app, window = open_window_on_tiny_model(add_library)
    state = {"library": None}

    def save() -> None:
        library = state["library"]
        out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "model-library.png"
        library.grab().save(str(out))
        print(f"wrote {out}")
        window.close()
        app.quit()

    def step():
        library = state["library"]
        if library is None:
            if len(window.generation.all_models) >= 10:
                window.show_model_library()
                state["library"] = library = window.model_library
                library.resize(1180, 620)
                library.search.setText("")
                library.select_row(library.model.row_of("ink_wash_style"))
        elif library.details.values["sha256"].text() not in ("computing...", "not computed", ""):
            QTimer.singleShot(300, save)
            return
        QTimer.singleShot(100, step)

    return run(app, window, step)


if __name__ == "__main__":
    sys.exit(main())
