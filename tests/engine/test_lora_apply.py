"""LoRAs on a tiny SD1.5 pipeline, through the real runner: a LoRA changes the picture, weight 0
or none at all gives back the bare model's pixels in the same process (the cached pipeline
keeps its adapters), two at once, switching without reloading, what the recipe records, and
the refusals made before anything loads."""

import io

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from tiny_models import write_safetensors_header

from atelier.core.errors import ModelError
from atelier.core.tasks import TextToImageRequest
from atelier.core.tasks.adapters import LoraUse
from atelier.engine import loras, registry
from atelier.engine.events import Artifact, EngineOptions
from atelier.engine.fingerprint import model_fingerprint
from atelier.engine.loader import PipelineCache
from atelier.engine.runner import EngineJob, InProcessRunner, TaskContext
from atelier.models.hashes import file_hashes

SD15_LORA = {"modelspec.architecture": "stable-diffusion-v1/lora"}  # as real files carry it
_UNET_TARGETS = ("to_q", "to_k", "to_v", "to_out.0")
_TEXT_TARGETS = ("q_proj", "v_proj")


def _lora_tensors(prefix: str, model, targets, rank: int, generator) -> dict:
    """diffusers' (peft) layout: ``<prefix>.<layer>.lora_A.weight`` [rank, in] and ``lora_B``
    [out, rank], both random so the LoRA does change the layer."""
    tensors = {}
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Linear) and name.endswith(targets):
            tensors[f"{prefix}.{name}.lora_A.weight"] = torch.randn(rank, module.in_features, generator=generator)
            tensors[f"{prefix}.{name}.lora_B.weight"] = torch.randn(module.out_features, rank, generator=generator) * 0.5
    return tensors


@pytest.fixture(scope="module")
def lora_files(tmp_path_factory, sd15_dir) -> dict:
    """LoRA files for the tiny SD1.5 model, listed by the registry as kind "lora", family
    "sd15": ``a`` (UNet only), ``b`` (UNet and text encoder), ``c``; and refusable ones."""
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    folder = tmp_path_factory.mktemp("loras")
    unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(sd15_dir / "unet"))
    text_encoder = CLIPTextModel(CLIPTextConfig.from_pretrained(sd15_dir / "text_encoder"))
    files = {}
    for seed, name in enumerate(("a", "b", "c")):
        generator = torch.Generator().manual_seed(seed)
        tensors = _lora_tensors("unet", unet, _UNET_TARGETS, 4, generator)
        if name == "b":
            tensors |= _lora_tensors("text_encoder", text_encoder, _TEXT_TARGETS, 4, generator)
        save_file(tensors, str(folder / f"{name}.safetensors"), metadata=SD15_LORA)
        files[name] = registry.inspect_file(folder / f"{name}.safetensors")
    sdxl = {"modelspec.architecture": "stable-diffusion-xl-v1-base/lora"}
    files["xl"] = registry.inspect_file(write_safetensors_header(
        folder / "xl.safetensors", {"unet.mid_block.attentions.0.proj_in.lora_A.weight": ("F16", [4, 1280])}, sdxl))
    files["loha"] = registry.inspect_file(write_safetensors_header(
        folder / "loha.safetensors", {"lora_unet_mid_block_attentions_0_proj_in.hada_w1_a": ("F16", [32, 4])},
        SD15_LORA))
    files["misfit"] = registry.inspect_file(save_file_at(folder / "misfit.safetensors", {
        "unet.down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.lora_A.weight": torch.ones(4, 999),
        "unet.down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.lora_B.weight": torch.ones(64, 4)}))
    return files


def save_file_at(path, tensors, metadata=None):
    save_file(tensors, str(path), metadata=metadata)
    return path


def generate(loaded, lora_files, uses=(), prompt="a cat") -> tuple[np.ndarray, object, str]:
    """One 64x64, 2-step image on ``loaded`` through InProcessRunner, with the LoRAs ``uses``
    ((key in lora_files, weight)); its pixels, recipe and PNG ``parameters`` text."""
    cache = PipelineCache()
    cache.add(loaded)
    request = TextToImageRequest(prompt=prompt, seed=3, steps=2, width=64, height=64,
                                 loras=tuple(LoraUse(key, weight) for key, weight in uses))
    job = EngineJob(loaded.info, request, {}, {key: lora_files[key] for key, _ in uses})
    made = []
    InProcessRunner(cache).run(job, EngineOptions(device="cpu"),
                               lambda event: isinstance(event, Artifact) and made.append(event))
    [artifact] = made
    from PIL import Image

    with Image.open(io.BytesIO(artifact.data)) as image:
        return np.asarray(image.convert("RGB")), artifact.recipe, image.text["parameters"]


def test_the_registry_lists_the_test_loras_as_sd15_loras(lora_files):
    assert [(lora_files[k].kind, lora_files[k].family) for k in "abc"] == [("lora", "sd15")] * 3
    assert lora_files["xl"].family == "sdxl" and lora_files["loha"].note


def test_a_lora_changes_the_picture_and_weight_0_or_none_restores_the_bare_model(sd15, lora_files):
    bare, bare_recipe, _text = generate(sd15, lora_files)
    with_a, recipe, parameters = generate(sd15, lora_files, [("a", 0.8)])
    assert not np.array_equal(with_a, bare)
    assert np.array_equal(generate(sd15, lora_files)[0], bare)  # the cached pipeline is bare again
    assert np.array_equal(generate(sd15, lora_files, [("a", 0.8)])[0], with_a)
    assert np.array_equal(generate(sd15, lora_files, [("a", 0.0)])[0], bare)
    path = lora_files["a"].path
    [adapter] = recipe.adapters
    assert (adapter.kind, adapter.name, adapter.id, adapter.weight, adapter.path) == ("lora", "a", "a", 0.8, str(path))
    assert adapter.fingerprint == model_fingerprint(path) and len(adapter.fingerprint) == 64
    assert adapter.short_hash == file_hashes(path).lora_hash and len(adapter.short_hash) == 12
    assert bare_recipe.adapters == ()
    assert parameters.startswith("a cat, <lora:a:0.8>\n") and f'Lora hashes: "a: {adapter.short_hash}"' in parameters
    assert len(sd15.applied["loras"].files) == 1  # loaded once, kept across the jobs


def test_two_loras_at_once_and_switching_between_them(sd15, lora_files):
    only_a = generate(sd15, lora_files, [("a", 1.0)])[0]
    only_b = generate(sd15, lora_files, [("b", 1.0)])[0]
    both, recipe, _text = generate(sd15, lora_files, [("a", 1.0), ("b", 1.0)])
    assert not np.array_equal(only_a, only_b)
    assert not np.array_equal(both, only_a) and not np.array_equal(both, only_b)
    assert [(adapter.id, adapter.weight) for adapter in recipe.adapters] == [("a", 1.0), ("b", 1.0)]
    assert np.array_equal(generate(sd15, lora_files, [("a", 1.0)])[0], only_a)  # b (text encoder too) is off
    assert np.array_equal(generate(sd15, lora_files, [("b", 1.0)])[0], only_b)


def test_lora_tags_in_the_prompt_are_not_read_by_the_model(sd15, lora_files):
    tagged = generate(sd15, lora_files, prompt="a cat <lora:a:1>")[0]
    assert np.array_equal(tagged, generate(sd15, lora_files, prompt="a cat")[0])


def test_loras_not_used_lately_are_unloaded_beyond_a_few(sd15, lora_files, monkeypatch):
    monkeypatch.setattr(loras, "KEEP_UNUSED", 1)
    job = EngineJob(sd15.info, TextToImageRequest(prompt="a cat"), {}, {k: lora_files[k] for k in "abc"})
    ctx = TaskContext(job, EngineOptions(device="cpu"), None, lambda event: None, lambda: False)
    for key in "abc":
        loras.apply(ctx, sd15, [LoraUse(key)])
    names = {f"lora_{model_fingerprint(lora_files[k].path)[:16]}": k for k in "abc"}
    loaded = {names[name] for adapters in sd15.pipe.get_list_adapters().values() for name in adapters}
    assert loaded == {"b", "c"} and {names[name] for name in sd15.applied["loras"].files} == {"b", "c"}
    assert loras.apply(ctx, sd15, []) == []


def test_a_lora_that_fails_to_load_is_one_line_naming_the_file_and_leaves_nothing_behind(sd15, lora_files):
    assert lora_files["misfit"].family == "unknown"  # widths no family has: only loading can tell
    job = EngineJob(sd15.info, TextToImageRequest(prompt="a cat"), {}, lora_files)
    ctx = TaskContext(job, EngineOptions(device="cpu"), None, lambda event: None, lambda: False)
    with pytest.raises(ModelError) as error:
        loras.apply(ctx, sd15, [LoraUse("a"), LoraUse("misfit")])
    assert "misfit.safetensors" in str(error.value) and "\n" not in str(error.value)
    misfit = f"lora_{model_fingerprint(lora_files['misfit'].path)[:16]}"
    assert all(misfit not in adapters for adapters in sd15.pipe.get_list_adapters().values())
    [adapter] = loras.apply(ctx, sd15, [LoraUse("a")])
    assert adapter.id == "a"


@pytest.mark.parametrize(("key", "model_id", "words"), [
    ("xl", "xl", ["sdxl", "sd15", "xl.safetensors"]),
    ("loha", "loha", ["loha.safetensors", "LoHa"]),
    ("a", "missing", ["missing", "atelier models"]),
])
def test_a_lora_that_cannot_apply_is_refused_in_one_line_before_loading(sd15, lora_files, key, model_id, words):
    job = EngineJob(sd15.info, TextToImageRequest(prompt="a cat"), {}, {key: lora_files[key]})
    ctx = TaskContext(job, EngineOptions(device="cpu"), None, lambda event: None, lambda: False)
    before = dict(sd15.applied["loras"].files) if "loras" in sd15.applied else {}
    with pytest.raises(ModelError) as error:
        loras.apply(ctx, sd15, [LoraUse(model_id)])
    message = str(error.value)
    assert all(word in message for word in words) and "\n" not in message
    assert (dict(sd15.applied["loras"].files) if "loras" in sd15.applied else {}) == before
