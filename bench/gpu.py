"""GPU benchmark: full-size SD1.5 (512x512) and SDXL (1024x1024) architectures, 30 steps, fp16,
random weights built from the bundled configs (resources/model-configs). Speed does not depend
on weight values, so these time what a user's real checkpoint would.

For each model, on the same pipeline object, interleaved A/B after a warm-up:
  raw = pipe(...) with the request's arguments;
  app = the text-to-image task through atelier.engine.runner.InProcessRunner, with previews every
        step and the PNG encoding with metadata it does for every image (what the window receives).
Reports app/raw, steps/s of the denoising loop, peak VRAM, and achieved TFLOP/s of the UNet
(FLOPs counted with torch.utils.flop_counter on one guided step) against a measured bf16 matmul
peak. Then the optional speed settings, each alone on the raw call: channels_last, fused QKV
projections, torch.compile of the UNet.

Needs a CUDA GPU; not part of `make bench` on a CPU machine. Writes bench/results/gpu-<device>.json
(or $OUT when given). Run: python bench/gpu.py [--quick]
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from atelier.core.tasks import TextToImageRequest  # noqa: E402
from atelier.engine.events import Artifact, EngineOptions  # noqa: E402
from atelier.engine.loader import LoadedModel, PipelineCache  # noqa: E402
from atelier.engine.runner import EngineJob, InProcessRunner  # noqa: E402
from atelier.engine.registry import ModelInfo  # noqa: E402
from atelier.engine.single_file import load_tokenizers  # noqa: E402

CONFIGS = ROOT / "resources" / "model-configs"
MODELS = {"sd15": (512, "StableDiffusionPipeline"), "sdxl": (1024, "StableDiffusionXLPipeline")}


def sync_time() -> float:
    torch.cuda.synchronize()
    return time.perf_counter()


def matmul_peak_tflops(size: int = 8192, repeats: int = 10) -> float:
    a = torch.randn(size, size, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(size, size, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    start = sync_time()
    for _ in range(repeats):
        a @ b
    seconds = (sync_time() - start) / repeats
    return 2 * size**3 / seconds / 1e12


def build_pipeline(family: str):
    """The family's pipeline, every component built from its bundled config on the GPU in fp16."""
    import diffusers
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    folder = CONFIGS / family
    torch.manual_seed(0)
    with torch.device("cuda"):
        parts = {
            "unet": UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(folder / "unet")),
            "vae": AutoencoderKL.from_config(AutoencoderKL.load_config(folder / "vae")),
            "text_encoder": CLIPTextModel(CLIPTextConfig.from_pretrained(folder / "text_encoder")),
        }
        if (folder / "text_encoder_2").is_dir():
            config = CLIPTextConfig.from_pretrained(folder / "text_encoder_2")
            parts["text_encoder_2"] = CLIPTextModelWithProjection(config)
    index = json.loads((folder / "model_index.json").read_text())
    scheduler_class = getattr(diffusers, index["scheduler"][1])
    parts["scheduler"] = scheduler_class.from_config(scheduler_class.load_config(folder / "scheduler"))
    parts.update(load_tokenizers(folder))
    pipeline_class = getattr(diffusers, MODELS[family][1])
    extra = {"add_watermarker": False} if family == "sdxl" else {
        "safety_checker": None, "feature_extractor": None, "requires_safety_checker": False}
    pipe = pipeline_class(**parts, **extra).to("cuda", torch.float16)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def unet_flops_per_step(pipe, size: int) -> int:
    """FLOPs of one denoising step: the UNet on the guided batch of two."""
    from torch.utils.flop_counter import FlopCounterMode

    unet = pipe.unet
    latent = torch.randn(2, 4, size // 8, size // 8, device="cuda", dtype=torch.float16)
    context = torch.randn(2, 77, unet.config.cross_attention_dim, device="cuda", dtype=torch.float16)
    kwargs = {}
    if unet.config.addition_embed_type == "text_time":
        kwargs["added_cond_kwargs"] = {
            "text_embeds": torch.randn(2, 1280, device="cuda", dtype=torch.float16),
            "time_ids": torch.randn(2, 6, device="cuda", dtype=torch.float16),
        }
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        unet(latent, torch.tensor([500, 500], device="cuda"), encoder_hidden_states=context, **kwargs)
    return counter.get_total_flops()


class StepClock:
    """Times the denoising loop from the step callbacks (excludes text encoding and VAE decode)."""

    def __init__(self):
        self.times = []

    def __call__(self, pipe, step, timestep, tensors):
        self.times.append(sync_time())
        return tensors

    def steps_per_second(self) -> float:
        return (len(self.times) - 1) / (self.times[-1] - self.times[0])


def run_raw(pipe, request: TextToImageRequest, clock=None):
    start = sync_time()
    with torch.inference_mode():
        pipe(prompt=request.prompt, num_inference_steps=request.steps, guidance_scale=request.guidance,
             width=request.width, height=request.height, num_images_per_prompt=1,
             generator=torch.Generator("cpu").manual_seed(request.seed),
             callback_on_step_end=clock, output_type="pil")
    return sync_time() - start


def run_app(runner: InProcessRunner, loaded: LoadedModel, request: TextToImageRequest):
    encoded = []
    start = sync_time()
    runner.run(EngineJob(loaded.info, request), EngineOptions(device="cuda", precision="fp16", preview_every=1),
               lambda event: isinstance(event, Artifact) and encoded.append(event.data))
    seconds = sync_time() - start
    assert len(encoded) == 1
    return seconds


def bench_model(family: str, peak: float, pairs: int, try_compile: bool) -> dict:
    size, pipeline_name = MODELS[family]
    started = time.perf_counter()
    pipe = build_pipeline(family)
    build_seconds = time.perf_counter() - started
    info = ModelInfo(f"random-{family}", f"random-{family}", CONFIGS / family, "image", family, pipeline_name, 0,
                     "benchmark")
    scheduler_config = json.loads(json.dumps(dict(pipe.scheduler.config), default=str))
    loaded = LoadedModel(info, pipe, "cuda", "float16", "0" * 64, scheduler_config)
    cache = PipelineCache()
    cache.add(loaded)
    runner = InProcessRunner(cache)
    request = TextToImageRequest(prompt="a lighthouse at dusk, oil painting", seed=1, steps=30, guidance=7.0,
                           width=size, height=size, scheduler="Default")

    run_raw(pipe, request), run_app(runner, loaded, request)  # warm-up: kernels, allocator, caches
    torch.cuda.reset_peak_memory_stats()
    raw, app = [], []
    for _ in range(pairs):
        raw.append(run_raw(pipe, request))
        app.append(run_app(runner, loaded, request))
    peak_vram = torch.cuda.max_memory_allocated()
    clock = StepClock()
    run_raw(pipe, request, clock)
    steps_per_second = clock.steps_per_second()
    flops = unet_flops_per_step(pipe, size)
    achieved = flops * steps_per_second / 1e12
    ratios = [a / r for a, r in zip(app, raw)]
    result = {
        "model": f"{family} architecture, random weights, fp16, {size}x{size}, 30 steps, CFG 7",
        "build_seconds": round(build_seconds, 1),
        "raw_seconds_median": round(statistics.median(raw), 3),
        "app_seconds_median": round(statistics.median(app), 3),
        "app_over_raw_median": round(statistics.median(ratios), 4),
        "app_over_raw_all": [round(r, 4) for r in ratios],
        "denoise_steps_per_second": round(steps_per_second, 2),
        "peak_vram_gib": round(peak_vram / 2**30, 2),
        "unet_tflop_per_step": round(flops / 1e12, 3),
        "achieved_tflops": round(achieved, 1),
        "share_of_bf16_peak": round(achieved / peak, 3),
        "speed_settings": {},
    }
    baseline = statistics.median(raw)
    result["speed_settings"]["channels_last"] = _try_setting(
        pipe, request, baseline, lambda: pipe.unet.to(memory_format=torch.channels_last),
        lambda: pipe.unet.to(memory_format=torch.contiguous_format))
    result["speed_settings"]["fused_qkv"] = _try_setting(
        pipe, request, baseline, lambda: pipe.fuse_qkv_projections(), lambda: pipe.unfuse_qkv_projections())
    if try_compile:
        original = pipe.unet
        result["speed_settings"]["torch_compile"] = _try_setting(
            pipe, request, baseline, lambda: setattr(pipe, "unet", torch.compile(original)),
            lambda: setattr(pipe, "unet", original), warmups=2)
    return result


def _try_setting(pipe, request, baseline: float, apply, undo, warmups: int = 1) -> dict:
    try:
        started = time.perf_counter()
        apply()
        for _ in range(warmups):
            run_raw(pipe, request)
        warmup_seconds = time.perf_counter() - started
        times = [run_raw(pipe, request) for _ in range(3)]
        return {"seconds_median": round(statistics.median(times), 3),
                "speedup": round(baseline / statistics.median(times), 3),
                "setup_and_warmup_seconds": round(warmup_seconds, 1)}
    except Exception as exc:  # a setting that fails on this stack is a result too
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
    finally:
        try:
            undo()
        except Exception:  # nothing was applied
            pass


def main() -> int:
    parser = argparse.ArgumentParser(description="GPU benchmark (see module docstring)")
    parser.add_argument("--quick", action="store_true", help="SD1.5 only, 2 pairs, no torch.compile")
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--compile", action="store_true", help="also try torch.compile (minutes)")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("bench/gpu.py needs a CUDA GPU", file=sys.stderr)
        return 2
    import diffusers
    import transformers

    device = torch.cuda.get_device_name()
    peak = matmul_peak_tflops()
    results = {
        "date": time.strftime("%Y-%m-%d"),
        "device": device,
        "bf16_matmul_peak_tflops": round(peak, 1),
        "versions": {"torch": str(torch.__version__), "cuda": torch.version.cuda, "diffusers": diffusers.__version__,
                     "transformers": transformers.__version__, "python": platform.python_version()},
        "models": {},
    }
    out_dir = Path(os.environ.get("OUT") or ROOT / "bench" / "results")
    out_dir.mkdir(parents=True, exist_ok=True)
    name = "gpu-" + "".join(c if c.isalnum() else "-" for c in device.lower()).strip("-") + ".json"
    for family in (["sd15"] if args.quick else args.models):
        results["models"][family] = bench_model(family, peak, 2 if args.quick else 5, args.compile)
        torch.cuda.empty_cache()  # the model went with bench_model's frame
        print(json.dumps({family: results["models"][family]}, indent=1), flush=True)
        (out_dir / name).write_text(json.dumps(results, indent=2) + "\n")  # each model as it is done
    print(f"wrote {out_dir / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
