"""Pose maps for ControlNet guidance from the artist's own pose model (a tiny real ONNX graph with
DWPose's inputs and outputs, named as DWPose's file is): listed as kind "pose", run by
onnxruntime into an OpenPose skeleton on black the picture's size, a foreign graph refused in
one line, and a control of preprocess "pose" steering the tiny SD1.5 through the real runner
with the pose model in its recipe."""

import hashlib
import io

import numpy as np
import pytest
from PIL import Image
from test_depth_guidance import generate
from tiny_depth import build_depth_model
from tiny_models import build_controlnet
from tiny_pose import bright_square, build_pose_model

from atelier.core.errors import ModelError, RequestError
from atelier.core.pose_drawing import COLOURS, OPENPOSE_BODY
from atelier.core.project_io import asset_name
from atelier.core.tasks import TextToImageRequest
from atelier.core.tasks.adapters import ControlUse
from atelier.engine import pose_maps, registry
from atelier.engine.fingerprint import model_fingerprint


@pytest.fixture(scope="module")
def pose_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pose-models")
    build_pose_model(folder / "dw-ll_ucoco_384.onnx")
    build_pose_model(folder / "dwpose-x-only.onnx", outputs=1)
    build_depth_model(folder / "depth_anything_vits14.onnx")
    return folder


def test_pose_models_are_listed_by_their_names(user_home, pose_folder):
    listed = {info.name: (info.kind, info.family) for info in registry.scan([str(pose_folder)]).models}
    assert listed == {"dw-ll_ucoco_384": ("pose", "dwpose"), "dwpose-x-only": ("pose", "dwpose"),
                      "depth_anything_vits14": ("depth", "depth-anything")}
    with pytest.raises(ModelError, match="used with a checkpoint"):
        registry.resolve(str(pose_folder / "dw-ll_ucoco_384.onnx"))  # never run as a model of its own


def test_the_pose_map_is_a_skeleton_on_black_the_pictures_size(pose_folder):
    model = registry.inspect_file(pose_folder / "dw-ll_ucoco_384.onnx")
    made = pose_maps.pose_map(model, bright_square(96, 128), "cpu")
    assert made.mode == "RGB" and made.size == (96, 128)
    pixels = np.asarray(made)
    colours = {tuple(int(v) for v in pixel) for pixel in pixels.reshape(-1, 3)}
    assert {COLOURS[OPENPOSE_BODY.index(name)] for name in ("nose", "neck", "left_ankle")} <= colours
    assert pixels[0, 0].tolist() == [0, 0, 0] and pixels[127, 95].tolist() == [0, 0, 0]
    # The graph peaks at the square's first column and row (56, 40 in the picture, x3 in the input);
    # the nose sits 111 input pixels above that: 37 in the picture, where the letterbox is undone.
    assert pixels[56 - 37, 40].tolist() == list(COLOURS[0])
    # A black picture: every keypoint too unsure to draw.
    assert not np.asarray(pose_maps.pose_map(model, Image.new("RGB", (96, 128)), "cpu")).any()


def test_a_graph_that_gives_no_pose_is_refused_in_one_line(pose_folder):
    x_only = registry.inspect_file(pose_folder / "dwpose-x-only.onnx")
    with pytest.raises(ModelError) as refused:
        pose_maps.pose_map(x_only, bright_square(), "cpu")
    message = str(refused.value)
    assert "dwpose-x-only.onnx" in message and "not the x and y keypoint scores" in message and "\n" not in message
    depth = registry.inspect_file(pose_folder / "depth_anything_vits14.onnx")
    with pytest.raises(ModelError, match="is a depth, not a pose model"):
        pose_maps.pose_map(depth, bright_square(), "cpu")


def test_a_pose_control_needs_its_pose_model():
    image = asset_name("0" * 64, "png")
    with pytest.raises(RequestError, match="control preprocess pose: name its pose model as detector"):
        TextToImageRequest(prompt="x", controls=(ControlUse("net", image, preprocess="pose"),))
    request = TextToImageRequest(prompt="x", controls=(ControlUse("net", image, preprocess="pose", detector="p"),))
    assert request.extra_model_ids == ("net", "p")


def test_a_pose_control_steers_the_model_and_the_recipe_names_the_pose_model(sd15, sd15_dir, pose_folder,
                                                                            tmp_path):
    controlnet = registry.inspect_folder(build_controlnet(sd15_dir, tmp_path / "tiny-controlnet", seed=1))
    pose = registry.inspect_file(pose_folder / "dw-ll_ucoco_384.onnx")
    depth = registry.inspect_file(pose_folder / "depth_anything_vits14.onnx")
    buffer = io.BytesIO()
    bright_square(64, 64).save(buffer, format="PNG")
    name = asset_name(hashlib.sha256(buffer.getvalue()).hexdigest(), "png")
    inputs, models = {name: buffer.getvalue()}, {controlnet.id: controlnet, pose.id: pose, depth.id: depth}

    def request(**control) -> TextToImageRequest:
        return TextToImageRequest(prompt="a dancer", seed=3, steps=2, width=64, height=64,
                                  controls=(ControlUse(controlnet.id, name, **control),))

    as_is, _ = generate(sd15, request(), inputs, models)
    by_pose, recipe = generate(sd15, request(preprocess="pose", detector=pose.id), inputs, models)
    assert not np.array_equal(by_pose, as_is)
    assert [(a.kind, a.id) for a in recipe.adapters] == [("controlnet", controlnet.id), ("pose", pose.id)]
    recorded = recipe.adapters[1]
    assert (recorded.name, recorded.path, recorded.fingerprint) == (pose.name, str(pose.path),
                                                                    model_fingerprint(pose.path))
    again, _ = generate(sd15, recipe.to_request(), inputs, models)
    assert np.array_equal(again, by_pose)
    with pytest.raises(ModelError, match="is a depth, not a pose model"):  # before anything runs
        generate(sd15, request(preprocess="pose", detector=depth.id), inputs, models)
