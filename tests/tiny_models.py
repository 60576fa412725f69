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


def build_sd15(folder: Path, seed: int = 0) -> Path:
    """Save a tiny StableDiffusionPipeline (SD 1.5 layout) to ``folder``; return it."""
    from diffusers import PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        norm_num_groups=32,
    )
    tokenizer = _clip_tokenizer()
    pipe = StableDiffusionPipeline(
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


def build_sdxl(folder: Path, seed: int = 0) -> Path:
    """Save a tiny StableDiffusionXLPipeline (two text encoders) to ``folder``; return it."""
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
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
        in_channels=4,
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
    pipe = StableDiffusionXLPipeline(
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
