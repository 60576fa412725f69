"""One sound out to a file, as an artist exports it: in the format they chose, at the sample rate
they chose (or the nearest the codec takes), optionally normalised to a loudness target under a
true-peak ceiling; for a lossy format, the peak its decoded file really has. The CLI's
``audio normalize`` and the window's Save Sound As share it."""

from dataclasses import dataclass
from pathlib import Path

from . import audio_file, loudness


@dataclass(frozen=True)
class Exported:
    path: Path
    format: audio_file.ExportFormat
    rate: int  # the file's sample rate
    source_rate: int  # the sound's, before any resampling
    normalized: "loudness.Normalized | None"  # None: written as it was (no loudness target)
    decoded_peak_db: float | None  # a lossy file's true peak once decoded; None for lossless ones

    def summary(self) -> str:
        """One line for a status bar: what was written and how loud it is."""
        parts = [f"{self.format.label}, {self.rate / 1000:g} kHz"]
        if self.normalized is not None and self.normalized.lufs_after is not None:
            parts.append(f"{self.normalized.lufs_after:.1f} LUFS")
        peak = self.decoded_peak_db if self.decoded_peak_db is not None else (
            self.normalized.true_peak_after if self.normalized is not None else None)
        if peak is not None:
            parts.append(f"true peak {peak:.1f} dBTP")
        return f"{self.path.name} ({', '.join(parts)})"


def export_sound(source: Path | bytes, name: str, out: Path, fmt: str | None = None, target_lufs: float | None = None,
                 ceiling_db: float = -1.0, rate: int | None = None) -> Exported:
    """Write the sound in ``source`` (a file or its bytes; ``name`` for messages) to ``out``.
    RequestError, in one line, for a sound that cannot be read or a file that cannot be written."""
    spec = audio_file.export_format(fmt or audio_file.format_for(out))
    samples, source_rate = audio_file.read_audio(source, name)
    # Resampled first, so that peaks are measured at the rate the file will have.
    out_rate = audio_file.export_rate(spec.key, rate or source_rate)
    if out_rate != source_rate:
        samples = audio_file.resample(samples, source_rate, out_rate)
    normalized = None
    if target_lufs is not None:
        normalized = loudness.normalize(samples, out_rate, target_lufs, ceiling_db)
        samples = normalized.samples
    data = audio_file.write_audio(out, samples, out_rate, spec.key)
    decoded_peak = None
    if spec.lossy:
        decoded, decoded_rate = audio_file.read_audio(data, out.name)
        decoded_peak = loudness.true_peak_db(decoded, decoded_rate)
    return Exported(Path(out), spec, out_rate, source_rate, normalized, decoded_peak)
