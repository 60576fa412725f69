"""Running jobs in-process for the engine tests: the real InProcessRunner and task modules,
with the events gathered into what each test checks."""

import io
from dataclasses import dataclass

from PIL import Image

from atelier.engine.events import Artifact, EngineOptions, Preview, Progress, Status
from atelier.engine.loader import PipelineCache
from atelier.engine.runner import EngineJob, InProcessRunner


@dataclass
class Made:
    image: Image.Image  # decoded from the artifact's PNG
    recipe: object
    artifact: Artifact


@dataclass
class Step:
    index: int
    step: int
    total: int
    elapsed: float
    preview: Image.Image | None = None  # the Preview event that followed this step, if any


def picture_image(picture) -> Image.Image:
    return Image.frombytes("RGBA", (picture.width, picture.height), picture.rgba)


def generate_images(loaded, request, *, on_step=None, on_image=None, should_cancel=None, preview_every=0,
                    on_notice=None, inputs=None) -> list[Made]:
    """Run ``request`` on ``loaded`` through InProcessRunner; callbacks hear each step (with its
    preview, once it arrives), each output and each notice as they happen."""
    cache = PipelineCache()
    cache.add(loaded)
    runner = InProcessRunner(cache)
    made, steps = [], []

    def on_event(event):
        if isinstance(event, Progress):
            steps.append(Step(event.index, event.step, event.total, event.elapsed))
            if on_step is not None:
                on_step(steps[-1])
        elif isinstance(event, Preview):
            steps[-1].preview = picture_image(event.picture)
        elif isinstance(event, Artifact):
            made.append(Made(Image.open(io.BytesIO(event.data)), event.recipe, event))
            made[-1].image.load()
            if on_image is not None:
                on_image(made[-1])
        elif isinstance(event, Status) and event.notice and on_notice is not None:
            on_notice(event.text)
        if should_cancel is not None and should_cancel():
            runner.cancel()

    if should_cancel is not None and should_cancel():
        runner.cancel()
    job = EngineJob(loaded.info, request, inputs or {})
    runner.run(job, EngineOptions(device=loaded.device, preview_every=preview_every), on_event)
    return made
