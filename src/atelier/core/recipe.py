"""A recipe: everything needed to make an output again, pixel for pixel on the same machine.

Schema 2 (this version): the task, the request with its seed resolved (one output, so batch
size 1), the inputs it read by asset name, the adapters with their fingerprints, the model, and
the runtime facts (sampler class and config, device, dtype, library versions). Schema 1 (0.1.0)
was a flat text-to-image record; it migrates on read. A recipe of a task this version does not
know keeps its request verbatim (``UnknownRequest``).
"""

from dataclasses import asdict, dataclass, field, fields

from .errors import RequestError
from .recipe_settings import SETTING_KEYS, settings_of  # noqa: F401  (re-exported)
from .tasks import Request, UnknownRequest, request_from_dict

RECIPE_SCHEMA = 2


@dataclass(frozen=True)
class ModelRef:
    id: str
    name: str
    family: str
    pipeline: str
    fingerprint: str  # sha256 over the weight files' contents (see engine.fingerprint)
    path: str = ""

    @classmethod
    def from_dict(cls, data: dict) -> "ModelRef":
        return cls(**{k: v for k, v in data.items() if k in _MODEL_FIELDS})


@dataclass(frozen=True)
class Adapter:
    """What an output used besides its model, with its fingerprint (sha256 of the file): the
    model that refined an upscale (kind "refine", weight: its strength), a LoRA ("lora", its
    weight), a ControlNet ("controlnet", its strength), an IP-Adapter ("ip-adapter") and its
    image encoder, a VAE ("vae"), a textual-inversion embedding ("embedding"), the depth model
    that made a ControlNet's depth map ("depth"), the pose model that made its pose map ("pose").
    ``id`` is the
    request's name for it; ``short_hash`` is A1111's (a LoRA's "Lora hashes" entry)."""

    kind: str
    name: str
    fingerprint: str
    weight: float = 1.0
    id: str = ""
    path: str = ""
    short_hash: str = ""


@dataclass(frozen=True)
class Runtime:
    """What ran, beyond what was asked: these decide the pixels as much as the request does."""

    scheduler_class: str = ""
    scheduler_config: dict = field(default_factory=dict)
    device: str = ""
    dtype: str = ""
    versions: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Recipe:
    request: Request | UnknownRequest  # one output's request: seed resolved, batch size 1
    model: ModelRef
    runtime: Runtime = field(default_factory=Runtime)
    adapters: tuple[Adapter, ...] = ()
    # Each output of a request is made on its own with its own seed, so index and count are
    # for the record only: the request alone makes the output again.
    batch_index: int = 0
    batch_size: int = 1
    created: str = ""
    extra: dict = field(default_factory=dict)  # keys written by newer versions, kept verbatim

    @property
    def task(self) -> str:
        return self.request.task

    @property
    def kind(self) -> str:
        return self.request.kind

    @property
    def seed(self) -> int | None:
        return getattr(self.request, "seed", None)

    @property
    def inputs(self) -> dict[str, str]:
        return self.request.inputs

    def to_request(self) -> Request:
        """The request that makes this output again. Raises RequestError for a task this
        version does not know."""
        if not self.request.known:
            raise RequestError(f"this output was made by a newer Atelier (task {self.request.task!r}); "
                               "update Atelier to make it again")
        return self.request

    def to_dict(self) -> dict:
        return {
            "schema": RECIPE_SCHEMA,
            "task": self.task,
            "kind": self.kind,
            "request": self.request.to_dict(),
            "inputs": self.inputs,
            "adapters": [asdict(adapter) for adapter in self.adapters],
            "model": asdict(self.model),
            "runtime": asdict(self.runtime),
            "batch_index": self.batch_index,
            "batch_size": self.batch_size,
            "created": self.created,
            **self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Recipe":
        """Raises TypeError, ValueError, KeyError or RequestError when ``data`` is not a recipe."""
        data = dict(data)
        if data.get("schema", 1) < 2:
            data = migrate_v1(data)
        for derived in ("schema", "task", "kind", "inputs"):
            data.pop(derived, None)
        known = {f.name for f in fields(cls)}
        extra = {k: data.pop(k) for k in list(data) if k not in known}
        runtime = data.pop("runtime", {})
        return cls(
            request=request_from_dict(data.pop("request")),
            model=ModelRef.from_dict(data.pop("model")),
            runtime=Runtime(**{k: v for k, v in runtime.items() if k in _RUNTIME_FIELDS}),
            adapters=tuple(Adapter(**{k: v for k, v in a.items() if k in _ADAPTER_FIELDS})
                           for a in data.pop("adapters", [])),
            extra=extra,
            **data,
        )


_MODEL_FIELDS = {f.name for f in fields(ModelRef)}
_RUNTIME_FIELDS = {f.name for f in fields(Runtime)}
_ADAPTER_FIELDS = {f.name for f in fields(Adapter)}
_V1_REQUEST = ("prompt", "negative_prompt", "seed", "steps", "guidance", "width", "height", "scheduler")


def migrate_v1(data: dict) -> dict:
    """A schema-1 recipe (Atelier 0.1.0: flat, text-to-image only) as a schema-2 dict."""
    data = dict(data)
    data.pop("schema", None)
    data.pop("kind", None)
    request = {"task": "text-to-image", **{k: data.pop(k) for k in _V1_REQUEST if k in data}, "batch_size": 1}
    runtime = {k: data.pop(k) for k in _RUNTIME_FIELDS if k in data}
    return {"schema": 2, "request": request, "runtime": runtime, **data}
