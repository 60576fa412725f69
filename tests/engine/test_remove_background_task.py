"""Remove background through the real runner on tiny ONNX models: the subject on a transparent,
solid or blurred background, the mask with it, the edge refinements touching only the edge,
the picture's own transparency respected, and what cannot be done refused in one line."""

import hashlib
import io

import numpy as np
import pytest
from PIL import Image, ImageFilter
from tiny_matting import build_matting_model, subject_picture

from atelier.core.errors import GenerationCancelled, ModelError, RequestError
from atelier.core.project_io import asset_name
from atelier.core.tasks import RemoveBackgroundRequest
from atelier.engine import registry
from atelier.engine.events import Artifact, EngineOptions, Loaded, Progress, Status
from atelier.engine.fingerprint import file_sha256
from atelier.engine.runner import EngineJob, InProcessRunner
from atelier.engine.tasks.remove_background import box_mean, guided_filter

DISC = (slice(28, 36), slice(44, 52))  # the middle of subject_picture(96, 64)'s disc
CORNERS = (slice(0, 6), slice(0, 6))


@pytest.fixture(scope="module")
def u2netp(tmp_path_factory):
    return registry.inspect_matting(build_matting_model(tmp_path_factory.mktemp("models") / "u2netp.onnx"))


def stored(image: Image.Image) -> tuple[str, bytes]:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    return asset_name(hashlib.sha256(data).hexdigest(), "png"), data


def remove(info, picture: Image.Image, **fields):
    """(the output picture, its mask, the artifact, every event) of one job in-process."""
    name, data = stored(picture)
    events = []
    InProcessRunner().run(EngineJob(info, RemoveBackgroundRequest(image=name, **fields), {name: data}),
                          EngineOptions(device="cpu"), events.append)
    [artifact] = [event for event in events if isinstance(event, Artifact)]
    output = Image.open(io.BytesIO(artifact.data))
    output.load()
    mask = np.asarray(Image.open(io.BytesIO(artifact.mask)))
    return output, mask, artifact, events


def test_transparent_gives_the_subject_with_the_mask_as_its_alpha_and_a_full_recipe(u2netp):
    picture = subject_picture(96, 64)

    output, mask, artifact, events = remove(u2netp, picture)

    assert output.mode == "RGBA" and output.size == (96, 64)
    pixels = np.asarray(output)
    assert np.array_equal(pixels[..., 3], mask)
    assert mask[DISC].min() == 255 and mask[CORNERS].max() == 0
    assert np.array_equal(pixels[..., :3], np.asarray(picture))  # colours as they were
    recipe = artifact.recipe
    assert recipe.task == "remove-background" and recipe.request.background == "transparent"
    assert recipe.model.pipeline == "onnxruntime" and recipe.model.family == "u2netp"
    assert recipe.model.fingerprint == file_sha256(u2netp.path) and recipe.model.path == str(u2netp.path)
    assert recipe.runtime.device == "CPUExecutionProvider" and "onnxruntime" in recipe.runtime.versions
    assert [(e.step, e.total) for e in events if isinstance(e, Progress)] == [(1, 1)]
    assert any(isinstance(e, Status) and "u2netp" in e.text for e in events)
    assert [(e.device, e.dtype) for e in events if isinstance(e, Loaded)] == [("cpu", "float32")]


def test_colour_puts_the_subject_on_the_colour(u2netp):
    picture = subject_picture(96, 64)

    output, mask, _artifact, _events = remove(u2netp, picture, background="colour", colour="#00ff80")

    pixels = np.asarray(output)
    assert output.mode == "RGB" and output.size == (96, 64)
    assert (pixels[CORNERS] == (0, 255, 128)).all()
    assert np.array_equal(pixels[DISC], np.asarray(picture)[DISC])
    assert mask[DISC].min() == 255


def test_blur_puts_the_subject_on_the_picture_blurred(u2netp):
    noisy = np.random.default_rng(3).integers(0, 60, (64, 96, 3), dtype=np.uint8)  # a busy, dark background
    picture = np.where(np.asarray(subject_picture(96, 64)) > 100, np.asarray(subject_picture(96, 64)), noisy)

    output, _mask, _artifact, _events = remove(u2netp, Image.fromarray(picture.astype(np.uint8)), background="blur")

    pixels = np.asarray(output).astype(np.float64)
    assert output.mode == "RGB"
    assert np.array_equal(pixels[DISC], picture[DISC])
    assert pixels[CORNERS].std() < picture[CORNERS].std() / 3  # the noise smoothed away
    assert abs(pixels[CORNERS].mean() - picture[CORNERS].astype(np.float64).mean()) < 10  # still that background


@pytest.mark.parametrize("edges", ["guided", "erode"])
def test_edge_refinement_changes_only_the_band_around_the_edge(u2netp, edges):
    picture = subject_picture(96, 64)
    _output, plain, _artifact, _events = remove(u2netp, picture)

    _output, refined, _artifact, _events = remove(u2netp, picture, edges=edges)

    reach = 5  # guided: twice the radius (2 here) and one; erode: two pixels and its blur
    image = Image.fromarray(plain, "L")
    spread = np.asarray(image.filter(ImageFilter.MaxFilter(2 * reach + 1))).astype(int) - \
        np.asarray(image.filter(ImageFilter.MinFilter(2 * reach + 1)))
    band = spread > 0
    changed = refined != plain
    assert changed.any() and not changed[~band].any()
    if edges == "erode":  # pulled in: never more subject than before
        assert (refined.astype(int) <= plain.astype(int) + 1).all() and refined.sum() < plain.sum()


def test_guided_filter_follows_the_guides_edge_and_leaves_flat_areas_alone():
    # A soft matte (a ramp over 8 px) around a sharp edge in the picture: the result steps
    # where the picture does, and far from the edge it is the matte as it was.
    guide = np.zeros((40, 40))
    guide[:, 20:] = 1.0
    matte = np.clip((np.arange(40) - 16) / 8, 0, 1)[None].repeat(40, 0)

    smoothed = guided_filter(guide, matte, radius=4, eps=1e-3)

    steps = np.diff(smoothed[20])
    assert np.argmax(steps) == 19 and steps.max() > 3 * np.diff(matte[20]).max()
    assert np.allclose(smoothed[:, :9], 0.0, atol=1e-9) and np.allclose(smoothed[:, 33:], 1.0, atol=1e-9)


def test_box_mean_averages_the_window_cut_at_the_border():
    values = np.arange(12, dtype=np.float64).reshape(3, 4)

    means = box_mean(values, 1)

    assert means[1, 1] == pytest.approx(values[0:3, 0:3].mean())
    assert means[0, 0] == pytest.approx(values[0:2, 0:2].mean())
    assert means[2, 3] == pytest.approx(values[1:3, 2:4].mean())


def test_the_pictures_own_transparency_is_no_subject(u2netp):
    picture = subject_picture(96, 64, alpha=True)  # the left half transparent, through the disc

    output, mask, _artifact, _events = remove(u2netp, picture)

    assert mask[:, :48].max() == 0
    assert mask[DISC[0], 50:56].min() == 255
    assert np.array_equal(np.asarray(output)[..., 3], mask)


def test_a_model_that_is_not_for_background_removal_is_refused(u2netp, tmp_path):
    upscaler = tmp_path / "ESRGAN" / "4x.pth"
    upscaler.parent.mkdir()
    upscaler.write_bytes(b"not really weights")

    with pytest.raises(ModelError) as caught:
        remove(registry.inspect_upscaler(upscaler), subject_picture())

    assert "needs a background-removal model" in str(caught.value) and "upscaler" in str(caught.value)


def test_a_one_pixel_picture_is_refused_in_one_line(u2netp):
    with pytest.raises(RequestError) as caught:
        remove(u2netp, Image.new("RGB", (1, 1)))

    message = str(caught.value)
    assert "\n" not in message and "1x1" in message


def test_a_job_cancelled_before_it_runs_makes_nothing(u2netp):
    name, data = stored(subject_picture())
    runner, events = InProcessRunner(), []
    runner.cancel()

    with pytest.raises(GenerationCancelled):
        runner.run(EngineJob(u2netp, RemoveBackgroundRequest(image=name), {name: data}), EngineOptions(device="cpu"),
                   events.append)

    assert not [event for event in events if isinstance(event, Artifact)]
