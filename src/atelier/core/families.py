"""What Atelier knows of each model family without loading it."""

# The side the family was trained at: a size that follows an init image is capped by it, since
# larger images repeat subjects and the artist did not ask for them.
NATIVE_SIDE = {"sd15": 512, "sd2": 768, "sdxl": 1024, "sd3": 1024, "flux": 1024, "pixart": 1024}


# The families whose pipelines diffusers turns into an inpainting one (from_pipe), by the names
# artists know them by: what a refusal to inpaint with another model lists.
INPAINT_FAMILIES = {"sd15": "SD1.5", "sd2": "SD2", "sdxl": "SDXL", "sd3": "SD3", "flux": "Flux"}

# Dedicated inpainting checkpoints whose UNet also reads the mask and the masked picture (9 input
# channels): diffusers' inpainting pipelines run them as they are.
INPAINT_CHECKPOINT_FAMILIES = frozenset({"sd15-inpaint", "sd2-inpaint", "sdxl-inpaint"})
INPAINT_CHECKPOINTS = "SD1.5/SD2/SDXL inpainting checkpoints"  # how a refusal names them


# Which task each audio model family runs (image families run text to image, or image to image).
AUDIO_TASKS = {
    "stable-audio": "text-to-audio",
    "musicgen": "music",
    "musicgen-melody": "music",
    "ace-step": "song",
}


def native_side(family: str) -> int | None:
    return NATIVE_SIDE.get(family.removesuffix("-inpaint"))
