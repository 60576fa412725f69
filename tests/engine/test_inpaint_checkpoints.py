"""Dedicated inpainting checkpoints (a UNet that also reads the mask and the masked picture: 9
input channels), as diffusers folders and as single files: recognised, run natively by the
inpaint task through the real runner and the command line, and refused in one line for what
they cannot do."""

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import tiny_models
from engine_driver import generate_images
from PIL import Image
from test_cli import assert_fails, run_cli
from test_inpaint_task import array, inpaint, noise, square_mask, stored

from atelier.core.errors import ModelError
from atelier.core.inpaint import Edges, composite_mask
from atelier.core.metadata import read_recipe
from atelier.core.tasks import ImageToImageRequest, TextToImageRequest
from atelier.engine import registry, single_file
from atelier.engine.loader import load_pipeline, require_inpainting, require_text_to_image

INPAINTING_MODEL = "is an inpainting model; paint a mask on a picture to use it (Image > Mask"
PAINTED = (30, 20, 70, 60)  # on a 96x80 picture


@pytest.fixture(scope="module")
def sd15_inpaint_dir(tmp_path_factory) -> Path:
    return tiny_models.build_sd15(tmp_path_factory.mktemp("models") / "tiny-sd15-inpainting", inpaint=True)


@pytest.fixture(scope="module")
def sdxl_inpaint_dir(tmp_path_factory) -> Path:
    return tiny_models.build_sdxl(tmp_path_factory.mktemp("models") / "tiny-sdxl-inpainting", inpaint=True)


@pytest.fixture(scope="module")
def inpaint_checkpoint(sd15_inpaint_dir, tmp_path_factory) -> Path:
    """The 9-channel SD 1.5 folder as one original-layout checkpoint, as A1111 keeps one."""
    return tiny_models.write_sd15_checkpoint(sd15_inpaint_dir,
                                             tmp_path_factory.mktemp("ckpt") / "tiny-inpainting.safetensors")


@pytest.fixture
def tiny_inpaint_config(sd15_inpaint_dir, tmp_path, monkeypatch) -> Path:
    """The tiny inpainting folder's configs without its weights, standing in for the bundled
    sd15-inpaint folder (whose full-size shapes the tiny tensors would not fit)."""
    folder = shutil.copytree(sd15_inpaint_dir, tmp_path / "config", ignore=shutil.ignore_patterns("*.safetensors"))
    monkeypatch.setattr(single_file, "single_file_config", lambda family: Path(folder))
    return Path(folder)


def unet_inputs(loaded) -> list[int]:
    """Records the channels of every latent the model's UNet is called with."""
    channels = []
    loaded.pipe.unet.register_forward_pre_hook(lambda _module, args, kwargs: channels.append(
        (args[0] if args else kwargs["sample"]).shape[1]), with_kwargs=True)
    return channels


def assert_only_the_mask_changed(made, picture: Image.Image) -> None:
    request = made.recipe.request
    blend = composite_mask(np.asarray(square_mask(picture.width, picture.height, PAINTED)),
                           Edges(request.grow, request.feather, request.blend))
    result, before = array(made.image), array(picture)
    assert made.image.size == picture.size
    assert np.array_equal(result[blend == 0], before[blend == 0])  # bit for bit
    inside = blend == 255
    assert inside.any() and (result[inside] != before[inside]).any(axis=-1).mean() > 0.9


@pytest.mark.parametrize("base, folder, pipeline", [
    ("sd15", "sd15_inpaint_dir", "StableDiffusionInpaintPipeline"),
    ("sdxl", "sdxl_inpaint_dir", "StableDiffusionXLInpaintPipeline"),
])
def test_an_inpainting_folder_is_recognised_and_fills_with_its_own_nine_channel_unet(base, folder, pipeline,
                                                                                     request, cache):
    info = registry.inspect_folder(request.getfixturevalue(folder))
    assert (info.family, info.pipeline, info.kind) == (f"{base}-inpaint", pipeline, "image")
    require_inpainting(info)
    loaded = cache.get(info, "cpu")
    channels = unet_inputs(loaded)
    picture = noise(96, 80)

    [made], *_ = inpaint(loaded, picture, square_mask(96, 80, PAINTED))

    assert_only_the_mask_changed(made, picture)
    derived = loaded.pipeline_for("AutoPipelineForInpainting")
    assert type(derived).__name__ == pipeline and derived.unet.config.in_channels == 9
    assert derived.unet is loaded.pipe.unet and derived.vae is loaded.pipe.vae  # the same weights, not a copy
    # Every UNet call got the noisy latents with the mask and the masked picture's latents.
    assert channels and set(channels) == {9}
    assert (made.recipe.model.family, made.recipe.task) == (f"{base}-inpaint", "inpaint")


def test_the_derived_pipeline_keeps_a_half_precision_model_in_half_precision(sd15_inpaint_dir):
    import torch

    loaded = load_pipeline(registry.inspect_folder(sd15_inpaint_dir), "cpu", "bfloat16")
    derived = loaded.pipeline_for("AutoPipelineForInpainting")
    assert derived.unet is loaded.pipe.unet and derived.unet.dtype == torch.bfloat16
    assert derived.text_encoder.dtype == torch.bfloat16


def test_an_inpainting_checkpoint_file_is_told_from_its_header_and_fills_as_its_folder_does(
        inpaint_checkpoint, sd15_inpaint_dir, tiny_inpaint_config, cache):
    info = registry.inspect_file(inpaint_checkpoint)
    assert (info.family, info.pipeline, info.format) == ("sd15-inpaint", "StableDiffusionInpaintPipeline",
                                                         "single-file")
    require_inpainting(info)
    from_file = load_pipeline(info, "cpu", "float32")
    channels = unet_inputs(from_file)
    picture = noise(96, 80, seed=4)

    [made], *_ = inpaint(from_file, picture, square_mask(96, 80, PAINTED))
    [from_folder], *_ = inpaint(cache.get(registry.inspect_folder(sd15_inpaint_dir), "cpu"), picture,
                                square_mask(96, 80, PAINTED))

    assert_only_the_mask_changed(made, picture)
    assert type(from_file.pipe).__name__ == "StableDiffusionInpaintPipeline" and set(channels) == {9}
    # The checkpoint holds the folder's very tensors under other names: the same pixels.
    assert np.array_equal(array(made.image), array(from_folder.image))
    assert (made.recipe.model.family, made.recipe.model.path) == ("sd15-inpaint", str(inpaint_checkpoint))


def test_the_bundled_configs_load_inpainting_checkpoints_as_inpainting_pipelines():
    for family, pipeline in (("sd15-inpaint", "StableDiffusionInpaintPipeline"),
                             ("sdxl-inpaint", "StableDiffusionXLInpaintPipeline")):
        config = single_file.require_config(Path("model.safetensors"), family)
        assert json.loads((config / "model_index.json").read_text(encoding="utf-8"))["_class_name"] == pipeline
        assert json.loads((config / "unet" / "config.json").read_text(encoding="utf-8"))["in_channels"] == 9


@pytest.mark.parametrize("task", ["text-to-image", "image-to-image"])
def test_a_prompt_alone_or_a_picture_without_a_mask_is_refused_before_loading(task, sd15_inpaint_dir, cache,
                                                                           monkeypatch):
    info = registry.inspect_folder(sd15_inpaint_dir)
    loaded = cache.get(info, "cpu")
    name, data = stored(noise(64, 64))
    request = (TextToImageRequest(prompt="a boat", steps=2, width=64, height=64) if task == "text-to-image" else
               ImageToImageRequest(prompt="a boat", steps=2, width=64, height=64, init_image=name))
    monkeypatch.setattr(type(loaded), "pipeline_for", lambda *_: pytest.fail("a pipeline was made"))
    with pytest.raises(ModelError) as err:
        generate_images(loaded, request, inputs={name: data})
    assert str(err.value).startswith(f"{info.id}: {INPAINTING_MODEL}") and "\n" not in str(err.value)
    assert "or choose another model" in str(err.value)


def test_a_single_file_inpainting_checkpoint_is_refused_for_a_prompt_alone(inpaint_checkpoint):
    with pytest.raises(ModelError, match=INPAINTING_MODEL.replace("(", r"\(")):
        require_text_to_image(registry.inspect_file(inpaint_checkpoint))


@pytest.mark.parametrize("pipeline, family", [("StableDiffusion3InpaintPipeline", "sd3-inpaint"),
                                              ("FluxFillPipeline", "flux-inpaint")])
def test_sd3_and_flux_inpainting_models_are_refused_naming_what_works(pipeline, family, tmp_path):
    folder = tmp_path / family
    folder.mkdir()
    (folder / "model_index.json").write_text(json.dumps({"_class_name": pipeline}), encoding="utf-8")
    info = registry.inspect_folder(folder)
    assert info.family == family
    with pytest.raises(ModelError) as err:
        require_inpainting(info)
    message = str(err.value)
    assert message.startswith(f"{family}: {pipeline} models cannot be used to inpaint yet") and "\n" not in message
    assert message.endswith("SD1.5, SD2, SDXL, SD3, Flux, or SD1.5/SD2/SDXL inpainting checkpoints")


def test_a_base_family_without_inpainting_names_the_inpainting_checkpoints_too(sd15_inpaint_dir):
    info = dataclasses.replace(registry.inspect_folder(sd15_inpaint_dir), family="pixart",
                               pipeline="PixArtSigmaPipeline")
    with pytest.raises(ModelError, match=r"pixart models cannot inpaint; .*SD1\.5, SD2, SDXL, SD3, Flux, or "
                                         r"SD1\.5/SD2/SDXL inpainting checkpoints$"):
        require_inpainting(info)


# --- The command line ---------------------------------------------------------------------------


def test_the_command_line_fills_with_an_inpainting_folder_and_refuses_a_prompt_alone(capsys, tmp_path, user_home,
                                                                                     monkeypatch, sd15_inpaint_dir):
    monkeypatch.chdir(user_home)
    init, mask, out = tmp_path / "start.png", tmp_path / "mask.png", tmp_path / "out.png"
    noise(64, 48, seed=2).save(init)
    square_mask(64, 48, (16, 12, 48, 36)).save(mask)
    tiny = ("--steps", "2", "--seed", "5", "--generation-side", "64")

    code, _stdout, err = run_cli(capsys, "generate", "--model", sd15_inpaint_dir, "--prompt", "a red boat", *tiny,
                                 "--init-image", init, "--mask", mask, "--out", out)

    assert code == 0, err
    with Image.open(out) as result, Image.open(init) as before:
        after, original = array(result), array(before)
    recipe = read_recipe(out)
    assert (recipe.task, recipe.model.family) == ("inpaint", "sd15-inpaint")
    edges = Edges(recipe.request.grow, recipe.request.feather, recipe.request.blend)
    blend = composite_mask(np.asarray(square_mask(64, 48, (16, 12, 48, 36))), edges)
    assert np.array_equal(after[blend == 0], original[blend == 0])
    assert (after[blend == 255] != original[blend == 255]).any(axis=-1).mean() > 0.9
    assert_fails(run_cli(capsys, "generate", "--model", sd15_inpaint_dir, "--prompt", "a red boat", "--steps", "2",
                         "--out", tmp_path / "alone.png"), 3, INPAINTING_MODEL, "--init-image with --mask")
    assert not (tmp_path / "alone.png").exists()
