"""The model library from the command line: ``models --type``, ``models info`` with the hashes
A1111 writes (checked against hashlib), and ``models convert`` of a pickle to .safetensors, only
with --trust, reading plain tensors only: a planted payload never runs."""

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file
from safetensors.torch import load_file
from test_cli import assert_fails, run_cli
from test_cli_image_to_image import home  # noqa: F401  (the autouse fixture: a test home of its own)

from atelier import paths
from atelier.models import hashes

_LORA = {"lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k.lora_down.weight":
         np.arange(4 * 768, dtype=np.float16).reshape(4, 768),
         "lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_down.weight": np.ones((4, 768), np.float16),
         "lora_te2_text_model_encoder_layers_0_mlp_fc1.lora_down.weight": np.ones((4, 1280), np.float16)}


class _Payload:
    """Unpickling this runs code: it would create the marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _lora_file() -> Path:
    path = paths.models_dir() / "Lora" / "ink.safetensors"
    path.parent.mkdir(parents=True)
    save_file(_LORA, str(path), metadata={"ss_network_dim": "4"})
    return path


def test_hashes_are_sha256_and_the_sha256_of_the_tensor_data():
    path = _lora_file()
    raw = path.read_bytes()
    data = raw[8 + int.from_bytes(raw[:8], "little"):]

    found = hashes.file_hashes(path)

    assert found.sha256 == hashlib.sha256(raw).hexdigest()
    assert found.model_hash == hashlib.sha256(raw).hexdigest()[:10]
    assert found.lora_sha256 == hashlib.sha256(data).hexdigest() != found.sha256
    assert found.lora_hash == found.lora_sha256[:12]
    # Cached by path, size and mtime: a changed file is hashed again.
    assert hashes.file_hashes(path) == found
    save_file({"other": np.zeros(3, np.float32)}, str(path))
    assert hashes.file_hashes(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_models_type_lists_only_that_kind(capsys):
    _lora_file()
    vae = {"encoder.conv_in.weight": np.zeros((8, 3, 3, 3), np.float16),
           "decoder.conv_out.weight": np.zeros((3, 8, 3, 3), np.float16)}
    save_file(vae, str(paths.models_dir() / "vae.safetensors"))

    code, out, err = run_cli(capsys, "models", "--type", "lora", "--json")
    assert code == 0, err
    assert [(m["id"], m["kind"], m["family"]) for m in json.loads(out)] == [("ink", "lora", "sdxl")]

    code, out, err = run_cli(capsys, "models", "--type", "vae")
    assert code == 0, err
    assert [line.split("\t")[:3] for line in out.splitlines()] == [["vae", "vae", "unknown"]]

    code, out, err = run_cli(capsys, "models", "--type", "controlnet")
    assert (code, out, err.strip()) == (0, "", "No controlnet models found.")


def test_models_info_gives_type_family_and_hashes(capsys):
    path = _lora_file()
    raw = path.read_bytes()

    code, out, err = run_cli(capsys, "models", "info", "ink", "--json")

    assert code == 0, err
    info = json.loads(out)
    assert (info["kind"], info["family"], info["path"], info["size_bytes"]) == ("lora", "sdxl", str(path), len(raw))
    assert info["sha256"] == hashlib.sha256(raw).hexdigest()
    assert info["model_hash"] == info["sha256"][:10]
    assert info["lora_hash"] == hashlib.sha256(raw[8 + int.from_bytes(raw[:8], "little"):]).hexdigest()[:12]
    assert info["readiness"] == "ready"

    code, out, err = run_cli(capsys, "models", "--json", "info", "ink")  # --json before the action: the same
    assert code == 0 and json.loads(out) == info, err

    code, out, err = run_cli(capsys, "models", "info", str(path))
    assert code == 0, err
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert (lines["kind"], lines["lora_hash"]) == ("lora", info["lora_hash"])

    code, _out, err = run_cli(capsys, "models", "info", "nothing-here")
    assert code == 3 and "no model 'nothing-here'" in err

    pickle = path.with_name("old-style.pt")
    pickle.write_bytes(b"\x80\x04never unpickled")
    code, out, err = run_cli(capsys, "models", "info", str(pickle), "--json")
    assert code == 0, err
    assert json.loads(out)["readiness"] == "pickle: convert to safetensors to use it"

    path.write_bytes(raw[:40])  # cut off: its header runs past the end
    assert_fails(run_cli(capsys, "models", "info", str(path)), 3, "ink.safetensors", "truncated")


def test_convert_with_trust_round_trips_the_tensors(capsys, tmp_path):
    weights = {"state_dict": {"unet.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3),
                              "unet.bias": torch.ones(2, dtype=torch.float16)},
               "tied": torch.zeros(4), "epoch": 7, "global_step": 1200}
    weights["alias"] = weights["tied"]  # shared memory, which safetensors stores twice
    source = tmp_path / "old.ckpt"
    torch.save(weights, source)
    out = tmp_path / "old.safetensors"

    code, stdout, err = run_cli(capsys, "models", "convert", source, out, "--trust")

    assert code == 0, err
    converted = load_file(out)
    assert sorted(converted) == ["alias", "state_dict.unet.bias", "state_dict.unet.weight", "tied"]
    assert torch.equal(converted["state_dict.unet.weight"], weights["state_dict"]["unet.weight"])
    assert converted["state_dict.unet.bias"].dtype == torch.float16
    assert torch.equal(converted["alias"], weights["tied"])
    assert "left out 2 values that are not tensors (epoch, global_step)" in err
    assert stdout.strip() == f"{out}: 4 tensors"


def test_convert_without_trust_is_refused_in_one_line(capsys, tmp_path):
    source = tmp_path / "old.ckpt"
    torch.save({"weight": torch.ones(2)}, source)

    code, out, err = run_cli(capsys, "models", "convert", source, tmp_path / "new.safetensors")

    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and "--trust says you trust where the file came from" in err
    assert not (tmp_path / "new.safetensors").exists()


def test_convert_never_runs_a_planted_payload(capsys, tmp_path):
    marker = tmp_path / "ran"
    source = tmp_path / "planted.ckpt"
    torch.save({"weight": torch.ones(2), "payload": _Payload(marker)}, source)

    code, _out, err = run_cli(capsys, "models", "convert", source, tmp_path / "planted.safetensors", "--trust")

    assert code == 3 and "planted.ckpt: needs code to load" in err
    assert not marker.exists()
    assert not (tmp_path / "planted.safetensors").exists()


def test_models_add_takes_an_a1111_installs_model_folders_once(capsys, tmp_path):
    install = tmp_path / "stable-diffusion-webui"
    for folder in ("Stable-diffusion", "Lora", "VAE"):
        (install / "models" / folder).mkdir(parents=True)
    save_file(_LORA, str(install / "models" / "Lora" / "ink.safetensors"))

    code, out, err = run_cli(capsys, "models", "add", install)
    assert code == 0, err
    assert out.strip() == "Added 3 folders from A1111: Stable-diffusion, Lora, VAE"
    code, out, err = run_cli(capsys, "models", "--type", "lora", "--json")
    assert [model["id"] for model in json.loads(out)] == ["ink"]

    code, out, err = run_cli(capsys, "models", "add", install / "models")  # its models/ folder: the same install
    assert code == 0 and out.strip() == f"The A1111 model folders in {paths.shown(install / 'models')} are already added"
    code, out, err = run_cli(capsys, "models", "add", tmp_path / "nowhere")
    assert code != 0 and out == "" and len(err.strip().splitlines()) == 1 and "is not a folder" in err
