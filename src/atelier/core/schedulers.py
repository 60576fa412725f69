"""Sampler names artists know, mapped to diffusers scheduler classes and options.

Pure data, so the UI and CLI can list and validate names without importing torch.
An empty ``class_name`` keeps the model's own scheduler. ``a1111_*`` hold the ``Sampler`` and ``Schedule type`` that A1111 writes for the same sampler.
"""

from dataclasses import dataclass, field

from .errors import RequestError


@dataclass(frozen=True)
class SchedulerSpec:
    name: str
    class_name: str
    options: dict = field(default_factory=dict)
    a1111_sampler: str = ""
    a1111_schedule: str = ""


_SPECS = [
    # The scheduler the model ships with; the only choice for flow-matching models (SD3, Flux).
    SchedulerSpec("Default", ""),
    SchedulerSpec("Euler", "EulerDiscreteScheduler", {}, "Euler"),
    SchedulerSpec("Euler a", "EulerAncestralDiscreteScheduler", {}, "Euler a"),
    SchedulerSpec("DPM++ 2M", "DPMSolverMultistepScheduler", {}, "DPM++ 2M"),
    SchedulerSpec(
        "DPM++ 2M Karras", "DPMSolverMultistepScheduler", {"use_karras_sigmas": True}, "DPM++ 2M", "Karras"
    ),
    SchedulerSpec(
        "DPM++ 2M SDE",
        "DPMSolverMultistepScheduler",
        {"algorithm_type": "sde-dpmsolver++"},
        "DPM++ 2M SDE",
    ),
    SchedulerSpec("DDIM", "DDIMScheduler", {}, "DDIM"),
    SchedulerSpec("UniPC", "UniPCMultistepScheduler", {}, "UniPC"),
    SchedulerSpec("LMS", "LMSDiscreteScheduler", {}, "LMS"),
    SchedulerSpec("LMS Karras", "LMSDiscreteScheduler", {"use_karras_sigmas": True}, "LMS", "Karras"),
    SchedulerSpec("Heun", "HeunDiscreteScheduler", {}, "Heun"),
    SchedulerSpec("PNDM", "PNDMScheduler", {}, "PLMS"),
]

SCHEDULERS: dict[str, SchedulerSpec] = {spec.name: spec for spec in _SPECS}
SCHEDULER_NAMES: tuple[str, ...] = tuple(SCHEDULERS)
DEFAULT_SCHEDULER = "Euler a"


def scheduler_spec(name: str) -> SchedulerSpec:
    """Look a sampler up by name, case-insensitively; unknown names raise RequestError."""
    for spec in _SPECS:
        if spec.name.lower() == name.strip().lower():
            return spec
    known = ", ".join(SCHEDULER_NAMES)
    raise RequestError(f"unknown scheduler {name!r}: choose one of {known}")
