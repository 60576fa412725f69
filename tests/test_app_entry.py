"""The ways Atelier is started: window or CLI, --selftest, --quit-after, a missing display,
and the desktop integration that makes a double-click on a project open it."""

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from atelier import __version__
from atelier.__main__ import _is_window_launch
from atelier.cli import main as cli_main
from atelier.core.metadata import read_recipe
from atelier.core.project import Project
from atelier.core.project_io import write_archive
from atelier.selftest import REQUEST
from atelier.ui.app import display_problem


@pytest.mark.parametrize("argv, window", [
    ([], True),
    (["work.atelier"], True),
    (["--quit-after", "2"], True),
    (["--debug", "work.atelier"], True),
    (["models"], False),
    (["--debug", "generate", "--model", "x"], False),
    (["--help"], False),
    (["--version"], False),
])
def test_arguments_choose_the_window_or_the_cli(argv, window):
    assert _is_window_launch(argv) is window


def test_selftest_generates_saves_and_reopens_without_network(guard_env, tmp_path):
    image = tmp_path / "selftest.png"
    out = subprocess.run([sys.executable, "-m", "atelier", "--selftest", "--image", str(image)],
                         env=guard_env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    [line] = out.stdout.splitlines()
    assert line.startswith(f"Atelier {__version__} selftest: ok; model loaded in ")
    assert " s, 64x64 image in " in line
    assert "project saved and reopened" in line and "from source" in line
    recipe = read_recipe(image)
    assert (recipe.request.prompt, recipe.seed, recipe.request.steps) == (REQUEST.prompt, REQUEST.seed, REQUEST.steps)
    assert Image.open(image).size == (64, 64)


def test_selftest_names_the_stage_that_failed_in_one_line(guard_env, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    env = {**guard_env, "XDG_DATA_HOME": str(blocker / "data")}  # the project folder cannot be made
    out = subprocess.run([sys.executable, "-m", "atelier", "--selftest"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 1
    [line] = out.stderr.strip().splitlines()
    assert line.startswith(f"Atelier {__version__} selftest: FAILED while saving and reopening a project: ")


def test_quit_after_shows_the_window_then_exits_cleanly(guard_env, user_home):
    env = {**guard_env, "XDG_DATA_HOME": str(user_home / "data"), "XDG_CONFIG_HOME": str(user_home / "config")}
    out = subprocess.run([sys.executable, "-m", "atelier", "--quit-after", "1"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert (user_home / "config" / "Atelier" / "settings.json").is_file()  # closed the normal way


def test_run_reports_the_first_painted_frame_in_fusion_with_garbage_collection_back_on(guard_env, user_home):
    env = {**guard_env, "XDG_DATA_HOME": str(user_home / "data"), "XDG_CONFIG_HOME": str(user_home / "config")}
    code = (
        "import gc\n"
        "from atelier.ui.app import run\n"
        "def on_idle(window):\n"
        "    print(window.isVisible(), window.windowHandle().isExposed(), gc.isenabled(), gc.get_freeze_count() > 0,\n"
        "          window.style().name())\n"
        "    window.close()\n"
        "raise SystemExit(run(on_idle=on_idle))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True", "True", "True", "fusion"]


def test_no_display_gives_one_readable_line_instead_of_a_qt_abort(guard_env, monkeypatch):
    env = {k: v for k, v in guard_env.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    out = subprocess.run([sys.executable, "-m", "atelier"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 3
    assert out.stderr.strip().splitlines() == [
        "atelier: error: no display found (DISPLAY and WAYLAND_DISPLAY are unset); start Atelier from a desktop session"
    ]
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert display_problem() is None


def test_install_desktop_registers_launcher_icons_and_project_type_then_uninstalls(user_home, monkeypatch, capsys):
    share = user_home / "share"
    monkeypatch.setenv("XDG_DATA_HOME", str(share))
    assert cli_main(["install-desktop"]) == 0
    entry = (share / "applications" / "atelier.desktop").read_text()
    assert f"Exec={sys.executable} -m atelier %f\n" in entry
    assert "MimeType=application/x-atelier+zip;" in entry and "Icon=atelier" in entry
    for size in (16, 48, 256, 512):
        icon = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "atelier.png"
        assert Image.open(icon).size == (size, size)
    assert (share / "icons" / "hicolor" / "scalable" / "mimetypes" / "application-x-atelier+zip.svg").is_file()
    mime = ET.parse(share / "mime" / "packages" / "atelier.xml").getroot()
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    assert mime.find("m:mime-type/m:glob", ns).get("pattern") == "*.atelier"
    assert "Installed the Atelier launcher" in capsys.readouterr().out

    assert cli_main(["install-desktop", "--uninstall"]) == 0
    left = [p for p in share.rglob("*") if p.is_file() and "atelier" in p.name]
    assert left == []


def test_the_mime_magic_matches_the_bytes_of_a_real_project(tmp_path):
    path = tmp_path / "work.atelier"
    with open(path, "wb") as fh:
        write_archive(fh, Project(), read_asset=lambda name: b"", thumbnail=None)
    mime = ET.parse(Path(__file__).resolve().parents[1] / "resources" / "atelier-mime.xml").getroot()
    match = mime.find(".//{http://www.freedesktop.org/standards/shared-mime-info}match")
    offset, value = int(match.get("offset")), match.get("value").encode()
    assert path.read_bytes()[offset:offset + len(value)] == value
