"""Cheap previews: latents to RGB by a fixed linear map, never a VAE decode.

A 4x3 matrix applied per latent pixel costs microseconds; a VAE decode costs more than a step.
The factors are the commonly used least-squares fits of each family's VAE.
"""

import numpy as np
from PIL import Image

from ..core.families import FAMILIES

_SD15 = (
    [[0.3512, 0.2297, 0.3227], [0.3250, 0.4974, 0.2350], [-0.2829, 0.1762, 0.2721], [-0.2120, -0.2616, -0.7177]],
    [0.0, 0.0, 0.0],
)
_SDXL = (
    [[0.3651, 0.4232, 0.4341], [-0.2533, -0.0042, 0.1068], [0.1076, 0.1111, -0.0362], [-0.3165, -0.2492, -0.2188]],
    [0.1084, -0.0175, -0.0011],
)


def latent_space(family: str) -> str:
    """Whose fit turns a family's latents into RGB ("sd" for the SD 1.x/2.x VAE and unknown
    four-channel ones)."""
    found = FAMILIES.get(family)
    return found.latents if found is not None and found.latents else "sd"


def latent_preview(latents, family: str) -> Image.Image | None:
    """An RGB image (one pixel per latent pixel) of the first latent in a batch, or None when the
    latents are not spatial (e.g. Flux packs them into a sequence)."""
    if getattr(latents, "ndim", 0) != 4:
        return None
    first = latents[0].detach().float().cpu().numpy()  # (C, h, w): a few KB
    channels = first.shape[0]
    if channels == 4:
        factors, bias = _SDXL if latent_space(family) == "sdxl" else _SD15
        rgb = np.einsum("chw,cr->hwr", first, np.asarray(factors, dtype=np.float32)) + np.asarray(bias)
        rgb = (rgb + 1.0) * 127.5  # the fits map to [-1, 1]
    else:
        # No fit for this latent space: show the first three channels, each stretched to 0..255.
        picked = first[:3] if channels >= 3 else np.repeat(first[:1], 3, axis=0)
        low = picked.min(axis=(1, 2), keepdims=True)
        span = np.maximum(picked.max(axis=(1, 2), keepdims=True) - low, 1e-6)
        rgb = ((picked - low) / span * 255.0).transpose(1, 2, 0)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


class PreviewTaker:
    """Previews for one image without making a GPU wait.

    On the CPU a preview is made at once. On a GPU, reading latents back would stop the CPU until
    the GPU has finished the step, so the next step's work could not be queued meanwhile (about
    a tenth of the time at 512x512 on an H100). Instead the copy is queued behind the step's own
    work into pinned memory, and the preview is made at a later step, once the copy has landed.
    """

    def __init__(self, family: str):
        self.family = family
        self._buffer = None  # pinned host memory, reused
        self._copied = None  # CUDA event recorded after the copy was queued

    def take(self, latents) -> Image.Image | None:
        """Offer this step's latents; return the preview that is ready now, if any."""
        if getattr(latents, "ndim", 0) != 4:
            return None
        if not latents.is_cuda:
            return latent_preview(latents, self.family)
        ready = None
        if self._copied is not None:
            if not self._copied.query():
                return None  # the last copy is still in flight: skip this step rather than wait
            ready = latent_preview(self._buffer[None], self.family)
        import torch

        first = latents[0].detach()
        if self._buffer is None or self._buffer.shape != first.shape or self._buffer.dtype != first.dtype:
            self._buffer = torch.empty(first.shape, dtype=first.dtype, pin_memory=True)
        self._buffer.copy_(first, non_blocking=True)
        self._copied = torch.cuda.Event()
        self._copied.record()
        return ready
