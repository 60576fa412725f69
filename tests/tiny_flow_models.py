"""Tiny random SD3 and Flux pipelines, built in code (tokenizers included) and saved as
diffusers folders: the flow-matching families, for the tasks that must work on them too.

Sizes follow what each pipeline needs to run at all: the VAE's latent channels feed the
transformer (Flux packs 2x2 latent patches, so its transformer takes four times the VAE's
channels), the text encoders' widths feed the joint attention and the pooled projection."""

from pathlib import Path

import torch
from tiny_models import _clip_text_config, _clip_tokenizer

from atelier.engine.sample_model import tiny_t5_config, tiny_t5_tokenizer


def _flow_vae(latent_channels: int):
    from diffusers import AutoencoderKL

    # Two levels: a scale factor of 2, so a 64x64 picture is a 32x32 latent.
    return AutoencoderKL(block_out_channels=[16, 32], in_channels=3, out_channels=3,
                         down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2,
                         latent_channels=latent_channels, norm_num_groups=8, sample_size=64,
                         use_quant_conv=False, use_post_quant_conv=False, shift_factor=0.06, scaling_factor=1.5)


def build_sd3(folder: Path, seed: int = 0) -> Path:
    """Save a tiny StableDiffusion3Pipeline (two CLIPs and a T5, an MMDiT) to ``folder``. Its
    latents have SD3's 16 channels: the inpainting pipeline takes no other."""
    from diffusers import FlowMatchEulerDiscreteScheduler, SD3Transformer2DModel, StableDiffusion3Pipeline
    from transformers import CLIPTextModelWithProjection, T5EncoderModel

    torch.manual_seed(seed)
    tokenizer, tokenizer_2 = _clip_tokenizer(), _clip_tokenizer(pad_token="!")
    text_encoder = CLIPTextModelWithProjection(_clip_text_config(tokenizer, projection_dim=32))
    text_encoder_2 = CLIPTextModelWithProjection(_clip_text_config(tokenizer_2, projection_dim=32))
    t5_config = tiny_t5_config()
    t5_config.d_model = 64  # as wide as the two CLIPs' hidden states side by side
    t5 = T5EncoderModel(t5_config)
    transformer = SD3Transformer2DModel(
        sample_size=32, patch_size=1, in_channels=16, num_layers=1, attention_head_dim=8, num_attention_heads=4,
        caption_projection_dim=32, joint_attention_dim=64, pooled_projection_dim=64, out_channels=16)
    pipe = StableDiffusion3Pipeline(
        transformer=transformer, scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0), vae=_flow_vae(16),
        text_encoder=text_encoder, tokenizer=tokenizer, text_encoder_2=text_encoder_2, tokenizer_2=tokenizer_2,
        text_encoder_3=t5, tokenizer_3=tiny_t5_tokenizer())
    pipe.save_pretrained(Path(folder), safe_serialization=True)
    return Path(folder)


def build_flux(folder: Path, seed: int = 0) -> Path:
    """Save a tiny FluxPipeline (a CLIP for the pooled prompt, a T5 for the sequence) to ``folder``."""
    from diffusers import FlowMatchEulerDiscreteScheduler, FluxPipeline, FluxTransformer2DModel
    from transformers import CLIPTextModel, T5EncoderModel

    torch.manual_seed(seed)
    tokenizer = _clip_tokenizer()
    transformer = FluxTransformer2DModel(
        patch_size=1, in_channels=16, num_layers=1, num_single_layers=1, attention_head_dim=16,
        num_attention_heads=2, joint_attention_dim=16, pooled_projection_dim=32, axes_dims_rope=[4, 4, 8])
    pipe = FluxPipeline(
        transformer=transformer, scheduler=FlowMatchEulerDiscreteScheduler(), vae=_flow_vae(4),
        text_encoder=CLIPTextModel(_clip_text_config(tokenizer)), tokenizer=tokenizer,
        text_encoder_2=T5EncoderModel(tiny_t5_config()), tokenizer_2=tiny_t5_tokenizer())
    pipe.save_pretrained(Path(folder), safe_serialization=True)
    return Path(folder)
