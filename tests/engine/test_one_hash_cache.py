"""One pass over a model file gives the sha256 and A1111's hashes, and one cache keeps them for
the library and the recipes' fingerprints alike: a file hashed for one is never read for the
other. The older sha256-only cache is still read."""

import builtins
import hashlib
import json

import library_files
import pytest

from atelier import paths
from atelier.engine.fingerprint import cached_fingerprint, model_fingerprint
from atelier.models import hashes


@pytest.fixture
def lora(user_home):
    return library_files.write_model(paths.models_dir() / "Lora" / "ink.safetensors", "lora", "sd15", body=4096)


def _reads_of(path, monkeypatch) -> list:
    """Every open() of ``path`` from now on."""
    opened = []
    real_open = builtins.open

    def counting_open(file, *args, **kwargs):
        if str(file) == str(path):
            opened.append(file)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    return opened


def test_the_librarys_hashes_serve_the_fingerprint_without_reading_again(lora, monkeypatch):
    found = hashes.file_hashes(lora)
    opened = _reads_of(lora, monkeypatch)

    assert cached_fingerprint(lora) == model_fingerprint(lora) == found.sha256
    assert hashes.cached_file_hashes(lora) == found
    assert opened == []
    assert json.loads((paths.cache_dir() / "model_hashes.json").read_text()) != {}
    assert not (paths.cache_dir() / "fingerprints.json").exists()


def test_a_fingerprint_first_keeps_the_lora_hash_too(lora, monkeypatch):
    raw = lora.read_bytes()
    model_fingerprint(lora)
    opened = _reads_of(lora, monkeypatch)

    found = hashes.file_hashes(lora)

    assert opened == [] and found.sha256 == hashlib.sha256(raw).hexdigest()
    assert found.lora_sha256 == hashlib.sha256(raw[8 + int.from_bytes(raw[:8], "little"):]).hexdigest()


def test_the_older_fingerprint_cache_is_still_read(lora):
    real = lora.resolve()
    key = f"{real}|{real.stat().st_size}|{real.stat().st_mtime_ns}"
    paths.cache_dir().mkdir(parents=True, exist_ok=True)
    (paths.cache_dir() / "fingerprints.json").write_text(json.dumps({key: "ab" * 32}))

    assert cached_fingerprint(lora) == "ab" * 32  # as recorded before: no hashing
    assert hashes.cached_file_hashes(lora) is None  # no LoRA hash in it: the library computes both
    assert hashes.file_hashes(lora).sha256 == hashlib.sha256(lora.read_bytes()).hexdigest()
