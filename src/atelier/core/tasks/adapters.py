"""What an image request uses besides its model: LoRAs, ControlNet guidance, reference images
(IP-Adapter) and a VAE in place of the model's own. Each names a part by its id in ``atelier
models`` (the window and the CLI hand the engine that part's ModelInfo with the job, as
``extra_models``); each guidance image is an asset stored in the project, like an init image."""

from dataclasses import dataclass, fields
from typing import ClassVar

from ..errors import RequestError
from ..limits import CONTROL_PREPROCESSORS, DETECTED_PREPROCESSORS, MAX_ADAPTERS
from .parts import _is_number, check_input


@dataclass(frozen=True)
class LoraUse:
    """A LoRA applied with ``weight`` (A1111's ``<lora:name:weight>``; 0 turns it off)."""

    model: str
    weight: float = 1.0

    def check(self) -> None:
        _check_model(self.model, "LoRA")
        if not _is_number(self.weight) or not -10 <= self.weight <= 10:
            raise RequestError(f"LoRA {self.model} weight {self.weight}: must be between -10 and 10")


@dataclass(frozen=True)
class ControlUse:
    """A ControlNet steering the picture with ``image`` (an asset). ``preprocess`` says what the
    engine makes of the image first: ``none`` (it is the control image: a sketch, a depth map),
    ``canny`` (edges) or ``lineart``. ``strength`` scales the guidance; it acts from ``start`` to
    ``end``, as shares of the steps. ``depth`` makes a depth map of the image with ``detector``,
    a depth model's id, and ``pose`` a pose map with a pose model's (needed for those only)."""

    model: str
    image: str
    preprocess: str = "none"
    strength: float = 1.0
    start: float = 0.0
    end: float = 1.0
    detector: str = ""

    def check(self) -> None:
        _check_model(self.model, "ControlNet")
        check_input(self.image, "control image", "an image", "the control image")
        if self.preprocess not in CONTROL_PREPROCESSORS:
            raise RequestError(f"control preprocess {self.preprocess!r}: choose one of {', '.join(CONTROL_PREPROCESSORS)}")
        if self.preprocess in DETECTED_PREPROCESSORS:
            if not isinstance(self.detector, str) or not self.detector:
                raise RequestError(f"control preprocess {self.preprocess}: name its {self.preprocess} model as "
                                   f"detector (an id from 'atelier models --type {self.preprocess}')")
        elif self.detector != "":
            raise RequestError(f"control detector {self.detector!r}: is for preprocess depth or pose only; "
                               "remove it, or set preprocess to depth or pose")
        if not _is_number(self.strength) or not 0 <= self.strength <= 2:
            raise RequestError(f"control strength {self.strength}: must be between 0 and 2")
        for name in ("start", "end"):
            value = getattr(self, name)
            if not _is_number(value) or not 0 <= value <= 1:
                raise RequestError(f"control {name} {value}: must be between 0 and 1")
        if self.start >= self.end:
            raise RequestError(f"control start {self.start} must come before its end {self.end}")


@dataclass(frozen=True)
class ReferenceUse:
    """A reference image (an asset) that prompts with its style and content through the
    IP-Adapter ``model`` and the image encoder it was trained with, at ``weight``."""

    model: str
    encoder: str
    image: str
    weight: float = 0.6

    def check(self) -> None:
        _check_model(self.model, "IP-Adapter")
        _check_model(self.encoder, "image encoder")
        check_input(self.image, "reference image", "an image", "the reference image")
        if not _is_number(self.weight) or not 0 <= self.weight <= 2:
            raise RequestError(f"reference weight {self.weight}: must be between 0 and 2")


@dataclass(frozen=True, kw_only=True)
class Adapters:
    """The part of image requests that carries what they use besides the model."""

    OMITTED_WHEN_EMPTY: ClassVar[tuple[str, ...]] = ("loras", "controls", "references", "vae")

    loras: tuple[LoraUse, ...] = ()
    controls: tuple[ControlUse, ...] = ()
    references: tuple[ReferenceUse, ...] = ()
    vae: str = ""  # a VAE's id in place of the model's own; "" keeps the model's

    def _check_adapters(self) -> None:
        # Recipes and projects hold these as JSON lists of objects: turn them back into uses.
        for name, use in (("loras", LoraUse), ("controls", ControlUse), ("references", ReferenceUse)):
            value = getattr(self, name)
            if not isinstance(value, (list, tuple)):
                raise RequestError(f"{name}: must be a list")
            if len(value) > MAX_ADAPTERS:
                raise RequestError(f"{name}: at most {MAX_ADAPTERS} at once")
            uses = tuple(_use(use, item, name) for item in value)
            for item in uses:
                item.check()
            object.__setattr__(self, name, uses)
        if not isinstance(self.vae, str):
            raise RequestError("vae: must be a model id or nothing")

    @property
    def inputs(self) -> dict[str, str]:
        found = super().inputs
        for number, control in enumerate(self.controls, 1):
            found[f"control_{number}"] = control.image
        for number, reference in enumerate(self.references, 1):
            found[f"reference_{number}"] = reference.image
        return found

    @property
    def extra_model_ids(self) -> tuple[str, ...]:
        ids = [*super().extra_model_ids, *(use.model for use in (*self.loras, *self.controls, *self.references)),
               *(reference.encoder for reference in self.references),
               *(control.detector for control in self.controls if control.detector)]
        if self.vae:
            ids.append(self.vae)
        return tuple(dict.fromkeys(ids))


def _use(use_class, item, name: str):
    if isinstance(item, use_class):
        return item
    if isinstance(item, dict):
        known = {field.name for field in fields(use_class)}
        try:
            return use_class(**{key: value for key, value in item.items() if key in known})
        except TypeError:
            pass
    raise RequestError(f"{name}: {item!r} is not a {use_class.__name__}")


def _check_model(value, label: str) -> None:
    if not isinstance(value, str) or not value:
        raise RequestError(f"{label}: name the model (an id from 'atelier models')")
