"""The engine child process: same pixels as in-process generation, cancel, errors, crashes."""

import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from engine_driver import generate_images
from PIL import Image

from atelier.core.errors import GenerationCancelled, GenerationError, ModelError
from atelier.core.tasks import TextToImageRequest
from atelier.engine import registry
from atelier.engine.events import Artifact, EngineOptions, Loaded, Loading, Preview, Progress, Status
from atelier.engine.host import EngineHost
from atelier.engine.loader import PipelineCache
from atelier.engine.runner import EngineJob


def tiny_request(**changes) -> TextToImageRequest:
    values = dict(prompt="a photo of a cat", seed=7, steps=3, width=64, height=64)
    return TextToImageRequest(**{**values, **changes})


_LISTENERS = {"status": Status, "loading": Loading, "loaded": Loaded, "step": Progress, "preview": Preview,
              "image": Artifact}


def generate(host, info, request, options, **listeners) -> None:
    """``host.run`` with a listener per kind of event (status=, loading=, loaded=, step=,
    preview=, image=), each called with the event."""
    wanted = {_LISTENERS[name]: listener for name, listener in listeners.items()}
    host.run(EngineJob(info, request), options, lambda event: wanted.get(type(event), lambda e: None)(event))


@pytest.fixture(scope="module")
def shared_host():
    host = EngineHost()  # one child for the module: each start imports torch
    yield host
    host.shutdown()


@pytest.fixture
def host(shared_host):
    shared_host.reset_cancel()  # a failed cancel test must not cancel the next one
    return shared_host


def pixels(picture) -> np.ndarray:
    return np.frombuffer(picture.rgba, np.uint8).reshape(picture.height, picture.width, 4)[..., :3]


def test_child_makes_the_same_pixels_as_the_engine_in_process(host, sd15_dir):
    info = registry.inspect_folder(sd15_dir)
    events, images, previews = [], [], []
    generate(host, info, tiny_request(batch_size=2), EngineOptions(device="cpu", preview_every=1),
             status=events.append, loaded=events.append, step=events.append,
             preview=lambda event: previews.append(event.picture), image=images.append)

    assert Loaded("tiny-sd15", "cpu", "float32") in events
    last = [e for e in events if isinstance(e, Progress)][-1]
    assert (last.index, last.count, last.step, last.total) == (1, 2, 3, 3)
    assert len(previews) == 6 and previews[0].width > 0
    assert [image.recipe.seed for image in images] == [7, 8]
    # Generated images and previews have no transparency, and say so (shown opaque).
    assert not any(p.alpha for p in previews) and not any(i.picture.alpha for i in images)

    cache = PipelineCache()
    expected = generate_images(cache.get(info, "cpu"), tiny_request(batch_size=2))
    for got, want in zip(images, expected, strict=True):
        assert np.array_equal(pixels(got.picture), np.asarray(want.image.convert("RGB")))
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(got.data)).convert("RGB")),
                              np.asarray(want.image.convert("RGB")))
        assert got.recipe.to_dict()["request"]["seed"] == want.recipe.seed
    cache.clear()


def test_loading_is_announced_only_when_the_model_really_loads(host, sd15_dir, sdxl_dir):
    def loadings(folder) -> list[str]:
        said = []  # the Loading events
        generate(host, registry.inspect_folder(folder), tiny_request(steps=1), EngineOptions(device="cpu"), loading=said.append)
        return said

    loadings(sd15_dir)  # whatever was loaded before, this one is now
    assert loadings(sd15_dir) == []
    assert loadings(sdxl_dir) == [Loading("tiny-sdxl")]  # the cache holds one model: this one loads


def test_cancel_stops_at_the_end_of_a_step_and_the_next_job_runs(host, sd15_dir):
    info = registry.inspect_folder(sd15_dir)
    steps = []

    def on_step(*step):
        steps.append(step)
        host.cancel()

    with pytest.raises(GenerationCancelled, match=r"cancelled after step [12] of 20"):
        generate(host, info, tiny_request(steps=20), EngineOptions(device="cpu"), step=on_step)
    assert len(steps) <= 2  # the child may finish the step it was in when the cancel arrived

    host.reset_cancel()
    images = []
    generate(host, info, tiny_request(steps=1), EngineOptions(device="cpu"), image=images.append)
    assert len(images) == 1


def test_a_model_error_in_the_child_arrives_as_the_same_one_line_error(host, tmp_path, sd15_dir):
    broken = tmp_path / "broken"
    shutil.copytree(sd15_dir, broken)
    weights = broken / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])  # truncated by a failed copy
    info = registry.inspect_folder(broken)
    with pytest.raises(ModelError, match="diffusion_pytorch_model.safetensors"):
        generate(host, info, tiny_request(), EngineOptions(device="cpu"))
    assert host.pid is not None  # the child lives on


def test_a_killed_child_fails_the_job_clearly_and_the_next_job_restarts_it(host, sd15_dir):
    info = registry.inspect_folder(sd15_dir)
    host.warm()
    first_pid = host.pid

    def kill_on_first_step(*_step):
        os.kill(first_pid, signal.SIGKILL)  # what the kernel's out-of-memory killer does

    with pytest.raises(GenerationError, match="engine process stopped unexpectedly"):
        generate(host, info, tiny_request(steps=20), EngineOptions(device="cpu"), step=kill_on_first_step)
    images = []
    generate(host, info, tiny_request(steps=1), EngineOptions(device="cpu"), image=images.append)
    assert len(images) == 1 and host.pid not in (None, first_pid)
    # and cancel reaches the new child (it has a cancel event of its own)
    host.reset_cancel()
    with pytest.raises(GenerationCancelled):
        generate(host, info, tiny_request(steps=20), EngineOptions(device="cpu"), step=lambda *_: host.cancel())


@pytest.fixture
def watchdog():
    """``watchdog(pid)``: SIGKILL that process after 20 s, so a test of a frozen engine fails
    (on its timing) instead of hanging when the engine is never stopped."""
    timers = []

    def watch(pid: int) -> None:
        timer = threading.Timer(20, lambda: _kill_quietly(pid))
        timer.daemon = True
        timer.start()
        timers.append((timer, pid))

    yield watch
    for timer, pid in timers:
        timer.cancel()
        _kill_quietly(pid)  # never leave a stopped process behind


def _kill_quietly(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_stop_ends_a_job_on_a_frozen_engine_as_cancelled_and_the_next_job_restarts_it(host, sd15_dir, watchdog):
    info = registry.inspect_folder(sd15_dir)
    host.warm()
    frozen_pid = host.pid
    watchdog(frozen_pid)
    frozen_at = []

    def freeze_on_first_step(*_step):
        if not frozen_at:
            os.kill(frozen_pid, signal.SIGSTOP)  # frozen mid-job: it never hears the cancel
            host.cancel()
            frozen_at.append(time.monotonic())
            threading.Timer(0.5, host.stop).start()  # what the window does once its grace is over

    with pytest.raises(GenerationCancelled, match=r"cancelled after step \d+ of 50"):
        generate(host, info, tiny_request(steps=50), EngineOptions(device="cpu"), step=freeze_on_first_step)
    assert time.monotonic() - frozen_at[0] < 10  # SIGTERM is held while stopped: SIGKILL after 1 s
    host.reset_cancel()
    images = []
    generate(host, info, tiny_request(steps=1), EngineOptions(device="cpu"), image=images.append)
    assert len(images) == 1 and host.pid not in (None, frozen_pid)


def test_shutdown_returns_while_a_job_waits_on_a_frozen_engine(host, sd15_dir, watchdog):
    info = registry.inspect_folder(sd15_dir)
    host.warm()
    frozen_pid = host.pid
    watchdog(frozen_pid)
    frozen, outcome = threading.Event(), []

    def freeze_on_first_step(*_step):
        if not frozen.is_set():
            os.kill(frozen_pid, signal.SIGSTOP)
            frozen.set()

    def job():
        try:
            generate(host, info, tiny_request(steps=50), EngineOptions(device="cpu"), step=freeze_on_first_step)
            outcome.append("done")
        except Exception as exc:  # noqa: BLE001  (the test looks at which)
            outcome.append(exc)

    thread = threading.Thread(target=job, daemon=True)
    thread.start()
    assert frozen.wait(60)
    started = time.monotonic()
    host.shutdown(timeout=1)  # the job holds the pipe: it must not wait for the lock for ever
    assert time.monotonic() - started < 6
    thread.join(10)
    assert not thread.is_alive() and isinstance(outcome[0], GenerationCancelled)
    assert time.monotonic() - started < 12


def test_the_calling_process_never_imports_torch(guard_env, sd15_dir):
    code = (
        "import sys\n"
        "from atelier.core.tasks import TextToImageRequest\n"
        "from atelier.engine import registry\n"
        "from atelier.engine.events import Artifact, EngineOptions, Preview\n"
        "from atelier.engine.host import EngineHost\n"
        "from atelier.engine.runner import EngineJob\n"
        "host = EngineHost(); images = []; previews = []\n"
        f"info = registry.inspect_folder({str(sd15_dir)!r})\n"
        "request = TextToImageRequest(prompt='a cat', seed=1, steps=2, width=64, height=64)\n"
        "host.run(EngineJob(info, request), EngineOptions(preview_every=1), lambda event:\n"
        "         (images if isinstance(event, Artifact) else previews if isinstance(event, Preview) else []).append(event))\n"
        "print(len(images), len(previews), host.warm().count('.') >= 2, 'torch' in sys.modules)\n"
        "host.shutdown()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=guard_env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "2", "True", "False"]


def test_a_model_deleted_after_the_scan_is_one_line_naming_it_with_no_traceback(capfd, tmp_path, sd15_dir):
    folder = shutil.copytree(sd15_dir, tmp_path / "gone-sd15")
    info = registry.inspect_folder(folder)  # listed ...
    shutil.rmtree(folder)  # ... then deleted before the job runs
    host = EngineHost()  # its own child, started now, so this test captures the child's stderr
    try:
        with pytest.raises(ModelError) as err:
            generate(host, info, tiny_request(), EngineOptions(device="cpu"))
        assert host.pid is not None  # the child lives on for the next job
    finally:
        host.shutdown()

    message = str(err.value)
    assert message.startswith(f"gone-sd15 is no longer at {folder}; ") and "\n" not in message
    assert "rescan the models" in message and "Errno" not in message
    assert "Traceback" not in capfd.readouterr().err
