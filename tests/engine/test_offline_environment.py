"""Importing the engine turns every library's network use off for the whole process, before
any of them is imported: the Hugging Face hub's downloads and telemetry, and ONNX Runtime's
telemetry uploader (on by default in its official builds)."""

import json
import os
import subprocess
import sys

_SWITCHES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "ORT_DISABLE_TELEMETRY")


def test_importing_the_engine_switches_off_network_use_before_any_library_loads():
    env = {key: value for key, value in os.environ.items() if key not in _SWITCHES}
    script = ("import json, os, sys; import atelier.engine; "
              "print(json.dumps({'env': {k: os.environ.get(k) for k in %r}, "
              "'loaded': [m for m in ('onnxruntime', 'huggingface_hub', 'torch') if m in sys.modules]}))" % (_SWITCHES,))
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["env"] == {name: "1" for name in _SWITCHES}
    assert seen["loaded"] == []  # set first: nothing that reads them has been imported yet
