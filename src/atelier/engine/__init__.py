"""The only home of torch, diffusers, transformers, spandrel and onnxruntime; each is imported lazily, inside functions.

Importing this package makes the Hugging Face libraries offline for the whole process: the hub
reads ``HF_HUB_OFFLINE`` once, at its own import, so it must be set before anything imports it.
"""

import os
import warnings

for _name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
    os.environ[_name] = "1"
# ONNX Runtime's official Linux and macOS builds carry Microsoft's telemetry uploader, on unless
# this is set before it initialises (its Privacy.md); Atelier never lets anything reach out.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
os.environ.setdefault("DIFFUSERS_NO_ADVISORY_WARNINGS", "1")
# Progress bars and library chatter ("install torchvision ...") belong on a developer's terminal,
# not in an artist's log; --debug logging still shows Atelier's own messages.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
# Stable Audio's and ACE-Step's autoencoder (Oobleck) is built with torch's old weight_norm; the
# deprecation says nothing an artist can act on.
warnings.filterwarnings("ignore", message=r"`torch\.nn\.utils\.weight_norm` is deprecated", category=FutureWarning)
