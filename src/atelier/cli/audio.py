"""``atelier audio``: a sound file's loudness and peaks (``info``), and the file normalised to a
loudness target under a true-peak ceiling, in the format its new name asks for (``normalize``).

Importing this module costs nothing but argparse: numpy, scipy and soundfile load when a
command runs."""

import json
import math
from pathlib import Path

PRESET_NAMES = ("streaming", "podcast", "broadcast")  # media.loudness.PRESETS, without importing numpy
LUFS_RANGE = (-60.0, 0.0)  # targets a person could mean
CEILING_RANGE = (-20.0, 0.0)
RATES = (44100, 48000)


def add_parser(commands) -> None:
    """Add ``audio`` and its actions to the CLI's subcommands."""
    audio = commands.add_parser("audio", help="a sound file's loudness and peaks; normalise its loudness")
    actions = audio.add_subparsers(dest="action", metavar="ACTION", parser_class=type(audio), required=True)
    info = actions.add_parser("info", help="duration, rate, channels, format, loudness (LUFS) and peaks")
    info.add_argument("file", type=Path)
    info.add_argument("--json", action="store_true", help="machine-readable output")
    norm = actions.add_parser(
        "normalize", help="write a copy at a loudness target, its true peak under a ceiling (OUT's suffix: "
                          ".wav, .flac, .ogg, .opus or .mp3)")
    norm.add_argument("input", type=Path, metavar="IN")
    norm.add_argument("output", type=Path, metavar="OUT")
    target = norm.add_mutually_exclusive_group()
    target.add_argument("--lufs", type=float, default=None,
                        help="integrated loudness target in LUFS (default -14, as --preset streaming)")
    target.add_argument("--preset", choices=PRESET_NAMES,
                        help="a target by use: streaming -14, podcast -16, broadcast (EBU R128) -23 LUFS")
    norm.add_argument("--ceiling", type=float, default=-1.0, help="true-peak ceiling in dBTP (default -1)")
    norm.add_argument("--rate", type=int, choices=RATES, default=None,
                      help="resample to this rate first (default: keep the file's)")
    norm.add_argument("--format", dest="fmt", default=None,
                      help="wav, wav24, flac, ogg, opus or mp3 (default: from OUT's suffix; .wav is 16-bit)")


def run(args) -> int:
    if args.action == "info":
        return _info(args)
    return _normalize(args)


def _info(args) -> int:
    from ..media import audio_file, loudness
    from . import _printable

    samples, rate = audio_file.read_audio(args.file)
    lufs = loudness.integrated_lufs(samples, rate)
    facts = {
        "file": str(args.file),
        "format": audio_file.file_format(args.file),
        "duration_s": round(len(samples) / rate, 3),
        "frames": len(samples),
        "rate": rate,
        "channels": samples.shape[1],
        "lufs": _rounded(lufs),
        "lufs_missing": None if lufs is not None else loudness.why_no_lufs(samples, rate),
        "true_peak_dbtp": _rounded(loudness.true_peak_db(samples, rate)),
        "sample_peak_dbfs": _rounded(loudness.sample_peak_db(samples)),
    }
    if args.json:
        print(json.dumps(facts, indent=2))
        return 0
    print(_printable(facts["file"]))
    print(f"  format       {facts['format']}")
    print(f"  duration     {len(samples) / rate:.2f} s ({len(samples)} frames)")
    print(f"  rate         {rate} Hz")
    print(f"  channels     {samples.shape[1]}")
    print(f"  loudness     {_lufs_text(lufs, facts['lufs_missing'])}")
    print(f"  true peak    {_db_text(facts['true_peak_dbtp'], 'dBTP')}")
    print(f"  sample peak  {_db_text(facts['sample_peak_dbfs'], 'dBFS')}")
    return 0


def _normalize(args) -> int:
    from ..core.errors import RequestError
    from ..media import audio_file, loudness
    from . import _printable

    target = loudness.PRESETS[args.preset] if args.preset else (-14.0 if args.lufs is None else args.lufs)
    if not LUFS_RANGE[0] <= target <= LUFS_RANGE[1]:
        raise RequestError(f"--lufs {target:g}: choose a target from {LUFS_RANGE[0]:g} to {LUFS_RANGE[1]:g} LUFS "
                           "(streaming -14, podcast -16, broadcast -23)")
    if not CEILING_RANGE[0] <= args.ceiling <= CEILING_RANGE[1]:
        raise RequestError(f"--ceiling {args.ceiling:g}: choose a ceiling from {CEILING_RANGE[0]:g} to "
                           f"{CEILING_RANGE[1]:g} dBTP (-1 is usual, -2 for MP3 and other lossy formats)")
    spec = audio_file.export_format(args.fmt or audio_file.format_for(args.output))
    if not args.output.parent.is_dir():
        raise RequestError(f"{args.output}: the folder {args.output.parent} does not exist: create it first")
    samples, rate = audio_file.read_audio(args.input)
    # Resample first, so the peaks are measured at the rate the file will have.
    out_rate = audio_file.export_rate(spec.key, args.rate or rate)
    if out_rate != rate:
        samples = audio_file.resample(samples, rate, out_rate)
    result = loudness.normalize(samples, out_rate, target, args.ceiling)
    data = audio_file.write_audio(args.output, result.samples, out_rate, spec.key)
    print(f"{_printable(str(args.input))} -> {_printable(str(args.output))} ({spec.label}, {out_rate} Hz"
          + (f", resampled from {rate} Hz)" if out_rate != rate else ")"))
    before = _lufs_text(result.lufs_before, None)
    after = _lufs_text(result.lufs_after, None)
    print(f"  loudness   {before} -> {after} (target {target:g} LUFS)")
    print(f"  true peak  {_db_text(result.true_peak_before, 'dBTP')} -> {_db_text(result.true_peak_after, 'dBTP')}"
          f" (ceiling {args.ceiling:g} dBTP)")
    gain = f"  gain       {result.gain_db:+.1f} dB"
    print(gain + (f", limited by up to {result.limited_db:.1f} dB" if result.limited_db >= 0.05 else ""))
    if spec.lossy:
        decoded, decoded_rate = audio_file.read_audio(data, args.output.name)
        peak = loudness.true_peak_db(decoded, decoded_rate)
        print(f"  decoded    {_db_text(peak, 'dBTP')} true peak once decoded ({spec.label} is lossy)")
        if peak > args.ceiling + 0.1:
            print(f"  note: decoding {spec.label} overshoots the ceiling by {peak - args.ceiling:.1f} dB: "
                  f"try --ceiling {math.floor(2 * args.ceiling - peak):g}")
    if result.note:
        print(f"  note: {result.note}")
    return 0


def _rounded(value: float | None) -> float | None:
    """A number for JSON: rounded to 0.01, and None for none (silence has no peak in dB)."""
    return None if value is None or not math.isfinite(value) else round(value, 2)


def _lufs_text(lufs: float | None, missing: str | None) -> str:
    if lufs is not None:
        return f"{lufs:.1f} LUFS"
    return f"none ({missing})" if missing else "none"


def _db_text(value: float | None, unit: str) -> str:
    return "-inf (silent)" if value is None or value == -math.inf else f"{value:.1f} {unit}"
