"""Whether two encoded sounds hold the same samples: what "reproduced exactly" means for sound
(the files themselves differ by their recipe's timestamp)."""

import io
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class SampleComparison:
    identical: bool
    largest: float  # the largest difference of one sample, in full scale (0 .. 2)
    differing: int  # how many frames differ in any channel
    total: int
    shapes: tuple[tuple[int, int, int], tuple[int, int, int]]  # (frames, channels, rate) of each

    def describe(self) -> str:
        if self.identical:
            return "identical: every sample matches"
        if self.shapes[0] != self.shapes[1]:
            (f1, c1, r1), (f2, c2, r2) = self.shapes
            return f"different: {f1:,} frames x {c1} at {r1} Hz against {f2:,} x {c2} at {r2} Hz"
        level = 20 * math.log10(self.largest) if self.largest > 0 else -math.inf
        return (f"different: {self.differing:,} of {self.total:,} frames differ "
                f"(largest difference {level:.0f} dBFS)")


def compare_sounds(first: bytes, second: bytes) -> SampleComparison:
    """Compare two encoded sounds sample by sample, as their files hold them (no conversion)."""
    import numpy as np
    import soundfile

    a, rate_a = soundfile.read(io.BytesIO(first), dtype="float64", always_2d=True)
    b, rate_b = soundfile.read(io.BytesIO(second), dtype="float64", always_2d=True)
    shapes = ((*a.shape, rate_a), (*b.shape, rate_b))
    if shapes[0] != shapes[1]:
        return SampleComparison(False, 2.0, 0, 0, shapes)
    difference = np.abs(a - b)
    return SampleComparison(
        identical=not difference.any(),
        largest=float(difference.max(initial=0.0)),
        differing=int(np.count_nonzero(difference.any(axis=1))),
        total=a.shape[0],
        shapes=shapes,
    )
