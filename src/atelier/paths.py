"""Where Atelier keeps things. Honours the XDG variables (platformdirs), so tests and users can
redirect every location through the environment."""

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Atelier"


def _dirs() -> platformdirs.PlatformDirs:
    # Built per call: platformdirs reads the environment each time, which tests rely on.
    return platformdirs.PlatformDirs(APP_NAME, appauthor=False)


def data_dir() -> Path:
    return Path(_dirs().user_data_dir)


def config_dir() -> Path:
    return Path(_dirs().user_config_dir)


def cache_dir() -> Path:
    return Path(_dirs().user_cache_dir)


def models_dir() -> Path:
    """The user's own model folder, scanned first."""
    return data_dir() / "models"


def hf_hub_cache() -> Path:
    """The Hugging Face hub cache, found the way huggingface_hub finds it (without importing it)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "huggingface" / "hub"


def rembg_dirs() -> list[Path]:
    """Where rembg keeps the background-removal models it fetched: ``$U2NET_HOME`` (default
    ``~/.u2net``) and ``$REMBG_HOME/models`` (default ``~/.rembg/models``). Atelier only reads them."""
    u2net = os.environ.get("U2NET_HOME")
    rembg = os.environ.get("REMBG_HOME")
    return [Path(u2net).expanduser() if u2net else Path.home() / ".u2net",
            (Path(rembg).expanduser() if rembg else Path.home() / ".rembg") / "models"]


def shown(path: Path) -> str:
    """A path as a person reads it: "~/Pictures/work" under the home folder, else whole."""
    path, home = Path(path), Path.home()
    if path == home:
        return "~"
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)


def resource_path(*parts: str) -> Path:
    """A file under ``resources/``, from the source tree or from a frozen bundle."""
    if getattr(sys, "frozen", False):
        base = Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent))
    else:
        base = Path(__file__).resolve().parents[2]
    return base.joinpath("resources", *parts)
