"""Cheap previews: latents to RGB by a fixed linear map, never a VAE decode.

A 4x3 matrix applied per latent pixel costs microseconds; a VAE decode costs more than a step.
The factors are the commonly used least-squares fits of each family's VAE.
"""

import numpy as np
from PIL import Image

_SD15 = (
    [[0.3512, 0.2297, 0.3227], [0.3250, 0.4974, 0.2350], [-0.2829, 0.1762, 0.2721], [-0.2120, -0.2616, -0.7177]],
    [0.0, 0.0, 0.0],
)
_SDXL = (
    [[0.3651, 0.4232, 0.4341], [-0.2533, -0.0042, 0.1068], [0.1076, 0.1111, -0.0362], [-0.3165, -0.2492, -0.2188]],
    [0.1084, -0.0175, -0.0011],
)


def latent_preview(latents, family: str) -> Image.Image | None:
    """An RGB image (one pixel per latent pixel) of the first latent in a batch, or None when the
    latents are not spatial (e.g. Flux packs them into a sequence)."""
    if getattr(latents, "ndim", 0) != 4:
        return None
    first = latents[0].detach().float().cpu().numpy()  # (C, h, w): a few KB
    channels = first.shape[0]
    if channels == 4:
        factors, bias = _SDXL if family.startswith("sdxl") else _SD15
        rgb = np.einsum("chw,cr->hwr", first, np.asarray(factors, dtype=np.float32)) + np.asarray(bias)
        rgb = (rgb + 1.0) * 127.5  # the fits map to [-1, 1]
    else:
        # No fit for this latent space: show the first three channels, each stretched to 0..255.
        picked = first[:3] if channels >= 3 else np.repeat(first[:1], 3, axis=0)
        low = picked.min(axis=(1, 2), keepdims=True)
        span = np.maximum(picked.max(axis=(1, 2), keepdims=True) - low, 1e-6)
        rgb = ((picked - low) / span * 255.0).transpose(1, 2, 0)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
