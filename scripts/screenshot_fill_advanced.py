"""Regenerate docs/fill-advanced.png: a subject painted for Replace background, the mask tool row's
Advanced popup open with its fill controls, and the prompt panel's size fields standing aside.
Run under Xvfb:
xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_fill_advanced.py"""

import sys
from pathlib import Path

from screenshot import ROOT, open_window_on_tiny_model
from screenshot_mask import run_on_landscape, trace


def save_screen_and_quit(app, window, name: str) -> None:
    """The screen where the window is (a popup is a window of its own: window.grab() leaves it out)."""
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / name
    frame = window.frameGeometry()
    app.primaryScreen().grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height()).save(str(out))
    print(f"wrote {out}")
    window.close()
    app.quit()


def main() -> int:
    from PySide6.QtCore import QTimer

    app, window = open_window_on_tiny_model()

    def scene() -> bool:
        window.panel.prompt_edit.setPlainText("snowy mountains under a starry night sky")
        window.mask_tools.actions["maskLassoAction"].trigger()
        layer = window.canvas.mask_layer
        # The subject to keep: the sun and the water below the hills.
        trace(layer, [(0, 370), (768, 370), (768, 512), (0, 512)])
        window.mask_tools.actions["maskBrushAction"].trigger()
        layer.set_brush_size(96)
        trace(layer, [(515, 165)])
        combo = window.mask_tools.fill_mode_combo
        combo.setCurrentIndex(combo.findData("replace"))
        window.mask_tools.show_advanced()
        panel = window.mask_tools.advanced_panel
        panel.spins["padding"].setValue(64)
        panel.colour_match.setChecked(False)
        QTimer.singleShot(800, lambda: save_screen_and_quit(app, window, "fill-advanced.png"))
        return True

    return run_on_landscape(app, window, scene)


if __name__ == "__main__":
    sys.exit(main())
