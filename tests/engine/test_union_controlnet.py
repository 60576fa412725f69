"""SDXL Union ControlNets as diffusers folders, through the real runner: a tiny
ControlNetUnionModel made for the tiny SDXL model, listed by the registry, steering text-to-image
and image-to-image with a control mode per image; the bare model's pixels back without controls;
the refusals of what one Union model cannot do."""

import hashlib
import io

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file
from tiny_models import build_controlnet, build_union_controlnet

from atelier.core.errors import ModelError
from atelier.core.project_io import asset_name
from atelier.core.tasks import ImageToImageRequest, InpaintRequest, TextToImageRequest
from atelier.core.tasks.adapters import ControlUse
from atelier.engine import registry
from atelier.engine.events import Artifact, EngineOptions
from atelier.engine.fingerprint import model_fingerprint
from atelier.engine.loader import PipelineCache, load_pipeline
from atelier.engine.runner import EngineJob, InProcessRunner


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


@pytest.fixture(scope="module")
def parts(tmp_path_factory, sdxl_dir, sd15_dir) -> dict:
    root = tmp_path_factory.mktemp("models") / "ControlNet"
    union = build_union_controlnet(sdxl_dir, root / "tiny-union", seed=1)
    plain = build_controlnet(sdxl_dir, root / "tiny-xl-controlnet", seed=2)
    return {"union": registry.inspect_folder(union), "plain": registry.inspect_folder(plain), "root": root}


def generate(loaded, parts, request, inputs=None, part_ids=()) -> tuple[np.ndarray, object]:
    """One image on ``loaded`` through InProcessRunner; its pixels and recipe."""
    cache = PipelineCache()
    cache.add(loaded)
    job = EngineJob(loaded.info, request, inputs or {}, {key: parts[key] for key in part_ids})
    made = []
    precision = {"float32": "fp32", "bfloat16": "bf16"}[loaded.dtype]  # the runner takes ``loaded`` from the cache
    InProcessRunner(cache).run(job, EngineOptions(device="cpu", precision=precision),
                               lambda event: isinstance(event, Artifact) and made.append(event))
    [artifact] = made
    with Image.open(io.BytesIO(artifact.data)) as image:
        return np.asarray(image.convert("RGB")), artifact.recipe


def text_request(*controls) -> TextToImageRequest:
    return TextToImageRequest(prompt="a lighthouse", seed=3, steps=2, width=64, height=64, controls=tuple(controls))


def test_a_union_folder_is_listed_as_an_sdxl_controlnet_and_a_union_file_is_refused(parts, tmp_path, sdxl_dir):
    listed = {info.name: (info.kind, info.family, info.note) for info in registry.scan([str(parts["root"])]).models}
    assert listed["tiny-union"] == ("controlnet", "sdxl", "")
    # The same weights as one file: listed, with what to do instead.
    from safetensors.torch import load_file

    weights = load_file(parts["union"].path / "diffusion_pytorch_model.safetensors")
    save_file(weights, tmp_path / "union.safetensors")
    as_file = registry.inspect_file(tmp_path / "union.safetensors")
    assert (as_file.kind, as_file.note) == ("controlnet", "Union ControlNets load from their diffusers folder")
    sdxl = load_pipeline(registry.inspect_folder(sdxl_dir), "cpu", "float32")
    name, data = stored(sketch())
    with pytest.raises(ModelError, match=r"^union\.safetensors: Union ControlNets load from their diffusers folder"):
        generate(sdxl, {"file": as_file}, text_request(ControlUse("file", name)), {name: data}, ["file"])


def test_a_sketch_steers_text_to_image_in_the_models_dtype_and_the_bare_model_comes_back(parts, sdxl_dir):
    # bfloat16, so that a cast of the shared modules to float32 would show.
    sdxl = load_pipeline(registry.inspect_folder(sdxl_dir), "cpu", "bfloat16")
    name, data = stored(sketch())
    inputs = {name: data}
    bare, bare_recipe = generate(sdxl, parts, text_request())
    guided, recipe = generate(sdxl, parts, text_request(ControlUse("union", name)), inputs, ["union"])
    assert not np.array_equal(guided, bare)
    assert {sdxl.pipe.unet.dtype, sdxl.pipe.vae.dtype, sdxl.pipe.text_encoder_2.dtype} == {torch.bfloat16}
    [adapter] = recipe.adapters
    assert (adapter.kind, adapter.id, adapter.name, adapter.weight) == ("controlnet", "union", "tiny-union", 1.0)
    assert adapter.fingerprint == model_fingerprint(parts["union"].path)
    # The same image read as canny edges is another control mode: other pixels.
    as_edges, _ = generate(sdxl, parts, text_request(ControlUse("union", name, preprocess="canny")), inputs,
                           ["union"])
    assert not np.array_equal(as_edges, guided)
    # Two images to the one Union model, each with its mode; then the bare model, pixel for pixel.
    both, both_recipe = generate(sdxl, parts, text_request(ControlUse("union", name),
                                                           ControlUse("union", name, preprocess="canny")),
                                 inputs, ["union"])
    assert not np.array_equal(both, guided) and [a.id for a in both_recipe.adapters] == ["union", "union"]
    assert np.array_equal(generate(sdxl, parts, text_request())[0], bare)
    assert bare_recipe.adapters == () and not hasattr(sdxl.pipe, "controlnet")


def test_image_to_image_is_steered(cache, parts, sdxl_dir):
    sdxl = cache.get(registry.inspect_folder(sdxl_dir), "cpu")
    init = Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    init_name, init_data = stored(init)
    name, data = stored(sketch())
    inputs = {init_name: init_data, name: data}
    request = ImageToImageRequest(prompt="a lighthouse", seed=3, steps=4, width=64, height=64, init_image=init_name,
                                  strength=0.75)
    bare, _ = generate(sdxl, parts, request, inputs)
    guided, recipe = generate(sdxl, parts, request.replace(controls=(ControlUse("union", name),)), inputs, ["union"])
    assert not np.array_equal(guided, bare) and recipe.adapters[0].id == "union"
    assert np.array_equal(generate(sdxl, parts, request, inputs)[0], bare)


def test_inpainting_is_steered(cache, parts, sdxl_dir):
    sdxl = cache.get(registry.inspect_folder(sdxl_dir), "cpu")
    picture_name, picture_data = stored(Image.fromarray(np.random.default_rng(2).integers(0, 256, (64, 64, 3),
                                                                                         dtype=np.uint8)))
    mask = np.zeros((64, 64), np.uint8)
    mask[16:48, 16:48] = 255
    mask_name, mask_data = stored(Image.fromarray(mask))
    name, data = stored(sketch())
    inputs = {picture_name: picture_data, mask_name: mask_data, name: data}
    request = InpaintRequest(prompt="a lighthouse", seed=3, steps=2, width=64, height=64, init_image=picture_name,
                             mask=mask_name, generation_side=64)
    bare, _ = generate(sdxl, parts, request, inputs)
    guided, _ = generate(sdxl, parts, request.replace(controls=(ControlUse("union", name),)), inputs, ["union"])
    assert not np.array_equal(guided, bare)
    assert np.array_equal(guided[mask == 0], bare[mask == 0])  # outside the mask the picture is kept


def test_what_one_union_model_cannot_do_is_refused_in_one_line(cache, sd15, parts, sdxl_dir):
    sdxl = cache.get(registry.inspect_folder(sdxl_dir), "cpu")
    name, data = stored(sketch())
    inputs = {name: data}
    refusals = (
        (sd15, (ControlUse("union", name),), r"^tiny-union: is a ControlNet for sdxl models, and .+ is sd15"),
        (sdxl, (ControlUse("union", name), ControlUse("plain", name)),
         r"^controls: a Union ControlNet and plain ControlNets cannot guide one generation; use one kind at a time$"),
        (sdxl, (ControlUse("union", name), ControlUse("union", name, strength=0.5)),
         r"^controls: the images given to the Union ControlNet union share one strength, start and end"),
    )
    for loaded, controls, message in refusals:
        with pytest.raises(ModelError, match=message):
            generate(loaded, parts, text_request(*controls), inputs, ["union", "plain"])
