"""Tiny random-weight diffusers pipelines, saved the way a user has them on disk.

Tests must never reach a model hub, so every component here is built from a
config in code (tokenizers included) and written with ``save_pretrained`` as
safetensors. The models are far too small to draw anything recognisable; they
exist so the loading, calling and saving paths run for real in well under a
second each.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch

# The SD 1.x / SDXL noise schedule; schedulers default to a different one.
_SD_BETAS = {
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "num_train_timesteps": 1000,
}

_BOS = "<|startoftext|>"
_EOS = "<|endoftext|>"
# A few merges so common test prompts become whole-word tokens, not only bytes.
_MERGES = [
    ("c", "a"),
    ("ca", "t</w>"),
    ("o", "f</w>"),
    ("p", "h"),
    ("o", "t"),
    ("ph", "ot"),
    ("phot", "o</w>"),
]
_CLIP_TEXT = {
    "hidden_size": 32,
    "intermediate_size": 37,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "max_position_embeddings": 77,
}


def _byte_chars() -> list[str]:
    """The 256 printable stand-ins for bytes used by byte-level BPE (GPT-2/CLIP).

    Printable bytes map to themselves, the rest to code points from 256 up; the
    order matches CLIP's vocabulary, so "!" gets id 0 as in the real one.
    """
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    others = [b for b in range(256) if b not in printable]
    return [chr(b) for b in printable] + [chr(256 + i) for i in range(len(others))]


def _clip_vocab() -> dict[str, int]:
    chars = _byte_chars()
    tokens = [*chars, *(c + "</w>" for c in chars), *("".join(m) for m in _MERGES), _BOS, _EOS]
    return {token: i for i, token in enumerate(tokens)}


def _clip_tokenizer(pad_token: str = _EOS):
    """A CLIP tokenizer over a byte-level vocabulary, with no download.

    It is loaded from vocab.json/merges.txt written to a scratch folder because
    that is the one construction transformers 4 and 5 both honour (5 ignores
    ``vocab_file=``; 4 has no ``vocab=``).
    """
    from transformers import CLIPTokenizer

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "vocab.json").write_text(json.dumps(_clip_vocab()), encoding="utf-8")
        merges = "".join(f"{a} {b}\n" for a, b in _MERGES)
        (root / "merges.txt").write_text("#version: 0.2\n" + merges, encoding="utf-8")
        return CLIPTokenizer.from_pretrained(root, pad_token=pad_token, model_max_length=77)


def _clip_text_config(tokenizer, **extra):
    """Text encoder config whose vocabulary and special ids match ``tokenizer``.

    The pooled output is read at the first ``eos_token_id``, so a mismatch would
    silently pool the wrong position.
    """
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **_CLIP_TEXT,
        **extra,
    )


# An inpainting UNet reads the noisy latents (4), the mask (1) and the masked picture's latents (4).
_INPAINT_CHANNELS = 9


def _vae():
    from diffusers import AutoencoderKL

    # Two levels give a scale factor of 2: a 64x64 image is a 32x32 latent,
    # which matches the UNets' sample_size.
    return AutoencoderKL(
        block_out_channels=[32, 64],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
        latent_channels=4,
        sample_size=64,
    )


def build_sd15(folder: Path, seed: int = 0, inpaint: bool = False) -> Path:
    """Save a tiny StableDiffusionPipeline (SD 1.5 layout) to ``folder``; return it. ``inpaint``:
    an inpainting checkpoint instead (a StableDiffusionInpaintPipeline whose UNet also reads the
    mask and the masked picture's latents: 9 input channels)."""
    import diffusers
    from diffusers import PNDMScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=_INPAINT_CHANNELS if inpaint else 4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        norm_num_groups=32,
    )
    tokenizer = _clip_tokenizer()
    pipeline_class = diffusers.StableDiffusionInpaintPipeline if inpaint else diffusers.StableDiffusionPipeline
    pipe = pipeline_class(
        vae=_vae(),
        text_encoder=CLIPTextModel(_clip_text_config(tokenizer)),
        tokenizer=tokenizer,
        unet=unet,
        # Same settings as the real SD 1.5 scheduler_config.json.
        scheduler=PNDMScheduler(**_SD_BETAS, skip_prk_steps=True, set_alpha_to_one=False, steps_offset=1),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    folder = Path(folder)
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def build_sdxl(folder: Path, seed: int = 0, inpaint: bool = False) -> Path:
    """Save a tiny StableDiffusionXLPipeline (two text encoders) to ``folder``; return it.
    ``inpaint``: a StableDiffusionXLInpaintPipeline with a 9-channel UNet instead."""
    import diffusers
    from diffusers import EulerDiscreteScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(seed)
    tokenizer = _clip_tokenizer()
    # SDXL's second tokenizer pads with "!" (id 0), not with the end token.
    tokenizer_2 = _clip_tokenizer(pad_token="!")
    text_encoder = CLIPTextModel(_clip_text_config(tokenizer))
    text_encoder_2 = CLIPTextModelWithProjection(_clip_text_config(tokenizer_2, projection_dim=32))
    time_embed_dim = 8
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=_INPAINT_CHANNELS if inpaint else 4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        # The UNet sees both encoders' hidden states concatenated...
        cross_attention_dim=text_encoder.config.hidden_size + text_encoder_2.config.hidden_size,
        # ...and gets the pooled second-encoder embedding plus six size/crop
        # numbers (original size, crop top-left, target size), each embedded.
        addition_embed_type="text_time",
        addition_time_embed_dim=time_embed_dim,
        projection_class_embeddings_input_dim=6 * time_embed_dim + text_encoder_2.config.projection_dim,
        transformer_layers_per_block=(1, 2),
        norm_num_groups=1,
    )
    pipeline_class = diffusers.StableDiffusionXLInpaintPipeline if inpaint else diffusers.StableDiffusionXLPipeline
    pipe = pipeline_class(
        vae=_vae(),
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=tokenizer,
        tokenizer_2=tokenizer_2,
        unet=unet,
        # Same settings as the real SDXL base scheduler_config.json.
        scheduler=EulerDiscreteScheduler(**_SD_BETAS, steps_offset=1, timestep_spacing="leading"),
        add_watermarker=False,
    )
    folder = Path(folder)
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def build_hf_cache_model(cache_root: Path, repo_id: str, builder: Callable[[Path], Path]) -> Path:
    """Lay out ``repo_id`` in a Hugging Face hub cache under ``cache_root``; return its snapshot.

    ``builder(folder)`` writes the model files (e.g. ``build_sd15``). As the hub
    does, file contents go to ``blobs/<sha256>``, ``snapshots/<commit>/...``
    holds relative symlinks to them, and ``refs/main`` names the commit with no
    trailing newline. Where symlinks are not allowed (Windows without developer
    mode) the snapshot holds plain copies, which is also what the hub falls back to.
    """
    repo = Path(cache_root) / ("models--" + repo_id.replace("/", "--"))
    blobs = repo / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        built = Path(builder(Path(scratch) / "model"))
        files = sorted(p for p in built.rglob("*") if p.is_file())
        digests = {p.relative_to(built).as_posix(): _sha256(p) for p in files}
        # A fake but stable commit: the same repo and content give the same hash.
        listing = json.dumps([repo_id, sorted(digests.items())]).encode()
        commit = hashlib.sha1(listing).hexdigest()
        snapshot = repo / "snapshots" / commit
        for path in files:
            rel = path.relative_to(built).as_posix()
            blob = blobs / digests[rel]
            if not blob.exists():
                shutil.move(path, blob)
            entry = snapshot / rel
            # The commit hashes the content, so an existing entry is already right.
            if entry.is_symlink() or entry.exists():
                continue
            entry.parent.mkdir(parents=True, exist_ok=True)
            try:
                entry.symlink_to(os.path.relpath(blob, entry.parent))
            except OSError:
                shutil.copyfile(blob, entry)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(commit, encoding="ascii")
    return snapshot


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_audio_model_index(folder: Path) -> Path:
    """Write only the model_index.json of an AudioLDM2 model to ``folder``; return it.

    For tests that an image command refuses an audio model from its index alone,
    before any weights would be loaded (there are none).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # Component entries as in cvssp/audioldm2's model_index.json.
    index = {
        "_class_name": "AudioLDM2Pipeline",
        "_diffusers_version": "0.21.0",
        "feature_extractor": ["transformers", "ClapFeatureExtractor"],
        "language_model": ["transformers", "GPT2Model"],
        "projection_model": ["audioldm2", "AudioLDM2ProjectionModel"],
        "scheduler": ["diffusers", "DDIMScheduler"],
        "text_encoder": ["transformers", "ClapModel"],
        "text_encoder_2": ["transformers", "T5EncoderModel"],
        "tokenizer": ["transformers", "RobertaTokenizerFast"],
        "tokenizer_2": ["transformers", "T5TokenizerFast"],
        "unet": ["audioldm2", "AudioLDM2UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
        "vocoder": ["transformers", "SpeechT5HifiGan"],
    }
    (folder / "model_index.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    return folder


# --- Single-file checkpoints ---------------------------------------------------------------
# The original Stable Diffusion (LDM) layout, as A1111 and ComfyUI keep a model in one file.
# Only the names differ from the diffusers layout (and the VAE attention's 1x1-convolution
# shapes), so a checkpoint written from a tiny pipeline loads back to the same weights.

_LDM_UNET_TOP = {
    "conv_in": "input_blocks.0.0",
    "time_embedding.linear_1": "time_embed.0",
    "time_embedding.linear_2": "time_embed.2",
    "conv_norm_out": "out.0",
    "conv_out": "out.2",
}
_LDM_UNET_RESNET = {
    "norm1": "in_layers.0",
    "conv1": "in_layers.2",
    "time_emb_proj": "emb_layers.1",
    "norm2": "out_layers.0",
    "conv2": "out_layers.3",
    "conv_shortcut": "skip_connection",
}
_LDM_VAE_ATTENTION = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}


def write_sd15_checkpoint(model_dir: Path, path: Path) -> Path:
    """Write the SD 1.x pipeline folder ``model_dir`` (e.g. from ``build_sd15``) as one
    original-layout ``.safetensors`` checkpoint at ``path``; return ``path``."""
    from safetensors.torch import load_file, save_file

    model_dir = Path(model_dir)
    unet_config = json.loads((model_dir / "unet" / "config.json").read_text(encoding="utf-8"))
    vae_config = json.loads((model_dir / "vae" / "config.json").read_text(encoding="utf-8"))
    tensors = {}
    for key, value in load_file(model_dir / "unet" / "diffusion_pytorch_model.safetensors").items():
        tensors["model.diffusion_model." + _ldm_unet_key(key, unet_config)] = value
    for key, value in load_file(model_dir / "vae" / "diffusion_pytorch_model.safetensors").items():
        if ".mid_block.attentions." in key and value.ndim == 2:
            value = value[:, :, None, None]  # LDM's VAE attention projects with 1x1 convolutions
        tensors["first_stage_model." + _ldm_vae_key(key, len(vae_config["block_out_channels"]))] = value
    for key, value in load_file(model_dir / "text_encoder" / "model.safetensors").items():
        # transformers >= 5.6 saves CLIPTextModel without its "text_model." level; LDM keeps it.
        tensors["cond_stage_model.transformer.text_model." + key.removeprefix("text_model.")] = value
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, path)
    return path


def write_a1111_vae(vae_dir: Path, path: Path) -> Path:
    """Write the diffusers VAE folder ``vae_dir`` as one original-layout ``.safetensors`` file,
    as A1111's models/VAE keeps them (no "first_stage_model." prefix); return ``path``."""
    from safetensors.torch import load_file, save_file

    vae_dir = Path(vae_dir)
    levels = len(json.loads((vae_dir / "config.json").read_text(encoding="utf-8"))["block_out_channels"])
    tensors = {}
    for key, value in load_file(vae_dir / "diffusion_pytorch_model.safetensors").items():
        if ".mid_block.attentions." in key and value.ndim == 2:
            value = value[:, :, None, None]
        tensors[_ldm_vae_key(key, levels)] = value.contiguous()
    save_file(tensors, Path(path))
    return Path(path)


def _ldm_unet_key(key: str, config: dict) -> str:
    for name, ldm in _LDM_UNET_TOP.items():
        if key.startswith(name + "."):
            return ldm + key[len(name):]
    parts = key.split(".")
    # LDM numbers the UNet's blocks in one flat list per side: each level has
    # layers_per_block (resnet[, attention]) slots, plus one for its down- or upsampler.
    per_level = config["layers_per_block"] + 1
    if parts[0] == "mid_block":
        kind, index, rest = parts[1], int(parts[2]), parts[3:]
        slot = 1 if kind == "attentions" else 2 * index
        return f"middle_block.{slot}." + _ldm_unet_inner(kind, rest)
    level, kind, index, rest = int(parts[1]), parts[2], int(parts[3]), parts[4:]
    if parts[0] == "down_blocks":
        if kind == "downsamplers":  # rest: conv.<weight|bias>
            return f"input_blocks.{(level + 1) * per_level}.0.op.{rest[-1]}"
        slot = 1 + level * per_level + index
        return f"input_blocks.{slot}.{int(kind == 'attentions')}." + _ldm_unet_inner(kind, rest)
    if kind == "upsamplers":  # after the resnet, and after the attention where there is one
        slot = 2 if config["up_block_types"][level].startswith("CrossAttn") else 1
        return f"output_blocks.{level * per_level + per_level - 1}.{slot}.conv.{rest[-1]}"
    return f"output_blocks.{level * per_level + index}.{int(kind == 'attentions')}." + _ldm_unet_inner(kind, rest)


def _ldm_unet_inner(kind: str, rest: list[str]) -> str:
    if kind == "resnets":
        rest = [_LDM_UNET_RESNET[rest[0]], *rest[1:]]
    return ".".join(rest)  # attention blocks keep their names


def _ldm_vae_key(key: str, levels: int) -> str:
    parts = key.split(".")
    if parts[0] in ("quant_conv", "post_quant_conv") or parts[1] in ("conv_in", "conv_out"):
        return key
    coder, rest = parts[0], parts[1:]
    if rest[0] == "conv_norm_out":
        return f"{coder}.norm_out.{rest[-1]}"
    if rest[0] == "mid_block":
        kind, index, inner = rest[1], int(rest[2]), rest[3:]
        if kind == "resnets":
            return f"{coder}.mid.block_{index + 1}." + _ldm_vae_resnet(inner)
        return f"{coder}.mid.attn_1.{_LDM_VAE_ATTENTION['.'.join(inner[:-1])]}.{inner[-1]}"
    block, kind = int(rest[1]), rest[2]
    # LDM numbers the decoder's levels from the full-resolution end, diffusers from the other.
    prefix = f"{coder}.down.{block}" if rest[0] == "down_blocks" else f"{coder}.up.{levels - 1 - block}"
    if kind == "downsamplers":
        return f"{prefix}.downsample.conv.{rest[-1]}"
    if kind == "upsamplers":
        return f"{prefix}.upsample.conv.{rest[-1]}"
    return f"{prefix}.block.{rest[3]}." + _ldm_vae_resnet(rest[4:])


def _ldm_vae_resnet(inner: list[str]) -> str:
    return ".".join(["nin_shortcut" if inner[0] == "conv_shortcut" else inner[0], *inner[1:]])


def write_safetensors_header(path: Path, tensors: dict[str, tuple[str, list[int]]],
                             metadata: dict[str, str] | None = None) -> Path:
    """Write a ``.safetensors`` file with these (dtype, shape) tensors whose data is all zeros,
    as a sparse file: headers of multi-GB checkpoints cost nothing to fake."""
    sizes = {"F16": 2, "BF16": 2, "F32": 4}
    header: dict = {"__metadata__": metadata} if metadata else {}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        length = sizes[dtype]
        for dim in shape:
            length *= dim
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + length]}
        offset += length
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)  # safetensors pads the header to 8 bytes
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(len(raw).to_bytes(8, "little") + raw)
        f.truncate(8 + len(raw) + offset)
    return path


def with_pickle_weights(model_dir: Path, folder: Path, component: str = "unet") -> Path:
    """Copy the pipeline folder ``model_dir`` to ``folder`` with ``component``'s weights saved as
    a pickle (``torch.save``) ``.bin`` instead of safetensors, as older models ship; return it."""
    from safetensors.torch import load_file

    folder = Path(shutil.copytree(model_dir, folder))
    for weights in sorted((folder / component).glob("*.safetensors")):
        torch.save(load_file(weights), weights.with_suffix(".bin"))
        weights.unlink()
    return folder


def build_controlnet(model_dir: Path, folder: Path, seed: int = 0) -> Path:
    """Save a tiny ControlNetModel for the pipeline folder ``model_dir`` (a copy of its UNet's
    encoder, as ControlNets are made) to ``folder`` as a diffusers folder; return it. A new
    ControlNet adds nothing (its last convolutions are zeros until trained), so those get random
    weights: this one steers the model."""
    from diffusers import ControlNetModel, UNet2DConditionModel

    # The control image is brought to the latents' size by stride-2 convolutions, one per step of
    # the conditioning embedding: one here, for the tiny VAE's scale of 2 (real ones: three, 8).
    controlnet = ControlNetModel.from_unet(UNet2DConditionModel.from_pretrained(Path(model_dir) / "unet"),
                                           conditioning_embedding_out_channels=(16, 32))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in controlnet.parameters():
            if not parameter.any():
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3)
    controlnet.save_pretrained(folder, safe_serialization=True)
    return Path(folder)


def build_union_controlnet(model_dir: Path, folder: Path, seed: int = 0) -> Path:
    """Save a tiny ControlNetUnionModel for the SDXL pipeline folder ``model_dir`` to ``folder``
    as a diffusers folder; return it. Made as ``build_controlnet`` makes a plain one, with the
    control-type transformer as wide as the UNet's first block (real ones: 320, as SDXL's)."""
    from diffusers import ControlNetUnionModel, UNet2DConditionModel

    unet = UNet2DConditionModel.from_pretrained(Path(model_dir) / "unet")
    copied = ControlNetUnionModel.from_unet(unet, conditioning_embedding_out_channels=(16, 32))
    width = unet.config.block_out_channels[0]
    # Without the defaults from_unet recorded, which from_config would apply over these.
    config = {key: value for key, value in copied.config.items() if key != "_use_default_values"}
    controlnet = ControlNetUnionModel.from_config(
        {**config, "num_trans_channel": width, "num_trans_head": 2, "num_proj_channel": width})
    # The UNet's encoder as from_unet copied it; the control-type transformer keeps its own init.
    shaped = {key: value for key, value in copied.state_dict().items()
              if controlnet.state_dict()[key].shape == value.shape}
    controlnet.load_state_dict(shaped, strict=False)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in controlnet.parameters():
            if not parameter.any():
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3)
    controlnet.save_pretrained(folder, safe_serialization=True)
    return Path(folder)


def write_controlnet_file(controlnet_dir: Path, path: Path, metadata: dict[str, str] | None = None) -> Path:
    """Write the ControlNet folder ``controlnet_dir`` (from ``build_controlnet``) as one
    ``.safetensors`` file in the original layout, as A1111's ControlNet 1.1 files are (the UNet
    encoder's LDM names, ``input_hint_block``, ``zero_convs``, ``middle_block_out``); return ``path``."""
    from safetensors.torch import load_file, save_file

    config = json.loads((Path(controlnet_dir) / "config.json").read_text(encoding="utf-8"))
    tensors = {}
    for key, value in load_file(Path(controlnet_dir) / "diffusion_pytorch_model.safetensors").items():
        tensors[_ldm_controlnet_key(key, config)] = value
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, path, metadata=metadata)
    return path


def _ldm_controlnet_key(key: str, config: dict) -> str:
    parts = key.split(".")
    if parts[0] == "controlnet_cond_embedding":
        # The original's input_hint_block is one nn.Sequential, a SiLU after each convolution:
        # the last convolution is number 14 in every published file, and diffusers reads it there.
        slot = {"conv_in": 0, "conv_out": 14}.get(parts[1])
        if slot is None:  # blocks.N: the convolutions between
            slot = 2 * (int(parts[2]) + 1)
        return f"input_hint_block.{slot}.{parts[-1]}"
    if parts[0] == "controlnet_down_blocks":
        return f"zero_convs.{parts[1]}.0.{parts[-1]}"
    if parts[0] == "controlnet_mid_block":
        return f"middle_block_out.0.{parts[-1]}"
    return _ldm_unet_key(key, config)


def build_sd_upscale(folder: Path, seed: int = 0) -> Path:
    """Save a tiny StableDiffusionUpscalePipeline (the SD x4 upscaler's layout) to ``folder``;
    return it. Its UNet reads the noisy latents (4) beside the low-resolution picture (3) and
    takes the noise level as a class label; its three-level VAE decodes latents the picture's
    size into a picture 4 times larger."""
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        DDPMScheduler,
        StableDiffusionUpscalePipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextModel

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(16, 16, 32),
        layers_per_block=1,
        sample_size=32,
        in_channels=7,
        out_channels=4,
        # Attention only at the coarsest level: a 128 px tile is a 128 x 128 latent.
        down_block_types=("DownBlock2D", "DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        norm_num_groups=8,
        num_class_embeds=1000,
    )
    vae = AutoencoderKL(
        block_out_channels=[8, 16, 16],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 3,
        up_block_types=["UpDecoderBlock2D"] * 3,
        latent_channels=4,
        norm_num_groups=8,
        mid_block_add_attention=False,
        scaling_factor=0.08333,  # the x4 upscaler's; the pipeline rewrites any other value
    )
    tokenizer = _clip_tokenizer()
    pipe = StableDiffusionUpscalePipeline(
        vae=vae,
        text_encoder=CLIPTextModel(_clip_text_config(tokenizer)),
        tokenizer=tokenizer,
        unet=unet,
        low_res_scheduler=DDPMScheduler(num_train_timesteps=1000),
        scheduler=DDIMScheduler(**_SD_BETAS, clip_sample=False, set_alpha_to_one=False, steps_offset=1),
        safety_checker=None,
        feature_extractor=None,
        watermarker=None,
        max_noise_level=350,
    )
    folder = Path(folder)
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder
