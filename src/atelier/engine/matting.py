"""Run a user's background-removal model (an ONNX file: U²-Net, ISNet, BiRefNet) with
onnxruntime and turn its output into a subject mask the size of the picture.

onnxruntime, not torch: these models ship as ONNX exports (rembg's files), and onnxruntime
runs them as they are, on the CPU or CUDA, in a package far smaller than torch. The family
(matting_families, told by the file's name) gives the input side and normalisation; the graph
is checked against it when the file opens, so a wrong or foreign file is refused in one line
rather than making a meaningless mask.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import GenerationError, ModelError
from .matting_families import BY_NAME, MattingFamily, family_of, known_families
from .onnx_sessions import CUDA, FLOAT, KeptSession, error_line, open_session, shape_text



@dataclass(frozen=True)
class MattingModel:
    """An opened, checked model: run it with ``subject_mask``."""

    path: Path
    family: MattingFamily
    input_name: str
    side: int  # the square side the picture is resized to
    provider: str  # the execution provider that runs it ("CPUExecutionProvider", ...)
    session: object  # onnxruntime.InferenceSession

    @property
    def device(self) -> str:
        """The device in the words the other tasks use: "cuda" or "cpu"."""
        return "cuda" if self.provider == CUDA else "cpu"


@dataclass(frozen=True)
class Description:
    """What a model list shows about a matting file, read from its graph without running it."""

    family: str
    label: str
    side: int


# One session, kept: opening reads and optimises the whole graph (U²-Net's is 176 MB).
_kept = KeptSession()


def open_model(path: Path, device: str = "auto") -> MattingModel:
    """The model at ``path``, checked and ready (the one kept from last time when the file has
    not changed). ``device`` "cpu" keeps it on the CPU; otherwise CUDA is used where the
    installed onnxruntime has it. ModelError, one line naming the file and the fix, for a file
    that is no background-removal model Atelier can run."""
    path = Path(path)
    try:
        key = _kept.key(path, device)
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror or exc}); check the path") from exc
    return _kept.get(key, lambda: _open(path, key[-1]))


def is_open(path: Path, device: str = "auto") -> bool:
    """Whether ``open_model(path, device)`` would return the session kept from last time."""
    try:
        return _kept.holds(_kept.key(Path(path), device))
    except OSError:
        return False


def describe(path: Path) -> Description:
    """The family and input side of the model at ``path`` (opened and checked, not run)."""
    model = open_model(path)
    return Description(model.family.name, model.family.label, model.side)


def subject_mask(model: MattingModel, picture) -> np.ndarray:
    """The subject mask of ``picture`` (a PIL RGB image): uint8 (height, width), 255 = subject."""
    from PIL import Image

    probability = _normalised(model_output(model, picture), model.family)
    small = Image.fromarray(np.rint(probability * 255).astype(np.uint8), "L")
    return np.asarray(small.resize(picture.size, Image.Resampling.LANCZOS), np.uint8).copy()


def model_output(model: MattingModel, picture) -> np.ndarray:
    """The model's first output for ``picture``, as it comes (float (h, w): a probability, or
    logits for BiRefNet). GenerationError, in one line, when onnxruntime fails to run it."""
    tensor = preprocess(picture, model.family, model.side)
    try:
        first = model.session.run(None, {model.input_name: tensor})[0]
    except Exception as exc:  # onnxruntime's own errors: out of memory, a node that cannot run, ...
        raise GenerationError(f"{model.path.name}: the model failed to run ({error_line(exc)})") from exc
    first = np.asarray(first, np.float32)
    if first.ndim < 2 or first.size != first.shape[-1] * first.shape[-2]:
        raise ModelError(f"{model.path.name}: gives {shape_text(first.shape)}, not a one-channel mask; "
                         f"{_NOT_MATTING}")
    return first.reshape(first.shape[-2:])


def preprocess(picture, family: MattingFamily, side: int) -> np.ndarray:
    """``picture`` (PIL RGB) as the model's input: side x side (Lanczos), 0..1, normalised by
    the family's mean and deviation, NCHW float32."""
    from PIL import Image

    resized = picture.convert("RGB").resize((side, side), Image.Resampling.LANCZOS)
    pixels = np.asarray(resized, np.float32) / 255.0
    pixels = (pixels - np.array(family.mean, np.float32)) / np.array(family.std, np.float32)
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)[None], np.float32)


def _normalised(output: np.ndarray, family: MattingFamily) -> np.ndarray:
    """The output as 0..1: a sigmoid for logits, then stretched from its lowest to its highest
    value (as rembg does, so a model's overall confidence does not dim the mask). A flat output
    has nothing to stretch: it is kept as it is, within 0..1."""
    values = output.astype(np.float64)
    if family.sigmoid:
        values = 1.0 / (1.0 + np.exp(-np.clip(values, -60.0, 60.0)))
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-6:
        return np.clip(values, 0.0, 1.0)
    return (values - low) / (high - low)


_NOT_MATTING = "choose a background-removal model (U²-Net, ISNet, BiRefNet .onnx)"


def known_family(path: Path) -> MattingFamily:
    """The family of the model at ``path``, told by its name; ModelError, in one line, when it
    is none Atelier knows. Cheap: the file is not opened."""
    family_name = family_of(path)
    if family_name not in BY_NAME:
        raise ModelError(
            f"{Path(path).name}: not a background-removal model Atelier knows; known: {known_families()}; "
            "name the file as rembg does (u2net.onnx, u2netp.onnx, isnet-general-use.onnx, birefnet-general.onnx)")
    return BY_NAME[family_name]


def _open(path: Path, providers: tuple[str, ...]) -> MattingModel:
    family = known_family(path)
    session = open_session(path, providers)
    side = _check_input(path, session, family)
    _check_output(path, session)
    return MattingModel(path, family, session.get_inputs()[0].name, side, session.get_providers()[0], session)


def _check_input(path: Path, session, family: MattingFamily) -> int:
    """The side to feed the graph: its own fixed one, which must be the family's, or the
    family's where the graph leaves it open."""
    inputs = session.get_inputs()
    shape = inputs[0].shape
    if len(inputs) != 1 or inputs[0].type != FLOAT or len(shape) != 4 or shape[1] != 3 \
            or not _fits(shape[0], 1):
        raise ModelError(f"{path.name}: takes {_describe_inputs(inputs)}, not one 1x3xHxW float picture; "
                         f"{_NOT_MATTING}")
    fixed = [dim for dim in shape[2:] if isinstance(dim, int) and dim > 0]
    if any(dim != family.side for dim in fixed):
        raise ModelError(
            f"{path.name}: takes {shape_text(shape[2:])} pictures, but {family.label} models take "
            f"{family.side}x{family.side}; rename the file for its real family, or choose another model")
    return family.side


def _check_output(path: Path, session) -> None:
    shape = session.get_outputs()[0].shape
    channels = [dim for dim in shape[:-2] if isinstance(dim, int) and dim > 0]
    if len(shape) not in (3, 4) or any(dim != 1 for dim in channels):
        raise ModelError(f"{path.name}: gives {shape_text(shape)}, not a one-channel mask; {_NOT_MATTING}")


def _fits(dim, size: int) -> bool:
    """Whether a graph dimension (a number, or a name or None where it is left open) takes ``size``."""
    return not isinstance(dim, int) or dim <= 0 or dim == size


def _describe_inputs(inputs) -> str:
    return ", ".join(f"{shape_text(i.shape)} {i.type.removeprefix('tensor(').rstrip(')')}" for i in inputs) or "nothing"
