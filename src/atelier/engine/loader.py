"""Load diffusers pipelines from local folders or single-file checkpoints, offline, and keep the
recent ones in memory.

Called from worker threads and the CLI only: the first call imports torch and diffusers.
"""

import gc
import inspect
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import ModelError
from . import safetensors_header, single_file
from .fingerprint import model_fingerprint
from .registry import TEXT_TO_IMAGE, ModelInfo, refuse_pickle_weights, require_present, weight_files

log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    info: ModelInfo
    pipe: Any
    device: str
    dtype: str  # "float32", "float16", "bfloat16"
    fingerprint: str
    default_scheduler_config: dict  # as shipped, so switching samplers never accumulates options
    # Samplers built from that config, by name: building one costs a job 2-4 ms, and a pipeline
    # resets its sampler's state (set_timesteps) at every call, so one instance serves them all.
    samplers: dict = field(default_factory=dict)
    derived: dict = field(default_factory=dict)  # task pipelines made from ``pipe``, by AutoPipeline
    # What the adapter modules (engine/adapters.py) changed on the shared components, by module,
    # so that a later request can undo it: the model's own VAE, the embeddings loaded, ...
    applied: dict = field(default_factory=dict)

    def pipeline_for(self, auto_pipeline: str):
        """The base pipeline turned into another task's (``"AutoPipelineForImage2Image"``,
        ...), sharing its weights: AutoPipeline's from_pipe reuses the component objects and,
        unlike a pipeline class's own from_pipe, never casts them to float32 (GUIDE section 8).
        Made once per model. Raises ModelError when the model has no such pipeline."""
        if auto_pipeline not in self.derived:
            import diffusers

            options = {"add_watermarker": False} if self.info.pipeline.startswith("StableDiffusionXL") else {}
            try:
                pipe = getattr(diffusers, auto_pipeline).from_pipe(self.pipe, **options)
            except ValueError as exc:  # diffusers: no such pipeline for this model class
                task = auto_pipeline.removeprefix("AutoPipelineFor")
                raise ModelError(f"{self.info.id}: {self.info.pipeline} has no {task} pipeline "
                                 f"({str(exc).splitlines()[0]}); choose another model") from exc
            pipe.set_progress_bar_config(disable=True)
            self.derived[auto_pipeline] = pipe
        return self.derived[auto_pipeline]


def pick_device(preference: str = "auto") -> str:
    """cuda > mps > cpu for "auto"; an explicit choice that is unavailable is an error."""
    import torch

    available = {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available(),
    }
    if preference == "auto":
        return next(d for d in ("cuda", "mps", "cpu") if available[d])
    if preference not in available:
        raise ModelError(f"device {preference!r}: choose auto, cpu, cuda or mps")
    if not available[preference]:
        raise ModelError(f"device {preference!r} is not available on this machine; choose auto or cpu")
    return preference


def pick_dtype(device: str) -> str:
    """Half precision on GPUs (bf16 where supported: it does not overflow), fp32 on the CPU."""
    import torch

    if device == "cuda":
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    if device == "mps":
        return "float16"
    return "float32"


def require_image_model(info: ModelInfo) -> None:
    """Refuse, before any loading, a model that makes no images, or a checkpoint Atelier has no
    config to load with."""
    if info.kind != "image":
        raise ModelError(
            f"{info.id}: is an {info.kind} model ({info.pipeline}); choose an image model (see 'atelier models')"
        )
    if info.format == "single-file":
        single_file.require_config(info.path, info.family)


def require_text_to_image(info: ModelInfo) -> None:
    """Refuse, before any loading, a model that cannot make an image from a prompt (the base
    text-to-image and image-to-image start from)."""
    from ..core.families import INPAINT_CHECKPOINT_FAMILIES

    require_image_model(info)
    if info.family in INPAINT_CHECKPOINT_FAMILIES:
        raise ModelError(f"{info.id}: is an inpainting model; paint a mask on a picture to use it (Image > Mask, "
                         "or --init-image with --mask), or choose another model")
    if info.pipeline not in TEXT_TO_IMAGE:
        raise ModelError(
            f"{info.id}: {info.pipeline} cannot make an image from a prompt alone; choose a text-to-image model"
        )


def require_inpainting(info: ModelInfo) -> None:
    """Refuse, before any loading, a model that cannot repaint part of a picture, naming the
    families that can: a base model whose pipeline diffusers turns into an inpainting one, or
    an inpainting checkpoint its inpainting pipeline runs natively."""
    from ..core.families import INPAINT_CHECKPOINT_FAMILIES, INPAINT_CHECKPOINTS, INPAINT_FAMILIES

    require_image_model(info)
    if info.family in INPAINT_CHECKPOINT_FAMILIES:
        return
    families = f"{', '.join(INPAINT_FAMILIES.values())}, or {INPAINT_CHECKPOINTS}"
    if info.family.endswith("-inpaint"):  # SD3's and Flux Fill's own inpainting pipelines
        raise ModelError(f"{info.id}: {info.pipeline} models cannot be used to inpaint yet; choose a model of one "
                         f"of these families: {families}")
    require_text_to_image(info)
    if info.family not in INPAINT_FAMILIES:
        raise ModelError(f"{info.id}: {info.family} models cannot inpaint; choose a model of one of these "
                         f"families: {families}")


MEMORY_MODES = ("normal", "vae-tiling", "cpu-offload")
_PRECISIONS = {"auto": None, "fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}


def dtype_for(precision: str) -> str | None:
    """The dtype a precision setting asks for; None lets pick_dtype choose for the device."""
    if precision not in _PRECISIONS:
        raise ModelError(f"precision {precision!r}: choose auto, fp32, fp16 or bf16")
    return _PRECISIONS[precision]


def load_pipeline(info: ModelInfo, device: str, dtype: str, memory_mode: str = "normal") -> LoadedModel:
    """Load a pipeline folder or checkpoint onto ``device``. Raises ModelError with a one-line reason.

    ``memory_mode``: "vae-tiling" decodes large images tile by tile; "cpu-offload" keeps each
    component on the CPU until it runs (for small GPUs; on the CPU it changes nothing)."""
    if memory_mode not in MEMORY_MODES:
        raise ModelError(f"memory mode {memory_mode!r}: choose one of {', '.join(MEMORY_MODES)}")
    # A checkpoint is built around a bundled config folder; never let diffusers look one up online.
    config = single_file.require_config(info.path, info.family) if info.format == "single-file" else None
    # 1. Cheap checks that name the problem: the model is still there (it may have been deleted
    #    since it was listed), holds no pickle weights, and no weights file is cut off.
    require_present(info)
    try:
        if config is None and info.format == "diffusers":
            refuse_pickle_weights(info.path)
        for file in weight_files(info.path):
            if file.suffix == ".safetensors":
                safetensors_header.check_complete(file)
        fingerprint = model_fingerprint(info.path)
    except OSError as exc:  # removed or unreadable while being checked
        require_present(info)
        name = exc.filename or info.path
        raise ModelError(f"{name}: cannot be read ({exc.strerror or exc}); check the model, or copy it again") from exc

    import diffusers
    import torch
    import transformers
    from diffusers import DiffusionPipeline

    # Loading bars belong on a terminal the user is watching, not in the app's stderr.
    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()

    if info.format == "transformers":
        return _load_transformers_model(info, device, dtype, fingerprint)
    try:
        index = json.loads((Path(config or info.path) / "model_index.json").read_text(encoding="utf-8"))
    except OSError as exc:
        require_present(info)
        raise ModelError(f"{info.path}: cannot read model_index.json ({exc.strerror or exc})") from exc
    options: dict[str, Any] = {"dtype": getattr(torch, dtype), "local_files_only": True}
    if "safety_checker" in index:
        # Artists' own offline tool: no safety checker, and none of its extra weights in memory.
        options.update(safety_checker=None, feature_extractor=None)
        # Not every such pipeline has the flag (the x4 upscaler's has not: it would warn).
        pipeline_class = getattr(diffusers, info.pipeline, None)
        if pipeline_class is None or "requires_safety_checker" in inspect.signature(pipeline_class).parameters:
            options["requires_safety_checker"] = False
    if info.pipeline.startswith("StableDiffusionXL"):
        options["add_watermarker"] = False  # an invisible watermark would change the artist's pixels
    try:
        if config is not None:
            pipeline_class = getattr(diffusers, info.pipeline)
            tokenizers = single_file.load_tokenizers(config)
            pipe = pipeline_class.from_single_file(str(info.path), config=str(config), **tokenizers, **options)
        else:
            # Safetensors only: a pickle that slipped past the check above is refused, not opened.
            pipe = DiffusionPipeline.from_pretrained(str(info.path), use_safetensors=True, **options)
        if memory_mode == "cpu-offload" and device != "cpu":
            pipe.enable_model_cpu_offload(device=device)
        else:
            pipe.to(device)
        if memory_mode == "vae-tiling" and hasattr(pipe, "vae"):
            pipe.vae.enable_tiling()
    except Exception as exc:  # diffusers raises many types; the user needs one clear line
        require_present(info)  # deleted while loading: say so rather than "copy it again"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if config is not None:
            raise ModelError(
                f"{info.path}: could not load as a {info.family} checkpoint ({reason}); "
                "check that it is a complete checkpoint of that family, or copy it again"
            ) from exc
        raise ModelError(f"{info.path}: could not load {info.pipeline} ({reason}); copy the model again") from exc
    pipe.set_progress_bar_config(disable=True)
    scheduler_config = json.loads(json.dumps(dict(pipe.scheduler.config), default=str))
    return LoadedModel(info, pipe, device, dtype, fingerprint, scheduler_config)


@dataclass
class TokenizedModel:
    """A transformers model and the tokenizer saved beside it (MusicGen): what a task calls,
    as a diffusers pipeline is for the others."""

    model: Any
    tokenizer: Any

    def set_progress_bar_config(self, **_options) -> None:
        pass  # transformers' generate shows no bar


def _load_transformers_model(info: ModelInfo, device: str, dtype: str, fingerprint: str) -> LoadedModel:
    """A MusicGen folder: its model class from the registry, safetensors only, offline."""
    import torch
    import transformers

    try:
        model_class = getattr(transformers, info.pipeline)
        model = model_class.from_pretrained(str(info.path), dtype=getattr(torch, dtype), local_files_only=True,
                                            use_safetensors=True)
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(info.path), local_files_only=True)
        model.to(device)
        model.eval()
    except Exception as exc:
        require_present(info)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{info.path}: could not load {info.pipeline} ({reason}); copy the model again") from exc
    return LoadedModel(info, TokenizedModel(model, tokenizer), device, dtype, fingerprint, {})


def require_pipeline(info: ModelInfo, pipelines: set[str], task: str) -> None:
    """Refuse, before any loading, a model whose pipeline cannot run ``task``."""
    if info.pipeline not in pipelines:
        raise ModelError(f"{info.id}: {info.pipeline} cannot make {task}; choose a model for it (see 'atelier models')")


class PipelineCache:
    """The most recently used pipelines, keyed by (model path, device, dtype, memory mode); the
    adapters applied (LoRAs, ...) will join the key when they land. Each holds its base pipeline
    and the task pipelines derived from it (``LoadedModel.pipeline_for``), which share its weights.

    Eviction drops the pipeline, collects garbage and empties the CUDA cache so the memory
    really comes back before the next model loads.
    """

    def __init__(self, capacity: int = 1):
        self.capacity = max(1, capacity)
        self._items: OrderedDict[tuple, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()

    def holds(self, info: ModelInfo, device: str = "auto", dtype: str | None = None,
              memory_mode: str = "normal") -> bool:
        """Whether ``get`` with these arguments would return at once, without loading."""
        with self._lock:
            return self._key(info, device, dtype, memory_mode) in self._items

    def get(self, info: ModelInfo, device: str = "auto", dtype: str | None = None,
            memory_mode: str = "normal") -> LoadedModel:
        device = pick_device(device)
        dtype = dtype or pick_dtype(device)
        key = self._key(info, device, dtype, memory_mode)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            # Make room first, so two large models are never in memory at once.
            while len(self._items) >= self.capacity:
                self._evict_oldest()
            loaded = load_pipeline(info, device, dtype, memory_mode)
            self._items[key] = loaded
            return loaded

    def add(self, loaded: LoadedModel, memory_mode: str = "normal") -> None:
        """Hold a pipeline loaded elsewhere (benchmarks and tests that build their own)."""
        with self._lock:
            while len(self._items) >= self.capacity:
                self._evict_oldest()
            self._items[self._key(loaded.info, loaded.device, loaded.dtype, memory_mode)] = loaded

    @staticmethod
    def _key(info: ModelInfo, device: str, dtype: str | None, memory_mode: str) -> tuple:
        device = pick_device(device)
        return (str(Path(info.path).resolve()), device, dtype or pick_dtype(device), memory_mode)

    def clear(self) -> None:
        with self._lock:
            while self._items:
                self._evict_oldest()

    def __len__(self) -> int:
        return len(self._items)

    def _evict_oldest(self) -> None:
        _key, loaded = self._items.popitem(last=False)
        device = loaded.device
        del loaded
        gc.collect()
        if device == "cuda":
            import torch

            torch.cuda.empty_cache()
