"""Image-to-image and the fake task through the real runner: identity at strength 0, the
child process making the in-process pixels (SD1.5 and SDXL), weights shared by from_pipe."""

import io

import numpy as np
import pytest
from engine_driver import generate_images
from PIL import Image

from atelier.core.errors import GenerationError, RequestError
from atelier.core.project_io import asset_name
from atelier.core.tasks import FakeRequest, ImageToImageRequest
from atelier.engine import registry
from atelier.engine.events import Artifact, EngineOptions, Progress
from atelier.engine.host import EngineHost
from atelier.engine.runner import EngineJob, InProcessRunner


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def noise(width: int, height: int, mode: str = "RGB", seed: int = 0) -> Image.Image:
    bands = len(mode)
    data = np.random.default_rng(seed).integers(0, 256, (height, width, bands), dtype=np.uint8)
    return Image.fromarray(data.squeeze(), mode)


def init_input(image: Image.Image) -> tuple[str, bytes]:
    data = png(image)
    import hashlib

    return asset_name(hashlib.sha256(data).hexdigest(), "png"), data


def request_for(name: str, **changes) -> ImageToImageRequest:
    values = dict(prompt="a watercolour of a harbour", seed=5, steps=4, width=64, height=64, init_image=name,
                  strength=0.5)
    return ImageToImageRequest(**{**values, **changes})


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def test_strength_0_returns_the_init_image_pixel_for_pixel(sd15):
    picture = noise(64, 64)
    name, data = init_input(picture)
    [made] = generate_images(sd15, request_for(name, strength=0.0), inputs={name: data})
    assert np.array_equal(np.asarray(made.image.convert("RGB")), np.asarray(picture))
    assert made.recipe.inputs == {"init_image": name} and made.recipe.request.strength == 0


def test_image_to_image_changes_the_picture_runs_strength_of_the_steps_and_reproduces(sd15):
    name, data = init_input(noise(64, 64))
    steps = []
    [made] = generate_images(sd15, request_for(name, steps=10, strength=0.3), inputs={name: data},
                             on_step=steps.append)
    assert [s.step for s in steps] == [1, 2, 3] and {s.total for s in steps} == {3}
    assert not np.array_equal(np.asarray(made.image.convert("RGB")), pixels(data))
    recipe = made.recipe
    assert recipe.task == "image-to-image" and recipe.seed == 5 and recipe.inputs == {"init_image": name}
    [again] = generate_images(sd15, recipe.to_request(), inputs={name: data})
    assert np.array_equal(pixels(again.artifact.data), pixels(made.artifact.data))  # the bytes hold a timestamp


def test_the_init_image_is_resized_to_the_request_and_converted(sd15):
    name, data = init_input(noise(80, 48, "RGBA"))  # transparent pixels, another size
    [made] = generate_images(sd15, request_for(name, width=64, height=40, strength=0.0), inputs={name: data})
    assert made.image.size == (64, 40) and made.image.mode == "RGB"


def test_the_derived_pipeline_shares_the_weights_and_keeps_their_dtype(cache, sd15_dir):
    loaded = cache.get(registry.inspect_folder(sd15_dir), "cpu", "bfloat16")
    img2img = loaded.pipeline_for("AutoPipelineForImage2Image")
    assert type(img2img).__name__ == "StableDiffusionImg2ImgPipeline"
    assert img2img.unet is loaded.pipe.unet and img2img.vae is loaded.pipe.vae
    assert str(loaded.pipe.unet.dtype) == "torch.bfloat16" == str(img2img.text_encoder.dtype)
    assert loaded.pipeline_for("AutoPipelineForImage2Image") is img2img  # made once


def test_a_corrupt_init_image_is_one_line_naming_it(sd15):
    data = png(noise(64, 64))[:200]
    import hashlib

    name = asset_name(hashlib.sha256(data).hexdigest(), "png")
    with pytest.raises(RequestError) as error:
        generate_images(sd15, request_for(name), inputs={name: data})
    assert name.rsplit("/", 1)[-1] in str(error.value) and "\n" not in str(error.value)


def test_a_job_without_its_input_bytes_is_refused():
    name, _data = init_input(noise(8, 8))
    with pytest.raises(GenerationError, match="input"):
        EngineJob(None, request_for(name), {})


@pytest.mark.parametrize("fixture", ["sd15_dir", "sdxl_dir"])
def test_the_child_process_makes_the_in_process_pixels(request, fixture):
    info = registry.inspect_folder(request.getfixturevalue(fixture))
    name, data = init_input(noise(64, 64, seed=3))
    job = EngineJob(info, request_for(name, batch_size=2), {name: data})
    options = EngineOptions(device="cpu")
    runner = InProcessRunner()
    here, there = [], []
    try:
        runner.run(job, options, lambda event: isinstance(event, Artifact) and here.append(event))
    finally:
        runner.shutdown()
    host = EngineHost()
    try:
        host.run(job, options, lambda event: isinstance(event, Artifact) and there.append(event))
    finally:
        host.shutdown()
    assert len(here) == len(there) == 2
    for a, b in zip(here, there, strict=True):
        assert a.data == b.data or np.array_equal(pixels(a.data), pixels(b.data))
        assert a.recipe.request == b.recipe.request and a.recipe.seed in (5, 6)


def test_the_fake_task_paints_a_colour_per_seed_at_its_pace_and_can_fail():
    runner = InProcessRunner()
    events = []
    runner.run(EngineJob(None, FakeRequest(seed=1, steps=3, step_seconds=0, batch_size=2, width=8, height=8)),
               EngineOptions(), events.append)
    images = [e for e in events if isinstance(e, Artifact)]
    assert [e.step for e in events if isinstance(e, Progress)] == [1, 2, 3, 1, 2, 3]
    colours = [Image.open(io.BytesIO(a.data)).getpixel((0, 0)) for a in images]
    assert len(images) == 2 and colours[0] != colours[1]
    with pytest.raises(GenerationError, match="step 2"):
        runner.run(EngineJob(None, FakeRequest(steps=3, step_seconds=0, fail_at_step=2)), EngineOptions(),
                   events.append)


def test_every_request_type_has_an_engine_task_and_the_modules_import_without_torch(guard_env):
    import subprocess
    import sys

    from atelier.core.tasks import task_names
    from atelier.engine.tasks import task_module, tasks

    assert tasks() == task_names()
    with pytest.raises(RequestError, match="cannot run it"):
        task_module("text-to-video")
    code = ("import sys\nfrom atelier.engine.tasks import task_module, tasks\n"
            "[task_module(t) for t in tasks()]\nprint('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], env=guard_env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "False", out.stderr
