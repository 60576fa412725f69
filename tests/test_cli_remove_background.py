"""``atelier remove-background`` end to end on tiny ONNX models: real pictures in and out, the
engine process, the mask file and the project's mask asset, one-line refusals."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_cli import assert_fails, run_child, run_cli
from tiny_matting import build_classifier_model, build_matting_model, subject_picture

from atelier import paths
from atelier.core.metadata import read_recipe
from atelier.core.project_io import ProjectArchive


@pytest.fixture(autouse=True)
def home(user_home, monkeypatch):
    monkeypatch.chdir(user_home)
    return user_home


@pytest.fixture
def model(tmp_path) -> Path:
    return build_matting_model(tmp_path / "models" / "u2netp.onnx")


@pytest.fixture
def picture(tmp_path) -> Path:
    path = tmp_path / "portrait.png"
    subject_picture(96, 64).save(path)
    return path


def pixels(path: Path, mode: str | None = None) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert(mode) if mode else image)


def test_cuts_out_the_subject_writes_the_mask_and_stores_both_in_the_project(capsys, tmp_path, model, picture):
    out, mask, project = tmp_path / "cut.png", tmp_path / "cut-mask.png", tmp_path / "work.atelier"

    code, stdout, err = run_cli(capsys, "remove-background", "--model", model, picture, out, "--mask-out", mask,
                                "--edges", "erode", "--project", project)

    assert code == 0, err
    assert f"{project}: background removed" in stdout and str(out) in stdout
    result, written_mask = pixels(out), pixels(mask)
    assert result.shape == (64, 96, 4) and written_mask.shape == (64, 96)
    assert np.array_equal(result[..., 3], written_mask)
    assert written_mask[30:34, 46:50].min() == 255 and written_mask[:4, :4].max() == 0
    recipe = read_recipe(out)
    assert recipe.task == "remove-background" and recipe.request.edges == "erode"
    assert recipe.model.pipeline == "onnxruntime"
    with ProjectArchive(project) as archive:
        [(entry, output)] = list(archive.project.outputs())
        assert output.mask and archive.read(output.mask) == mask.read_bytes()
        assert archive.read(output.asset) == out.read_bytes()
        assert archive.read(recipe.request.image)  # the picture it was cut from is kept with it
    assert entry.model["family"] == "u2netp"


def test_a_model_from_rembgs_folder_by_id_and_a_colour_background(capsys, tmp_path, picture):
    rembg = paths.rembg_dirs()[0]
    build_matting_model(rembg / "isnet-general-use.onnx", "isnet")
    out = tmp_path / "on-blue.png"

    code, _stdout, err = run_cli(capsys, "remove-background", "--model", "isnet-general-use", picture, out,
                                 "--background", "colour", "--colour", "#0000ff")

    assert code == 0, err
    result = pixels(out)
    assert result.shape == (64, 96, 3)
    assert (result[:4, :4] == (0, 0, 255)).all()
    assert np.array_equal(result[30:34, 46:50], pixels(picture)[30:34, 46:50])
    assert read_recipe(out).model.family == "isnet"


def test_a_model_that_removes_no_background_is_refused_by_id(capsys, tmp_path, picture):
    upscaler = paths.models_dir() / "ESRGAN" / "4x-sharp.pth"
    upscaler.parent.mkdir(parents=True)
    upscaler.write_bytes(b"weights")

    project = tmp_path / "work.atelier"

    result = run_cli(capsys, "remove-background", "--model", "4x-sharp", picture, tmp_path / "out.png",
                     "--project", project)

    assert_fails(result, 3, "--model 4x-sharp: is an upscaler model, not a background-removal one", "u2net.onnx")
    assert not project.exists()


def test_a_model_named_for_no_known_family_is_refused_before_the_project_is_touched(capsys, tmp_path, picture):
    model, project = build_matting_model(tmp_path / "cutout.onnx"), tmp_path / "work.atelier"

    result = run_cli(capsys, "remove-background", "--model", model, picture, tmp_path / "out.png",
                     "--project", project)

    assert_fails(result, 3, "cutout.onnx: not a background-removal model Atelier knows", "u2net.onnx")
    assert not project.exists()
    assert "Loading" not in result[2]


@pytest.mark.parametrize("case, code, words", [
    ("classifier", 3, ("gives 1x1000, not a one-channel mask",)),
    ("text", 3, ("cannot be loaded as an ONNX model", "copy it again")),
    ("unknown", 3, ("not a background-removal model Atelier knows", "isnet-general-use.onnx")),
])
def test_a_file_that_is_no_background_removal_model_is_one_line(capsys, tmp_path, picture, case, code, words):
    models = tmp_path / "models"
    path = {"classifier": lambda: build_classifier_model(models / "u2net.onnx"),
            "text": lambda: _text_file(models / "u2netp.onnx"),
            "unknown": lambda: build_matting_model(models / "segmenter.onnx")}[case]()
    out = tmp_path / "out.png"

    assert_fails(run_cli(capsys, "remove-background", "--model", path, picture, out), code, *words)
    assert not out.exists()


def _text_file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("version https://git-lfs.github.com/spec/v1\n", encoding="utf-8")
    return path


def test_bad_options_and_pictures_are_refused_before_anything_runs(capsys, tmp_path, model, picture):
    out = tmp_path / "out.png"
    tiny = tmp_path / "dot.png"
    Image.new("RGB", (1, 1)).save(tiny)

    assert_fails(run_cli(capsys, "remove-background", "--model", model, picture, out, "--colour", "#ff0000"),
                 2, "--colour #ff0000: is for --background colour")
    assert_fails(run_cli(capsys, "remove-background", "--model", model, picture, out, "--background", "colour",
                         "--colour", "red"), 2, "colour 'red'", "#rrggbb")
    assert_fails(run_cli(capsys, "remove-background", "--model", model, picture, tmp_path / "out.jpg"),
                 2, "OUT ", "out.jpg: must be a .png file")
    assert_fails(run_cli(capsys, "remove-background", "--model", model, picture, out, "--mask-out", out),
                 2, "--mask-out", "same file as OUT")
    assert_fails(run_cli(capsys, "remove-background", "--model", model, tiny, out), 2, "dot.png", "1x1")
    assert_fails(run_cli(capsys, "remove-background", "--model", model, tmp_path / "missing.png", out),
                 2, "missing.png: cannot be read")
    assert not out.exists()


def test_the_entry_point_runs_it_with_nothing_but_its_own_lines_on_stderr(guard_env, tmp_path, model, picture):
    out = tmp_path / "cut.png"

    child = run_child(guard_env, "-m", "atelier", "remove-background", "--model", model, picture, out,
                      "--background", "blur", "--edges", "guided", cwd=tmp_path)

    assert child.returncode == 0, child.stderr
    assert pixels(out).shape == (64, 96, 3)
    assert "NETWORK-BLOCKED" not in child.stderr
    assert [line for line in child.stderr.splitlines() if line.strip()] == [f"Loading {model.stem} ..."]
