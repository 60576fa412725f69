"""What every request has, and the one registry that turns a dict back into a request."""

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

_TASKS: dict[str, type["Request"]] = {}


@dataclass(frozen=True, kw_only=True)
class Request:
    """Everything the artist asked for, taken on the UI thread and handed to the engine.
    Subclasses name their ``task``, the ``kind`` of output it makes, and which fields are
    ``INPUTS`` (asset names of pictures or sounds stored in the project)."""

    task: ClassVar[str]
    kind: ClassVar[str] = "image"
    INPUTS: ClassVar[tuple[str, ...]] = ()
    known: ClassVar[bool] = True
    title: ClassVar[str] = "Untitled request"  # what the history calls a request without a prompt
    progress_unit: ClassVar[str] = "step"  # what the engine counts as it goes (the queue says "step 3/20")
    OMITTED_WHEN_EMPTY: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self):
        # Each part checks its own fields, in the order the parts are listed.
        for klass in reversed(type(self).__mro__):
            for name, check in vars(klass).items():
                if name.startswith("_check_") and callable(check):
                    check(self)

    @property
    def inputs(self) -> dict[str, str]:
        """Role -> asset name, for the inputs this request uses."""
        return {name: getattr(self, name) for name in self.INPUTS if getattr(self, name)}

    @property
    def extra_model_ids(self) -> tuple[str, ...]:
        """The ids of the models the request uses besides its own (an upscale's refining model,
        LoRAs, ControlNets, ...): the window and the CLI hand their ModelInfos to the engine."""
        return ()

    @property
    def images(self) -> int:
        """How many outputs the request makes."""
        return getattr(self, "batch_size", 1)

    @property
    def steps_per_image(self) -> int:
        """The denoising steps each output takes (for progress and ETA)."""
        return getattr(self, "steps", 1)

    @property
    def made_from_label(self) -> str:
        """What the queue calls a job that makes this from another output."""
        return f"{self.images} variations" if self.images > 1 else "Variation"

    def to_dict(self) -> dict:
        data = {"task": self.task, **dataclasses.asdict(self)}
        # Fields most requests leave empty are written only when used: a plain request's recipe
        # stays as short as it was before they existed.
        for name in self.OMITTED_WHEN_EMPTY:
            if not data[name]:
                del data[name]
        return data

    def replace(self, **changes) -> "Request":
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class UnknownRequest:
    """A request of a task this Atelier does not know (made by a newer one), kept verbatim so
    that saving the project never loses it. It cannot run."""

    task: str
    data: dict
    kind: ClassVar[str] = "unknown"
    known: ClassVar[bool] = False

    @property
    def inputs(self) -> dict[str, str]:
        found = self.data.get("inputs")
        return dict(found) if isinstance(found, dict) else {}

    @property
    def images(self) -> int:
        return 1

    @property
    def steps_per_image(self) -> int:
        return 1

    def to_dict(self) -> dict:
        return dict(self.data)


def register(cls: type[Request]) -> type[Request]:
    """Class decorator: make ``request_from_dict`` know the task."""
    if cls.task in _TASKS:
        raise ValueError(f"task {cls.task!r} is registered twice")
    _TASKS[cls.task] = cls
    return cls


def request_from_dict(data: dict) -> Request | UnknownRequest:
    """The request a dict describes. A task this version does not know is kept verbatim as an
    UnknownRequest; keys a known task does not have (written by a newer version) are left out.
    A bad value raises RequestError naming the field."""
    task = data.get("task", "text-to-image")
    cls = _TASKS.get(task)
    if cls is None:
        return UnknownRequest(str(task), dict(data))
    names = {field.name for field in dataclasses.fields(cls)}
    return cls(**{key: value for key, value in data.items() if key in names})


def task_names() -> list[str]:
    return sorted(_TASKS)


def request_class(task: str) -> type[Request] | None:
    return _TASKS.get(task)
