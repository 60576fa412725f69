"""ControlNet guidance on the tiny SD1.5 pipeline, through the real runner: a tiny ControlNet
(made from the model's UNet, as ControlNets are) saved as a diffusers folder and as an A1111
single file, listed by the registry, steering text-to-image, image-to-image and inpainting; the
bare model's pixels back without controls; what the recipe records; the refusals made before
anything loads."""

import hashlib
import io
import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file
from tiny_models import build_controlnet, write_controlnet_file

from atelier import paths
from atelier.core.errors import ModelError
from atelier.core.project_io import asset_name
from atelier.core.tasks import ImageToImageRequest, InpaintRequest, TextToImageRequest
from atelier.core.tasks.adapters import ControlUse
from atelier.engine import controlnets, registry
from atelier.engine.events import Artifact, EngineOptions
from atelier.engine.fingerprint import model_fingerprint
from atelier.engine.loader import PipelineCache
from atelier.engine.runner import EngineJob, InProcessRunner

SD15 = {"modelspec.architecture": "stable-diffusion-v1/controlnet"}  # as published files say it
SDXL = {"modelspec.architecture": "stable-diffusion-xl-v1/controlnet"}


def stored(image: Image.Image) -> tuple[str, bytes]:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    return asset_name(hashlib.sha256(data).hexdigest(), "png"), data


def sketch() -> Image.Image:
    """Dark strokes on white, as drawn on the sketch layer."""
    pixels = np.full((64, 64), 255, np.uint8)
    pixels[12:15, 8:56] = 0
    pixels[20:50, 30:33] = 0
    return Image.fromarray(pixels)


def noise(seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (64, 64, 3), dtype=np.uint8))


@pytest.fixture(scope="module")
def parts(tmp_path_factory, sd15_dir) -> dict:
    """The tiny ControlNet as a folder, as an SD1.5 single file (the same weights), and as a
    file that says it is for SDXL; with the registry's entry for each."""
    folder = tmp_path_factory.mktemp("models") / "ControlNet"
    built = build_controlnet(sd15_dir, folder / "tiny-controlnet", seed=1)
    write_controlnet_file(built, folder / "tiny-control.safetensors", SD15)
    write_controlnet_file(built, folder / "xl-control.safetensors", SDXL)
    return {"folder": registry.inspect_folder(built),
            "file": registry.inspect_file(folder / "tiny-control.safetensors"),
            "xl": registry.inspect_file(folder / "xl-control.safetensors"),
            "root": folder}


@pytest.fixture(autouse=True)
def tiny_config(monkeypatch, parts):
    """Single files of the tiny ControlNet load with its own config, as real SD1.5 ones load with
    resources/controlnet-configs/sd15."""
    monkeypatch.setattr(controlnets, "controlnet_config", lambda family: parts["folder"].path)


def generate(loaded, parts, request, inputs=None, part_ids=()) -> tuple[np.ndarray, object]:
    """One image on ``loaded`` through InProcessRunner; its pixels and recipe."""
    cache = PipelineCache()
    cache.add(loaded)
    job = EngineJob(loaded.info, request, inputs or {}, {key: parts[key] for key in part_ids})
    made = []
    InProcessRunner(cache).run(job, EngineOptions(device="cpu"),
                               lambda event: isinstance(event, Artifact) and made.append(event))
    [artifact] = made
    with Image.open(io.BytesIO(artifact.data)) as image:
        return np.asarray(image.convert("RGB")), artifact.recipe


def text_request(*controls, **changes) -> TextToImageRequest:
    values = dict(prompt="a lighthouse", seed=3, steps=2, width=64, height=64, controls=tuple(controls))
    return TextToImageRequest(**{**values, **changes})


def test_the_registry_lists_the_folder_and_the_files_as_controlnets(user_home, parts):
    found = registry.scan([str(parts["root"])])
    listed = {info.name: (info.kind, info.family, info.format) for info in found.models}
    assert listed == {
        "tiny-controlnet": ("controlnet", "unknown", "diffusers"),  # a tiny model's text width says no family
        "tiny-control": ("controlnet", "sd15", "single-file"),
        "xl-control": ("controlnet", "sdxl", "single-file"),
    }
    assert not found.problems


def test_the_bundled_configs_are_their_families_unet_configs():
    for family in ("sd15", "sd2", "sdxl"):
        config = json.loads((paths.resource_path("controlnet-configs", family, "config.json")).read_text())
        unet = json.loads((paths.resource_path("model-configs", family, "unet", "config.json")).read_text())
        assert config["_class_name"] == "ControlNetModel"
        shared = {key for key in config if not key.startswith("_")}
        assert shared >= {"block_out_channels", "down_block_types", "cross_attention_dim", "attention_head_dim"}
        assert {key: config[key] for key in shared} == {key: unet[key] for key in shared}


def test_a_sketch_steers_text_to_image_and_the_bare_model_comes_back(sd15, parts):
    name, data = stored(sketch())
    inputs = {name: data}
    bare, bare_recipe = generate(sd15, parts, text_request())
    assert bare_recipe.adapters == ()
    guided, recipe = generate(sd15, parts, text_request(ControlUse("folder", name)), inputs, ["folder"])
    assert not np.array_equal(guided, bare)
    [adapter] = recipe.adapters
    assert (adapter.kind, adapter.id, adapter.name, adapter.weight) == ("controlnet", "folder", "tiny-controlnet", 1.0)
    assert adapter.fingerprint == model_fingerprint(parts["folder"].path)
    assert recipe.request.controls == (ControlUse("folder", name),) and recipe.inputs == {"control_1": name}
    # The recipe makes the same pixels again; the single file holds the same weights, so it does too.
    again, _ = generate(sd15, parts, recipe.to_request(), inputs, ["folder"])
    assert np.array_equal(again, guided)
    from_file, file_recipe = generate(sd15, parts, text_request(ControlUse("file", name)), inputs, ["file"])
    assert np.array_equal(from_file, guided)
    assert file_recipe.adapters[0].fingerprint == model_fingerprint(parts["file"].path)
    # Strength 0 scales the ControlNet's residuals to zeros: the UNet sees exactly what it sees
    # without one. Another picture, or the guidance over only the first half of the steps, differ.
    idle, _ = generate(sd15, parts, text_request(ControlUse("folder", name, strength=0.0)), inputs, ["folder"])
    assert np.array_equal(idle, bare)
    noisy_name, noisy_data = stored(noise())
    other, _ = generate(sd15, parts, text_request(ControlUse("folder", noisy_name, preprocess="canny")),
                        {noisy_name: noisy_data}, ["folder"])
    half, _ = generate(sd15, parts, text_request(ControlUse("folder", name, end=0.5)), inputs, ["folder"])
    assert not np.array_equal(other, guided) and not np.array_equal(half, guided) and not np.array_equal(half, bare)
    # After all that, a request without controls is the bare model again, pixel for pixel.
    assert np.array_equal(generate(sd15, parts, text_request())[0], bare)
    assert not hasattr(sd15.pipe, "controlnet")


def test_two_controlnets_at_once(sd15, parts):
    name, data = stored(sketch())
    one, _ = generate(sd15, parts, text_request(ControlUse("folder", name)), {name: data}, ["folder"])
    both, recipe = generate(sd15, parts, text_request(ControlUse("folder", name), ControlUse("file", name, "lineart",
                                                                                              strength=0.5)),
                            {name: data}, ["folder", "file"])
    assert not np.array_equal(both, one)
    assert [(a.id, a.weight) for a in recipe.adapters] == [("folder", 1.0), ("file", 0.5)]


def test_image_to_image_is_steered(sd15, parts):
    init_name, init_data = stored(noise(1))
    name, data = stored(sketch())
    inputs = {init_name: init_data, name: data}
    request = ImageToImageRequest(prompt="a lighthouse", seed=3, steps=4, width=64, height=64, init_image=init_name,
                                  strength=0.75)
    bare, _ = generate(sd15, parts, request, inputs)
    guided, recipe = generate(sd15, parts, request.replace(controls=(ControlUse("file", name),)), inputs, ["file"])
    assert not np.array_equal(guided, bare) and recipe.adapters[0].kind == "controlnet"
    assert np.array_equal(generate(sd15, parts, request, inputs)[0], bare)


def test_inpainting_is_steered(sd15, parts):
    picture_name, picture_data = stored(noise(2))
    mask = np.zeros((64, 64), np.uint8)
    mask[16:48, 16:48] = 255
    mask_name, mask_data = stored(Image.fromarray(mask))
    name, data = stored(sketch())
    inputs = {picture_name: picture_data, mask_name: mask_data, name: data}
    request = InpaintRequest(prompt="a lighthouse", seed=3, steps=2, width=64, height=64, init_image=picture_name,
                             mask=mask_name, generation_side=64)
    bare, _ = generate(sd15, parts, request, inputs)
    guided, recipe = generate(sd15, parts, request.replace(controls=(ControlUse("folder", name),)), inputs,
                              ["folder"])
    assert not np.array_equal(guided, bare) and recipe.adapters[0].id == "folder"
    outside = mask == 0
    assert np.array_equal(guided[outside], bare[outside])  # outside the mask the picture is kept
    assert np.array_equal(generate(sd15, parts, request, inputs)[0], bare)


def test_inpainting_a_box_of_a_larger_picture_is_guided_by_the_same_box_of_the_control(sd15, parts):
    """The model repaints a box around the mask: what the control image holds outside that box
    must not matter, and what it holds inside must."""
    picture_name, picture_data = stored(noise(3).resize((128, 128)))
    mask = np.zeros((128, 128), np.uint8)
    mask[72:104, 72:104] = 255
    mask_name, mask_data = stored(Image.fromarray(mask))
    controls = np.full((3, 128, 128), 255, np.uint8)
    controls[:, 80:84, 60:120] = 0  # the same stroke inside the box in all three
    controls[1, 4:40, 10:14] = 0  # another stroke far outside the box
    controls[2, 90:94, 60:120] = 0  # another stroke inside it
    stored_controls = [stored(Image.fromarray(control)) for control in controls]
    inputs = {picture_name: picture_data, mask_name: mask_data, **dict(stored_controls)}
    request = InpaintRequest(prompt="a lighthouse", seed=3, steps=2, width=128, height=128, init_image=picture_name,
                             mask=mask_name, generation_side=64, padding=8, grow=0, feather=0, blend=0)
    made = [generate(sd15, parts, request.replace(controls=(ControlUse("folder", name),)), inputs, ["folder"])[0]
            for name, _data in stored_controls]
    assert np.array_equal(made[0], made[1]) and not np.array_equal(made[0], made[2])


def test_parts_that_do_not_fit_are_refused_before_loading(sd15, parts):
    name, data = stored(sketch())
    models = {**parts, "lora": replace(parts["file"], kind="lora", id="lora")}
    refusals = {
        "xl": r"^xl-control\.safetensors: is a ControlNet for sdxl models, and .+ is sd15; choose a sd15 ControlNet "
              r"or a sdxl model$",
        "lora": r"^lora: is a lora, not a ControlNet; choose a ControlNet",
        "missing": r"^ControlNet missing: not among the models handed to the engine",
    }
    loaded_before = dict(sd15.applied.get("controlnets", {}).get("models", {}))
    for key, message in refusals.items():
        job = EngineJob(sd15.info, text_request(ControlUse(key, name)), {name: data},
                        {key: models[key]} if key in models else {})
        cache = PipelineCache()
        cache.add(sd15)
        with pytest.raises(ModelError, match=message):
            InProcessRunner(cache).run(job, EngineOptions(device="cpu"), lambda event: None)
    assert sd15.applied.get("controlnets", {}).get("models", {}).keys() == loaded_before.keys()  # nothing loaded


def test_controlnet_folders_that_cannot_guide_are_listed_with_a_note_and_refused_in_one_line(sd15, parts, tmp_path):
    config = json.loads((parts["folder"].path / "config.json").read_text())
    union = tmp_path / "union"
    union.mkdir()
    (union / "config.json").write_text(json.dumps({**config, "_class_name": "ControlNetUnionModel"}))
    save_file({"conv_in.weight": torch.zeros(1)}, union / "diffusion_pytorch_model.safetensors")
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    (pickled / "config.json").write_text(json.dumps(config))
    (pickled / "diffusion_pytorch_model.bin").write_bytes(b"not to be opened")
    models = {"union": registry.inspect_folder(union), "pickled": registry.inspect_folder(pickled)}
    assert models["union"].kind == models["pickled"].kind == "controlnet"
    assert models["union"].note == "" and "pickle" in models["pickled"].note  # Union folders guide SDXL models
    name, data = stored(sketch())
    for key, message in (("union", r"^tiny-sd15: Union ControlNets guide SDXL models only, and it is sd15"),
                         ("pickled", r"^pickled: pickle weights only: convert them to \.safetensors")):
        with pytest.raises(ModelError, match=message):
            generate(sd15, models, text_request(ControlUse(key, name)), {name: data}, [key])
    # Given by path, without the registry's note, they are refused when loading, as plainly.
    for key, message in (("pickled", r"holds no \.safetensors weights \(pickle files are never opened"),):
        unlisted = {key: replace(models[key], note="")}
        with pytest.raises(ModelError, match=message):
            generate(sd15, unlisted, text_request(ControlUse(key, name)), {name: data}, [key])
    # A ControlNet kept as a pickle file (A1111's .pth) is never opened either.
    pth = tmp_path / "ControlNet" / "control_v11p_sd15_canny.pth"
    pth.parent.mkdir()
    pth.write_bytes(b"not to be opened")
    listed = registry.inspect_file(pth)
    assert (listed.kind, listed.format) == ("controlnet", "pickle")
    for info, message in ((listed, r"is a pickle file, which Atelier never opens; convert it"),
                          (replace(listed, note="", format="single-file"), r"\.safetensors files only")):
        with pytest.raises(ModelError, match=message):
            generate(sd15, {"pth": info}, text_request(ControlUse("pth", name)), {name: data}, ["pth"])


def test_an_sdxl_controlnet_steers_an_sdxl_model_and_an_sd15_one_is_refused(cache, sdxl_dir, parts, tmp_path):
    sdxl = cache.get(registry.inspect_folder(sdxl_dir), "cpu")
    models = {"xl": registry.inspect_folder(build_controlnet(sdxl_dir, tmp_path / "xl-controlnet", seed=2)),
              "file": parts["file"]}
    name, data = stored(sketch())
    bare, _ = generate(sdxl, models, text_request())
    guided, recipe = generate(sdxl, models, text_request(ControlUse("xl", name)), {name: data}, ["xl"])
    assert not np.array_equal(guided, bare) and recipe.adapters[0].id == "xl"
    assert np.array_equal(generate(sdxl, models, text_request())[0], bare)
    with pytest.raises(ModelError, match=r"is a ControlNet for sd15 models, and .+ is sdxl"):
        generate(sdxl, models, text_request(ControlUse("file", name)), {name: data}, ["file"])
