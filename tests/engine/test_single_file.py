"""Single-file .safetensors checkpoints: found and classified from their headers, loaded offline
around a bundled config folder, and the bundled configs themselves."""

import builtins
import hashlib
import io
import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import tiny_models
from engine_driver import generate_images

from atelier import paths
from atelier.core.errors import ModelError
from atelier.core.tasks import TextToImageRequest
from atelier.engine import registry, single_file
from atelier.engine.fingerprint import model_fingerprint
from atelier.engine.loader import load_pipeline, require_text_to_image
from atelier.engine.single_file import load_tokenizers

CONFIGS = paths.resource_path("model-configs")
CAT_IDS = [49406, 320, 1125, 539, 320, 2368, 49407]  # "a photo of a cat" with OpenAI's CLIP BPE


@pytest.fixture(scope="module")
def checkpoint(sd15_dir, tmp_path_factory) -> Path:
    """The tiny SD 1.5 pipeline as one original-layout checkpoint."""
    return tiny_models.write_sd15_checkpoint(sd15_dir, tmp_path_factory.mktemp("ckpt") / "tiny-sd15.safetensors")


@pytest.fixture
def tiny_config(sd15_dir, tmp_path, monkeypatch) -> Path:
    """The tiny pipeline's configs without its weights, standing in for the bundled sd15 folder."""
    folder = shutil.copytree(sd15_dir, tmp_path / "config", ignore=shutil.ignore_patterns("*.safetensors"))
    monkeypatch.setattr(single_file, "single_file_config", lambda family: Path(folder))
    return Path(folder)


# --- Discovery --------------------------------------------------------------------------------


class _ReadCounter:
    """Counts the bytes read from each file opened while it is installed."""

    def __init__(self, monkeypatch):
        self.bytes: dict[str, int] = {}
        real_open = io.open

        def counting_open(file, mode="r", *args, **kwargs):
            handle = real_open(file, mode, *args, **kwargs)
            if "b" in mode and "r" in mode:
                return _Counted(handle, self.bytes, str(file))
            return handle

        monkeypatch.setattr(builtins, "open", counting_open)
        monkeypatch.setattr(io, "open", counting_open)


class _Counted:
    def __init__(self, handle, counts, name):
        self._handle, self._counts, self._name = handle, counts, name

    def read(self, size=-1):
        data = self._handle.read(size)
        self._counts[self._name] = self._counts.get(self._name, 0) + len(data)
        return data

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.close()

    def __getattr__(self, name):
        return getattr(self._handle, name)


def test_scan_lists_a_checkpoint_from_its_header_alone(user_home, checkpoint, monkeypatch):
    a1111 = user_home / "webui" / "models"
    (a1111 / "Stable-diffusion").mkdir(parents=True)
    placed = Path(shutil.copy(checkpoint, a1111 / "Stable-diffusion" / "tiny-sd15.safetensors"))
    header_bytes = 8 + int.from_bytes(placed.read_bytes()[:8], "little")
    counter = _ReadCounter(monkeypatch)

    result = registry.scan([str(a1111)])

    [model] = result.models
    assert result.problems == []
    assert (model.id, model.family, model.kind, model.format) == ("tiny-sd15", "sd15", "image", "single-file")
    assert model.pipeline == "StableDiffusionPipeline" and model.path == placed
    assert model.size_bytes == placed.stat().st_size
    assert model.to_dict()["format"] == "single-file"
    # Only the header was read: never the tensors, so hundreds of big files list quickly.
    assert 0 < counter.bytes[str(placed)] <= header_bytes < model.size_bytes


def test_scan_lists_loras_vaes_as_parts_and_skips_files_inside_diffusers_folders(user_home, sd15_dir):
    models = paths.models_dir()
    tiny_models.write_safetensors_header(models / "Lora" / "style.safetensors", {
        "lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight": ("F16", [4, 320, 1, 1]),
    })
    tiny_models.write_safetensors_header(models / "VAE" / "vae.safetensors", {
        "encoder.conv_in.weight": ("F16", [128, 3, 3, 3]),
        "decoder.conv_out.weight": ("F16", [3, 128, 3, 3]),
    })
    tiny_models.write_safetensors_header(models / "embeddings" / "word.safetensors", {
        "emb_params": ("F32", [1, 768]),
    })
    shutil.copytree(sd15_dir, models / "diffusers" / "tiny")  # holds .safetensors of its own

    result = registry.scan()

    assert [(m.id, m.format) for m in result.models if m.kind == "image"] == [("tiny", "diffusers")]
    assert sorted((m.id, m.kind) for m in result.models if m.kind != "image") == [
        ("style", "lora"), ("vae", "vae"), ("word", "embedding")]
    assert result.problems == []


def _sd_unet(in_channels=4, context=768):
    return {
        "model.diffusion_model.input_blocks.0.0.weight": ("F16", [320, in_channels, 3, 3]),
        "model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight": ("F16", [640, context]),
        "first_stage_model.decoder.conv_out.weight": ("F16", [3, 128, 3, 3]),
    }


_CLIP_L = {"cond_stage_model.transformer.text_model.embeddings.token_embedding.weight": ("F16", [49408, 768])}
_OPENCLIP_H = {"cond_stage_model.model.token_embedding.weight": ("F16", [49408, 1024])}
_SDXL_TEXT = {
    "conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight": ("F16", [49408, 768]),
    "conditioner.embedders.1.model.token_embedding.weight": ("F16", [49408, 1280]),
}


@pytest.mark.parametrize(
    "tensors, metadata, family",
    [
        ({**_sd_unet(), **_CLIP_L}, None, "sd15"),
        ({**_sd_unet(9), **_CLIP_L}, None, "sd15-inpaint"),
        ({**_sd_unet(context=1024), **_OPENCLIP_H}, None, "sd2"),
        ({**_sd_unet(context=2048), **_SDXL_TEXT}, None, "sdxl"),
        ({**_sd_unet(9, 2048), **_SDXL_TEXT}, None, "sdxl-inpaint"),
        ({"model.diffusion_model.joint_blocks.0.x_block.attn.qkv.weight": ("F16", [4608, 1536])}, None, "sd3"),
        ({"double_blocks.0.img_attn.qkv.weight": ("BF16", [9216, 3072])}, None, "flux"),
        # modelspec metadata wins over the key tests.
        ({**_sd_unet(context=2048), **_CLIP_L}, {"modelspec.architecture": "stable-diffusion-xl-v1-base"}, "sdxl"),
        # A UNet with no text encoder Atelier knows, or an input it does not (instruct-pix2pix):
        # listed as unknown, never guessed to be SD 1.5.
        (_sd_unet(), None, "unknown"),
        ({**_sd_unet(8), **_CLIP_L}, None, "unknown"),
    ],
    ids=["sd15", "sd15-inpaint", "sd2", "sdxl", "sdxl-inpaint", "sd3", "flux", "modelspec", "no-text-encoder",
         "8-channels"],
)
def test_family_from_header(tmp_path, tensors, metadata, family):
    path = tiny_models.write_safetensors_header(tmp_path / "model.safetensors", tensors, metadata)
    info = registry.inspect_file(path)
    assert (info.family, info.format, info.kind) == (family, "single-file", "image")
    assert info.pipeline == single_file.PIPELINES.get(family, "")


def test_modelspec_lora_is_not_a_checkpoint(tmp_path):
    path = tiny_models.write_safetensors_header(
        tmp_path / "adapter.safetensors", {**_sd_unet(context=2048), **_SDXL_TEXT},
        {"modelspec.architecture": "stable-diffusion-xl-v1-base/lora"},
    )
    assert registry.inspect_file(path) is None
    with pytest.raises(ModelError, match="holds no diffusion model"):
        registry.resolve(str(path))


def test_broken_checkpoints_become_problem_lines(user_home, checkpoint):
    models = paths.models_dir()
    models.mkdir(parents=True)
    good = shutil.copy(checkpoint, models / "good.safetensors")
    data = Path(good).read_bytes()
    (models / "cut-header.safetensors").write_bytes(data[:200])
    (models / "cut-body.safetensors").write_bytes(data[: len(data) // 2])
    (models / "garbled.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    (models / "empty.safetensors").write_bytes(b"")

    result = registry.scan()

    assert [m.id for m in result.models] == ["good"]
    problems = {Path(p.split(":")[0]).name: p for p in result.problems}
    assert set(problems) == {"cut-header.safetensors", "cut-body.safetensors", "garbled.safetensors",
                             "empty.safetensors"}
    assert "truncated" in problems["cut-header.safetensors"]
    assert "truncated" in problems["cut-body.safetensors"]
    assert "not a safetensors file" in problems["garbled.safetensors"]
    assert all("\n" not in p for p in result.problems)


def test_pickles_are_listed_with_a_note_and_never_unpickled(user_home, monkeypatch):
    import torch

    def refuse(*_args, **_kwargs):
        raise AssertionError("a pickle checkpoint was unpickled")

    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    folder = paths.models_dir() / "Stable-diffusion"
    folder.mkdir(parents=True)
    (folder / "old.ckpt").write_bytes(pickle.dumps({"state_dict": {}}))
    (folder / "older.pt").write_bytes(pickle.dumps({}))
    (paths.models_dir() / "loras").mkdir()
    (paths.models_dir() / "loras" / "ink.bin").write_bytes(pickle.dumps({}))
    (paths.models_dir() / "stray.pth").write_bytes(pickle.dumps({}))

    result = registry.scan()

    assert result.problems == []
    listed = {m.id: (m.kind, m.family, m.format, m.note) for m in result.models}
    note = "pickle: convert to safetensors to use it"
    assert listed == {"old": ("image", "unknown", "pickle", note), "older": ("image", "unknown", "pickle", note),
                      "ink": ("lora", "unknown", "pickle", note), "stray": ("unknown", "unknown", "pickle", note)}
    with pytest.raises(ModelError, match="pickle checkpoints are not loaded"):
        registry.resolve(str(folder / "old.ckpt"))
    with pytest.raises(ModelError, match="pickle checkpoints are not loaded"):
        registry.resolve("old")


def test_resolve_takes_a_checkpoint_path(checkpoint, tmp_path):
    info = registry.resolve(str(checkpoint))
    assert (info.id, info.family, info.format) == ("tiny-sd15", "sd15", "single-file")
    with pytest.raises(ModelError, match="no such checkpoint file"):
        registry.resolve(str(tmp_path / "missing.safetensors"))


# --- Loading ----------------------------------------------------------------------------------


def test_checkpoint_draws_the_same_pixels_as_its_diffusers_folder(checkpoint, sd15_dir, tiny_config):
    request = TextToImageRequest(prompt="a photo of a cat", seed=7, steps=2, width=64, height=64)
    info = registry.inspect_file(checkpoint)
    require_text_to_image(info)

    from_file = load_pipeline(info, "cpu", "float32")
    from_folder = load_pipeline(registry.inspect_folder(sd15_dir), "cpu", "float32")
    [a] = generate_images(from_file, request)
    [b] = generate_images(from_folder, request)

    # The checkpoint holds the very same tensors under other names, so the pixels are identical.
    assert np.array_equal(np.asarray(a.image), np.asarray(b.image))
    assert type(from_file.pipe).__name__ == "StableDiffusionPipeline"
    sha256 = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    # The fingerprint is the file's sha256: its first 10 digits are A1111's "Model hash".
    assert from_file.fingerprint == model_fingerprint(checkpoint) == sha256
    assert (a.recipe.model.family, a.recipe.model.path) == ("sd15", str(checkpoint))
    assert registry.weight_files(checkpoint) == [checkpoint]


def test_checkpoint_that_does_not_fit_its_config_fails_with_one_line(tiny_config, tmp_path):
    # Full-size SD 1.5 tensor shapes against the tiny sd15 config: say so, naming the file.
    path = tiny_models.write_safetensors_header(tmp_path / "big.safetensors", {**_sd_unet(), **_CLIP_L})
    with pytest.raises(ModelError) as err:
        load_pipeline(registry.inspect_file(path), "cpu", "float32")
    message = str(err.value)
    assert message.startswith(f"{path}: could not load as a sd15 checkpoint") and "\n" not in message


@pytest.mark.parametrize("family, words", [("unknown", "not a checkpoint type Atelier recognises"),
                                           ("flux", "flux single-file checkpoints cannot be loaded yet")])
def test_unloadable_families_are_refused_before_loading(tmp_path, family, words):
    tensors = _sd_unet() if family == "unknown" else {"double_blocks.0.img_attn.qkv.weight": ("BF16", [9216, 3072])}
    info = registry.inspect_file(tiny_models.write_safetensors_header(tmp_path / "m.safetensors", tensors))
    assert info.family == family
    for refuse in (lambda: require_text_to_image(info), lambda: load_pipeline(info, "cpu", "float32")):
        with pytest.raises(ModelError, match=words) as err:
            refuse()
        assert str(err.value).startswith(str(info.path)) and "\n" not in str(err.value)


# --- The bundled configs ----------------------------------------------------------------------

FAMILIES = ["sd15", "sd15-inpaint", "sd2", "sdxl", "sdxl-inpaint"]


def test_every_loadable_family_has_a_bundled_config():
    for family in FAMILIES:
        config = single_file.require_config(Path("model.safetensors"), family)
        index = json.loads((config / "model_index.json").read_text(encoding="utf-8"))
        assert index["_class_name"] == single_file.PIPELINES[family]


@pytest.mark.parametrize("family", FAMILIES)
def test_bundled_tokenizers_are_openai_clip(family):
    folder = CONFIGS / family
    names = ["tokenizer", "tokenizer_2"] if family.startswith("sdxl") else ["tokenizer"]
    for name in names:
        tokenizer = load_tokenizers(folder)[name]
        assert len(tokenizer) == 49408 and tokenizer.model_max_length == 77
        padded = tokenizer("a photo of a cat", padding="max_length", max_length=9).input_ids
        assert padded[:7] == CAT_IDS
        # SD 1.x pads with the end token; SD 2 and SDXL's second tokenizer pad with "!" (id 0).
        pad = 0 if (family == "sd2" or name == "tokenizer_2") else 49407
        assert padded[7:] == [pad, pad]


# Parameter counts of the published models.
UNET_PARAMETERS = {"sd15": 859_520_964, "sd15-inpaint": 859_535_364, "sd2": 865_910_724,
                   "sdxl": 2_567_463_684, "sdxl-inpaint": 2_567_478_084}
TEXT_PARAMETERS = {"CLIPTextModel": {768: 123_060_480, 1024: 340_387_840},  # CLIP-L; OpenCLIP-H, 23 layers
                   "CLIPTextModelWithProjection": {1280: 694_659_840}}  # OpenCLIP bigG
VAE_PARAMETERS = 83_653_863


@pytest.mark.parametrize("family", FAMILIES)
def test_bundled_configs_build_the_published_architectures(family):
    import torch
    import transformers
    from diffusers import AutoencoderKL, UNet2DConditionModel

    def count(model):
        return sum(p.numel() for p in model.parameters())

    folder = CONFIGS / family
    index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
    with torch.device("meta"):  # shapes only: no memory, no weights
        assert count(UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(folder / "unet"))) == \
            UNET_PARAMETERS[family]
        assert count(AutoencoderKL.from_config(AutoencoderKL.load_config(folder / "vae"))) == VAE_PARAMETERS
        for name in ("text_encoder", "text_encoder_2"):
            if name not in index:
                continue
            class_name = index[name][1]
            config = transformers.CLIPTextConfig.from_pretrained(folder / name)
            model = getattr(transformers, class_name)(config)
            assert count(model) == TEXT_PARAMETERS[class_name][config.hidden_size], (family, name)
