"""Whether two encoded images hold the same pixels: what "reproduced exactly" means."""

import io
from dataclasses import dataclass


@dataclass(frozen=True)
class PixelComparison:
    identical: bool
    largest: int  # the largest per-channel difference, 0..255
    differing: int  # how many pixels differ in any channel
    total: int
    sizes: tuple[tuple[int, int], tuple[int, int]]

    def describe(self) -> str:
        if self.identical:
            return "identical: every pixel matches"
        (w1, h1), (w2, h2) = self.sizes
        if (w1, h1) != (w2, h2):
            return f"different: {w1}x{h1} against {w2}x{h2}"
        return (f"different: {self.differing:,} of {self.total:,} pixels differ "
                f"(largest difference {self.largest} of 255)")


def compare_pixels(first: bytes, second: bytes) -> PixelComparison:
    """Compare two encoded images' RGBA pixels."""
    import numpy as np
    from PIL import Image  # here, not at the window's start

    with Image.open(io.BytesIO(first)) as a, Image.open(io.BytesIO(second)) as b:
        sizes = (a.size, b.size)
        if a.size != b.size:
            return PixelComparison(False, 255, 0, 0, sizes)
        difference = np.abs(np.asarray(a.convert("RGBA"), dtype=np.int16) - np.asarray(b.convert("RGBA"), dtype=np.int16))
    return PixelComparison(
        identical=not difference.any(),
        largest=int(difference.max()),
        differing=int(np.count_nonzero(difference.any(axis=2))),
        total=difference.shape[0] * difference.shape[1],
        sizes=sizes,
    )
