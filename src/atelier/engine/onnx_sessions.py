"""A user's ONNX file opened with onnxruntime, quietly and on the providers Atelier allows: what
the picture-to-picture models share (background mattes, depth maps, poses). Each kind keeps its
last session (``KeptSession``): opening reads and optimises the whole graph, and the same model
is asked for again and again. Also the words a refusal uses for what a graph takes and gives."""

import threading
from pathlib import Path

from ..core.errors import ModelError

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
FLOAT = "tensor(float)"
_QUIET = 3  # onnxruntime's "error" severity: its warnings (unused initialisers, ...) are not for a person


def onnx_providers(device: str) -> tuple[str, ...]:
    """CUDA first where the installed onnxruntime has it and the device allows; always the CPU.
    Other providers (Azure's, which would reach the network) are never asked for."""
    import onnxruntime

    if device in ("auto", "cuda") and CUDA in onnxruntime.get_available_providers():
        return CUDA, CPU
    return (CPU,)


def open_session(path: Path, providers: tuple[str, ...]):
    """An InferenceSession of the graph at ``path``; ModelError, one line, for a file that is no
    ONNX graph (truncated, another format)."""
    import onnxruntime

    # The package's import set ORT_DISABLE_TELEMETRY (atelier.engine); this is the switch the
    # Windows builds' event tracing documents.
    onnxruntime.disable_telemetry_events()
    onnxruntime.set_default_logger_severity(_QUIET)
    options = onnxruntime.SessionOptions()
    options.log_severity_level = _QUIET
    try:
        return onnxruntime.InferenceSession(str(path), sess_options=options, providers=list(providers))
    except Exception as exc:  # onnxruntime raises its own Fail / InvalidProtobuf / InvalidGraph
        raise ModelError(f"{path}: cannot be loaded as an ONNX model ({error_line(exc)}); the file may be "
                         "truncated or not a model: copy it again") from exc


def picture_input(path: Path, session, refusal: str) -> list:
    """The shape of the graph's one input, which must take a 1x3xHxW float picture;
    ModelError naming the file and ``refusal`` (what to choose instead) otherwise."""
    inputs = session.get_inputs()
    shape = inputs[0].shape if len(inputs) == 1 else []
    if len(inputs) != 1 or inputs[0].type != FLOAT or len(shape) != 4 or shape[1] != 3 \
            or fixed(shape[0]) not in (None, 1):
        taken = ", ".join(f"{shape_text(i.shape)} {i.type}" for i in inputs) or "nothing"
        raise ModelError(f"{Path(path).name}: takes {taken}, not one 1x3xHxW float picture; {refusal}")
    return shape


def fixed(dim) -> int | None:
    """A graph dimension's size; None where the graph leaves it open (a name, or unknown)."""
    return dim if isinstance(dim, int) and dim > 0 else None


def shape_text(shape) -> str:
    return "x".join(str(dim) if isinstance(dim, int) and dim > 0 else "?" for dim in shape) or "a scalar"


def error_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:200] + "...") if len(text) > 200 else text or type(exc).__name__


class KeptSession:
    """The last model of one kind opened, kept while its file is unchanged and the providers
    the same."""

    def __init__(self):
        self._lock = threading.Lock()
        self._kept: tuple[tuple, object] | None = None

    @staticmethod
    def key(path: Path, device: str) -> tuple:
        """What makes a kept session still the right one. OSError when the file cannot be read."""
        stat = Path(path).stat()
        return str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns, onnx_providers(device)

    def get(self, key: tuple, make):
        """The model kept under ``key``, or ``make()``'s, kept from now on."""
        with self._lock:
            if self._kept is None or self._kept[0] != key:
                self._kept = (key, make())
            return self._kept[1]

    def holds(self, key: tuple) -> bool:
        return self._kept is not None and self._kept[0] == key
