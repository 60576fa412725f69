"""Depth maps for ControlNet guidance from the artist's own depth model (a tiny real ONNX graph
named as Depth Anything and MiDaS exports are): listed as kind "depth", run by onnxruntime into
a near-is-white map the picture's size, a foreign graph refused in one line, and a control of
preprocess "depth" steering the tiny SD1.5 through the real runner with the depth model in its
recipe."""

import hashlib
import io

import numpy as np
import pytest
from PIL import Image
from tiny_depth import bright_square, build_depth_model
from tiny_matting import build_matting_model
from tiny_models import build_controlnet

from atelier.core.errors import ModelError, RequestError
from atelier.core.project_io import asset_name
from atelier.core.tasks import TextToImageRequest
from atelier.core.tasks.adapters import ControlUse
from atelier.engine import depth_maps, registry
from atelier.engine.events import Artifact, EngineOptions
from atelier.engine.fingerprint import model_fingerprint
from atelier.engine.loader import PipelineCache
from atelier.engine.runner import EngineJob, InProcessRunner


@pytest.fixture(scope="module")
def depth_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("depth-models")
    build_depth_model(folder / "depth_anything_vits14.onnx")  # its side left open, as most exports do
    build_depth_model(folder / "dpt_hybrid.onnx", side=64)
    build_depth_model(folder / "depth-anything-colour.onnx", side=64, channels_out=3)
    build_matting_model(folder / "u2netp.onnx")
    return folder


def test_depth_models_are_listed_by_their_names(user_home, depth_folder):
    found = registry.scan([str(depth_folder)])
    listed = {info.name: (info.kind, info.family) for info in found.models}
    assert listed == {"depth_anything_vits14": ("depth", "depth-anything"), "dpt_hybrid": ("depth", "midas"),
                      "depth-anything-colour": ("depth", "depth-anything"), "u2netp": ("matting", "u2netp")}
    with pytest.raises(ModelError, match="used with a checkpoint"):
        registry.resolve(str(depth_folder / "dpt_hybrid.onnx"))  # never run as a model of its own


def test_the_depth_map_is_near_white_and_the_pictures_size(depth_folder):
    anything = registry.inspect_file(depth_folder / "depth_anything_vits14.onnx")
    picture = bright_square(80, 48)
    made = depth_maps.depth_map(anything, picture, "cpu")
    assert made.mode == "RGB" and made.size == (80, 48)
    grey = np.asarray(made)[..., 0].astype(int)
    assert grey.min() == 0 and grey.max() == 255  # stretched over the whole range
    assert grey[24, 40] == 255 and grey[2, 2] == 0  # the bright square is the nearest: white
    assert depth_maps.open_model(anything, "cpu").size == (518, 518)  # the family's side where the graph is open
    dpt = depth_maps.open_model(registry.inspect_file(depth_folder / "dpt_hybrid.onnx"), "cpu")
    assert dpt.size == (64, 64) and dpt.mean == (0.5, 0.5, 0.5)  # its own fixed side; MiDaS v3's -1..1 pixels


def test_a_graph_that_gives_no_depth_map_is_refused_in_one_line(depth_folder):
    colour = registry.inspect_file(depth_folder / "depth-anything-colour.onnx")
    with pytest.raises(ModelError) as refused:
        depth_maps.depth_map(colour, bright_square(), "cpu")
    assert "depth-anything-colour.onnx" in str(refused.value) and "not one float depth map" in str(refused.value)
    assert "\n" not in str(refused.value)
    matting = registry.inspect_file(depth_folder / "u2netp.onnx")
    with pytest.raises(ModelError, match="not a depth model"):
        depth_maps.depth_map(matting, bright_square(), "cpu")


def test_a_control_needs_its_depth_model_and_only_depth_has_one():
    image = asset_name("0" * 64, "png")
    with pytest.raises(RequestError, match="control preprocess depth: name its depth model"):
        TextToImageRequest(prompt="x", controls=(ControlUse("net", image, preprocess="depth"),))
    with pytest.raises(RequestError, match="is for preprocess depth or pose only"):
        TextToImageRequest(prompt="x", controls=(ControlUse("net", image, preprocess="canny", detector="d"),))
    request = TextToImageRequest(prompt="x", controls=(ControlUse("net", image, preprocess="depth", detector="d"),))
    assert request.extra_model_ids == ("net", "d")


def generate(loaded, request, inputs, extra_models) -> tuple[np.ndarray, object]:
    cache = PipelineCache()
    cache.add(loaded)
    made = []
    InProcessRunner(cache).run(EngineJob(loaded.info, request, inputs, extra_models), EngineOptions(device="cpu"),
                               lambda event: isinstance(event, Artifact) and made.append(event))
    [artifact] = made
    with Image.open(io.BytesIO(artifact.data)) as image:
        return np.asarray(image.convert("RGB")), artifact.recipe


def test_a_depth_control_steers_the_model_and_the_recipe_names_the_depth_model(sd15, sd15_dir, depth_folder,
                                                                              tmp_path):
    controlnet = registry.inspect_folder(build_controlnet(sd15_dir, tmp_path / "tiny-controlnet", seed=1))
    depth = registry.inspect_file(depth_folder / "depth_anything_vits14.onnx")
    buffer = io.BytesIO()
    bright_square(64, 64, level=60).save(buffer, format="PNG")  # dim: its depth map (white on black) differs
    name = asset_name(hashlib.sha256(buffer.getvalue()).hexdigest(), "png")
    inputs, models = {name: buffer.getvalue()}, {controlnet.id: controlnet, depth.id: depth}

    def request(**control) -> TextToImageRequest:
        return TextToImageRequest(prompt="a lighthouse", seed=3, steps=2, width=64, height=64,
                                  controls=(ControlUse(controlnet.id, name, **control),))

    as_is, _ = generate(sd15, request(), inputs, models)
    by_depth, recipe = generate(sd15, request(preprocess="depth", detector=depth.id), inputs, models)
    assert not np.array_equal(by_depth, as_is)
    assert [(a.kind, a.id) for a in recipe.adapters] == [("controlnet", controlnet.id), ("depth", depth.id)]
    recorded = recipe.adapters[1]
    assert (recorded.name, recorded.path) == (depth.name, str(depth.path))
    assert recorded.fingerprint == model_fingerprint(depth.path)
    again, _ = generate(sd15, recipe.to_request(), inputs, models)
    assert np.array_equal(again, by_depth)
