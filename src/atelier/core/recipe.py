"""A recipe: everything needed to make an output again, pixel for pixel on the same machine."""

from dataclasses import asdict, dataclass, field, fields

from .jobs import ImageRequest

RECIPE_SCHEMA = 1


@dataclass(frozen=True)
class ModelRef:
    id: str
    name: str
    family: str
    pipeline: str
    fingerprint: str  # sha256 over the weight files' contents (see engine.fingerprint)
    path: str = ""


@dataclass(frozen=True)
class Recipe:
    model: ModelRef
    prompt: str
    negative_prompt: str
    seed: int
    steps: int
    guidance: float
    width: int
    height: int
    scheduler: str
    scheduler_class: str
    scheduler_config: dict
    device: str
    dtype: str
    versions: dict
    # Each image of a request is generated on its own with its own seed, so index and count
    # are for the record only: the seed alone reproduces the image.
    batch_index: int = 0
    batch_size: int = 1
    kind: str = "image"
    created: str = ""
    extra: dict = field(default_factory=dict)  # keys written by newer versions, kept verbatim

    def to_request(self) -> ImageRequest:
        """The single-image request that makes this output again."""
        return ImageRequest(
            prompt=self.prompt,
            negative_prompt=self.negative_prompt,
            seed=self.seed,
            steps=self.steps,
            guidance=self.guidance,
            width=self.width,
            height=self.height,
            scheduler=self.scheduler,
            batch_size=1,
        )

    def to_dict(self) -> dict:
        data = asdict(self)
        extra = data.pop("extra")
        return {"schema": RECIPE_SCHEMA, **data, **extra}

    @classmethod
    def from_dict(cls, data: dict) -> "Recipe":
        data = dict(data)
        data.pop("schema", None)
        known = {f.name for f in fields(cls)}
        extra = {k: data.pop(k) for k in list(data) if k not in known}
        model = ModelRef(**{k: v for k, v in data.pop("model").items() if k in _MODEL_FIELDS})
        return cls(model=model, extra=extra, **data)


_MODEL_FIELDS = {f.name for f in fields(ModelRef)}
