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
        if not isinstance(settings.model_folders, list):
            settings.model_folders = []
        return settings

    def save(self) -> None:
        path = self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"schema": SETTINGS_SCHEMA, **asdict(self)}, indent=2)
        atomic_write_bytes(path, payload.encode("utf-8"))
