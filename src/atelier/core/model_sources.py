"""Which of another tool's folders hold models: given the folder an artist picks (an A1111,
Forge, ComfyUI or InvokeAI install, or its ``models/`` folder), the subfolders to add to
Atelier's model folders. Only a handful of fixed names are looked at, so this is cheap enough
for the UI thread; nothing is copied or moved."""

from dataclasses import dataclass
from pathlib import Path

# Under the install root, in the order they are added (checkpoints first: what the picker lists).
_A1111 = ("models/Stable-diffusion", "models/Lora", "models/VAE", "models/ControlNet", "models/ESRGAN",
          "models/RealESRGAN", "models/SwinIR", "embeddings")
_COMFYUI = tuple(f"models/{name}" for name in ("checkpoints", "loras", "vae", "controlnet", "upscale_models",
                                                "ipadapter", "clip_vision", "embeddings", "diffusers"))
# InvokeAI keeps every model under one models/ folder (by base model, or by id since 4.0).
_INVOKEAI = ("models",)

# A layout is told by one folder only it has, under its models/ folder.
_A1111_MARK = "Stable-diffusion"
_COMFYUI_MARK = "checkpoints"
_INVOKEAI_MARKS = ("sd-1", "sdxl", ".download_cache")
_INVOKEAI_CONFIG = "invokeai.yaml"
_FORGE_MARK = "modules_forge"  # Forge is A1111's layout with its own code folder beside it


@dataclass(frozen=True)
class ModelSource:
    picked: Path  # the folder the artist chose
    layout: str | None  # "A1111", "Forge", "ComfyUI", "InvokeAI"; None: a plain folder, added as it is
    folders: tuple[Path, ...]  # to add as model folders; empty when ``picked`` is not a folder

    @property
    def missing(self) -> bool:
        return not self.folders

    def added(self, new: list[Path]) -> str:
        """What adding it did, for a person, given the folders ``new`` to the settings: e.g.
        "Added 5 folders from ComfyUI: checkpoints, loras, vae, upscale_models, embeddings"."""
        from ..paths import shown

        picked = shown(self.picked)
        if self.layout is None:
            return (f"{picked} is not an A1111, Forge, ComfyUI or InvokeAI folder; "
                    + ("added it as it is" if new else "it is already one of the model folders"))
        if not new:
            return f"The {self.layout} model folders in {picked} are already added"
        names = ", ".join(folder.name for folder in new)
        return f"Added {len(new)} folder{'s' if len(new) != 1 else ''} from {self.layout}: {names}"


def find_model_source(picked: str | Path) -> ModelSource:
    """The model folders ``picked`` holds: an install's (given its root or its ``models/``
    folder), only those that exist; else ``picked`` itself; else none (it is not a folder)."""
    picked = Path(picked).expanduser()
    if not picked.is_dir():
        return ModelSource(picked, None, ())
    for root in (picked, picked.parent) if picked.name.lower() == "models" else (picked,):
        layout, names = _layout_of(root)
        if layout is not None:
            folders = tuple(root / name for name in names if (root / name).is_dir())
            return ModelSource(picked, layout, folders)
    return ModelSource(picked, None, (picked,))


def _layout_of(root: Path) -> tuple[str | None, tuple[str, ...]]:
    models = root / "models"
    if (models / _A1111_MARK).is_dir():
        return ("Forge" if (root / _FORGE_MARK).is_dir() else "A1111"), _A1111
    if (models / _COMFYUI_MARK).is_dir():
        return "ComfyUI", _COMFYUI
    if models.is_dir() and ((root / _INVOKEAI_CONFIG).is_file()
                            or any((models / mark).is_dir() for mark in _INVOKEAI_MARKS)):
        return "InvokeAI", _INVOKEAI
    return None, ()
