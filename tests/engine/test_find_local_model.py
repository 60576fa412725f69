"""Which local model another tool's metadata names: by the cached fingerprint of its weights
(never hashing to find out), else by its name as A1111, ComfyUI or SwarmUI write it."""

import os
from pathlib import Path

from atelier.engine.fingerprint import cached_fingerprint, find_local_model, model_fingerprint
from atelier.engine.registry import ModelInfo


def model(path: Path) -> ModelInfo:
    return ModelInfo(path.stem if path.is_file() else path.name, path.stem if path.is_file() else path.name, path,
                     "image", "sd15", "StableDiffusionPipeline", 1, "folder", "single-file")


def test_only_a_fingerprint_already_made_is_read_and_a_changed_file_has_none(user_home, tmp_path):
    checkpoint = tmp_path / "a.safetensors"
    checkpoint.write_bytes(b"weights")
    folder = tmp_path / "pipe"
    (folder / "unet").mkdir(parents=True)
    (folder / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(b"unet")
    assert cached_fingerprint(checkpoint) is None and cached_fingerprint(folder) is None
    assert cached_fingerprint(tmp_path / "gone.safetensors") is None
    made = model_fingerprint(checkpoint), model_fingerprint(folder)
    assert (cached_fingerprint(checkpoint), cached_fingerprint(folder)) == made
    os.utime(checkpoint, ns=(1, 1))  # changed since it was hashed
    assert cached_fingerprint(checkpoint) is None


def test_a_hash_beats_a_name_and_names_match_without_folders_or_extension(user_home, tmp_path):
    first, second = tmp_path / "sd_xl_base_1.0.safetensors", tmp_path / "dreamshaper_8.safetensors"
    first.write_bytes(b"one")
    second.write_bytes(b"two")
    models = [model(first), model(second)]
    digest = model_fingerprint(second)
    assert find_local_model(models, "sd_xl_base_1.0", digest[:10].upper()) == models[1]
    assert find_local_model(models, None, digest) == models[1]
    assert find_local_model(models, "SDXL/sd_xl_base_1.0.safetensors", "0123456789") == models[0]  # ComfyUI
    assert find_local_model(models, "OfficialStableDiffusion/sd_xl_base_1.0", None) == models[0]  # SwarmUI
    assert find_local_model(models, "Dreamshaper_8", "not hex") == models[1]  # A1111
    assert find_local_model(models, "other", model_fingerprint(first)[:9]) is None  # too short to trust
