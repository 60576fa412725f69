"""Tiny upscaler files for the tests and benchmarks, built in code as the state dicts real files
carry (the keys and shapes spandrel detects, random weights):

- ESRGAN in the Real-ESRGAN key layout (``conv_first``, ``body.N.rdbM.convK``, ``conv_body``,
  ``conv_upN``, ``conv_hr``, ``conv_last``), 2x or 4x, a few filters and blocks;
- RealESRGAN Compact (SRVGG: ``body.N`` convolutions and PReLUs, a pixel shuffle at the end),
  any scale (scale 1 is a restoration model, not an upscaler).

Weights are scaled so that activations stay in range and the output is a picture with detail,
not a flat grey: a test comparing tiled and untiled outputs compares something."""

from pathlib import Path

import torch

_GROWTH = 32  # spandrel's RRDB uses 32 growth channels in every dense block


def _conv(generator: torch.Generator, out_channels: int, in_channels: int, gain: float = 1.0) -> tuple:
    scale = gain / (in_channels * 9) ** 0.5
    weight = torch.randn(out_channels, in_channels, 3, 3, generator=generator) * scale
    bias = torch.randn(out_channels, generator=generator) * 0.01
    return weight, bias


def esrgan_state_dict(scale: int = 2, filters: int = 8, blocks: int = 1, seed: int = 0) -> dict:
    """An ESRGAN (RRDB) state dict in the Real-ESRGAN layout, ``scale`` 2 or 4."""
    if scale not in (2, 4):
        raise ValueError("ESRGAN upscales 2x or 4x here")
    generator = torch.Generator().manual_seed(seed)
    state = {}

    def put(name: str, out_channels: int, in_channels: int, gain: float = 1.0) -> None:
        state[f"{name}.weight"], state[f"{name}.bias"] = _conv(generator, out_channels, in_channels, gain)

    put("conv_first", filters, 3)
    for block in range(blocks):
        for dense in (1, 2, 3):
            for k in range(1, 5):
                put(f"body.{block}.rdb{dense}.conv{k}", _GROWTH, filters + (k - 1) * _GROWTH)
            put(f"body.{block}.rdb{dense}.conv5", filters, filters + 4 * _GROWTH, gain=0.5)
    put("conv_body", filters, filters)
    for up in range(1, scale.bit_length()):  # one 2x upsampling convolution per doubling
        put(f"conv_up{up}", filters, filters)
    put("conv_hr", filters, filters)
    put("conv_last", 3, filters)
    state["conv_last.bias"] += 0.5  # around mid-grey, so little is clipped at 0 or 1
    return state


def compact_state_dict(scale: int = 2, filters: int = 8, convs: int = 2, seed: int = 0) -> dict:
    """A RealESRGAN Compact (SRVGG) state dict: ``convs`` hidden convolutions, ``scale`` 1-4."""
    generator = torch.Generator().manual_seed(seed)
    state = {}
    index = 0
    for in_channels in [3] + [filters] * convs:
        state[f"body.{index}.weight"], state[f"body.{index}.bias"] = _conv(generator, filters, in_channels)
        state[f"body.{index + 1}.weight"] = torch.full((filters,), 0.25)  # PReLU slopes
        index += 2
    last = _conv(generator, 3 * scale * scale, filters, gain=0.5)
    state[f"body.{index}.weight"], state[f"body.{index}.bias"] = last
    return state


def save(state: dict, path: Path) -> Path:
    """``state`` as ``path`` says: .safetensors, or a .pth written by torch.save (a plain dict
    of tensors, as most upscaler downloads are)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    else:
        torch.save(state, path)
    return path


def esrgan_file(path: Path, scale: int = 2, **options) -> Path:
    return save(esrgan_state_dict(scale, **options), path)


def compact_file(path: Path, scale: int = 2, **options) -> Path:
    return save(compact_state_dict(scale, **options), path)
