"""The command line end to end: real tiny models on disk, real PNGs written, real exit codes.

Most tests call ``atelier.cli.main`` in-process (a subprocess pays seconds for importing torch);
the last ones run ``python -m atelier`` in a child process behind the network guard.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tiny_models
from PIL import Image

from atelier import __version__, paths
from atelier.cli import main
from atelier.core.metadata import read_recipe
from atelier.core.project_io import ProjectArchive
from atelier.engine.fingerprint import model_fingerprint

PROMPT = "a photo of a cat"
SEED = 1234
TINY = ("--size", "64x48", "--steps", "2")  # not square, so a swapped width/height shows
HOME_VARS = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "HF_HOME", "HF_HUB_CACHE")


@pytest.fixture(autouse=True)
def home(user_home, monkeypatch):
    """Every test: its own models folder, settings and caches, and a working directory where
    no model id can be mistaken for a relative path."""
    monkeypatch.chdir(user_home)
    return user_home


# --- helpers -------------------------------------------------------------------------------


needs_read_only_folders = pytest.mark.skipif(
    sys.platform == "win32" or (hasattr(os, "geteuid") and os.geteuid() == 0),
    reason="chmod 0o500 makes no folder read-only on Windows, nor for root",
)


@pytest.fixture
def locked_folder(tmp_path):
    """A folder this user cannot write to (for tests marked needs_read_only_folders)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    yield folder
    folder.chmod(0o700)


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of one in-process call; argparse's SystemExit is an exit code."""
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def generate(capsys, model, out, *options):
    """``atelier generate`` at the tiny size; later options override the tiny defaults."""
    return run_cli(capsys, "generate", "--model", model, "--prompt", PROMPT, *TINY, "--out", out, *options)


def assert_fails(result, exit_code: int, *words: str) -> str:
    """The call failed with ``exit_code`` and one error line holding all ``words``, no traceback."""
    code, _out, err = result
    assert code == exit_code, err
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == 1, err
    for word in words:
        assert word in errors[0]
    assert "Traceback" not in err
    return errors[0]


def pixels(path: Path) -> bytes:
    with Image.open(path) as image:
        return image.tobytes()


def line_naming(out: str, path: Path) -> str:
    """The stdout line that reports ``path`` as written."""
    [line] = [line for line in out.splitlines() if str(path) in line]
    return line


def install(model_dir: Path, name: str | None = None) -> Path:
    """Copy a model into the user's models folder, where ``atelier models`` finds it."""
    return Path(shutil.copytree(model_dir, paths.models_dir() / (name or model_dir.name)))


def install_hf(model_dir: Path, repo_id: str) -> Path:
    """Lay a model out in the Hugging Face hub cache as ``repo_id``; return its snapshot."""
    cache = Path(os.environ["HF_HUB_CACHE"])
    return tiny_models.build_hf_cache_model(cache, repo_id, lambda folder: shutil.copytree(model_dir, folder))


def copy_model(model_dir: Path, tmp_path: Path) -> Path:
    """A private copy of a session model, safe to damage."""
    return Path(shutil.copytree(model_dir, tmp_path / model_dir.name))


# --- generate: the happy paths -------------------------------------------------------------


def test_generate_writes_png_with_parameters_and_recipe(capsys, tmp_path, sd15_dir):
    out = tmp_path / "cat.png"
    code, stdout, err = generate(capsys, sd15_dir, out, "--seed", SEED)

    assert code == 0, err
    assert "Traceback" not in err and ": error: " not in err
    assert f"seed {SEED}" in line_naming(stdout, out)
    with Image.open(out) as image:
        assert (image.format, image.size) == ("PNG", (64, 48))
        parameters = image.text["parameters"]
    assert parameters.startswith(PROMPT + "\n")
    assert f"Seed: {SEED}" in parameters and "Steps: 2" in parameters and "Size: 64x48" in parameters

    recipe = read_recipe(out)
    assert (recipe.request.prompt, recipe.seed, recipe.request.steps, recipe.request.width, recipe.request.height) == (PROMPT, SEED, 2, 64, 48)
    assert recipe.model.fingerprint == model_fingerprint(sd15_dir)
    assert len(recipe.model.fingerprint) == 64
    assert f"Model hash: {recipe.model.fingerprint[:10]}" in parameters
    assert (recipe.model.family, recipe.model.pipeline) == ("sd15", "StableDiffusionPipeline")
    assert set(recipe.runtime.versions) == {"atelier", "torch", "diffusers", "transformers"}
    assert recipe.runtime.versions["atelier"] == __version__
    assert all(recipe.runtime.versions.values())


def test_batch_writes_numbered_files_with_consecutive_seeds(capsys, tmp_path, sd15_dir):
    out = tmp_path / "set.png"
    code, stdout, err = generate(capsys, sd15_dir, out, "--seed", SEED, "--batch", 3)

    assert code == 0, err
    written = [tmp_path / f"set-{i}.png" for i in (1, 2, 3)]
    assert sorted(tmp_path.glob("*.png")) == written  # numbered files only, no plain set.png
    recipes = [read_recipe(path) for path in written]
    assert [r.seed for r in recipes] == [SEED, SEED + 1, SEED + 2]
    assert [(r.batch_index, r.batch_size) for r in recipes] == [(0, 3), (1, 3), (2, 3)]
    for path, recipe in zip(written, recipes):
        assert f"seed {recipe.seed}" in line_naming(stdout, path)
        with Image.open(path) as image:
            assert image.size == (64, 48)
            assert f"Seed: {recipe.seed}" in image.text["parameters"]


def test_same_seed_same_pixels_other_seed_differs(capsys, tmp_path, sd15_dir):
    first, again, other = (tmp_path / name for name in ("first.png", "again.png", "other.png"))
    for out, seed in ((first, 7), (again, 7), (other, 8)):
        code, _out, err = generate(capsys, sd15_dir, out, "--seed", seed)
        assert code == 0, err

    assert pixels(first) == pixels(again)
    assert pixels(first) != pixels(other)


@pytest.mark.parametrize("where", ["models folder", "hf cache"])
def test_generate_with_a_model_id(capsys, tmp_path, sd15_dir, where):
    if where == "models folder":
        model_id, folder = "tiny-sd15", install(sd15_dir)
    else:
        model_id = "atelier-test/tiny-sd15"
        folder = install_hf(sd15_dir, model_id)
    out = tmp_path / "by-id.png"

    code, _out, err = generate(capsys, model_id, out, "--seed", SEED)

    assert code == 0, err
    assert f"Loading {model_id} ..." in err
    recipe = read_recipe(out)
    assert (recipe.model.id, recipe.model.path, recipe.seed) == (model_id, str(folder), SEED)


# --- models --------------------------------------------------------------------------------


def test_models_json_lists_folder_hf_cache_and_audio_models(capsys, sd15_dir, sdxl_dir, audio_dir):
    sd15 = install(sd15_dir)
    audio = install(audio_dir)
    sdxl = install_hf(sdxl_dir, "atelier-test/tiny-sdxl")

    code, out, err = run_cli(capsys, "models", "--json")

    assert code == 0, err
    assert "warning" not in err
    listed = {m["id"]: m for m in json.loads(out)}
    expected = {
        "tiny-sd15": ("tiny-sd15", sd15, "image", "sd15", "StableDiffusionPipeline"),
        "atelier-test/tiny-sdxl": ("tiny-sdxl", sdxl, "image", "sdxl", "StableDiffusionXLPipeline"),
        "tiny-audioldm2": ("tiny-audioldm2", audio, "audio", "audioldm2", "AudioLDM2Pipeline"),
    }
    assert set(listed) == set(expected)
    for model_id, (name, path, kind, family, pipeline) in expected.items():
        m = listed[model_id]
        fields = (m["name"], m["path"], m["kind"], m["family"], m["pipeline"])
        assert fields == (name, str(path), kind, family, pipeline)
    assert listed["tiny-sd15"]["source"] == "models folder"
    assert listed["atelier-test/tiny-sdxl"]["source"] == "hf cache"


def test_models_text_lists_good_models_and_warns_about_broken_ones(capsys, sd15_dir):
    folder = install(sd15_dir)
    broken = paths.models_dir() / "broken"
    broken.mkdir()
    (broken / "model_index.json").write_text("{not json", encoding="utf-8")

    code, out, err = run_cli(capsys, "models")

    assert code == 0
    [line] = out.splitlines()
    assert line.startswith("tiny-sd15\timage\tsd15\t") and line.endswith(f"\t{folder}")
    [warning] = err.splitlines()
    assert warning.startswith("atelier: warning: ") and "broken" in warning and "not valid JSON" in warning


@pytest.mark.skipif(sys.platform == "win32", reason="Windows file names cannot hold tabs or newlines")
def test_models_text_escapes_control_characters_in_names(capsys, sd15_dir):
    # A name that would add a fake row: "evil<TAB>image ... <NEWLINE>spoof<TAB>image ...".
    name = "evil\timage\tsd15\t9.99 GB\tfake\nspoof\x1b[2J"
    folder = install(sd15_dir, name)

    code, out, err = run_cli(capsys, "models")

    assert code == 0, err
    [line] = out.splitlines()
    escaped = "evil\\timage\\tsd15\\t9.99 GB\\tfake\\nspoof\\x1b[2J"
    fields = line.split("\t")
    assert fields[0] == escaped and fields[1:3] == ["image", "sd15"]
    assert fields[4] == str(folder.parent) + "/" + escaped
    assert len(fields) == 5 and "\x1b" not in out

    code, out, _err = run_cli(capsys, "models", "--json")
    assert code == 0 and json.loads(out)[0]["id"] == name  # machine-readable output is exact


def test_models_with_none_installed_says_where_to_put_them(capsys):
    code, out, err = run_cli(capsys, "models")

    assert (code, out) == (0, "")
    assert "No models found" in err and str(paths.models_dir()) in err


# --- generate: bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--scheduler", "Warp Drive"], ["unknown scheduler 'Warp Drive'", "Euler a"]),
        (["--size", "100x64"], ["width 100", "multiple of 8"]),
        (["--size", "64x4104"], ["height 4104", "4096"]),
        (["--steps", "0"], ["steps 0", "between 1 and 500"]),
        (["--steps", "501"], ["steps 501", "between 1 and 500"]),
        (["--batch", "0"], ["batch 0", "between 1 and 64"]),
        (["--size", "big"], ["--size", "'big'", "WIDTHxHEIGHT"]),
        (["--size", "64x64x64"], ["--size", "WIDTHxHEIGHT"]),
    ],
    ids=["scheduler", "size-not-8", "size-too-big", "steps-0", "steps-501", "batch-0", "size-garbage", "size-3d"],
)
def test_bad_arguments_exit_2_before_loading(capsys, tmp_path, sd15_dir, options, words):
    result = generate(capsys, sd15_dir, tmp_path / "out.png", *options)

    assert_fails(result, 2, *words)
    assert "Loading" not in result[2]  # refused before any model was touched
    assert not list(tmp_path.glob("*.png"))


def test_output_folder_that_does_not_exist_exits_2(capsys, tmp_path, sd15_dir):
    out = tmp_path / "no-such-folder" / "out.png"

    assert_fails(generate(capsys, sd15_dir, out), 2, str(out.parent), "does not exist")


def test_project_in_a_folder_that_does_not_exist_exits_2_before_loading(capsys, tmp_path, sd15_dir):
    from atelier.core.session import crashed_sessions

    project = tmp_path / "no-such-folder" / "work.atelier"

    result = run_cli(capsys, "generate", "--model", sd15_dir, "--prompt", PROMPT, *TINY, "--project", project)

    line = assert_fails(result, 2, str(project), str(project.parent), "does not exist")
    assert "create it or choose another --project" in line and "disk space" not in result[2]
    assert "Loading" not in result[2]  # refused before any model was touched
    assert crashed_sessions() == []  # and no working folder was left to recover


@needs_read_only_folders
def test_project_in_a_read_only_folder_exits_2_before_loading(capsys, locked_folder, sd15_dir):
    result = run_cli(capsys, "generate", "--model", sd15_dir, "--prompt", PROMPT, *TINY,
                     "--project", locked_folder / "work.atelier")
    assert_fails(result, 2, str(locked_folder), "not writable", "choose another --project")
    assert "Loading" not in result[2] and not list(locked_folder.iterdir())


def test_output_that_is_not_png_exits_2(capsys, tmp_path, sd15_dir):
    assert_fails(generate(capsys, sd15_dir, tmp_path / "out.jpg"), 2, "out.jpg", "must be a .png")


@pytest.mark.parametrize(("folder_name", "batch"), [("out.png", 1), ("out-2.png", 3)], ids=["single", "batch"])
def test_output_file_that_is_a_folder_exits_2_before_loading(capsys, tmp_path, sd15_dir, folder_name, batch):
    (tmp_path / folder_name).mkdir()

    result = generate(capsys, sd15_dir, tmp_path / "out.png", "--batch", batch)

    assert_fails(result, 2, str(tmp_path / folder_name), "is a folder")
    assert "Loading" not in result[2]
    assert list(tmp_path.glob("*.png")) == [tmp_path / folder_name]  # nothing written


@needs_read_only_folders
def test_read_only_output_folder_exits_2(capsys, locked_folder, sd15_dir):
    assert_fails(generate(capsys, sd15_dir, locked_folder / "out.png"), 2, "not writable")
    assert not list(locked_folder.iterdir())


def _missing(tmp_path):
    return tmp_path / "nowhere"


def _no_index(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def _bad_index(tmp_path):
    folder = _no_index(tmp_path)
    (folder / "model_index.json").write_text("{not json", encoding="utf-8")
    return folder


def _audio(tmp_path):
    return tiny_models.write_audio_model_index(tmp_path / "tiny-audioldm2")


@pytest.mark.parametrize(
    ("make_model", "words"),
    [
        (_missing, ["nowhere", "no such model folder"]),
        (_no_index, ["empty", "no model_index.json"]),
        (_bad_index, ["model_index.json", "not valid JSON"]),
        (_audio, ["tiny-audioldm2", "AudioLDM2Pipeline models are not supported", "Stable Audio, MusicGen and ACE-Step"]),
        (lambda _tmp: "no-such-model", ["no model 'no-such-model'", "atelier models"]),
    ],
    ids=["missing-path", "no-model-index", "index-not-json", "audio-model", "unknown-id"],
)
def test_model_problems_exit_3(capsys, tmp_path, make_model, words):
    model = make_model(tmp_path)

    result = generate(capsys, model, tmp_path / "out.png")

    assert_fails(result, 3, *words)
    assert not (tmp_path / "out.png").exists()


def test_pickle_weights_in_a_folder_exit_3_saying_to_convert(capsys, tmp_path, sd15_dir):
    model = tiny_models.with_pickle_weights(sd15_dir, tmp_path / "old-bin")

    line = assert_fails(generate(capsys, model, tmp_path / "out.png"), 3, str(model), "pickle")

    assert "convert them to .safetensors" in line
    assert not (tmp_path / "out.png").exists()


def test_truncated_weights_exit_3_naming_the_file(capsys, tmp_path, sd15_dir):
    model = copy_model(sd15_dir, tmp_path)
    weights = model / "unet" / "diffusion_pytorch_model.safetensors"
    with open(weights, "r+b") as fh:
        fh.truncate(weights.stat().st_size // 2)

    line = assert_fails(generate(capsys, model, tmp_path / "out.png"), 3, str(weights), "truncated")

    assert "copy the model again" in line
    assert not (tmp_path / "out.png").exists()


def test_failure_during_generation_exits_4(capsys, tmp_path, sd15_dir):
    # A scheduler config diffusers accepts at load time but rejects at the first step.
    model = copy_model(sd15_dir, tmp_path)
    config_path = model / "scheduler" / "scheduler_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["prediction_type"] = "bogus"
    config_path.write_text(json.dumps(config), encoding="utf-8")

    result = generate(capsys, model, tmp_path / "out.png")

    assert_fails(result, 4, "generation failed with tiny-sd15", "prediction_type")
    assert not (tmp_path / "out.png").exists()


def test_debug_adds_the_traceback(capsys, tmp_path):
    missing = tmp_path / "nowhere"

    code, _out, err = run_cli(
        capsys, "--debug", "generate", "--model", missing, "--prompt", PROMPT, "--out", tmp_path / "o.png"
    )

    assert code == 3
    assert "Traceback (most recent call last)" in err and "ModelError" in err
    assert err.splitlines()[-1].startswith("atelier: error: ") and "no such model folder" in err


# --- the real entry point in a child process -----------------------------------------------


@pytest.fixture
def child_env(guard_env, home) -> dict:
    """guard_env, pointed explicitly at this test's models folder and caches."""
    return {**guard_env, **{name: os.environ[name] for name in HOME_VARS}}


def run_child(env: dict, *argv, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *map(str, argv)], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_child_processes_are_network_guarded(child_env, tmp_path):
    # Without this, "NETWORK-BLOCKED not in stderr" below would prove nothing.
    child = run_child(child_env, "-c", "import socket; socket.create_connection(('192.0.2.1', 80))", cwd=tmp_path)

    assert child.returncode == 99
    assert "NETWORK-BLOCKED" in child.stderr


def test_entry_point_lists_models_as_json(child_env, tmp_path, sd15_dir):
    folder = install(sd15_dir)

    child = run_child(child_env, "-m", "atelier", "models", "--json", cwd=tmp_path)

    assert child.returncode == 0, child.stderr
    assert "NETWORK-BLOCKED" not in child.stderr
    [model] = json.loads(child.stdout)
    assert (model["id"], model["path"], model["family"]) == ("tiny-sd15", str(folder), "sd15")


def test_entry_point_generates_a_png(child_env, tmp_path, sd15_dir):
    install(sd15_dir)
    out = tmp_path / "child.png"

    child = run_child(
        child_env, "-m", "atelier", "generate", "--model", "tiny-sd15", "--prompt", PROMPT, *TINY,
        "--seed", SEED, "--out", out, cwd=tmp_path,
    )

    assert child.returncode == 0, child.stderr
    assert "NETWORK-BLOCKED" not in child.stderr and "Traceback" not in child.stderr
    assert f"seed {SEED}" in line_naming(child.stdout, out)
    with Image.open(out) as image:
        assert image.size == (64, 48)
    assert read_recipe(out).seed == SEED


# --- projects ------------------------------------------------------------------------------


def project_info(capsys, project: Path) -> dict:
    code, out, err = run_cli(capsys, "project", "info", project, "--json")
    assert code == 0, err
    return json.loads(out)


def test_generate_into_a_project_creates_it_and_appends(capsys, tmp_path, sd15_dir):
    project = tmp_path / "work.atelier"
    code, out, err = run_cli(capsys, "generate", "--model", sd15_dir, "--prompt", "灯台 at dusk", *TINY,
                             "--seed", 9, "--batch", 2, "--project", project)
    assert code == 0, err
    assert out.count(f"{project}: image") == 2
    code, _out, err = run_cli(capsys, "generate", "--model", sd15_dir, "--prompt", PROMPT, *TINY,
                              "--seed", 30, "--project", project, "--out", tmp_path / "also.png")
    assert code == 0, err
    assert (tmp_path / "also.png").is_file()

    info = project_info(capsys, project)
    assert info["format_version"] == 2
    assert [e["prompt"] for e in info["entries"]] == ["灯台 at dusk", PROMPT]
    first, second = info["entries"]
    assert [o["recipe"]["request"]["seed"] for o in first["outputs"]] == [9, 10]
    assert [o["kind"] for o in first["outputs"]] == ["image", "image"]
    assert all(o["asset"].startswith("assets/") and o["asset"].endswith(".png") for o in first["outputs"])
    assert second["outputs"][0]["recipe"]["request"]["seed"] == 30
    assert first["parameters"]["steps"] == 2 and first["model"]["family"] == "sd15"
    # Every output was saved, so no working folder is left for recovery.
    from atelier.core.session import sessions_dir

    assert not sessions_dir().exists() or not any(sessions_dir().iterdir())


def test_project_info_text(capsys, tmp_path, sd15_dir):
    project = tmp_path / "p.atelier"
    assert generate(capsys, sd15_dir, tmp_path / "x.png", "--project", project)[0] == 0
    code, out, _err = run_cli(capsys, "project", "info", project)
    assert code == 0
    assert f"{project}: format 2, 1 entries, 1 outputs" in out


def test_export_writes_files_with_metadata_and_a_listing(capsys, tmp_path, sd15_dir):
    project = tmp_path / "p.atelier"
    assert generate(capsys, sd15_dir, tmp_path / "x.png", "--seed", 77, "--project", project)[0] == 0
    dest = tmp_path / "exported"
    code, out, err = run_cli(capsys, "project", "export", project, dest)
    assert code == 0, err
    assert "exported 1 file(s)" in out
    [image] = sorted(dest.glob("*.png"))
    assert image.name == "0001-a-photo-of-a-cat-77.png"
    assert read_recipe(image).seed == 77
    listing = json.loads((dest / "prompts.json").read_text())
    assert listing[0]["file"] == image.name and listing[0]["seed"] == 77 and listing[0]["prompt"] == PROMPT
    assert (dest / "prompts.csv").read_text().splitlines()[1].startswith(f"{image.name},image,{PROMPT},")


def test_import_image_recovers_a1111_settings(capsys, tmp_path):
    from PIL.PngImagePlugin import PngInfo

    made_elsewhere = tmp_path / "a1111.png"
    meta = PngInfo()
    meta.add_text("parameters", "a red fox\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, "
                                "Seed: 42, Size: 64x64, Model: dreamshaper")
    Image.new("RGB", (64, 64), "orange").save(made_elsewhere, pnginfo=meta)
    plain = tmp_path / "plain.png"
    Image.new("RGB", (32, 32), "blue").save(plain)
    project = tmp_path / "imports.atelier"

    code, out, err = run_cli(capsys, "project", "import-image", project, made_elsewhere, plain)
    assert code == 0, err
    assert "prompt: a red fox" in out and "(no recipe found)" in out
    first, second = project_info(capsys, project)["entries"]
    assert (first["prompt"], first["negative_prompt"]) == ("a red fox", "blurry")
    assert first["outputs"][0]["recipe"]["seed"] == 42 and first["parameters"]["steps"] == 20
    assert second["outputs"][0]["recipe"] is None


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda p: p, "no such project file"),
        (lambda p: (p.write_text("not a zip"), p)[1], "not an Atelier project"),
    ],
)
def test_bad_project_file_exits_5(capsys, tmp_path, make, words):
    project = make(tmp_path / "bad.atelier")
    assert_fails(run_cli(capsys, "project", "info", project), 5, str(project), words)


def test_generate_into_a_damaged_project_exits_5_before_loading(capsys, tmp_path, sd15_dir):
    project = tmp_path / "bad.atelier"
    project.write_bytes(b"PK\x03\x04 damaged")
    code, _out, err = generate(capsys, sd15_dir, tmp_path / "x.png", "--project", project)
    assert_fails((code, _out, err), 5, str(project))
    assert "Loading" not in err
    assert project.read_bytes() == b"PK\x03\x04 damaged"  # nothing already saved is harmed


def test_generate_needs_out_or_project(capsys, sd15_dir):
    code, out, err = run_cli(capsys, "generate", "--model", sd15_dir, "--prompt", PROMPT)
    assert_fails((code, out, err), 2, "--out", "--project")


def test_import_of_a_missing_image_exits_5_and_leaves_the_project(capsys, tmp_path):
    project = tmp_path / "p.atelier"
    code, _out, err = run_cli(capsys, "project", "import-image", project, tmp_path / "nope.png")
    assert_fails((code, _out, err), 5, "nope.png", "no such image file")
    assert not project.exists()
    from atelier.core.session import crashed_sessions

    assert crashed_sessions() == []  # no half-made session left behind


def saved_project(path: Path, *prompts: str) -> Path:
    """A project with one image per prompt, made without a model."""
    import io

    from atelier.core.session import ProjectSession

    session = ProjectSession.create()
    for seed, prompt in enumerate(prompts, start=1):
        png = io.BytesIO()
        Image.new("RGB", (8, 8), (seed, 0, 0)).save(png, format="PNG")
        entry = session.add_entry(prompt)
        session.add_output(entry, "image", png.getvalue(), "png", {"prompt": prompt, "seed": seed})
    session.save(path)
    session.close()
    return path


def test_export_never_overwrites_the_artists_prompts_files(capsys, tmp_path):
    project = saved_project(tmp_path / "p.atelier", "a red fox")
    dest = tmp_path / "exported"
    dest.mkdir()
    (dest / "prompts.csv").write_text("file,what I think of it\nold.png,my best work\n")

    code, out, err = run_cli(capsys, "project", "export", project, dest)

    assert code == 0, err
    assert (dest / "prompts.csv").read_text() == "file,what I think of it\nold.png,my best work\n"
    assert f"exported 1 file(s) to {dest} (with prompts-2.csv and prompts-2.json: " in out
    assert json.loads((dest / "prompts-2.json").read_text())[0]["prompt"] == "a red fox"


def hostile_png(tmp_path: Path, name: str) -> Path:
    import hostile_images

    path = tmp_path / name
    path.write_bytes({"bomb.png": hostile_images.BOMB, "ztxt.png": hostile_images.ZTXT_200_MB,
                      "deep.png": hostile_images.DEEP_COMFYUI}[name]())
    return path


@pytest.mark.parametrize(
    "name, reason",
    [
        ("bomb.png", "too large to import: 20000x20000 pixels"),
        ("ztxt.png", "too large to import: its 'parameters' metadata unpacks to more than 1 MB"),
        ("deep.png", "cannot be imported: its ComfyUI metadata is nested too deeply to read"),
    ],
)
def test_import_of_a_hostile_image_exits_5_in_one_line(capsys, tmp_path, name, reason):
    image = hostile_png(tmp_path, name)
    project = tmp_path / "p.atelier"
    line = assert_fails(run_cli(capsys, "project", "import-image", project, image), 5, f"{image}: {reason}")
    assert "unexpected" not in line
    assert not project.exists()


def test_import_notes_what_it_cut_and_left_out(capsys, tmp_path):
    from PIL.PngImagePlugin import PngInfo

    meta = PngInfo()
    meta.add_text("parameters", "fox " * 5000 + "\nSteps: 99999999, CFG scale: 7, Seed: -5, Size: 99999x-3")
    image = tmp_path / "odd.png"
    Image.new("RGB", (8, 8)).save(image, pnginfo=meta)
    project = tmp_path / "p.atelier"

    code, out, err = run_cli(capsys, "project", "import-image", project, image)

    assert code == 0, err
    imported, cut, left_out = out.splitlines()
    assert imported.startswith(f"imported {image} as assets/") and "prompt: fox fox" in imported
    assert cut == "  note: its prompt was cut to the first 10,000 of 20,000 characters (the full text stays in the image's metadata)"
    assert left_out.startswith("  note: settings outside Atelier's range were left out: seed -5: ")
    [entry] = project_info(capsys, project)["entries"]
    assert entry["parameters"] == {"guidance": 7.0}
    assert entry["outputs"][0]["recipe"]["raw"].endswith("Steps: 99999999, CFG scale: 7, Seed: -5, Size: 99999x-3")


def test_two_generate_runs_on_one_project_at_once_lose_nothing(tmp_path, child_env, sd15_dir):
    path = tmp_path / "shared.atelier"
    argv = [sys.executable, "-m", "atelier", "generate", "--model", str(sd15_dir), "--size", "32x32",
            "--steps", "1", "--batch", "2", "--project", str(path)]
    procs = [subprocess.Popen([*argv, "--prompt", prompt], env=child_env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for prompt in ("a red fox", "a blue whale")]
    results = [proc.communicate(timeout=300) for proc in procs]

    for proc, (_out, err) in zip(procs, results):
        assert proc.returncode == 0, err
    reported = sum(out.count(f"{path}: image") for out, _err in results)
    with ProjectArchive(path) as archive:
        entries = {e.prompt: len(e.outputs) for e in archive.project.entries}
    assert reported == 4 and entries == {"a red fox": 2, "a blue whale": 2}


# --- the real entry point: what reaches stderr ---------------------------------------------


def test_entry_point_refuses_pickle_weights_without_library_chatter(child_env, tmp_path, sd15_dir):
    model = tiny_models.with_pickle_weights(sd15_dir, tmp_path / "old-bin")

    child = run_child(child_env, "-m", "atelier", "generate", "--model", model, "--prompt", PROMPT, *TINY,
                      "--out", tmp_path / "out.png", cwd=tmp_path)

    assert child.returncode == 3, child.stderr
    [line] = child.stderr.splitlines()
    assert line.startswith(f"atelier: error: {model}: ") and "convert them to .safetensors" in line
    assert "unsafe serialization" not in child.stderr and "weights_only" not in child.stderr


def test_entry_point_notes_a_100k_character_prompt_once_and_briefly(child_env, tmp_path, sd15_dir):
    prompt = ("a photo of a cat " * 6000)[:100_000]
    out = tmp_path / "long.png"

    child = run_child(child_env, "-m", "atelier", "generate", "--model", sd15_dir, "--prompt", prompt, *TINY,
                      "--batch", 2, "--seed", SEED, "--out", out, cwd=tmp_path)

    assert child.returncode == 0, child.stderr[-2000:]
    assert len(child.stderr) < 2000, child.stderr[:2000]
    note = "atelier: warning: the prompt is longer than tiny-sd15 reads (77 tokens); the rest is ignored"
    assert child.stderr.count(note) == 1 and "truncated" not in child.stderr
    assert read_recipe(tmp_path / "long-1.png").request.prompt == prompt


def test_a_model_that_cannot_make_images_touches_no_project(capsys, tmp_path, audio_dir):
    project = tmp_path / "work.atelier"
    result = run_cli(capsys, "generate", "--model", audio_dir, "--prompt", PROMPT, *TINY, "--project", project)
    assert_fails(result, 3, "AudioLDM2Pipeline models are not supported")
    assert not project.exists()  # refused before the engine started or the project was made
