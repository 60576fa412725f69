"""The engine side of each task, one module per task, found by the request's ``task``.

A module has ``run(ctx: runner.TaskContext, request) -> None``: it loads what it needs through
``ctx``, reports Progress/Preview/Artifact events with ``ctx.emit`` and raises
GenerationCancelled when ``ctx.should_cancel()`` turns true. Modules are imported when their
task first runs, so torch stays out of any process that only lists tasks.
"""

import importlib

from ...core.errors import RequestError

_MODULES = {
    "text-to-image": "text_to_image",
    "image-to-image": "image_to_image",
    "inpaint": "inpaint",
    "text-to-audio": "text_to_audio",
    "audio-to-audio": "audio_to_audio",
    "music": "music",
    "song": "song",
    "upscale": "upscale",
    "remove-background": "remove_background",
    "fake": "fake",
}


def task_module(task: str):
    if task not in _MODULES:
        raise RequestError(f"task {task!r}: this Atelier cannot run it; update Atelier")
    return importlib.import_module(f"{__name__}.{_MODULES[task]}")


def tasks() -> list[str]:
    return sorted(_MODULES)
