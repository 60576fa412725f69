"""The project model: every request an artist made and everything that came out of it.

Plain dataclasses with ``to_dict``/``from_dict``. Keys this version does not know are kept in
``extra`` and written back, so a file touched by an older Atelier loses nothing a newer one
wrote. Reading and writing files is project_io's job.
"""

import os
import types
import typing
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone

SUFFIX = ".atelier"  # a project file's name ends so (here, not with the format: the window needs no more)
KINDS = ("image", "audio")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_id() -> str:
    """128 random bits as 32 hex digits, as uuid4().hex looks (importing uuid costs the window's
    start about 5 ms: it imports platform)."""
    return os.urandom(16).hex()


@dataclass
class Output:
    """One image or sound, stored as a content-addressed asset, with the artist's marks."""

    kind: str  # "image" or "audio"
    asset: str  # member name inside the project, e.g. "assets/<sha256>.png"
    recipe: dict | None = None  # Recipe.to_dict(), or what an import recovered; None if unknown
    id: str = field(default_factory=new_id)
    created: str = field(default_factory=now)
    favourite: bool = False
    rating: int = 0  # 0..5
    note: str = ""
    hidden: bool = False
    source: str | None = None  # for a canvas document: the id of the output it was made from
    mask: str | None = None  # for a canvas document: the asset holding its mask
    peaks: str | None = None  # for a sound: the asset holding its waveform peaks (media/peaks.py)
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"output kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not isinstance(self.rating, int) or isinstance(self.rating, bool) or not 0 <= self.rating <= 5:
            raise ValueError(f"rating {self.rating!r} must be 0 to 5")

    def to_dict(self) -> dict:
        return _to_dict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Output":
        return _from_dict(cls, data)


@dataclass
class Entry:
    """One request (prompt, negative prompt, parameters, model) and its outputs, in order."""

    prompt: str = ""
    negative_prompt: str = ""
    parameters: dict = field(default_factory=dict)  # steps, guidance, size, sampler, seed, ...
    model: dict = field(default_factory=dict)  # id, name, family, fingerprint
    outputs: list[Output] = field(default_factory=list)
    id: str = field(default_factory=new_id)
    created: str = field(default_factory=now)
    extra: dict = field(default_factory=dict)

    def inputs(self) -> set[str]:
        """The assets this entry's request reads (its task's input fields)."""
        from .project_io import ASSET_NAME
        from .tasks import request_class

        task = request_class(self.parameters.get("task", "text-to-image"))
        values = (self.parameters.get(name) for name in (task.INPUTS if task else ()))
        return {value for value in values if isinstance(value, str) and ASSET_NAME.match(value)}

    def to_dict(self) -> dict:
        data = _to_dict(self)
        data["outputs"] = [o.to_dict() for o in self.outputs]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Entry":
        data = dict(_object(cls, data))
        outputs = [Output.from_dict(o) for o in _list(cls, "outputs", data.pop("outputs", []))]
        return _from_dict(cls, {**data, "outputs": outputs})


@dataclass
class Project:
    entries: list[Entry] = field(default_factory=list)
    created: str = field(default_factory=now)
    modified: str = field(default_factory=now)
    extra: dict = field(default_factory=dict)

    def outputs(self):
        """Every output, oldest first, with its entry."""
        for entry in self.entries:
            for output in entry.outputs:
                yield entry, output

    def find_output(self, output_id: str) -> Output | None:
        return next((o for _e, o in self.outputs() if o.id == output_id), None)

    def find_entry(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def assets(self) -> set[str]:
        """Every asset member the project refers to: outputs, canvas masks, and the inputs
        (init images, ...) that requests and recipes name."""
        from .project_io import ASSET_NAME

        names = set()
        for entry in self.entries:
            names.update(entry.inputs())
            for output in entry.outputs:
                names.add(output.asset)
                names.update(name for name in (output.mask, output.peaks) if name)
                inputs = (output.recipe or {}).get("inputs")
                if isinstance(inputs, dict):
                    names.update(name for name in inputs.values() if isinstance(name, str) and ASSET_NAME.match(name))
        return names

    def to_dict(self, entries: bool = True) -> dict:
        """The whole project; with ``entries=False`` only its own fields."""
        data = _to_dict(self)
        if entries:
            data["entries"] = [e.to_dict() for e in self.entries]
        else:
            del data["entries"]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Project":
        data = dict(_object(cls, data))
        entries = [Entry.from_dict(e) for e in _list(cls, "entries", data.pop("entries", []))]
        return _from_dict(cls, {**data, "entries": entries})


def _to_dict(obj) -> dict:
    data = {f.name: getattr(obj, f.name) for f in fields(obj) if f.name != "extra"}
    return {**obj.extra, **data}


def _object(cls, data) -> dict:
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__} must be a JSON object, not {type(data).__name__}")
    return data


def _list(cls, name: str, value) -> list:
    if not isinstance(value, list):
        raise TypeError(f"{cls.__name__}.{name} must be a list, not {type(value).__name__}")
    return value


def _from_dict(cls, data: dict):
    """Build ``cls`` from a JSON object, checking each known field's type so a damaged file
    fails here, with the field named, rather than later in the window."""
    _object(cls, data)
    types = {f.name: f.type for f in fields(cls) if f.name != "extra"}
    values = {k: v for k, v in data.items() if k in types}
    for name, value in values.items():
        _check_type(cls.__name__, name, value, types[name])
    extra = {k: v for k, v in data.items() if k not in types}
    return cls(**values, extra=extra)


def _check_type(owner: str, name: str, value, annotation) -> None:
    allowed = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    plain = tuple(typing.get_origin(t) or t for t in allowed)
    ok = isinstance(value, plain) and not (isinstance(value, bool) and bool not in plain)
    if not ok:
        raise TypeError(f"{owner}.{name} has the wrong type ({type(value).__name__})")
