"""A VAE in place of the model's own, per request: the model's own comes back, the very same
object, when a request names none. The VAE is set on the shared pipeline components, so every
task pipeline made from the model (``loaded.derived``) decodes with it too."""

import tempfile
from pathlib import Path

from ..core.errors import ModelError
from ..core.families import part_fits
from ..core.recipe import Adapter
from .fingerprint import model_fingerprint
from .registry import require_present

# A diffusers-layout VAE state dict (a renamed diffusion_pytorch_model.safetensors) rather than
# A1111's original layout ("encoder.down.0.block.0...").
_DIFFUSERS_KEY = "encoder.down_blocks.0.resnets.0.conv1.weight"
_APPLIED_KEY = "vae"  # in LoadedModel.applied: {"own": the model's VAE, "vae" and "fingerprint": the one loaded}


def apply(ctx, loaded, vae_id: str) -> list[Adapter]:
    """Decode with the VAE ``vae_id`` (one of ``ctx.job.extra_models``), or with the model's own
    for "". ModelError, in one line, for a part that is no VAE or is for another family."""
    state = loaded.applied.setdefault(_APPLIED_KEY, {})
    if not vae_id:
        if "own" in state:
            _set_vae(loaded, state["own"])
        return []
    info = ctx.job.extra_models.get(vae_id)
    if info is None:
        raise ModelError(f"vae {vae_id}: was not handed to the engine; choose it again (see 'atelier models --type vae')")
    if info.kind != "vae":
        raise ModelError(f"vae {vae_id}: is a {info.kind}, not a VAE; choose one from 'atelier models --type vae'")
    if not part_fits(info.family, loaded.info.family):
        raise ModelError(f"vae {vae_id}: is a VAE for {info.family} models and {loaded.info.id} is a "
                         f"{loaded.info.family} model; choose a VAE of its family")
    require_present(info)
    fingerprint = model_fingerprint(info.path)
    own = state.setdefault("own", loaded.pipe.vae)
    if state.get("fingerprint") != fingerprint:
        # One VAE besides the model's own is kept: artists switch VAEs rarely and each costs memory.
        state["vae"], state["fingerprint"] = _load(info, own, loaded), fingerprint
    _set_vae(loaded, state["vae"])
    return [Adapter(kind="vae", name=info.name, fingerprint=fingerprint, id=vae_id, path=str(info.path),
                    short_hash=fingerprint[:10] if info.format == "single-file" else "")]


def _load(info, own, loaded):
    """The VAE at ``info.path`` in the model's dtype and on its device; the model's own VAE
    config describes a single file, so nothing is looked up online."""
    import torch
    from diffusers import AutoencoderKL

    dtype = getattr(torch, loaded.dtype)
    path = Path(info.path)
    try:
        if path.is_dir():
            vae = AutoencoderKL.from_pretrained(str(path), local_files_only=True, use_safetensors=True,
                                                torch_dtype=dtype)
        elif _DIFFUSERS_KEY in _keys(path):
            from safetensors.torch import load_file

            vae = AutoencoderKL.from_config(own.config)
            vae.load_state_dict(load_file(path))
            vae.to(dtype=dtype)
        else:
            with tempfile.TemporaryDirectory() as config:
                own.save_config(config)
                vae = AutoencoderKL.from_single_file(str(path), config=config, local_files_only=True,
                                                     torch_dtype=dtype)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: cannot be used as the VAE of {loaded.info.id} ({reason}); "
                         f"choose a VAE made for {loaded.info.family} models") from exc
    vae.eval()
    # The memory mode the model was loaded with applies to its VAE too.
    if getattr(own, "use_tiling", False):
        vae.enable_tiling()
    if getattr(own, "use_slicing", False):
        vae.enable_slicing()
    return vae.to(own.device)


def _keys(path: Path) -> set[str]:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        return set(handle.keys())


def _set_vae(loaded, vae) -> None:
    for pipe in (loaded.pipe, *loaded.derived.values()):
        if getattr(pipe, "vae", None) is not vae:
            pipe.vae = vae
