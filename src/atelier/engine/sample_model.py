"""A tiny Stable Diffusion 1.5-shaped pipeline with fixed random weights, for the selftest.

Built from the bundled tokenizer and scheduler config, so it needs no download and no model of
the user's; the same torch build makes the same weights, and so the same pixels, everywhere.
"""

from pathlib import Path

from .. import paths


def build_sample_sd15(folder: Path) -> Path:
    """Save the tiny pipeline as a diffusers folder at ``folder``; return it."""
    import torch
    from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from .single_file import load_tokenizers

    config = paths.resource_path("model-configs", "sd15")
    tokenizer = load_tokenizers(config)["tokenizer"]
    scheduler = PNDMScheduler.from_pretrained(config / "scheduler", local_files_only=True)
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=32, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=32, norm_num_groups=32,
    )
    vae = AutoencoderKL(
        block_out_channels=[32, 64], in_channels=3, out_channels=3, latent_channels=4, sample_size=64,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
    )
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37, num_attention_heads=4,
        num_hidden_layers=2, max_position_embeddings=77, projection_dim=32,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    ))
    pipe = StableDiffusionPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    pipe.save_pretrained(Path(folder), safe_serialization=True)
    return Path(folder)
