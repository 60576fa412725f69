"""The fake task: one solid colour per seed, at the pace the request sets, through the same
events as a real task. For tests of the window's queue, cancel and failure flows; it proves
nothing about generation."""

import hashlib
import time

from PIL import Image

from ... import __version__
from ...core.errors import GenerationCancelled, GenerationError
from ...core.recipe import ModelRef, Recipe, Runtime
from ...core.tasks import FakeRequest
from ..events import Progress, Status
from ..image import image_artifact, seeds


def colour(seed: int) -> tuple[int, int, int]:
    return tuple(hashlib.sha256(str(seed).encode()).digest()[:3])


def run(ctx, request: FakeRequest) -> None:
    info = ctx.job.info
    model = ModelRef(info.id, info.name, info.family, info.pipeline, "", str(info.path)) if info else \
        ModelRef("fake", "fake", "fake", "", "")
    ctx.emit(Status("Painting solid colours ..."))
    for index, seed in enumerate(seeds(request)):
        started = time.perf_counter()
        for step in range(1, request.steps + 1):
            if ctx.should_cancel():
                raise GenerationCancelled(step - 1, request.steps)
            time.sleep(request.step_seconds)
            if step == request.fail_at_step:
                raise GenerationError(f"the fake task failed at step {step}, as asked")
            ctx.emit(Progress(index, request.batch_size, step, request.steps, time.perf_counter() - started))
        recipe = Recipe(request=request.replace(seed=seed, batch_size=1), model=model,
                        runtime=Runtime(device="cpu", versions={"atelier": __version__}),
                        batch_index=index, batch_size=request.batch_size)
        ctx.emit(image_artifact(Image.new("RGB", (request.width, request.height), colour(seed)), recipe))
