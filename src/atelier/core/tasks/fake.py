"""A task that paints one solid colour per seed at a chosen pace: for fast tests of the queue,
cancel and failure flows. Real pipelines remain the proof that generation works."""

from dataclasses import dataclass

from ..errors import RequestError
from .base import Request, register
from .parts import Prompting, Sampling, Size


@register
@dataclass(frozen=True, kw_only=True)
class FakeRequest(Size, Sampling, Prompting, Request):
    task = "fake"
    step_seconds: float = 0.01
    fail_at_step: int = 0  # > 0: fail with a GenerationError at that step of each image

    def _check_fake(self) -> None:
        if not isinstance(self.step_seconds, (int, float)) or not 0 <= self.step_seconds <= 60:
            raise RequestError(f"step seconds {self.step_seconds}: must be between 0 and 60")
