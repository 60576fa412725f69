"""``atelier --selftest``: prove on this machine, with no network and no model of the user's,
that the whole path works: build tiny models, generate an image and a sound in the engine
process, keep the image in a project, save it, open it again. One summary line; exit 0 only if all of it worked.
Support can ask a user for that line."""

import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

from . import __version__
from .core.errors import AtelierError
from .core.tasks import TextToAudioRequest, TextToImageRequest

# Fixed, so every installation makes the same pixels (frozen and unfrozen are compared in CI).
REQUEST = TextToImageRequest(prompt="a lighthouse at dusk, oil painting", seed=1234, steps=4, width=64, height=64)
SOUND = TextToAudioRequest(prompt="calm rain", seed=1234, steps=2, seconds=0.25)


def run(image_out: Path | None = None, debug: bool = False) -> int:
    started = time.perf_counter()
    stage = "start"
    try:
        with tempfile.TemporaryDirectory(prefix="atelier-selftest-") as tmp:
            stage = "building the sample model"
            from .engine import registry
            from .engine.events import Artifact, EngineOptions, Loaded, Progress
            from .engine.host import EngineHost
            from .engine.runner import EngineJob
            from .engine.sample_model import build_sample_sd15

            info = registry.inspect_folder(build_sample_sd15(Path(tmp) / "sample-sd15"))

            stage = "generating in the engine process"
            host = EngineHost()
            events = []
            try:
                version = host.warm()
                gen_started = time.perf_counter()
                host.run(EngineJob(info, REQUEST), EngineOptions(device="cpu", preview_every=1),
                         lambda event: events.append((time.perf_counter(), event)))
                loaded_at = [at for at, event in events if isinstance(event, Loaded)]
                load_seconds = loaded_at[0] - gen_started
                gen_seconds = time.perf_counter() - loaded_at[0]
                images = [event for _, event in events if isinstance(event, Artifact)]
                steps = [event for _, event in events if isinstance(event, Progress)]
                if len(images) != 1 or len(steps) != REQUEST.steps:
                    raise AtelierError(f"expected 1 image and {REQUEST.steps} steps, got {len(images)} and {len(steps)}")
                png = images[0].data

                stage = "making an image from that image in the engine process"
                _image_to_image(host, info, png, EngineOptions(device="cpu"))

                stage = "applying a LoRA in the engine process"
                _lora(host, Path(tmp), info, png, EngineOptions(device="cpu"))

                stage = "upscaling and removing a background in the engine process"
                _edits(host, Path(tmp), png, EngineOptions(device="cpu"))

                stage = "making a sound in the engine process"
                _sound(host, Path(tmp), EngineOptions(device="cpu"))
            finally:
                host.shutdown()
            if image_out is not None:
                Path(image_out).write_bytes(png)

            stage = "saving and reopening a project"
            _round_trip_project(Path(tmp) / "selftest.atelier", info, png, images[0].recipe.to_dict())
    except Exception as exc:  # the point of a selftest is to say what broke, whatever it is
        if debug:
            traceback.print_exc()
        reason = exc if isinstance(exc, (AtelierError, OSError)) else f"{type(exc).__name__}: {exc}"
        print(f"Atelier {__version__} selftest: FAILED while {stage}: {reason}", file=sys.stderr)
        return 1
    frozen = "frozen" if getattr(sys, "frozen", False) else "from source"
    print(
        f"Atelier {__version__} selftest: ok; model loaded in {load_seconds:.1f} s, {REQUEST.width}x{REQUEST.height} "
        f"image in {gen_seconds:.1f} s on cpu, one from it, one with a LoRA, upscaled, its background removed, and a sound (torch {version}, {frozen}, Python {platform.python_version()}), "
        f"project saved and reopened; {time.perf_counter() - started:.1f} s in all"
    )
    return 0


def _image_to_image(host, info, png: bytes, options) -> None:
    """The image as an init image: the pipeline derived from the loaded one must run too."""
    import hashlib

    from .core.project_io import asset_name
    from .core.tasks import ImageToImageRequest
    from .engine.events import Artifact
    from .engine.runner import EngineJob

    name = asset_name(hashlib.sha256(png).hexdigest(), "png")
    request = ImageToImageRequest(prompt=REQUEST.prompt, seed=REQUEST.seed, steps=REQUEST.steps, width=REQUEST.width,
                                  height=REQUEST.height, init_image=name, strength=0.5)
    made = []
    host.run(EngineJob(info, request, {name: png}), options, lambda event: isinstance(event, Artifact) and made.append(event))
    if len(made) != 1 or made[0].recipe.inputs != {"init_image": name}:
        raise AtelierError(f"expected 1 image made from the first, got {len(made)}")


def _lora(host, tmp: Path, info, png: bytes, options) -> None:
    """The first image's request again with the sample LoRA (peft, through diffusers): the
    pixels must change and the recipe must record it."""
    from .core.tasks.adapters import LoraUse
    from .engine import registry
    from .engine.events import Artifact
    from .engine.runner import EngineJob
    from .engine.sample_model import build_sample_lora

    lora = registry.inspect_file(build_sample_lora(info.path, tmp / "Lora" / "sample-lora.safetensors"))
    request = REQUEST.replace(loras=(LoraUse(lora.id, 0.8),))
    made = []
    host.run(EngineJob(info, request, {}, {lora.id: lora}), options,
             lambda event: isinstance(event, Artifact) and made.append(event))
    if len(made) != 1 or made[0].data == png or [a.kind for a in made[0].recipe.adapters] != ["lora"]:
        raise AtelierError("expected one image changed by the LoRA, its recipe recording it")


def _edits(host, tmp: Path, png: bytes, options) -> None:
    """The image upscaled by a sample upscaler file (spandrel, tiled) and with its background
    removed by the sample ONNX model (onnxruntime): both libraries must be in the app."""
    import hashlib
    import io

    from PIL import Image

    from . import paths
    from .core.project_io import asset_name
    from .core.tasks import RemoveBackgroundRequest, UpscaleRequest
    from .engine import registry
    from .engine.events import Artifact
    from .engine.runner import EngineJob
    from .engine.sample_model import build_sample_upscaler

    name = asset_name(hashlib.sha256(png).hexdigest(), "png")
    upscaler = registry.inspect_upscaler(build_sample_upscaler(tmp / "ESRGAN" / "sample-2x.safetensors"))
    matte = registry.inspect_matting(paths.resource_path("sample-models", "u2netp-sample.onnx"))
    jobs = [(upscaler, UpscaleRequest(image=name, upscaler=upscaler.id, scale=2, tile=64, overlap=8),
             (REQUEST.width * 2, REQUEST.height * 2), "RGB"),
            (matte, RemoveBackgroundRequest(image=name), (REQUEST.width, REQUEST.height), "RGBA")]
    for info, request, size, mode in jobs:
        made = []
        host.run(EngineJob(info, request, {name: png}), options,
                 lambda event: isinstance(event, Artifact) and made.append(event))
        picture = Image.open(io.BytesIO(made[0].data)) if len(made) == 1 else None
        if picture is None or (picture.size, picture.mode) != (size, mode):
            raise AtelierError(f"expected one {size[0]}x{size[1]} {mode} picture from {request.task}, got "
                               f"{[(p.size, p.mode) for p in [picture] if p]}")


def _sound(host, tmp: Path, options) -> None:
    """A sound from the sample Stable Audio model: its sampler (torchsde), the FLAC writer and
    the recipe inside it must all be there."""
    import io

    import soundfile

    from .engine import registry
    from .engine.events import Artifact
    from .engine.runner import EngineJob
    from .engine.sample_model import build_sample_stable_audio

    info = registry.inspect_folder(build_sample_stable_audio(tmp / "sample-stable-audio"))
    made = []
    host.run(EngineJob(info, SOUND), options, lambda event: isinstance(event, Artifact) and made.append(event))
    if len(made) != 1:
        raise AtelierError(f"expected 1 sound, got {len(made)}")
    with soundfile.SoundFile(io.BytesIO(made[0].data)) as file:
        if (file.format, file.frames, file.channels) != ("FLAC", 2000, 2) or "calm rain" not in file.comment:
            raise AtelierError(f"the sound is not the 0.25 s stereo FLAC with its recipe asked for ({file.frames} frames)")


def _round_trip_project(path: Path, info, png: bytes, recipe: dict) -> None:
    from .core.project_io import ProjectArchive
    from .core.session import ProjectSession

    session = ProjectSession.create()
    try:
        entry = session.add_request(REQUEST, info)
        output = session.add_output(entry, "image", png, "png", recipe)
        session.save(path)
    finally:
        session.close()
    with ProjectArchive(path) as archive:
        [(entry, again)] = list(archive.project.outputs())
        if again.asset != output.asset or archive.read(again.asset) != png or entry.prompt != REQUEST.prompt:
            raise AtelierError(f"{path}: reopened project does not hold the image that was saved")
