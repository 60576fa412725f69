"""The project file in the window: a CLI run writing to it meanwhile (the window's save keeps
what the other saved, and its history shows it), and a file with a damaged asset."""

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from PIL import Image
from window_driver import delivered, fill, generate_and_wait

from atelier.core.project_io import MIMETYPE, ProjectArchive

WRITER = Path(__file__).resolve().parents[1] / "core" / "concurrent_writer.py"
XDG = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "HF_HOME", "HF_HUB_CACHE")


def test_a_cli_writer_between_two_window_saves_loses_nothing(qtbot, window, user_home, guard_env):
    path = user_home / "shared.atelier"
    fill(qtbot, window)
    generate_and_wait(qtbot, window)
    with delivered(qtbot, window.projects.worker.saved, timeout=10_000):
        window.save_project_as(path)

    env = {**guard_env, **{name: os.environ[name] for name in XDG}}
    other = subprocess.run([sys.executable, str(WRITER), str(path), "cli", "3"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert other.returncode == 0, other.stderr
    theirs = {line.split()[1] for line in other.stdout.splitlines() if line.startswith("saved ")}

    fill(qtbot, window, seed=6)
    generate_and_wait(qtbot, window, count=2)
    with delivered(qtbot, window.projects.worker.saved, timeout=10_000):
        window.save_project()

    mine = {o.asset for e in window.project.entries for o in e.outputs if e.prompt == "a photo of a cat"}
    with ProjectArchive(path) as archive:
        saved = {o.asset for _e, o in archive.project.outputs()}
    assert len(mine) == 2 and theirs and saved == mine | theirs
    shown = {o.asset for _e, o in window.project.outputs()}
    assert theirs <= shown  # the history shows what the CLI run added
    assert "took in" in window.statusBar().currentMessage()


def test_a_damaged_asset_says_so_in_one_line_and_the_rest_shows(qtbot, window, user_home):
    good = io.BytesIO()
    Image.new("RGB", (16, 16), "orange").save(good, format="PNG")
    good = good.getvalue()
    names = {kind: f"assets/{hashlib.sha256(data).hexdigest()}.png" for kind, data in
             (("good", good), ("bad", b"what it once was"))}
    doc = {"format_version": 2, "entries": [{"id": "e", "prompt": "two", "outputs": [
        {"id": kind, "kind": "image", "asset": name} for kind, name in names.items()]}]}
    path = user_home / "damaged.atelier"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", MIMETYPE)
        zf.writestr("project.json", json.dumps(doc))
        zf.writestr(names["good"], good)
        zf.writestr(names["bad"], b"other bytes")  # does not hash to its name

    with delivered(qtbot, window.projects.worker.opened, timeout=10_000):
        window.open_project(path)
    with delivered(qtbot, window.projects.worker.failed, timeout=10_000):
        window.project_controller.show_output("bad")
    message = window.panel.message_label.text()
    assert "damaged asset" in message and "\n" not in message

    with delivered(qtbot, window.projects.worker.asset_loaded, timeout=10_000):
        window.project_controller.show_output("good")
    assert window.canvas.image_size() == (16, 16)
