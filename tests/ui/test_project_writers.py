"""The window and a CLI run writing one project: the window's save keeps what the other saved,
and its history shows it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_main_window import close_window, delivered, fill, generate_and_wait, open_window

from atelier import paths
from atelier.core.project_io import ProjectArchive

WRITER = Path(__file__).resolve().parents[1] / "core" / "concurrent_writer.py"
XDG = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "HF_HOME", "HF_HUB_CACHE")


@pytest.fixture
def window(qtbot, user_home, sd15_dir):
    shutil.copytree(sd15_dir, paths.models_dir() / "tiny-sd15")
    win = open_window(qtbot)
    yield win
    close_window(qtbot, win)


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
