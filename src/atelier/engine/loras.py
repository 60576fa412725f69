"""LoRAs, applied as adapters (never fused) so that dropping them restores the model exactly.

Each LoRA file is loaded into a model once, under a name made from its fingerprint, and stays
loaded while the model does: switching LoRAs is then a change of which adapters are active and
at what weight (``set_adapters``), not a read of files. A request without LoRAs disables them,
which leaves the model's own weights untouched; fusing would bake them in (GUIDE section 8).
"""

import contextlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import ModelError, RequestError
from ..core.families import base_family, part_fits
from ..core.recipe import Adapter
from ..models import kinds
from ..models.hashes import file_hashes
from .registry import require_present

# LoRAs a model keeps loaded though the current request does not use them, so switching back is
# quick; older ones are deleted to bound memory (an SD1.5 LoRA is 10-150 MB, an SDXL one more).
KEEP_UNUSED = 4
_APPLIED_KEY = "loras"  # in LoadedModel.applied


@dataclass
class Kept:
    """The LoRAs loaded into a model, kept in ``LoadedModel.applied``."""

    files: dict = field(default_factory=dict)  # adapter name -> file, least recently used first
    enabled: bool = True  # False after a request without LoRAs turned them off


def apply(ctx, loaded, uses) -> list[Adapter]:
    """Make the LoRAs of ``uses`` (LoraUse: an id among the job's extra models and a weight)
    the only active ones on ``loaded``, whose components every task pipeline shares; with no
    uses, the model is the bare one again. Returns what the recipe records, in request order.
    Refuses, before loading anything, a part that is no LoRA, a LoRA type Atelier cannot apply
    and a LoRA of another family than the model's; ModelError naming the file when loading fails."""
    parts = [(use, _part(ctx, use.model)) for use in uses]
    for _use, info in parts:
        _refuse(loaded, info)
    kept = loaded.applied.setdefault(_APPLIED_KEY, Kept())
    if not parts:
        if kept.files and kept.enabled:
            _call(loaded, "turning LoRAs off", loaded.pipe.disable_lora)
            kept.enabled = False
        return []
    records, names = [], []
    for use, info in parts:
        require_present(info)
        # One read gives both: the file's sha256 (engine/fingerprint.py's fingerprint of a
        # single file) and A1111's LoRA hash; both are cached by the file's size and mtime.
        hashes = file_hashes(info.path)
        name = f"lora_{hashes.sha256[:16]}"
        if name in names:
            raise RequestError(f"LoRA {use.model}: used twice (as the same file); give it once with the weight you want")
        if name not in kept.files:
            _load(loaded, info, name)
        kept.files[name] = kept.files.pop(name, info.path)  # now the most recently used
        names.append(name)
        records.append(Adapter(kind=kinds.LORA, name=info.name, fingerprint=hashes.sha256, weight=float(use.weight),
                               id=use.model, path=str(info.path), short_hash=hashes.lora_hash or ""))

    def activate():
        if not kept.enabled:  # enabling costs a walk over every patched layer: only when off
            loaded.pipe.enable_lora()
            kept.enabled = True
        loaded.pipe.set_adapters(names, [use.weight for use, _info in parts])

    _call(loaded, f"applying {', '.join(Path(info.path).name for _use, info in parts)}", activate)
    _forget_unused(loaded, kept, set(names))
    return records


def _part(ctx, model_id: str):
    info = ctx.job.extra_models.get(model_id)
    if info is None:
        raise ModelError(f"LoRA {model_id}: not among the models handed to the engine; choose one from "
                         "'atelier models --type lora'")
    return info


def _refuse(loaded, info) -> None:
    """The checks that need no loading: the part's type, its note and its family."""
    if info.kind != kinds.LORA:
        raise ModelError(f"{info.id}: is a {info.kind}, not a LoRA; choose a LoRA (see 'atelier models --type lora')")
    if not hasattr(loaded.pipe, "load_lora_weights"):  # PixArt and the like: diffusers has no LoRA loader
        raise ModelError(f"{loaded.info.id}: {loaded.info.pipeline} models take no LoRAs; choose another model "
                         "or leave the LoRAs out")
    if info.note:  # "LoHa/LoKr: not supported": the registry saw a LyCORIS type diffusers cannot apply
        raise ModelError(f"{Path(info.path).name}: {info.note}; choose a plain LoRA")
    model_family = base_family(loaded.info.family)  # an inpainting checkpoint takes its base's
    if not part_fits(info.family, model_family):
        raise ModelError(f"{Path(info.path).name}: is a LoRA for {info.family} models, and {loaded.info.id} is "
                         f"{model_family}; choose a {model_family} LoRA or a {info.family} model")


def _load(loaded, info, name: str) -> None:
    from .image import quiet_libraries

    path = Path(info.path)
    if path.suffix != ".safetensors":  # other LoRA files are pickles, which can run code
        raise ModelError(f"{path}: LoRAs are read from .safetensors files only; convert it")
    try:
        # "No LoRA keys for the text encoder", peft's "multiple adapters in the model": no news
        # (keeping several adapters loaded is what makes switching quick).
        with quiet_libraries(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Already found a `peft_config`")
            warnings.filterwarnings("ignore", message="Adapter .* was active")  # diffusers' cleanup on failure
            loaded.pipe.load_lora_weights(str(path), adapter_name=name)
    except Exception as exc:  # diffusers and peft raise many types; the artist needs one line
        with contextlib.suppress(Exception):  # the failure to report is the load's, not the cleanup's
            _delete(loaded, [name])  # a half-loaded adapter must not linger in the layers
        raise ModelError(f"{path}: could not be applied to {loaded.info.id} as a LoRA ({_reason(exc)}); "
                         f"check that it is a LoRA for {loaded.info.family} models, or copy it again") from exc


def _forget_unused(loaded, kept: Kept, in_use: set[str]) -> None:
    unused = [name for name in kept.files if name not in in_use]  # least recently used first
    stale = unused[:max(0, len(unused) - KEEP_UNUSED)]
    if stale:
        _delete(loaded, stale)
        for name in stale:
            del kept.files[name]


def _delete(loaded, names: list[str]) -> None:
    present = {name for adapters in loaded.pipe.get_list_adapters().values() for name in adapters}
    gone = [name for name in names if name in present]
    if gone:
        with warnings.catch_warnings():  # "adapter was active which is now deleted": apply sets them next
            warnings.filterwarnings("ignore", message="Adapter .* was active")
            loaded.pipe.delete_adapters(gone)


def _call(loaded, doing: str, action) -> None:
    try:
        action()
    except Exception as exc:
        raise ModelError(f"{loaded.info.id}: {doing} failed ({_reason(exc)})") from exc


def _reason(exc: Exception) -> str:
    """The first line of ``exc``; with the line after it when the first only introduces it
    (torch's "Error(s) in loading state_dict for ...:" then "size mismatch for ...")."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    reason = f"{lines[0]} {lines[1]}" if lines[0].endswith(":") and len(lines) > 1 else lines[0]
    return reason if len(reason) <= 300 else reason[:299] + "…"
