"""Upscaler files (ESRGAN, RealESRGAN, SwinIR, HAT, DAT, OmniSR, SPAN, ...), loaded with spandrel,
which tells the architecture and the scale from the weights themselves.

A file is only ever read as plain tensors: ``.safetensors`` as it is, ``.pth`` through
``torch.load(weights_only=True)``, whose unpickler builds tensors and containers and refuses
anything else, so a planted payload is refused, never run. Only spandrel's main package is used
(its architectures are permissively licensed; ``spandrel_extra_arches`` is not).

spandrel imports torchvision in two architectures that are no upscalers (LaMa, RestoreFormer).
The torchvision wheels on PyPI link torch's CUDA libraries, so with a CPU torch ``import
torchvision`` fails, and ``import spandrel`` with it: where that happens, a stand-in for exactly
those two imports is present while spandrel imports, then taken away again, so that nothing
else (diffusers, transformers) ever sees a torchvision that is not there.
"""

import enum
import sys
import types
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import ModelError

_STAND_IN_MODULES = ("torchvision", "torchvision.transforms", "torchvision.transforms.functional")
_SUFFIXES = (".safetensors", ".pth")


def import_spandrel():
    """The spandrel module: imported with the real torchvision where it imports (GPU installs),
    else with the stand-in (``_torchvision_stand_in``)."""
    if "spandrel" in sys.modules:
        return sys.modules["spandrel"]
    try:
        import torchvision  # noqa: F401
    except Exception:  # missing, or a CUDA-linked wheel on a CPU torch (RuntimeError, OSError)
        with _torchvision_stand_in():
            return _import_spandrel()
    return _import_spandrel()


def _import_spandrel():
    try:
        import spandrel
    except Exception as exc:
        raise ModelError(f"the upscaler library (spandrel) cannot be imported ({one_line(exc)}); "
                         "reinstall Atelier") from exc
    return spandrel


class _Interpolation(enum.Enum):
    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


def _not_available(*_args, **_kwargs):
    raise ModelError("this model needs torchvision, which is not installed; Atelier uses it for upscalers only, "
                     "and this is not one")


@contextmanager
def _torchvision_stand_in():
    """``torchvision.transforms.functional`` with the three names spandrel imports from it
    (``InterpolationMode``, ``rotate``, ``normalize``; calling either function raises
    ModelError), in ``sys.modules`` for the block only."""
    saved = {name: sys.modules[name] for name in _STAND_IN_MODULES if name in sys.modules}
    package, transforms, functional = (types.ModuleType(name) for name in _STAND_IN_MODULES)
    package.__path__, transforms.__path__ = [], []  # packages, so their submodules import
    package.transforms, transforms.functional = transforms, functional
    functional.InterpolationMode = _Interpolation
    functional.rotate = functional.normalize = _not_available
    for module in (package, transforms, functional):
        module.atelier_stand_in = True
        sys.modules[module.__name__] = module
    try:
        yield
    finally:
        for name in _STAND_IN_MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


@dataclass
class Upscaler:
    """A loaded upscaler: spandrel's descriptor on ``device`` in ``dtype``, and what the recipe
    records of it."""

    descriptor: object  # spandrel.ImageModelDescriptor
    architecture: str  # spandrel's name for it: "ESRGAN", "RealESRGAN Compact", "SwinIR", ...
    scale: int
    fingerprint: str
    device: str
    dtype: str

    def run(self, pixels: np.ndarray) -> np.ndarray:
        """``pixels`` (height, width, 3; uint8) upscaled: (height * scale, width * scale, 3),
        float32 in 0..255 (unrounded, so blended tiles are rounded once)."""
        import torch

        tensor = torch.from_numpy(np.array(pixels)).permute(2, 0, 1)[None]  # a copy: the caller's may be read-only
        tensor = tensor.to(device=self.device, dtype=getattr(torch, self.dtype)) / 255
        output = self.descriptor(tensor)  # spandrel pads to the model's size needs and crops back
        return (output[0].permute(1, 2, 0).float() * 255).cpu().numpy()


_cached: tuple[tuple, Upscaler] | None = None  # one upscaler at a time: they run one job at a time


def _key(path: Path, device: str, dtype: str) -> tuple:
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns, device, dtype


def holds(path: Path, device: str, dtype: str) -> bool:
    """Whether ``load_upscaler`` with these arguments returns at once, without loading."""
    try:
        return _cached is not None and _cached[0] == _key(Path(path), device, dtype)
    except OSError:
        return False


def load_upscaler(path: Path, device: str, dtype: str) -> Upscaler:
    """The upscaler file at ``path`` on ``device`` in ``dtype`` ("float32", "float16",
    "bfloat16"; float32 where the architecture does not support the half type asked for).
    The last one loaded is kept, by path, size, modification time and device. Raises
    ModelError, one line naming the file and the fix."""
    global _cached
    from .fingerprint import model_fingerprint

    path = Path(path)
    try:
        key = _key(path, device, dtype)
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror or exc}); check the path or run 'atelier models'") \
            from exc
    if _cached is not None and _cached[0] == key:
        return _cached[1]
    _cached = None  # let the previous one go before the next one loads
    descriptor = _descriptor(path)
    if not (dtype == "float16" and descriptor.supports_half or dtype == "bfloat16" and descriptor.supports_bfloat16):
        dtype = "float32"
    import torch

    descriptor.to(torch.device(device), getattr(torch, dtype)).eval()
    upscaler = Upscaler(descriptor, descriptor.architecture.name, descriptor.scale, model_fingerprint(path),
                        device, dtype)
    _cached = (key, upscaler)
    return upscaler


def describe(path: Path) -> tuple[str, int]:
    """(architecture name, scale) of an upscaler file, for listing it; ModelError as
    ``load_upscaler``. Loads it on the CPU and keeps nothing."""
    descriptor = _descriptor(Path(path))
    return descriptor.architecture.name, descriptor.scale


def _descriptor(path: Path):
    """spandrel's descriptor of the upscaler at ``path``, on the CPU in float32, checked to be a
    colour super-resolution model."""
    spandrel = import_spandrel()
    state_dict = read_state_dict(path)
    # spandrel unwraps "params_ema", "params", "state_dict", ... and "module." prefixes itself.
    try:
        descriptor = spandrel.ModelLoader("cpu").load_from_state_dict(state_dict)
    except spandrel.UnsupportedModelError:
        raise ModelError(f"{path.name}: unknown upscaler architecture (not ESRGAN, RealESRGAN, SwinIR, HAT, DAT, "
                         "OmniSR, SPAN or another that spandrel knows); choose another upscaler") from None
    except Exception as exc:  # an architecture recognised, but weights that do not fit it
        raise ModelError(f"{path.name}: its weights do not fit the architecture they look like "
                         f"({one_line(exc)}); the file may be damaged: copy it again") from exc
    name = descriptor.architecture.name
    if not isinstance(descriptor, spandrel.ImageModelDescriptor) or descriptor.purpose != "SR":
        doing = {"Restoration": "restores pictures at their size", "FaceSR": "restores faces",
                 "Inpainting": "fills holes"}.get(descriptor.purpose, f"is a {descriptor.purpose} model")
        raise ModelError(f"{path.name}: is a {name} model that {doing}, not an upscaler; choose an upscaler")
    if descriptor.input_channels != 3 or descriptor.output_channels != 3:
        raise ModelError(f"{path.name}: a {name} upscaler for {descriptor.input_channels}-channel pictures; "
                         "Atelier upscales colour pictures: choose a colour (RGB) upscaler")
    return descriptor


def read_state_dict(path: Path) -> dict:
    """The tensors of an upscaler file, without running anything in it."""
    if path.suffix.lower() not in _SUFFIXES:
        raise ModelError(f"{path.name}: not an upscaler file; give a .safetensors or .pth upscaler")
    if path.suffix.lower() == ".safetensors":
        from safetensors.torch import load_file

        try:
            state_dict = load_file(str(path), device="cpu")
        except OSError as exc:
            raise ModelError(f"{path}: cannot be read ({exc.strerror or exc}); check the path") from exc
        except Exception as exc:  # SafetensorError: a truncated or damaged file
            raise ModelError(f"{path.name}: damaged or truncated ({one_line(exc)}); copy the file again") from exc
    else:
        state_dict = _read_pth(path)
    if not isinstance(state_dict, dict) or not state_dict:
        raise ModelError(f"{path.name}: holds no weights (an empty or unusual .pth); choose an upscaler file")
    return state_dict


def _read_pth(path: Path):
    import pickle

    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "weights only load failed" in str(exc).lower():
            raise ModelError(f"{path.name}: needs code to load, which Atelier never runs; convert it to "
                             ".safetensors") from None
        raise ModelError(f"{path.name}: damaged or truncated ({one_line(exc)}); copy the file again") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror or exc}); check the path") from exc
    except Exception as exc:  # EOFError, the zip reader's RuntimeError: truncated or damaged
        raise ModelError(f"{path.name}: damaged or truncated ({one_line(exc)}); "
                         "copy the file again") from None


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
