"""Upscaler files through engine/upscalers.py: tiny real ESRGAN and Compact weights in both file
formats load with spandrel and report their architecture and scale; everything else (a planted
pickle payload, a truncated file, an unknown architecture, a model that is no upscaler) is
refused in one line and never run. And the torchvision stand-in: used only where torchvision
does not import, and gone from sys.modules once spandrel is imported."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import tiny_upscalers
import torch

from atelier.core.errors import ModelError
from atelier.engine import registry, upscalers


@pytest.mark.parametrize("suffix", [".safetensors", ".pth"])
@pytest.mark.parametrize(("build", "scale", "architecture"), [
    (tiny_upscalers.esrgan_file, 2, "ESRGAN"),
    (tiny_upscalers.esrgan_file, 4, "ESRGAN"),
    (tiny_upscalers.compact_file, 2, "RealESRGAN Compact"),
    (tiny_upscalers.compact_file, 4, "RealESRGAN Compact"),
])
def test_both_file_formats_load_with_their_architecture_and_scale(tmp_path, suffix, build, scale, architecture):
    path = build(tmp_path / f"up{suffix}", scale)
    assert upscalers.describe(path) == (architecture, scale)
    loaded = upscalers.load_upscaler(path, "cpu", "float32")
    assert (loaded.architecture, loaded.scale, loaded.device, loaded.dtype) == (architecture, scale, "cpu", "float32")
    assert len(loaded.fingerprint) == 64
    out = loaded.run(np.random.default_rng(0).integers(0, 256, (12, 10, 3), dtype=np.uint8))
    assert out.shape == (12 * scale, 10 * scale, 3) and out.dtype == np.float32
    assert 0 <= out.min() and out.max() <= 255 and out.std() > 10  # a picture with detail, not a flat grey


def test_wrapped_state_dicts_load_as_downloads_ship_them(tmp_path):
    """Real-ESRGAN's releases wrap the weights in "params_ema"; spandrel unwraps it."""
    path = tmp_path / "RealESRGAN_x2.pth"
    torch.save({"params_ema": tiny_upscalers.esrgan_state_dict(2)}, path)
    assert upscalers.describe(path) == ("ESRGAN", 2)


def test_the_loaded_upscaler_is_kept_until_the_file_changes(tmp_path):
    path = tiny_upscalers.esrgan_file(tmp_path / "up.safetensors", 2)
    first = upscalers.load_upscaler(path, "cpu", "float32")
    assert upscalers.holds(path, "cpu", "float32")
    assert upscalers.load_upscaler(path, "cpu", "float32") is first
    tiny_upscalers.esrgan_file(path, 4)  # another model saved over it
    later = path.stat().st_mtime_ns + 10**9
    os.utime(path, ns=(later, later))
    assert not upscalers.holds(path, "cpu", "float32")
    again = upscalers.load_upscaler(path, "cpu", "float32")
    assert again is not first and again.scale == 4 and again.fingerprint != first.fingerprint


class _Payload:
    """Unpickling this runs code: it would create the marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_planted_pickle_payload_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "payload-ran"
    path = tmp_path / "RealESRGAN_x4plus.pth"
    torch.save({**tiny_upscalers.esrgan_state_dict(2), "trap": _Payload(marker)}, path)
    with pytest.raises(ModelError) as refused:
        upscalers.load_upscaler(path, "cpu", "float32")
    message = str(refused.value)
    assert "needs code to load, which Atelier never runs; convert it to .safetensors" in message
    assert "RealESRGAN_x4plus.pth" in message and "\n" not in message
    assert not marker.exists()


@pytest.mark.parametrize("suffix", [".safetensors", ".pth"])
def test_a_truncated_file_is_refused(tmp_path, suffix):
    path = tiny_upscalers.esrgan_file(tmp_path / f"up{suffix}", 2)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(ModelError) as refused:
        upscalers.describe(path)
    assert "damaged or truncated" in str(refused.value) and "copy the file again" in str(refused.value)
    assert "\n" not in str(refused.value)


def test_an_unknown_architecture_is_refused(tmp_path):
    path = tiny_upscalers.save({"encoder.weight": torch.ones(4, 3, 3, 3), "decoder.bias": torch.zeros(3)},
                               tmp_path / "mystery.safetensors")
    with pytest.raises(ModelError, match=r"^mystery\.safetensors: unknown upscaler architecture .*choose another"):
        upscalers.describe(path)


def test_a_model_that_keeps_the_size_is_no_upscaler(tmp_path):
    path = tiny_upscalers.compact_file(tmp_path / "1x_denoise.pth", 1)
    with pytest.raises(ModelError, match=r"^1x_denoise\.pth: is a RealESRGAN Compact model that restores pictures "
                                         r"at their size, not an upscaler"):
        upscalers.load_upscaler(path, "cpu", "float32")


def test_weights_that_do_not_fit_their_architecture_are_refused(tmp_path):
    state = tiny_upscalers.esrgan_state_dict(2)
    state["conv_body.weight"] = torch.ones(5, 5, 3, 3)  # the shape of another model
    path = tiny_upscalers.save(state, tmp_path / "odd.safetensors")
    with pytest.raises(ModelError, match=r"^odd\.safetensors: its weights do not fit"):
        upscalers.describe(path)


def test_other_files_are_refused_by_their_suffix(tmp_path):
    path = tmp_path / "model.ckpt"
    path.write_bytes(b"not read")
    with pytest.raises(ModelError, match="give a .safetensors or .pth upscaler"):
        upscalers.describe(path)


def test_the_registry_lists_an_upscaler_file_that_then_loads(tmp_path):
    path = tiny_upscalers.compact_file(tmp_path / "ESRGAN" / "4x_compact.safetensors", 4)
    info = registry.inspect_file(path)
    assert (info.kind, info.format) == ("upscaler", "single-file")
    assert upscalers.describe(info.path) == ("RealESRGAN Compact", 4)


# --- the torchvision stand-in, each case in a fresh interpreter -----------------------------------

_PROBE = textwrap.dedent("""
    import json, sys
    from atelier.engine.upscalers import import_spandrel
    spandrel = import_spandrel()
    from spandrel.architectures import RestoreFormer
    try:
        called = RestoreFormer.tv_normalize(None, [0.5], [0.5])
    except Exception as exc:
        called = f"{type(exc).__name__}: {exc}"
    tv = sys.modules.get("torchvision")
    print(json.dumps({
        "torchvision": None if tv is None else getattr(tv, "__file__", None),
        "stand_in_left": [n for n in sys.modules if n.startswith("torchvision") and
                          getattr(sys.modules[n], "atelier_stand_in", False)],
        "called": str(called),
        "loader": spandrel.ModelLoader.__name__,
    }))
""")


def _probe(env: dict, first_on_path: Path | None = None) -> dict:
    if first_on_path is not None:
        env = {**env, "PYTHONPATH": os.pathsep.join([str(first_on_path), env.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_without_torchvision_spandrel_imports_and_no_torchvision_is_left_behind(guard_env):
    try:
        import torchvision  # noqa: F401
    except Exception:
        pass
    else:
        pytest.skip("torchvision imports here: the stand-in is not used (the next tests cover both)")
    found = _probe(guard_env)
    assert found["loader"] == "ModelLoader"
    assert found["torchvision"] is None and found["stand_in_left"] == []
    assert found["called"].startswith("ModelError: this model needs torchvision")


def test_a_torchvision_that_fails_to_import_gets_the_stand_in(guard_env, tmp_path):
    """As the CUDA-linked PyPI wheel does on a CPU torch."""
    package = tmp_path / "torchvision"
    package.mkdir()
    (package / "__init__.py").write_text('raise OSError("libc10_cuda.so: cannot open shared object file")\n')
    found = _probe(guard_env, tmp_path)
    assert found["torchvision"] is None and found["stand_in_left"] == []
    assert found["called"].startswith("ModelError: this model needs torchvision")


def test_a_torchvision_that_imports_is_used_and_the_stand_in_is_not(guard_env, tmp_path):
    functional = tmp_path / "torchvision" / "transforms" / "functional.py"
    functional.parent.mkdir(parents=True)
    (tmp_path / "torchvision" / "__init__.py").write_text("from . import transforms\n")
    (functional.parent / "__init__.py").write_text("from . import functional\n")
    functional.write_text(textwrap.dedent("""
        import enum
        class InterpolationMode(enum.Enum):
            BILINEAR = "bilinear"
        def rotate(*args, **kwargs):
            return "the real rotate"
        def normalize(*args, **kwargs):
            return "the real normalize"
    """))
    found = _probe(guard_env, tmp_path)
    assert found["torchvision"] == str(tmp_path / "torchvision" / "__init__.py")
    assert found["called"] == "the real normalize" and found["stand_in_left"] == []
