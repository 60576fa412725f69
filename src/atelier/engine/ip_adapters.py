"""Reference images through IP-Adapters: each reference prompts with its style and content
through an IP-Adapter and the CLIP vision model ("image encoder") it was trained with.

The IP-Adapter's layers go into the shared UNet and the encoder onto the pipeline the request
calls; a request without references takes them out again (diffusers' unload_ip_adapter puts
back the UNet's plain attention), so that it makes the bare model's pixels. Encoders come as a
transformers folder (config.json beside the weights) or, as ComfyUI's models/clip_vision keeps
them, one .safetensors file whose architecture is read from its shapes."""

import io
from pathlib import Path

from ..core.errors import ModelError
from ..core.families import part_fits
from ..core.recipe import Adapter
from .fingerprint import model_fingerprint
from .registry import require_present

# The CLIP vision models IP-Adapters are trained with, by width: the attention heads and the
# activation (OpenAI's ViT-B/L use quick_gelu; OpenCLIP's ViT-H and ViT-bigG plain gelu). The
# other sizes a file's shapes give.
_VISION_MODELS = {768: (12, "quick_gelu"), 1024: (16, "quick_gelu"), 1280: (16, "gelu"), 1664: (16, "gelu")}
_ENCODER_HOME = "your models folder (ComfyUI keeps them in models/clip_vision)"
_APPLIED_KEY = "ip_adapters"  # in LoadedModel.applied: {"key": what is loaded, "pipe": the pipeline it is on}


def apply(ctx, loaded, pipe, references):
    """Load the IP-Adapters and the image encoder ``references`` use onto ``pipe`` (unloading
    what an earlier request loaded that differs) and return the call arguments (the reference
    images) and what the recipe records."""
    state = loaded.applied.setdefault(_APPLIED_KEY, {})
    if not references:
        _unload(state)
        return {}, []
    if not hasattr(pipe, "load_ip_adapter") or getattr(pipe, "unet", None) is None:
        raise ModelError(f"references: {loaded.info.id} ({loaded.info.pipeline}) takes no IP-Adapter here; "
                         "use an SD1.5 or SDXL model")
    parts = [_ip_adapter(ctx, loaded, use) for use in references]
    encoders = {use.encoder for use in references}
    if len(encoders) > 1:
        raise ModelError(f"references: use one image encoder for all of them, not {' and '.join(sorted(encoders))}")
    encoder_info = _encoder(ctx, references[0], parts[0])
    fingerprints = [model_fingerprint(info.path) for info in parts]
    encoder_fingerprint = model_fingerprint(encoder_info.path)
    key = (tuple(fingerprints), encoder_fingerprint)
    if state.get("key") != key or state.get("pipe") is not pipe:
        _unload(state)
        _load(loaded, pipe, parts, encoder_info)
        state.update(key=key, pipe=pipe)
    pipe.set_ip_adapter_scale([use.weight for use in references])
    adapters = [Adapter(kind="ip-adapter", name=info.name, fingerprint=fingerprint, weight=use.weight, id=use.model,
                        path=str(info.path))
                for use, info, fingerprint in zip(references, parts, fingerprints)]
    adapters.append(Adapter(kind="image-encoder", name=encoder_info.name, fingerprint=encoder_fingerprint,
                            id=references[0].encoder, path=str(encoder_info.path)))
    return {"ip_adapter_image": [_image(ctx, use.image) for use in references]}, adapters


def _ip_adapter(ctx, loaded, use):
    info = ctx.job.extra_models.get(use.model)
    if info is None or info.kind != "ip-adapter":
        what = "was not handed to the engine" if info is None else f"is a {info.kind}"
        raise ModelError(f"reference IP-Adapter {use.model}: {what}, not an IP-Adapter; choose one from "
                         "'atelier models --type ip-adapter'")
    if not part_fits(info.family, loaded.info.family):
        raise ModelError(f"reference IP-Adapter {use.model}: is for {info.family} models and {loaded.info.id} is a "
                         f"{loaded.info.family} model; choose an IP-Adapter of its family")
    require_present(info)
    if Path(info.path).suffix != ".safetensors":
        raise ModelError(f"{info.path}: IP-Adapters are read from .safetensors files only; convert it")
    return info


def _encoder(ctx, use, adapter):
    info = ctx.job.extra_models.get(use.encoder) if use.encoder else None
    if info is None or info.kind != "image-encoder":
        found = "" if info is None else f" ({use.encoder} is a {info.kind})"
        raise ModelError(f"the IP-Adapter {adapter.name} needs its image encoder (CLIP vision model){found}; put it "
                         f"in {_ENCODER_HOME} and choose it (see 'atelier models --type image-encoder')")
    require_present(info)
    return info


def _load(loaded, pipe, parts, encoder_info) -> None:
    encoder = _load_encoder(encoder_info, loaded, pipe.unet.device)
    # Registered first, so that diffusers takes this encoder and looks for none of its own.
    pipe.register_modules(image_encoder=encoder)
    try:
        pipe.load_ip_adapter([str(Path(info.path).parent) for info in parts], subfolder=[""] * len(parts),
                             weight_name=[Path(info.path).name for info in parts], image_encoder_folder=None,
                             local_files_only=True)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        pipe.unload_ip_adapter()
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        names = ", ".join(info.name for info in parts)
        raise ModelError(f"the IP-Adapter {names} cannot be used with {loaded.info.id} ({reason}); "
                         f"choose one made for {loaded.info.family} models") from exc


def _unload(state: dict) -> None:
    pipe = state.pop("pipe", None)
    state.pop("key", None)
    if pipe is not None:
        pipe.unload_ip_adapter()


def _load_encoder(info, loaded, device):
    """The CLIP vision model at ``info.path`` in the model's dtype on ``device``."""
    import torch
    from transformers import CLIPVisionModelWithProjection

    dtype = getattr(torch, loaded.dtype)
    path = Path(info.path)
    try:
        if path.is_dir():
            encoder = CLIPVisionModelWithProjection.from_pretrained(str(path), local_files_only=True,
                                                                    use_safetensors=True, dtype=dtype)
        else:
            encoder = _encoder_from_file(path)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: cannot be loaded as an image encoder ({reason}); give the CLIP vision model "
                         "the IP-Adapter was trained with") from exc
    return encoder.to(device=device, dtype=dtype).eval()


def _encoder_from_file(path: Path):
    """A CLIP vision model from one .safetensors file (transformers' key names), its
    architecture read from the tensors' shapes."""
    from safetensors.torch import load_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    tensors = load_file(str(path))
    prefix = "vision_model."
    try:
        width = tensors[f"{prefix}embeddings.class_embedding"].shape[0]
        patch = tensors[f"{prefix}embeddings.patch_embedding.weight"].shape[-1]
        positions = tensors[f"{prefix}embeddings.position_embedding.weight"].shape[0]
        projection = tensors["visual_projection.weight"].shape[0]
        intermediate = tensors[f"{prefix}encoder.layers.0.mlp.fc1.weight"].shape[0]
    except KeyError as exc:
        raise ValueError(f"no {exc.args[0]} in it: not a CLIP vision model with a projection") from None
    if width not in _VISION_MODELS:
        raise ValueError(f"a vision model {width} wide is none Atelier knows (ViT-B, ViT-L, ViT-H or ViT-bigG); "
                         "give its transformers folder (config.json and model.safetensors) instead")
    heads, activation = _VISION_MODELS[width]
    layers = len({key.split(".")[3] for key in tensors if key.startswith(f"{prefix}encoder.layers.")})
    config = CLIPVisionConfig(hidden_size=width, intermediate_size=intermediate, num_hidden_layers=layers,
                              num_attention_heads=heads, image_size=patch * round((positions - 1) ** 0.5),
                              patch_size=patch, projection_dim=projection, hidden_act=activation)
    encoder = CLIPVisionModelWithProjection(config)
    missing, _unexpected = encoder.load_state_dict(tensors, strict=False)  # old files keep position_ids
    if missing:
        raise ValueError(f"{missing[0]} is missing")
    return encoder


def _image(ctx, asset: str):
    from PIL import Image

    with Image.open(io.BytesIO(ctx.input_bytes(asset))) as image:
        return image.convert("RGB")
