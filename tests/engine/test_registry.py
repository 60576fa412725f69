"""Model discovery: plain folders, nested A1111/ComfyUI-style folders, the HF hub cache."""

import json
import shutil
import subprocess
import sys

import pytest

import tiny_models
from atelier import paths
from atelier.core.errors import ModelError
from atelier.engine import registry


def write_index(folder, pipeline, unet=None):
    folder.mkdir(parents=True)
    (folder / "model_index.json").write_text(json.dumps({"_class_name": pipeline}))
    if unet is not None:
        (folder / "unet").mkdir()
        (folder / "unet" / "config.json").write_text(json.dumps(unet))
    return folder


def test_finds_models_folder_extra_folder_and_hf_cache(user_home, sd15_dir, sdxl_dir, tmp_path):
    shutil.copytree(sd15_dir, paths.models_dir() / "my-sd15")
    comfy = tmp_path / "ComfyUI" / "models"
    shutil.copytree(sdxl_dir, comfy / "diffusers" / "my-sdxl")
    snapshot = tiny_models.build_hf_cache_model(paths.hf_hub_cache(), "atelier-test/tiny-sd15", tiny_models.build_sd15)

    result = registry.scan([str(comfy)])

    by_id = {m.id: m for m in result.models}
    assert set(by_id) == {"my-sd15", "my-sdxl", "atelier-test/tiny-sd15"}
    assert result.problems == []
    assert (by_id["my-sd15"].family, by_id["my-sd15"].source) == ("sd15", "models folder")
    assert (by_id["my-sdxl"].family, by_id["my-sdxl"].pipeline) == ("sdxl", "StableDiffusionXLPipeline")
    hf = by_id["atelier-test/tiny-sd15"]
    assert hf.path == snapshot and hf.source == "hf cache" and hf.name == "tiny-sd15"
    assert all(m.kind == "image" for m in result.models)


def test_hf_cache_follows_refs_main_to_its_snapshot(user_home):
    snapshot = tiny_models.build_hf_cache_model(paths.hf_hub_cache(), "org/model", tiny_models.build_sd15)
    repo = snapshot.parents[1]
    # An older snapshot that refs/main does not point at must not be chosen.
    stale = repo / "snapshots" / ("0" * 40)
    write_index(stale, "StableDiffusionXLPipeline")
    [model] = registry.scan().models
    assert model.path == snapshot and model.family == "sd15"


def test_size_on_disk_counts_the_weights_behind_cache_symlinks(user_home):
    snapshot = tiny_models.build_hf_cache_model(paths.hf_hub_cache(), "org/model", tiny_models.build_sd15)
    blobs = sum(p.stat().st_size for p in (snapshot.parents[1] / "blobs").iterdir())
    [model] = registry.scan().models
    assert model.size_bytes == blobs > 1_000_000


@pytest.mark.parametrize(
    "pipeline, unet, kind, family",
    [
        ("StableDiffusionPipeline", {"cross_attention_dim": 768, "in_channels": 4}, "image", "sd15"),
        ("StableDiffusionPipeline", {"cross_attention_dim": 1024, "in_channels": 4}, "image", "sd2"),
        ("StableDiffusionInpaintPipeline", {"cross_attention_dim": 768, "in_channels": 9}, "image", "sd15-inpaint"),
        ("StableDiffusionPipeline", {"cross_attention_dim": 1024, "in_channels": 9}, "image", "sd2-inpaint"),
        ("StableDiffusionXLPipeline", {"cross_attention_dim": 2048, "in_channels": 4}, "image", "sdxl"),
        ("StableDiffusionXLInpaintPipeline", {"in_channels": 9}, "image", "sdxl-inpaint"),
        ("StableDiffusion3Pipeline", None, "image", "sd3"),
        ("FluxPipeline", None, "image", "flux"),
        ("AudioLDM2Pipeline", None, "audio", "audioldm2"),
        ("StableAudioPipeline", None, "audio", "stable-audio"),
        ("SomeFuturePipeline", None, "image", "unknown"),
    ],
)
def test_kind_and_family(tmp_path, pipeline, unet, kind, family):
    info = registry.inspect_folder(write_index(tmp_path / "m", pipeline, unet))
    assert (info.kind, info.family, info.pipeline) == (kind, family, pipeline)


def test_broken_folders_are_reported_not_raised(user_home, sd15_dir):
    shutil.copytree(sd15_dir, paths.models_dir() / "good")
    bad = paths.models_dir() / "bad"
    bad.mkdir()
    (bad / "model_index.json").write_text("{not json")
    result = registry.scan(["/no/such/folder"])
    assert [m.id for m in result.models] == ["good"]
    assert len(result.problems) == 2
    assert any("bad/model_index.json" in p and "not valid JSON" in p for p in result.problems)
    assert any("/no/such/folder" in p and "does not exist" in p for p in result.problems)


def test_same_folder_name_in_two_places_gets_two_ids(user_home, sd15_dir, tmp_path):
    shutil.copytree(sd15_dir, paths.models_dir() / "twin")
    shutil.copytree(sd15_dir, tmp_path / "elsewhere" / "twin")
    ids = [m.id for m in registry.scan([str(tmp_path / "elsewhere")]).models]
    assert ids[0] == "twin" and ids[1].startswith("twin~") and len(ids) == 2
    assert ids == [m.id for m in registry.scan([str(tmp_path / "elsewhere")]).models]  # stable


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda p: p, "no such model folder"),
        (lambda p: (p.mkdir(), p)[1], "no model_index.json"),
        (lambda p: (p.mkdir(), (p / "model_index.json").write_text("]["), p)[2], "not valid JSON"),
        (lambda p: (p.mkdir(), (p / "model_index.json").write_text("{}"), p)[2], "no _class_name"),
    ],
)
def test_inspect_folder_errors_name_the_problem(tmp_path, make, words):
    folder = make(tmp_path / "model")
    with pytest.raises(ModelError, match=words) as err:
        registry.inspect_folder(folder)
    assert str(tmp_path / "model") in str(err.value)
    assert "\n" not in str(err.value)


def test_listing_models_never_imports_torch(user_home, sd15_dir, guard_env):
    shutil.copytree(sd15_dir, paths.models_dir() / "m")
    code = (
        "import sys; from atelier.engine import registry; r = registry.scan();"
        "assert [m.id for m in r.models] == ['m'], r;"
        "bad = [n for n in ('torch', 'diffusers', 'transformers') if n in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=guard_env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_folder_with_pickle_weights_is_a_problem_naming_it_not_a_model(user_home, sd15_dir):
    shutil.copytree(sd15_dir, paths.models_dir() / "good")
    pickled = tiny_models.with_pickle_weights(sd15_dir, paths.models_dir() / "old-bin")

    result = registry.scan()

    assert [m.id for m in result.models] == ["good"]
    [problem] = result.problems
    assert problem.startswith(f"{pickled}: ") and "\n" not in problem
    assert "unet/diffusion_pytorch_model.bin" in problem and "convert them to .safetensors" in problem
    with pytest.raises(ModelError, match="pickle files"):
        registry.inspect_folder(pickled)


def test_pickle_weights_beside_safetensors_are_fine(tmp_path, sd15_dir):
    # Many Hub repos ship both; diffusers is told to take the safetensors.
    folder = shutil.copytree(sd15_dir, tmp_path / "both")
    (folder / "unet" / "diffusion_pytorch_model.bin").write_bytes(b"not opened")
    assert registry.inspect_folder(folder).family == "sd15"


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need developer mode on Windows")
def test_symlink_loops_are_not_descended_and_each_model_is_listed_once(user_home, sd15_dir, tmp_path):
    root = paths.models_dir()
    shutil.copytree(sd15_dir, root / "sub" / "m")
    (root / "loop").symlink_to(root)  # sorts before "sub": searched first, were links followed first
    (root / "alias").symlink_to(root / "sub")
    (root / "sub" / "up").symlink_to("..")
    (root / "self").symlink_to(root / "self")  # a link to itself: cannot be resolved at all
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(sd15_dir, elsewhere / "far")
    (root / "linked").symlink_to(elsewhere)  # a folder kept elsewhere is still found through its link

    result = registry.scan()

    listed = sorted((m.id, m.path) for m in result.models)
    assert listed == [("far", root / "linked" / "far"), ("m", root / "sub" / "m")]
    assert result.problems == []
