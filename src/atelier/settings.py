"""User settings: a small typed record stored as JSON in the config folder.

A missing or unreadable file gives the defaults (and a one-line warning), never a crash.
"""

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from . import paths
from .core.atomic import atomic_write_bytes

SETTINGS_SCHEMA = 1
DEVICES = ("auto", "cpu", "cuda", "mps")
log = logging.getLogger(__name__)


@dataclass
class Settings:
    model_folders: list[str] = field(default_factory=list)  # extra folders to scan for models
    device: str = "auto"
    autosave_seconds: int = 120  # the longest unsaved changes wait before the project file is saved; 0: off
    recent_projects: list[str] = field(default_factory=list)  # newest first
    window_geometry: str = ""  # Qt's saveGeometry(), base64
    window_state: str = ""  # Qt's saveState() (dock layout), base64

    @staticmethod
    def path() -> Path:
        return paths.config_dir() / "settings.json"

    @classmethod
    def load(cls) -> "Settings":
        path = cls.path()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("settings file %s is unreadable (%s); using defaults", path, exc)
            return cls()
        if not isinstance(data, dict):
            log.warning("settings file %s is not a JSON object; using defaults", path)
            return cls()
        known = {f.name for f in fields(cls)}
        settings = cls(**{k: v for k, v in data.items() if k in known})
        if settings.device not in DEVICES:
            settings.device = "auto"
        defaults = cls()
        for f in fields(cls):
            if not isinstance(getattr(settings, f.name), type(getattr(defaults, f.name))):
                log.warning("settings file %s: %s has the wrong type; using the default", path, f.name)
                setattr(settings, f.name, getattr(defaults, f.name))
        return settings

    def add_recent(self, project: Path, keep: int = 10) -> None:
        path = str(project)
        self.recent_projects = [path] + [p for p in self.recent_projects if p != path][: keep - 1]

    def save(self) -> None:
        path = self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"schema": SETTINGS_SCHEMA, **asdict(self)}, indent=2)
        atomic_write_bytes(path, payload.encode("utf-8"))
