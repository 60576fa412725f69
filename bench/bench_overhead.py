"""Benchmark 1: what the app adds to the model's own time.

The same pipeline folder, seed, steps, size and guidance, called (A) raw: ``load_pipeline`` and a
plain ``pipe(...)`` in a spawned child process, the kind of process the app's engine runs in (raw
in this process was sometimes measured slower than the app: noise between kinds of process, not
a result); (B) through the whole app: the real MainWindow (offscreen),
Generate clicked, the engine (worker thread or child process, whatever the app uses), step
callbacks, live previews, PNG encoding, QImage, the project write, and the image shown on the
canvas. Interleaved A/B pairs after a warm-up pair (which also loads the model on both sides);
the verdict is on the median of the per-pair ratios B/A.

``img2img`` is the tiny model's image-to-image: a 64x64 picture set as the window's init image
(stored in its project), strength 0.5, against ``AutoPipelineForImage2Image.from_pipe`` of the
raw pipeline called with the same prepared picture.

    python bench/bench_overhead.py tiny|mid|img2img [--quick]
"""

from __future__ import annotations

import sys
import time

import common
from common import log

CONFIGS = {
    # name: (prompt, steps, size, guidance, pairs, quick pairs, target ratio)
    "tiny": ("a photo of a cat", 8, (64, 64), 7.0, 15, 3, 1.03),  # 15: a call is 0.5 s, its noise +-10%
    # CFG off (guidance 1): half the UNet work per step keeps the run inside the time budget.
    "mid": ("a photo of a cat", 3, (256, 256), 1.0, 7, 2, 1.02),
    # 16 steps at strength 0.5: 8 are run, as many as tiny's text-to-image.
    "img2img": ("a photo of a cat", 16, (64, 64), 7.0, 15, 3, 1.03),
}
STRENGTH = 0.5
SEED = 1234


def main() -> None:
    common.ensure_isolated()
    which = next((a for a in sys.argv[1:] if a in CONFIGS), "tiny")
    prompt, steps, size, guidance, pairs, quick_pairs, target = CONFIGS[which]
    if common.quick():
        pairs = quick_pairs
        if which == "mid":
            steps = 1
    folder = common.mid_model() if which == "mid" else common.tiny_model()
    installed = common.install_model(folder)
    init = _init_picture(size) if which == "img2img" else None

    app = common.qapp()  # noqa: F841  (kept alive)

    # 1. Raw side: the same folder the app will find, loaded the way the app loads it, in a
    #    spawned child process as the app's engine is.
    started = time.perf_counter()
    raw = RawSide(installed, prompt, steps, size, guidance, init)
    device, dtype = raw.device, raw.dtype
    log(f"{which}: raw load {time.perf_counter() - started:.1f} s on {device}/{dtype}")
    raw_call = raw.call

    # 2. App side: the real window; the image counts as delivered when the canvas shows the
    #    stored image (the window stores it in the project first, then shows it).
    win = common.open_window()
    combo = win.panel.model_combo
    index = next((i for i in range(combo.count()) if getattr(combo.itemData(i), "id", None) == installed.name), -1)
    if index < 0:
        raise SystemExit(f"the window did not list {installed.name}")
    combo.setCurrentIndex(index)
    if init is not None:
        _set_init_image(win, init)
    common.fill(win, prompt=prompt, steps=steps, size=size, seed=SEED, guidance=guidance)
    from PySide6.QtCore import QEventLoop, QTimer

    mark = {"target": None, "t": None}
    delivered = QEventLoop()
    limit = QTimer()
    limit.setSingleShot(True)
    limit.timeout.connect(delivered.quit)

    def on_image_shown(_image):
        if mark["target"] is not None and mark["t"] is None and common.output_count(win) >= mark["target"]:
            mark["t"] = time.perf_counter()
            delivered.quit()

    win.generation.image_shown.connect(on_image_shown)  # after the canvas's connection: it shows the image first

    def app_call():
        common.wait_until(lambda: win.running_job is None, timeout=600)
        common.fill(win, prompt=prompt, steps=steps, size=size, seed=SEED, guidance=guidance)
        mark["target"], mark["t"] = common.output_count(win) + 1, None
        t0 = time.perf_counter()
        win.panel.generate_button.click()
        # Woken by the delivery itself, not by polling: a polling timer would add its own
        # wake-ups to the UI thread the app is measured on.
        limit.start(900_000)
        if mark["t"] is None:
            delivered.exec()
        limit.stop()
        if mark["t"] is None:
            raise SystemExit(f"the app did not deliver an image: {win.panel.message_label.text()!r}")
        elapsed = mark["t"] - t0
        common.wait_until(lambda: win.running_job is None, timeout=120)
        return elapsed

    # 3. Warm-up pair (model loads on both sides), then interleaved pairs, order alternating.
    started = time.perf_counter()
    warm_raw, raw_image = raw_call()
    warm_app = app_call()
    log(f"{which}: warm-up raw {warm_raw:.2f} s, app (with model load) {warm_app:.2f} s "
        f"[{time.perf_counter() - started:.0f} s]")
    raws, apps, ratios = [], [], []
    for i in range(pairs):
        if i % 2 == 0:
            r, _ = raw_call()
            a = app_call()
        else:
            a = app_call()
            r, _ = raw_call()
        raws.append(r)
        apps.append(a)
        ratios.append(a / r)
        log(f"{which}: pair {i + 1}/{pairs}: raw {r:.3f} s, app {a:.3f} s, ratio {a / r:.3f}")

    identical = _same_pixels(win, raw_image)
    common.close_window(win)
    raw.close()
    ratio = common.median(ratios)
    details = {
        "model": which, "steps": steps, "size": list(size), "guidance": guidance, "pairs": pairs,
        "device": device, "dtype": dtype,
        "raw_s": [round(x, 4) for x in raws], "app_s": [round(x, 4) for x in apps],
        "ratios": [round(x, 4) for x in ratios],
        "median_raw_s": round(common.median(raws), 4), "median_app_s": round(common.median(apps), 4),
        "median_overhead_ms": round(common.median([a - r for a, r in zip(apps, raws)]) * 1000, 1),
        "app_image_identical_to_raw": identical,
        "raw_torch_threads": raw.torch_threads,
    }
    label = {"tiny": "tiny model", "mid": "mid-size SD1.5 UNet, 256x256",
             "img2img": f"image to image, tiny model, strength {STRENGTH}"}[which]
    common.emit([common.row(
        f"generation overhead ({label})",
        f"{ratio:.3f}x app/raw (median of {pairs}; raw {details['median_raw_s']:.2f} s)",
        f"<= {target:.2f}x",
        ratio <= target, details, value=ratio,
    )])


class RawSide:
    """The raw pipeline in a spawned child process; ``call()`` times one generation there and
    returns (seconds, the image)."""

    def __init__(self, folder, prompt, steps, size, guidance, init=None):
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self._conn, child_end = context.Pipe()
        self._process = context.Process(target=_serve_raw,
                                        args=(child_end, str(folder), prompt, steps, size, guidance, init),
                                        name="bench-raw", daemon=True)
        self._process.start()
        child_end.close()
        self.device, self.dtype, self.torch_threads = self._conn.recv()

    def call(self):
        import io

        from PIL import Image

        self._conn.send("call")
        elapsed, png = self._conn.recv()
        return elapsed, Image.open(io.BytesIO(png))

    def close(self) -> None:
        self._conn.send("stop")
        self._process.join(30)


def _serve_raw(conn, folder, prompt, steps, size, guidance, init=None) -> None:
    """The child: load as the app's engine loads, then time each call asked for (image to
    image when ``init``, the prepared picture's PNG, is given)."""
    import io
    from pathlib import Path

    import diffusers
    import torch

    from atelier.core.schedulers import DEFAULT_SCHEDULER, scheduler_spec
    from atelier.engine.loader import load_pipeline, pick_device, pick_dtype
    from atelier.engine.registry import inspect_folder

    info = inspect_folder(Path(folder))
    device = pick_device("auto")
    dtype = pick_dtype(device)
    pipe = load_pipeline(info, device, dtype).pipe
    # The sampler the window uses by default, built from the model's shipped config as the
    # engine builds it, so both sides run the very same computation.
    spec = scheduler_spec(DEFAULT_SCHEDULER)
    if spec.class_name:
        pipe.scheduler = getattr(diffusers, spec.class_name).from_config(pipe.scheduler.config, **spec.options)
    arguments = {"width": size[0], "height": size[1]}
    if init is not None:
        from PIL import Image

        pipe = diffusers.AutoPipelineForImage2Image.from_pipe(pipe)
        pipe.set_progress_bar_config(disable=True)
        arguments = {"image": Image.open(io.BytesIO(init)).convert("RGB"), "strength": STRENGTH}
    conn.send((device, dtype, torch.get_num_threads()))
    while conn.recv() == "call":
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = pipe(
                prompt=prompt, negative_prompt=None, num_inference_steps=steps, guidance_scale=guidance,
                num_images_per_prompt=1, generator=torch.Generator("cpu").manual_seed(SEED), output_type="pil",
                **arguments,
            )
        elapsed = time.perf_counter() - t0
        encoded = io.BytesIO()
        out.images[0].save(encoded, format="PNG")  # after the clock: the app's PNG is its own cost
        conn.send((elapsed, encoded.getvalue()))


def _init_picture(size) -> bytes:
    """A picture to start from, prepared as the window prepares a file (the same PNG bytes)."""
    import io

    import numpy as np
    from PIL import Image

    from atelier.core.init_image import prepare_init_image

    data = np.random.default_rng(SEED).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(data, "RGB").save(buffer, format="PNG")
    return prepare_init_image(buffer.getvalue(), "bench.png").png


def _set_init_image(win, init: bytes) -> None:
    """Give the window's panel the picture as its init image, as "Start from an image" does."""
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp(prefix="atelier-bench-")) / "init.png"
    path.write_bytes(init)
    win.project_controller.prepare_init_image(win.panel.set_init_image, path=path)
    common.wait_until(lambda: win.panel.init_image_box.current is not None, timeout=60)
    win.panel.init_image_box.set_strength(STRENGTH)


def _same_pixels(win, raw_image):
    """Whether the image the app stored equals the raw call's (same seed: it should)."""
    try:
        import io

        import numpy as np
        from PIL import Image

        png = win.last_output.data
        with Image.open(io.BytesIO(png)) as stored:
            a = np.asarray(stored.convert("RGB"))
        b = np.asarray(raw_image.convert("RGB"))
        return bool(a.shape == b.shape and (a == b).all())
    except Exception:  # the window's internals may change; this is only a sanity note
        return None


if __name__ == "__main__":
    main()
