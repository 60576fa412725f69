"""Benchmark: switching LoRAs costs a small share of loading the model, since each LoRA is
applied as an adapter kept loaded (engine/loras.py) rather than by loading the model again.

Model: ``mid`` (common.mid_model: the real SD1.5 UNet, 859.5 M parameters, 3.4 GB of fp32
safetensors, random weights): what a LoRA switch costs depends on how many layers it patches,
and what a model load costs on how many bytes it reads, so both must be real-sized. LoRAs:
kohya's layout (``lora_unet_...lora_down/lora_up/alpha``, what artists download; diffusers
converts it on loading), rank 16 on every Linear layer of the UNet's transformer blocks (the
attention projections and feed-forwards) and of the text encoder's attention and MLP.

A model load is ``load_pipeline`` plus reading every weight once, with the model's files
first dropped from the page cache (posix_fadvise, these files only): on the CPU the weights
are memory-mapped, so a bare ``load_pipeline`` from a warm page cache reads nothing and the
first generation pays for the reading instead. A LoRA never used with the model is dropped
from the page cache the same way before its switch.

Interleaved rounds after a warm-up: a model load (timed), a LoRA applied (untimed), then the
switch to a LoRA this model never had (timed: reads, hashes, converts and injects the file)
and the switch back to the first (timed: both are loaded; only which is active changes).
Two rows, each the median ratio of its switch to the model load of the same round, at most
0.10: "LoRA switch" (back to a loaded LoRA, the switch between LoRAs an artist is trying) and
"LoRA first use" (a file new to the model, bound by peft's injection of its layers).

    python bench/bench_lora.py [--quick]
"""

import gc
import os
import time

import common
from common import log

ROUNDS, QUICK_ROUNDS = 4, 2
RANK = 16
TARGET = 0.10
_UNET_LAYERS = ("to_q", "to_k", "to_v", "to_out.0", "ff.net.0.proj", "ff.net.2")
_TEXT_LAYERS = ("q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2")


def _drop_from_page_cache(paths) -> None:
    """Make the next read of these files come from storage, as for a model not used lately."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)  # pages still being written back cannot be dropped
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _load_model(info):
    """``load_pipeline`` and a read of every weight, as the first generation would do."""
    import torch

    from atelier.engine.loader import load_pipeline

    loaded = load_pipeline(info, "cpu", "float32")
    with torch.inference_mode():
        for component in loaded.pipe.components.values():
            if isinstance(component, torch.nn.Module):
                for parameter in component.parameters():
                    parameter.sum()
    return loaded


def _lora_files(model_folder, count: int) -> list:
    """``count`` kohya-layout LoRA files for the model, each with its own random weights."""
    import torch
    from diffusers import UNet2DConditionModel
    from safetensors.torch import save_file
    from transformers import CLIPTextConfig, CLIPTextModel

    with torch.device("meta"):  # the layers' shapes only: no 3 GB of random weights to make
        unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(model_folder / "unet"))
        text_encoder = CLIPTextModel(CLIPTextConfig.from_pretrained(model_folder / "text_encoder"))
    layers = [("lora_unet", name, module) for name, module in unet.named_modules()
              if isinstance(module, torch.nn.Linear) and name.endswith(_UNET_LAYERS)]
    layers += [("lora_te", name, module) for name, module in text_encoder.named_modules()
               if isinstance(module, torch.nn.Linear) and name.endswith(_TEXT_LAYERS)]
    folder = common.models_root() / "loras"
    folder.mkdir(exist_ok=True)
    files = []
    for index in range(count):
        generator = torch.Generator().manual_seed(index)
        tensors = {}
        for prefix, name, module in layers:
            key = f"{prefix}_{name.replace('.', '_')}"
            tensors[f"{key}.lora_down.weight"] = torch.randn(RANK, module.in_features, generator=generator) * 0.01
            tensors[f"{key}.lora_up.weight"] = torch.randn(module.out_features, RANK, generator=generator) * 0.01
            tensors[f"{key}.alpha"] = torch.tensor(float(RANK))
        path = folder / f"bench-lora-{index}.safetensors"
        save_file(tensors, str(path), metadata={"modelspec.architecture": "stable-diffusion-v1/lora"})
        files.append(path)
    return files, len(layers)


def measure() -> list[dict]:
    from atelier.core.tasks import TextToImageRequest
    from atelier.core.tasks.adapters import LoraUse
    from atelier.engine import loras, registry
    from atelier.engine.events import EngineOptions
    from atelier.engine.runner import EngineJob, TaskContext

    rounds = QUICK_ROUNDS if common.quick() else ROUNDS
    info = registry.inspect_folder(common.mid_model())
    model_files = sorted(info.path.rglob("*.safetensors"))
    paths, layers = _lora_files(info.path, 2 * (rounds + 1))  # round r: files 2r (first) and 2r+1 (new)
    parts = {path.stem: registry.inspect_file(path) for path in paths}
    job = EngineJob(info, TextToImageRequest(prompt="a cat"), {}, parts)
    ctx = TaskContext(job, EngineOptions(device="cpu"), None, lambda event: None, lambda: False)

    def switch(loaded, name: str) -> float:
        started = time.perf_counter()
        loras.apply(ctx, loaded, [LoraUse(name)])
        return time.perf_counter() - started

    loads, first_switches, back_switches = [], [], []
    for index in range(rounds + 1):  # round 0 warms up: first calls import and pick kernels
        gc.collect()  # the last round's model goes before this one's loads
        _drop_from_page_cache(model_files)
        started = time.perf_counter()
        loaded = _load_model(info)
        load_time = time.perf_counter() - started
        first, new = paths[2 * index].stem, paths[2 * index + 1].stem
        loras.apply(ctx, loaded, [LoraUse(first)])
        _drop_from_page_cache([paths[2 * index + 1]])
        first_time = switch(loaded, new)
        back_time = switch(loaded, first)
        loaded = None
        log(f"round {index}: load {load_time:.3f} s, new LoRA {first_time:.3f} s, back {back_time:.4f} s")
        if index:
            loads.append(load_time)
            first_switches.append(first_time)
            back_switches.append(back_time)
    details = {
        "model_mb": round(sum(p.stat().st_size for p in model_files) / 2**20, 1),
        "lora_mb": round(paths[0].stat().st_size / 2**20, 1), "lora_layers": layers, "rank": RANK,
        "load_s": [round(t, 3) for t in loads],
    }
    rows = []
    for benchmark, switches in (("LoRA switch vs model load", back_switches),
                                ("LoRA first use vs model load", first_switches)):
        ratios = [seconds / load for seconds, load in zip(switches, loads, strict=True)]
        ratio = common.median(ratios)
        measured = (f"{ratio:.1%} of a model load ({common.median(switches) * 1000:.0f} ms vs "
                    f"{common.median(loads):.2f} s)")
        rows.append(common.row(benchmark, measured, f"<= {TARGET:.0%}", ratio <= TARGET,
                               {**details, "switch_s": [round(t, 4) for t in switches],
                                "ratios": [round(r, 4) for r in ratios]}, value=ratio))
    return rows


def main() -> None:
    common.ensure_isolated()
    common.emit(measure())


if __name__ == "__main__":
    main()
