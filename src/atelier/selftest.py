"""``atelier --selftest``: prove on this machine, with no network and no model of the user's,
that the whole path works: build a tiny model, generate in the engine process, keep the image
in a project, save it, open it again. One summary line; exit 0 only if all of it worked.
Support can ask a user for that line."""

import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

from . import __version__
from .core.errors import AtelierError
from .core.jobs import ImageRequest

# Fixed, so every installation makes the same pixels (frozen and unfrozen are compared in CI).
REQUEST = ImageRequest(prompt="a lighthouse at dusk, oil painting", seed=1234, steps=4, width=64, height=64)


def run(image_out: Path | None = None, debug: bool = False) -> int:
    started = time.perf_counter()
    stage = "start"
    try:
        with tempfile.TemporaryDirectory(prefix="atelier-selftest-") as tmp:
            stage = "building the sample model"
            from .engine import registry
            from .engine.host import EngineCallbacks, EngineHost, EngineOptions
            from .engine.sample_model import build_sample_sd15

            info = registry.inspect_folder(build_sample_sd15(Path(tmp) / "sample-sd15"))

            stage = "generating in the engine process"
            host = EngineHost()
            images, steps, loaded_at = [], [], []
            try:
                version = host.warm()
                gen_started = time.perf_counter()
                host.generate(info, REQUEST, EngineOptions(device="cpu", preview_every=1), EngineCallbacks(
                    on_loaded=lambda *_: loaded_at.append(time.perf_counter()),
                    on_step=lambda *s: steps.append(s), on_image=images.append))
                load_seconds = loaded_at[0] - gen_started
                gen_seconds = time.perf_counter() - loaded_at[0]
            finally:
                host.shutdown()
            if len(images) != 1 or len(steps) != REQUEST.steps:
                raise AtelierError(f"expected 1 image and {REQUEST.steps} steps, got {len(images)} and {len(steps)}")
            png = images[0].png
            if image_out is not None:
                Path(image_out).write_bytes(png)

            stage = "saving and reopening a project"
            _round_trip_project(Path(tmp) / "selftest.atelier", png, images[0].recipe.to_dict())
    except Exception as exc:  # the point of a selftest is to say what broke, whatever it is
        if debug:
            traceback.print_exc()
        reason = exc if isinstance(exc, (AtelierError, OSError)) else f"{type(exc).__name__}: {exc}"
        print(f"Atelier {__version__} selftest: FAILED while {stage}: {reason}", file=sys.stderr)
        return 1
    frozen = "frozen" if getattr(sys, "frozen", False) else "from source"
    print(
        f"Atelier {__version__} selftest: ok; model loaded in {load_seconds:.1f} s, {REQUEST.width}x{REQUEST.height} "
        f"image in {gen_seconds:.1f} s on cpu (torch {version}, {frozen}, Python {platform.python_version()}), "
        f"project saved and reopened; {time.perf_counter() - started:.1f} s in all"
    )
    return 0


def _round_trip_project(path: Path, png: bytes, recipe: dict) -> None:
    from .core.project_io import ProjectArchive
    from .core.session import ProjectSession

    session = ProjectSession.create()
    try:
        entry = session.add_entry(REQUEST.prompt, "", {"seed": REQUEST.seed}, {"id": "sample-sd15"})
        output = session.add_output(entry, "image", png, "png", recipe)
        session.save(path)
    finally:
        session.close()
    with ProjectArchive(path) as archive:
        [(entry, again)] = list(archive.project.outputs())
        if again.asset != output.asset or archive.read(again.asset) != png or entry.prompt != REQUEST.prompt:
            raise AtelierError(f"{path}: reopened project does not hold the image that was saved")
