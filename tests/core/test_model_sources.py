"""Finding an A1111 / Forge / ComfyUI / InvokeAI install's model folders from the folder an
artist picks: its root or its models/ folder, only the subfolders that exist, nothing copied."""

from pathlib import Path

import pytest

from atelier.core.model_sources import find_model_source


def _make(root: Path, *folders: str) -> Path:
    for folder in folders:
        (root / folder).mkdir(parents=True)
    return root


def _a1111(root: Path) -> Path:
    return _make(root, "models/Stable-diffusion", "models/Lora", "models/VAE", "models/ControlNet",
                 "models/ESRGAN", "models/RealESRGAN", "models/SwinIR", "embeddings", "models/hypernetworks")


def _comfyui(root: Path) -> Path:
    return _make(root, "models/checkpoints", "models/loras", "models/vae", "models/controlnet",
                 "models/upscale_models", "models/ipadapter", "models/clip_vision", "models/embeddings",
                 "models/diffusers", "models/unet", "custom_nodes")


@pytest.mark.parametrize("given", ["root", "models"])
def test_a1111_install_gives_its_model_folders(tmp_path, given):
    root = _a1111(tmp_path / "stable-diffusion-webui")
    source = find_model_source(root if given == "root" else root / "models")
    assert source.layout == "A1111"
    assert [f.relative_to(root).as_posix() for f in source.folders] == [
        "models/Stable-diffusion", "models/Lora", "models/VAE", "models/ControlNet", "models/ESRGAN",
        "models/RealESRGAN", "models/SwinIR", "embeddings"]
    assert source.picked == (root if given == "root" else root / "models")


@pytest.mark.parametrize("given", ["root", "models"])
def test_comfyui_install_gives_its_model_folders(tmp_path, given):
    root = _comfyui(tmp_path / "ComfyUI")
    source = find_model_source(root if given == "root" else root / "models")
    assert source.layout == "ComfyUI"
    assert [f.relative_to(root / "models").as_posix() for f in source.folders] == [
        "checkpoints", "loras", "vae", "controlnet", "upscale_models", "ipadapter", "clip_vision", "embeddings",
        "diffusers"]


def test_partial_layouts_give_only_the_folders_that_exist(tmp_path):
    a1111 = _make(tmp_path / "webui", "models/Stable-diffusion", "models/Lora")
    comfy = _make(tmp_path / "comfy", "models/checkpoints", "models/upscale_models")
    assert [f.name for f in find_model_source(a1111).folders] == ["Stable-diffusion", "Lora"]
    assert [f.name for f in find_model_source(comfy / "models").folders] == ["checkpoints", "upscale_models"]


def test_forge_is_told_from_a1111_by_its_code_folder(tmp_path):
    root = _make(tmp_path / "forge", "models/Stable-diffusion", "models/Lora", "modules_forge")
    source = find_model_source(root)
    assert source.layout == "Forge"
    assert [f.name for f in source.folders] == ["Stable-diffusion", "Lora"]


@pytest.mark.parametrize("given", ["root", "models"])
def test_invokeai_install_gives_its_models_folder(tmp_path, given):
    root = _make(tmp_path / "invokeai", "models/sdxl/main", "databases")
    (root / "invokeai.yaml").write_text("schema_version: 4.0.2\n", encoding="utf-8")
    source = find_model_source(root if given == "root" else root / "models")
    assert (source.layout, source.folders) == ("InvokeAI", (root / "models",))


def test_a_plain_folder_is_added_as_it_is(tmp_path):
    folder = _make(tmp_path / "my checkpoints", "sdxl", "models/notes")
    source = find_model_source(folder)
    assert (source.layout, source.folders, source.missing) == (None, (folder,), False)


def test_a_plain_folder_named_models_is_added_as_it_is(tmp_path):
    folder = _make(tmp_path / "models", "sd15")
    source = find_model_source(folder)
    assert (source.layout, source.folders) == (None, (folder,))


def test_a_missing_folder_gives_nothing(tmp_path):
    source = find_model_source(tmp_path / "gone")
    assert (source.layout, source.folders, source.missing) == (None, (), True)
    file = tmp_path / "model.safetensors"
    file.write_bytes(b"")
    assert find_model_source(file).missing


def test_nothing_is_written(tmp_path):
    root = _comfyui(tmp_path / "ComfyUI")
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    find_model_source(root)
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
