"""Background-removal models run with onnxruntime (engine.matting): tiny real ONNX graphs per
family, the family's pre-processing read back numerically, the output turned into a mask the
size of the picture, and every file that is no such model refused in one line."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tiny_matting import build_classifier_model, build_matting_model, subject_picture

from atelier.core.errors import ModelError
from atelier.engine import matting
from atelier.engine.matting_families import BY_NAME, IMAGENET_MEAN, IMAGENET_STD


def open_built(tmp_path: Path, file_name: str, family: str, **options) -> matting.MattingModel:
    return matting.open_model(build_matting_model(tmp_path / file_name, family, **options), "cpu")


def disc_and_corners(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the middle of subject_picture's disc, its four corners) in ``mask``."""
    height, width = mask.shape
    middle = mask[height // 2 - 4:height // 2 + 4, width // 2 - 4:width // 2 + 4]
    corners = np.stack([mask[:4, :4], mask[:4, -4:], mask[-4:, :4], mask[-4:, -4:]])
    return middle, corners


@pytest.mark.parametrize("family, file_name", [("u2netp", "u2netp.onnx"), ("u2net", "u2net_human_seg.onnx"),
                                               ("isnet", "isnet-general-use.onnx"),
                                               ("birefnet", "BiRefNet-general-epoch_244.onnx")])
def test_each_family_finds_the_bright_subject_at_the_pictures_size(tmp_path, family, file_name):
    model = open_built(tmp_path, file_name, family)
    picture = subject_picture(96, 64)

    mask = matting.subject_mask(model, picture)

    assert model.family.name == family and model.side == BY_NAME[family].side
    assert model.provider == "CPUExecutionProvider"
    assert mask.dtype == np.uint8 and mask.shape == (64, 96)
    middle, corners = disc_and_corners(mask)
    assert middle.min() >= 250 and corners.max() <= 5


@pytest.mark.parametrize("family, channel", [("u2netp", 0), ("u2netp", 1), ("u2netp", 2), ("isnet", 0),
                                             ("birefnet", 2)])
def test_the_model_sees_the_picture_resized_and_normalised_as_its_family_wants(tmp_path, family, channel):
    # The graph hands back one normalised channel as it is: a constant picture must give
    # (value / 255 - mean) / std of that channel everywhere, at the family's side.
    weights = tuple(1.0 if index == channel else 0.0 for index in range(3))
    model = open_built(tmp_path, f"{family}.onnx", family, weights=weights, sigmoid=False)
    colour = (200, 100, 50)

    output = matting.model_output(model, Image.new("RGB", (37, 23), colour))

    side = BY_NAME[family].side
    mean, std = ((0.5,) * 3, (1.0,) * 3) if family == "isnet" else (IMAGENET_MEAN, IMAGENET_STD)
    expected = (colour[channel] / 255 - mean[channel]) / std[channel]
    assert output.shape == (side, side)
    np.testing.assert_allclose(output, expected, atol=1e-5)


def test_birefnet_logits_go_through_a_sigmoid_before_the_stretch(tmp_path):
    # A ramp from black to white: the logits rise steadily, so the mask must follow the
    # sigmoid's S, which a plain stretch of the logits would not.
    model = open_built(tmp_path, "birefnet-portrait.onnx", "birefnet", weights=(0.5, 0.5, 0.5))
    ramp = np.tile(np.linspace(0, 255, 1024).round().astype(np.uint8), (1024, 1))
    picture = Image.fromarray(np.dstack([ramp] * 3), "RGB")

    row = matting.subject_mask(model, picture)[512].astype(np.float64)

    logits = matting.model_output(model, picture)[512].astype(np.float64)
    assert (np.diff(logits) >= 0).all() and np.ptp(logits) > 6  # rising, through the sigmoid's bend
    squashed = 1 / (1 + np.exp(-logits))
    expected = (squashed - squashed.min()) / np.ptp(squashed) * 255
    linear = (logits - logits.min()) / np.ptp(logits) * 255
    assert np.abs(row - expected).max() <= 1.0
    assert np.abs(row - linear).max() > 20


def test_the_first_output_is_the_mask_and_open_sizes_take_the_familys(tmp_path):
    plain = open_built(tmp_path, "u2net.onnx", "u2net")
    # U²-Net exports have seven outputs (the first is the fused mask) and some leave the
    # batch and size open.
    several = open_built(tmp_path / "other", "u2net.onnx", "u2net", outputs=7, dynamic=True)
    picture = subject_picture()

    assert several.side == 320
    np.testing.assert_array_equal(matting.subject_mask(several, picture), matting.subject_mask(plain, picture))


def test_one_session_is_kept_until_the_file_changes(tmp_path):
    path = build_matting_model(tmp_path / "u2netp.onnx")
    first = matting.open_model(path, "cpu")

    assert matting.open_model(path, "cpu") is first and matting.is_open(path, "cpu")
    build_matting_model(path, weights=(-2.0, -2.0, -2.0))  # the same name, the opposite weights
    os.utime(path, ns=(first_mtime := path.stat().st_mtime_ns, first_mtime + 1_000_000))
    assert not matting.is_open(path, "cpu")
    again = matting.open_model(path, "cpu")
    assert again is not first
    middle, _corners = disc_and_corners(matting.subject_mask(again, subject_picture()))
    assert middle.max() <= 5  # the new weights mark the dark background as the subject


def test_describe_names_the_family_and_side_without_a_picture(tmp_path):
    path = build_matting_model(tmp_path / "isnet-anime.onnx", "isnet")

    description = matting.describe(path)

    assert (description.family, description.label, description.side) == ("isnet", "ISNet", 1024)


def refusal(path: Path) -> str:
    with pytest.raises(ModelError) as caught:
        matting.open_model(path, "cpu")
    message = str(caught.value)
    assert "\n" not in message and path.name in message
    return message


def test_a_file_of_no_known_family_is_refused_with_the_names_rembg_uses(tmp_path):
    message = refusal(build_matting_model(tmp_path / "my-cutter.onnx"))

    assert "not a background-removal model Atelier knows" in message
    assert "U²-Net" in message and "BiRefNet" in message and "u2net.onnx" in message


def test_a_classifier_named_like_a_matting_model_is_refused(tmp_path):
    message = refusal(build_classifier_model(tmp_path / "u2net.onnx"))

    assert "gives 1x1000, not a one-channel mask" in message


def test_a_graph_whose_fixed_size_is_not_its_familys_is_refused(tmp_path):
    message = refusal(build_matting_model(tmp_path / "isnet-general-use.onnx", "isnet", side=320))

    assert "takes 320x320 pictures, but ISNet models take 1024x1024" in message


def test_a_graph_that_does_not_take_one_rgb_picture_is_refused(tmp_path):
    from onnx import TensorProto, helper, save

    grey = helper.make_graph([helper.make_node("Sigmoid", ["input.1"], ["mask"])], "grey",
                             [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 1, 320, 320])],
                             [helper.make_tensor_value_info("mask", TensorProto.FLOAT, [1, 1, 320, 320])])
    model = helper.make_model(grey, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    save(model, str(tmp_path / "u2netp.onnx"))

    message = refusal(tmp_path / "u2netp.onnx")

    assert "takes 1x1x320x320 float, not one 1x3xHxW float picture" in message


def test_a_truncated_file_and_a_text_file_are_refused_as_no_onnx_model(tmp_path):
    whole = build_matting_model(tmp_path / "whole" / "u2netp.onnx").read_bytes()
    truncated = tmp_path / "u2netp.onnx"
    truncated.write_bytes(whole[: len(whole) // 2])
    text = tmp_path / "isnet-general-use.onnx"
    text.write_text("This is where the model will go once it has downloaded.\n", encoding="utf-8")

    for path in (truncated, text):
        message = refusal(path)
        assert "cannot be loaded as an ONNX model" in message and "copy it again" in message


def test_onnxruntime_keeps_no_telemetry_and_the_task_needs_no_torch(tmp_path, guard_env):
    """onnxruntime 1.29+ writes a device id and an event database under ~/.cache/Microsoft and
    a session file for its uploader at first import, unless ORT_DISABLE_TELEMETRY is set before
    (atelier.engine sets it): the matting code must not reach onnxruntime any other way."""
    model = build_matting_model(tmp_path / "u2netp.onnx")
    subject_picture().save(tmp_path / "in.png")

    def run(code: str, name: str) -> Path:
        home = tmp_path / name
        (home / "tmp").mkdir(parents=True)
        env = {**guard_env, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "TMPDIR": str(home / "tmp")}
        env.pop("ORT_DISABLE_TELEMETRY", None)
        child = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=home, capture_output=True,
                               text=True, timeout=120)
        assert child.returncode == 0, child.stderr
        return home

    def kept(home: Path) -> list[str]:
        return sorted(str(p.relative_to(home)) for p in home.rglob("*")
                      if p.name.endswith(".ses") or p.name in ("Microsoft", "deviceid"))

    bare = run(f"""
        import onnxruntime
        onnxruntime.InferenceSession({str(model)!r}, providers=["CPUExecutionProvider"])
        """, "bare")
    if not kept(bare):
        pytest.skip("this onnxruntime keeps no telemetry even when left alone")
    ours = run(f"""
        import sys
        from PIL import Image
        from atelier.engine import matting
        from atelier.engine.tasks import remove_background
        model = matting.open_model({str(model)!r}, "cpu")
        mask = matting.subject_mask(model, Image.open({str(tmp_path / "in.png")!r}).convert("RGB"))
        assert mask.max() == 255, mask.max()
        assert "torch" not in sys.modules, "torch was imported"
        """, "ours")
    assert kept(ours) == []
