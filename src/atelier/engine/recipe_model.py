"""Which model on this machine made an output: the one at the recipe's path if its weights are
the same, else any known model of the same family whose fingerprint matches."""

from pathlib import Path

from ..core.errors import ModelError
from ..core.recipe import ModelRef
from ..models.kinds import PARTS
from . import registry
from .fingerprint import model_fingerprint


def find_recipe_model(ref: ModelRef, extra_folders=()) -> registry.ModelInfo:
    """Raises ModelError naming the model and how to supply it when none matches. Fingerprints
    are cached, so only models not hashed before cost a read of their weights."""
    candidates = []
    if ref.path and Path(ref.path).exists():
        try:
            candidates.append(registry.resolve(ref.path))
        except ModelError:
            pass
    # Parts (LoRAs, VAEs, ...) never make an output alone, nor do pickles: not worth hashing here.
    scanned = [m for m in registry.scan(extra_folders).models if m.kind not in PARTS and m.format != "pickle"]
    same_family = [m for m in scanned if m.family == ref.family]
    candidates += [m for m in scanned if m.id == ref.id] + same_family
    seen = set()
    for info in candidates:
        key = str(Path(info.path).resolve())
        if key in seen:
            continue
        seen.add(key)
        try:
            if model_fingerprint(info.path) == ref.fingerprint:
                return info
        except OSError:
            continue
    raise ModelError(f"the model that made this output ({ref.name or ref.id}, fingerprint {ref.fingerprint[:10]}) "
                     "is not among the models on this machine; put it in a model folder, or pass --model")
