"""The architecture's import rules, checked on every test run (README, "Architecture")."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE_MODULES = [
    f"atelier.core.{p.stem}" for p in sorted((ROOT / "src/atelier/core").glob("*.py")) if p.stem != "__init__"
]


def test_import_linter_contracts_hold():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is not installed in this environment (make test installs it)"
    out = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "6 kept, 0 broken" in out.stdout


def test_pyflakes_finds_nothing():
    """Unused imports, undefined names and redefinitions (ruff's pyflakes rules, pyproject.toml)."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff, "ruff is not installed in this environment (make test installs it)"
    out = subprocess.run([ruff, "check", "--no-cache", "--output-format", "concise", "src", "tests", "bench",
                          "scripts", "hooks"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def imported_after(code: str, env) -> set[str]:
    probe = code + "\nimport sys; print(' '.join(sorted(m for m in sys.modules if '.' not in m)))"
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_core_imports_neither_qt_nor_torch(guard_env):
    loaded = imported_after("\n".join(f"import {m}" for m in CORE_MODULES), guard_env)
    assert "atelier" in loaded
    assert not loaded & {"PySide6", "torch", "diffusers", "transformers", "sounddevice"}


def test_media_imports_neither_qt_nor_torch(guard_env):
    modules = sorted(f"atelier.media.{p.stem}" for p in (ROOT / "src/atelier/media").glob("*.py") if p.stem != "__init__")
    loaded = imported_after("\n".join(f"import {m}" for m in modules), guard_env)
    assert modules and "atelier" in loaded
    assert not loaded & {"PySide6", "torch", "diffusers", "transformers"}


def test_models_imports_neither_qt_nor_torch(guard_env):
    modules = sorted(f"atelier.models.{p.stem}" for p in (ROOT / "src/atelier/models").glob("*.py")
               if p.stem != "__init__")
    loaded = imported_after("\n".join(f"import {m}" for m in modules), guard_env)
    assert "atelier.models.kinds" in modules and "atelier" in loaded
    assert not loaded & {"PySide6", "torch", "diffusers", "transformers"}


def test_engine_modules_import_without_torch_or_qt(guard_env):
    loaded = imported_after(
        "import atelier.engine.registry, atelier.engine.loader, atelier.engine.image, atelier.engine.fingerprint",
        guard_env,
    )
    assert not loaded & {"PySide6", "torch", "diffusers", "transformers"}


def test_ui_and_cli_do_not_import_torch_at_import_time(guard_env):
    loaded = imported_after("import atelier.ui.main_window, atelier.ui.app, atelier.cli, atelier.__main__", guard_env)
    assert "PySide6" in loaded
    assert not loaded & {"torch", "diffusers", "transformers"}


def test_network_guard_catches_a_connection(no_network, request):
    import socket

    # tests/conftest.py itself (tests/ui has a conftest.py too, so not by the name "conftest")
    conftest = request.config.pluginmanager.get_plugin(str(Path(__file__).with_name("conftest.py")))

    before = len(conftest._attempts)
    sock = socket.socket()
    try:
        try:
            sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed; the guard fires first
        except conftest.NetworkBlocked:
            pass
    finally:
        sock.close()
    assert conftest._attempts[before:] == ["('192.0.2.1', 80)"]
    del conftest._attempts[before:]  # this one was on purpose


def test_the_window_module_leaves_out_what_the_first_frame_does_not_need(guard_env):
    # Each of these cost the start 4 to 30 ms; they are imported where they are used.
    loaded = imported_after("import atelier.ui.main_window, atelier.ui.app", guard_env)
    assert not loaded & {"PIL", "uuid", "csv", "html", "hashlib", "platform"}
    # The request and recipe types (dozens of dataclasses) and the project format load with the
    # first job and on the project thread, about 10 ms after the first frame, not before it.
    assert not loaded & {"atelier.core.tasks", "atelier.core.recipe", "atelier.core.session", "atelier.core.project_io"}


def test_building_the_window_leaves_the_qt_classes_it_does_not_use_unmade(guard_env):
    # PySide6 makes a class, with its Python enums, on first use. Wrapping a scroll area's
    # viewport that Qt made itself made every QtWidgets class at once: 15 ms of the start
    # (atelier.ui.widgets.own_viewport).
    code = (
        "from PySide6 import QtWidgets\n"
        "app = QtWidgets.QApplication([])\n"
        "from atelier.ui.main_window import MainWindow\n"
        "window = MainWindow(); window.show(); app.processEvents()\n"
        "print(sorted({'QWizard', 'QCalendarWidget', 'QFontDialog'} & set(vars(QtWidgets))))\n"
        "window.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=guard_env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[]"]
