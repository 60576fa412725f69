"""Requests: one frozen dataclass per task, tagged by ``task`` and built from shared parts
(parts.py); ``request_from_dict`` turns a recipe's or a project's dict back into one."""

from .audio import AUDIO_TASKS, AudioToAudioRequest, MusicRequest, SongRequest, TextToAudioRequest
from .edit import LANCZOS, RemoveBackgroundRequest, UpscaleRequest
from .base import Request, UnknownRequest, register, request_class, request_from_dict, task_names
from .fake import FakeRequest
from .image import FILL_MODES, VARIATION_STRENGTHS, ImageToImageRequest, InpaintRequest, TextToImageRequest
from .parts import MAX_BATCH, MAX_SECONDS, MAX_SEED, MAX_SIDE, MAX_STEPS

__all__ = [
    "AUDIO_TASKS", "FILL_MODES", "MAX_BATCH", "MAX_SECONDS", "MAX_SEED", "MAX_SIDE", "MAX_STEPS", "VARIATION_STRENGTHS",
    "LANCZOS", "AudioToAudioRequest", "FakeRequest", "ImageToImageRequest", "InpaintRequest", "MusicRequest", "RemoveBackgroundRequest", "Request", "SongRequest", "TextToAudioRequest",
    "TextToImageRequest", "UnknownRequest", "UpscaleRequest", "register", "request_class", "request_from_dict", "task_names",
]
