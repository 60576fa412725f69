"""Linux desktop integration for the current user: the launcher, the icons and the .atelier
file type, so a double-click on a project opens it in Atelier. Writes only under the user's
XDG data folder (``~/.local/share``); ``uninstall`` removes exactly what ``install`` wrote."""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from . import paths
from .core.atomic import atomic_writer

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
MIME_ICON = "application-x-atelier+zip"


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def launch_command() -> list[str]:
    """How the desktop should start this installation: the bundle's executable when frozen,
    else this Python with ``-m atelier``."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "atelier"]


def planned_files() -> dict[Path, Path | None]:
    """Destination -> source under resources/ (None: the .desktop file, written from a template)."""
    share = data_home()
    icons = paths.resource_path("icons")
    files: dict[Path, Path | None] = {share / "applications" / "atelier.desktop": None}
    files[share / "mime" / "packages" / "atelier.xml"] = paths.resource_path("atelier-mime.xml")
    for name in ("atelier", MIME_ICON):
        category = "apps" if name == "atelier" else "mimetypes"
        files[share / "icons" / "hicolor" / "scalable" / category / f"{name}.svg"] = icons / "atelier.svg"
        for size in ICON_SIZES:
            files[share / "icons" / "hicolor" / f"{size}x{size}" / category / f"{name}.png"] = icons / f"atelier-{size}.png"
    return files


def desktop_entry() -> str:
    template = paths.resource_path("atelier.desktop").read_text(encoding="utf-8")
    command = " ".join(shlex.quote(part) for part in launch_command())
    lines = []
    for line in template.splitlines():
        if line.startswith("Exec="):
            line = f"Exec={command} %f"
        elif line.startswith("TryExec="):
            line = f"TryExec={launch_command()[0]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def install() -> list[Path]:
    """Write every file, then refresh the desktop's caches; returns what was written."""
    written = []
    for target, source in planned_files().items():
        data = desktop_entry().encode() if source is None else source.read_bytes()
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(target) as fh:
            fh.write(data)
        written.append(target)
    _refresh_caches()
    return written


def uninstall() -> list[Path]:
    removed = []
    for target in planned_files():
        if target.exists():
            target.unlink()
            removed.append(target)
    _refresh_caches()
    return removed


def _refresh_caches() -> None:
    """The desktop reads its MIME and launcher caches; where the tools exist, rebuild them.
    Where they do not, the desktop rebuilds them on its next login."""
    share = data_home()
    for tool, folder in (("update-mime-database", share / "mime"),
                         ("update-desktop-database", share / "applications"),
                         ("gtk-update-icon-cache", share / "icons" / "hicolor")):
        if shutil.which(tool) and folder.is_dir():
            extra = ["-f", "-t"] if tool == "gtk-update-icon-cache" else []
            subprocess.run([tool, *extra, str(folder)], check=False, capture_output=True, timeout=60)
