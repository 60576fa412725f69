"""User settings: a small typed record stored as JSON in the config folder.

A missing or unreadable file gives the defaults (and a one-line warning), never a crash. A
value of the wrong type or outside its choices falls back to its default, with a warning; the
rest of the file is kept. Keys this version does not know (written by a newer Atelier) are kept
as they are and written back on save, so going back and forth between versions loses nothing.
"""

import copy
import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from . import paths
from .core.atomic import atomic_write_bytes

SETTINGS_SCHEMA = 1
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "fp16", "bf16")
MEMORY_MODES = ("normal", "vae-tiling", "cpu-offload")
THEMES = ("system", "light", "dark")
# Fields whose value must be one of a fixed set of strings.
CHOICES: dict[str, tuple[str, ...]] = {
    "device": DEVICES,
    "precision": PRECISIONS,
    "memory_mode": MEMORY_MODES,
    "theme": THEMES,
}
# Integer fields with a lower bound.
MINIMUMS: dict[str, int] = {"autosave_seconds": 0, "preview_every": 1, "thumbnail_size": 16}
_EXTRA = "unknown_keys"  # the field holding keys from a newer version; never a key in the file
log = logging.getLogger(__name__)


FORMS_KEPT = 50  # projects whose last form is remembered
PROMPTS_KEPT = 500  # earlier prompts kept between runs: years of an artist's work, a few hundred KB


@dataclass
class Settings:
    model_folders: list[str] = field(default_factory=list)  # extra folders to scan for models
    device: str = "auto"  # one of DEVICES; "auto" picks CUDA, then MPS, then CPU
    autosave_seconds: int = 120  # the longest unsaved changes wait before the project file is saved; 0: off
    recent_projects: list[str] = field(default_factory=list)  # newest first
    reopen_last_project: bool = True  # start with the newest recent project, not a new untitled one
    # The prompt panel as each project was left (project path -> the form's settings), the newest
    # FORMS_KEPT: the artist's working state, kept here so changing it never dirties a project.
    project_forms: dict = field(default_factory=dict)
    window_geometry: str = ""  # Qt's saveGeometry(), base64
    window_state: str = ""  # Qt's saveState() (dock layout), base64
    precision: str = "auto"  # one of PRECISIONS: weights' dtype; "auto" picks per device and model
    memory_mode: str = "normal"  # one of MEMORY_MODES: trade speed for memory on big images or small GPUs
    previews: bool = True  # show live previews while an image is being generated
    preview_every: int = 1  # steps between live previews, >= 1
    theme: str = "system"  # one of THEMES
    # The sound output device, by name (PortAudio's indices change as devices come and go);
    # "" is the system default, and so is a name that is not connected when the player starts.
    audio_device: str = ""
    prompt_history: list[str] = field(default_factory=list)  # earlier prompts, newest first, at most PROMPTS_KEPT
    thumbnail_size: int = 128  # the history's tiles: their picture's box, logical pixels (the size slider)
    unknown_keys: dict[str, object] = field(default_factory=dict)  # keys from a newer version, written back as read

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
        return cls.from_dict(data, source=f"settings file {path}")

    @classmethod
    def from_dict(cls, data: dict, source: str = "settings") -> "Settings":
        """Settings from a decoded JSON object, checking every value (see the module docstring)."""
        settings = cls()
        known = [f.name for f in fields(cls) if f.name != _EXTRA]
        settings.unknown_keys = {k: v for k, v in data.items() if k not in known and k != "schema"}
        for name in (n for n in known if n in data):
            value = _checked(name, data[name], getattr(settings, name), source)
            if value is not None:
                setattr(settings, name, value)
        return settings

    def to_dict(self) -> dict:
        """The JSON object written by save(): schema, every field, then the unknown keys."""
        known = asdict(self)
        extra = known.pop(_EXTRA)
        newer = {k: v for k, v in extra.items() if k not in known and k != "schema"}
        return {"schema": SETTINGS_SCHEMA, **known, **newer}

    def copy(self) -> "Settings":
        """A deep copy: editing its lists or unknown keys leaves this one alone."""
        return copy.deepcopy(self)

    def keep_prompts(self, prompts: list[str]) -> None:
        """Remember ``prompts`` (newest first) for the next start: the newest PROMPTS_KEPT."""
        self.prompt_history = list(prompts[:PROMPTS_KEPT])

    def add_recent(self, project: Path, keep: int = 10) -> None:
        path = str(project)
        self.recent_projects = [path] + [p for p in self.recent_projects if p != path][: keep - 1]

    def remember_form(self, project: Path, form: dict) -> None:
        """Keep the form ``project`` was left with (newest last, at most FORMS_KEPT projects)."""
        key = str(project)
        self.project_forms.pop(key, None)
        self.project_forms[key] = form
        for old in list(self.project_forms)[:-FORMS_KEPT]:
            del self.project_forms[old]

    def save(self) -> None:
        path = self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(self.to_dict(), indent=2)
        atomic_write_bytes(path, payload.encode("utf-8"))


def _checked(name: str, value, default, source: str):
    """``value`` if it is good for field ``name``, a cleaned copy for lists, or None (use the
    default) after a warning."""
    if isinstance(default, bool):
        ok = type(value) is bool
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)  # JSON true is not a number
    else:
        ok = isinstance(value, type(default))
    if not ok:
        log.warning("%s: %s has the wrong type (%s); using the default %r",
                    source, name, type(value).__name__, default)
        return None
    if name in CHOICES and value not in CHOICES[name]:
        log.warning("%s: %s=%r is not one of %s; using the default %r",
                    source, name, value, ", ".join(CHOICES[name]), default)
        return None
    if name in MINIMUMS and value < MINIMUMS[name]:
        log.warning("%s: %s=%r is below %d; using the default %r",
                    source, name, value, MINIMUMS[name], default)
        return None
    if isinstance(value, list):
        strings = [item for item in value if isinstance(item, str)]
        if len(strings) != len(value):
            log.warning("%s: %s has %d entries that are not text; dropped them",
                        source, name, len(value) - len(strings))
        return strings
    return value
