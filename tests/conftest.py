"""Suite-wide setup: no network, no real user folders, no display needed, tiny real models."""

import faulthandler
import os
import socket
import sys
import tempfile
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))  # for tiny_models

# 1. Before anything imports atelier or Hugging Face code: offline, offscreen, and every
#    per-user folder redirected into a throwaway home.
_HOME = Path(tempfile.mkdtemp(prefix="atelier-tests-"))
# Sound plays through real PortAudio into ALSA's null device, on any machine (CI has no sound
# card; a developer's speakers stay quiet): PortAudio reads ~/.asoundrc when sounddevice is
# first imported, so HOME must point here before that.
(_HOME / ".asoundrc").write_text("pcm.!default { type null }\n", encoding="utf-8")
_ENV = {
    "HOME": str(_HOME),
    "HF_HUB_OFFLINE": "1",
    "HF_HOME": str(_HOME / "hf"),
    "HF_HUB_CACHE": str(_HOME / "hf" / "hub"),
    "XDG_DATA_HOME": str(_HOME / "data"),
    "XDG_CONFIG_HOME": str(_HOME / "config"),
    "XDG_CACHE_HOME": str(_HOME / "cache"),
    "QT_QPA_PLATFORM": os.environ.get("ATELIER_TEST_QPA", "offscreen"),
    "TQDM_DISABLE": "1",
    # Every child process (the engine process included) loads the socket guard below.
    "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS / "offline_guard"), os.environ.get("PYTHONPATH")])),
}
os.environ.update(_ENV)


# 2. The network guard: any attempt to connect outside this machine fails the test, even if
#    the code under test swallows the exception.
class NetworkBlocked(RuntimeError):
    pass


_attempts: list[str] = []
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guard(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        _attempts.append(repr(address))
        raise NetworkBlocked(f"test tried to connect to {address!r}")


def _blocked_connect(self, address):
    _guard(self, address)
    return _real_connect(self, address)


def _blocked_connect_ex(self, address):
    _guard(self, address)
    return _real_connect_ex(self, address)


socket.socket.connect = _blocked_connect
socket.socket.connect_ex = _blocked_connect_ex


@pytest.fixture(autouse=True)
def no_network():
    start = len(_attempts)
    yield
    made = _attempts[start:]
    assert not made, f"network connection attempted: {made}"


@pytest.fixture
def guard_env() -> dict:
    """Environment for subprocesses: the same redirects, plus the socket guard preloaded."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS / "offline_guard"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


# 3. Tiny real models, built once per run.
@pytest.fixture(scope="session")
def sd15_dir(tmp_path_factory) -> Path:
    import tiny_models

    return tiny_models.build_sd15(tmp_path_factory.mktemp("models") / "tiny-sd15")


@pytest.fixture(scope="session")
def sdxl_dir(tmp_path_factory) -> Path:
    import tiny_models

    return tiny_models.build_sdxl(tmp_path_factory.mktemp("models") / "tiny-sdxl")


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory) -> Path:
    import tiny_models

    return tiny_models.write_audio_model_index(tmp_path_factory.mktemp("models") / "tiny-audioldm2")


@pytest.fixture(scope="session")
def stable_audio_dir(tmp_path_factory) -> Path:
    import tiny_audio_models

    return tiny_audio_models.build_stable_audio(tmp_path_factory.mktemp("models") / "tiny-stable-audio")


@pytest.fixture(scope="session")
def musicgen_dir(tmp_path_factory) -> Path:
    import tiny_audio_models

    return tiny_audio_models.build_musicgen(tmp_path_factory.mktemp("models") / "tiny-musicgen")


@pytest.fixture(scope="session")
def musicgen_melody_dir(tmp_path_factory) -> Path:
    import tiny_audio_models

    return tiny_audio_models.build_musicgen(tmp_path_factory.mktemp("models") / "tiny-musicgen-melody", melody=True)


@pytest.fixture(scope="session")
def ace_step_dir(tmp_path_factory) -> Path:
    import tiny_audio_models

    return tiny_audio_models.build_ace_step(tmp_path_factory.mktemp("models") / "tiny-ace-step")


@pytest.fixture
def user_home(tmp_path, monkeypatch) -> Path:
    """A fresh per-test home: empty models folder, settings and HF cache of its own."""
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.setenv("U2NET_HOME", str(tmp_path / "u2net"))
    monkeypatch.setenv("REMBG_HOME", str(tmp_path / "rembg"))
    return tmp_path


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    """The tests' QApplication is styled as the app's is (atelier.ui.app.run)."""
    from atelier.ui.theme import STYLE_ARGUMENTS

    return [sys.argv[0], *STYLE_ARGUMENTS]


# 3. A crash (a C-level abort or segfault) prints the crashing thread's Python stack, and only
#    that one: with every thread's, the crashing test's frames scroll out of the tail of the
#    output that CI shows. (pytest's own faulthandler plugin is off in pyproject.toml.) Qt's
#    fatal message, which comes just before its abort, goes to the same uncaptured stream;
#    other Qt messages go to the test's captured stderr (pytest-qt's capture is off too: it
#    would swallow the fatal one with the test's output).
_crash_stream = None
_qt_handler = None


def pytest_configure(config):
    global _crash_stream, _qt_handler
    _crash_stream = os.fdopen(os.dup(sys.__stderr__.fileno()), "w")
    faulthandler.enable(file=_crash_stream, all_threads=False)
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    def _qt_message(kind, _context, message):
        if kind == QtMsgType.QtFatalMsg:
            _crash_stream.write(f"Qt fatal: {message}\n")
            _crash_stream.flush()
        else:
            print(f"Qt: {message}", file=sys.stderr)

    _qt_handler = _qt_message
    qInstallMessageHandler(_qt_handler)
