"""Regenerate docs/import.png: a folder of another tool's images imported at once: the history
full of them, one shown with what its metadata told, and the summary of what was read from which
tool, duplicates and a damaged file included. Run under Xvfb:
xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_import.py"""

import json
import shutil
import sys
import tempfile
from pathlib import Path

from screenshot import open_window_on_tiny_model, run, save_and_quit


def picture(number: int):
    """A small landscape in a colour of its own, so the history's thumbnails tell them apart."""
    import numpy as np
    from PIL import Image

    rows = np.linspace(0, 1, 192)[:, None, None]
    sky = np.array([40 + 9 * number % 120, 80 + 23 * number % 140, 160 + 5 * number % 90])
    ground = np.array([30 + 11 * number % 60, 60 + 3 * number % 80, 40])
    horizon = 0.55 + 0.1 * np.sin(np.linspace(0, 3 + number % 5, 256))[None, :, None]
    pixels = np.where(rows < horizon, sky * (0.6 + 0.4 * rows), ground * (1.2 - 0.4 * rows))
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def folder_of_images(root: Path) -> Path:
    """24 images as AUTOMATIC1111, ComfyUI, NovelAI and Fooocus write them, 4 copies of earlier
    ones, and a file cut short."""
    import tool_images  # tests/, on the path once the window helper has run

    chunks = [{"parameters": tool_images.A1111_TEXT}, {"prompt": json.dumps(tool_images.COMFYUI_PROMPT)},
              tool_images.NOVELAI_CHUNKS, {"parameters": json.dumps(tool_images.FOOOCUS_JSON)}]
    made = [tool_images.png(root / f"render-{number:02d}.png", chunks[number % len(chunks)], picture(number))
            for number in range(24)]
    for number in range(4):
        shutil.copy(made[number], root / f"render-{number:02d} (copy).png")
    (root / "half-saved.png").write_bytes(made[0].read_bytes()[:200])
    return root


def main() -> int:
    from PySide6.QtCore import QTimer

    app, window = open_window_on_tiny_model()
    folder = folder_of_images(Path(tempfile.mkdtemp(prefix="atelier-shot-renders-")))
    state = {"asked": False, "ended": [], "ready": []}
    window.engine.worker.engine_ready.connect(state["ready"].append)

    def step():
        project = window.project_controller
        if not state["asked"]:
            # Once the engine has started, so that its status does not cover the summary.
            if project.project is not None and window.panel.model_combo.isEnabled() and state["ready"]:
                project.imported.connect(state["ended"].append)
                window.import_paths([folder])
                state["asked"] = True
        elif state["ended"] and project.current_output_id is not None:
            QTimer.singleShot(800, lambda: save_and_quit(app, window, "import.png"))  # thumbnails
            return
        QTimer.singleShot(100, step)

    return run(app, window, step)


if __name__ == "__main__":
    sys.exit(main())
