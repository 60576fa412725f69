"""What Atelier knows of each model family without loading it."""

# The side the family was trained at: a size that follows an init image is capped by it, since
# larger images repeat subjects and the artist did not ask for them.
NATIVE_SIDE = {"sd15": 512, "sd2": 768, "sdxl": 1024, "sd3": 1024, "flux": 1024, "pixart": 1024}


# The families whose pipelines diffusers turns into an inpainting one (from_pipe), by the names
# artists know them by: what a refusal to inpaint with another model lists.
INPAINT_FAMILIES = {"sd15": "SD1.5", "sd2": "SD2", "sdxl": "SDXL", "sd3": "SD3", "flux": "Flux"}


# Which task each audio model family runs (image families run text to image, or image to image).
AUDIO_TASKS = {
    "stable-audio": "text-to-audio",
    "musicgen": "music",
    "musicgen-melody": "music",
    "ace-step": "song",
}


def native_side(family: str) -> int | None:
    return NATIVE_SIDE.get(family.removesuffix("-inpaint"))
