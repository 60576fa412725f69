"""A pickle weights file (``.ckpt``, ``.pt``, ``.bin``, ``.pth``) rewritten as ``.safetensors``,
read with ``torch.load(weights_only=True)``, which builds tensors and plain containers only and
refuses anything that needs code: a planted payload is never run. Used by ``atelier models
convert`` and the Model Library's Convert action; both ask the artist first."""

from dataclasses import dataclass
from pathlib import Path

from ..core.errors import ModelError, RequestError


@dataclass(frozen=True)
class Converted:
    out: Path
    tensors: int  # how many were written
    dropped: tuple[str, ...]  # values that are no tensors (an epoch, a step count), left out


def convert_pickle(source: Path, out: Path) -> Converted:
    """Write ``source``'s tensors to ``out`` (a new ``.safetensors`` file, written atomically),
    nested names flattened with dots. RequestError for an ``out`` that is taken or misnamed;
    ModelError for a source that is missing, needs code to load, or holds no tensors."""
    source, out = Path(source), Path(out)
    if out.suffix != ".safetensors":
        raise RequestError(f"{out}: the converted file must end in .safetensors")
    if out.exists():
        raise RequestError(f"{out}: already exists; remove it or choose another name")
    if not source.is_file():
        raise ModelError(f"{source}: no such file; check the path")
    tensors, dropped = _load_tensors(source)
    if not tensors:
        raise ModelError(f"{source}: holds no tensors, so there is nothing to convert")
    from safetensors.torch import save

    from ..core.atomic import atomic_write_bytes

    atomic_write_bytes(out, save(tensors, metadata={"converted_from": source.name}))
    return Converted(out, len(tensors), tuple(dropped))


def _load_tensors(source: Path) -> tuple[dict, list[str]]:
    """The file's tensors by dotted name (nested dicts flattened), and the names of the values
    left out because they are no tensors."""
    import pickle

    import torch

    try:
        loaded = torch.load(source, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ModelError(f"{source}: needs code to load, so it was not read (a safe file holds only tensors); "
                         "find a .safetensors version of it") from exc
    except (RuntimeError, OSError, EOFError, ValueError) as exc:
        raise ModelError(f"{source}: not a torch file Atelier can read ({exc}); copy it again") from exc
    tensors: dict = {}
    dropped: list[str] = []
    seen_storage: set[int] = set()

    def walk(value, name: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{name}.{key}" if name else str(key))
        elif isinstance(value, torch.Tensor):
            tensor = value.detach().contiguous()
            pointer = tensor.untyped_storage().data_ptr()
            # safetensors stores each tensor's own bytes: a tensor sharing memory with another is copied.
            tensors[name or "weight"] = tensor.clone() if pointer in seen_storage else tensor
            seen_storage.add(pointer)
        else:
            dropped.append(name or "the file's value")

    walk(loaded, "")
    return tensors, dropped
