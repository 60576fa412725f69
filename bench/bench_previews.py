"""Benchmark 7: a live preview costs a small share of a step.

Preview: ``atelier.engine.previews.latent_preview`` on the latents of a 256x256 image (1x4x32x32),
median of many calls (what the engine adds per step with previews on; turning it into pixels
for the pipe, ``engine.host.Picture.of``, is noted in the details). Step: one forward of the
mid-size model's UNet (real SD1.5 config) on the same latents, batch 1 (CFG off, as in the other
mid-size benchmarks; with CFG a step costs about twice as much, so the share would halve),
median of a few after a warm-up. Verdict: preview / step < 3%.

    python bench/bench_previews.py [--quick]
"""

import time

import common
from common import log

STEPS, QUICK_STEPS = 3, 1
PREVIEWS = 300
TARGET = 0.03


def main() -> None:
    common.ensure_isolated()
    folder = common.mid_model()
    import torch
    from diffusers import UNet2DConditionModel

    from atelier.engine.previews import latent_preview

    latents = torch.randn(1, 4, 32, 32, generator=torch.Generator().manual_seed(0))
    latent_preview(latents, "sd15")
    times, transfer = [], []
    try:
        from atelier.engine.events import Picture
    except ImportError:
        Picture = None
    for _ in range(PREVIEWS):
        t0 = time.perf_counter()
        image = latent_preview(latents, "sd15")
        t1 = time.perf_counter()
        if Picture is not None:
            Picture.of(image)
            transfer.append(time.perf_counter() - t1)
        times.append(t1 - t0)
    preview = common.median(times)

    unet = UNet2DConditionModel.from_pretrained(str(folder / "unet"))
    unet.eval()
    hidden = torch.randn(1, 77, 768, generator=torch.Generator().manual_seed(1))
    steps = []
    with torch.inference_mode():
        unet(latents, 500, encoder_hidden_states=hidden)  # warm-up
        for i in range(QUICK_STEPS if common.quick() else STEPS):
            t0 = time.perf_counter()
            unet(latents, 500 - i, encoder_hidden_states=hidden)
            steps.append(time.perf_counter() - t0)
            log(f"step {i + 1}: {steps[-1]:.2f} s")
    step = common.median(steps)
    share = preview / step
    details = {
        "preview_ms_median": round(preview * 1e3, 4),
        "preview_ms_p99": round(common.percentile(times, 99) * 1e3, 4),
        "picture_of_ms_median": round(common.median(transfer) * 1e3, 4) if transfer else None,
        "step_s": [round(x, 3) for x in steps],
        "latents": [1, 4, 32, 32],
        "torch_threads": torch.get_num_threads(),
    }
    common.emit([common.row(
        "preview cost per step (mid-size, 256x256)",
        f"{share * 100:.3f}% of a step ({preview * 1e3:.2f} ms vs {step:.2f} s)",
        f"< {TARGET * 100:.0f}%", share < TARGET, details, value=share,
    )])


if __name__ == "__main__":
    main()
