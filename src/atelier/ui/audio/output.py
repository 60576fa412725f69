"""The sound output: the one ``sounddevice.OutputStream`` of the player, and the list of
output devices for Settings.

``sounddevice`` is imported here, inside functions, and only when something first needs it:
importing it initialises PortAudio, which scans the sound devices (tens of milliseconds, more
with some drivers), and that must never happen before the window's first frame.

The stream's callback runs on PortAudio's thread: it copies the next block out of a
``PlaybackBuffer`` prepared beforehand (``PlaybackBuffer.fill``) and counts underruns; it
allocates nothing, reads no file and takes no lock. ``blocksize=0`` (whatever the host likes)
and latency "high" are the robust choice for playback: nobody plays an instrument through this.
"""

import logging

import numpy as np

from ...media.audio_file import resample
from ...media.playback import PlaybackBuffer

log = logging.getLogger(__name__)

REASON_PREFIX = "No sound output: "
_INVALID_SAMPLE_RATE = -9997  # paInvalidSampleRate


class OutputUnavailable(RuntimeError):
    """Sound cannot be played; ``str()`` is one line: "No sound output: <reason>"."""

    def __init__(self, reason: str):
        lines = str(reason).strip().splitlines() or ["unknown error"]
        super().__init__(REASON_PREFIX + lines[0].rstrip("."))


def _sounddevice():
    """The sounddevice module (PortAudio initialised), or OutputUnavailable."""
    try:
        import sounddevice
    except OSError as exc:  # the PortAudio library is missing or broken
        text = str(exc)
        if "not found" in text.lower():
            text = "the PortAudio library is not installed (libportaudio2)"
        raise OutputUnavailable(text) from None
    return sounddevice


def _default_hostapi(sd) -> int:
    try:
        return int(sd.default.hostapi)
    except Exception:  # noqa: BLE001 - PortAudio reports no host API as an error of its own kind
        return -1


def output_devices() -> list[tuple[int, str]]:
    """(index, name) of every output device of the system's preferred host API (ALSA on Linux,
    MME on Windows, Core Audio on macOS: the others would list each device again), in
    PortAudio's order. Empty when there is no PortAudio or no device. Imports sounddevice."""
    try:
        sd = _sounddevice()
        devices = sd.query_devices()
    except Exception as exc:  # noqa: BLE001 - any PortAudio failure means: nothing to list
        log.info("no sound output devices: %s", exc)
        return []
    hostapi = _default_hostapi(sd)
    return [(int(d["index"]), str(d["name"])) for d in devices
            if d["max_output_channels"] > 0 and (hostapi < 0 or d["hostapi"] == hostapi)]


def device_index(name: str) -> int | None:
    """The index of the output device called ``name`` now (indices change when devices come
    and go, names mostly do not), or None (the system default) when it is empty or gone."""
    if not name:
        return None
    for index, device_name in output_devices():
        if device_name == name:
            return index
    log.warning("sound output device %r is not connected; using the system default", name)
    return None


class AudioOutput:
    """One output stream playing one ``PlaybackBuffer``. UI thread only, except the callback.

    ``open`` makes (or keeps) a stream for the buffer's rate and channels on a device; ``start``
    and ``halt`` start it and drop what it holds; ``close`` frees it. Every failure raises
    ``OutputUnavailable`` with a one-line reason and leaves no stream behind."""

    def __init__(self):
        self._stream = None
        self._buffer: PlaybackBuffer | None = None
        self._key: tuple | None = None  # (device, rate, channels) of the open stream
        self.underruns = 0  # blocks PortAudio reported it ran dry before (written by the callback)

    @property
    def is_open(self) -> bool:
        return self._stream is not None

    @property
    def active(self) -> bool:
        """Whether the stream is running (callbacks are coming)."""
        return self._stream is not None and bool(self._stream.active)

    @property
    def rate(self) -> int | None:
        return None if self._key is None else self._key[1]

    @property
    def latency(self) -> float:
        """Seconds between a frame leaving the callback and being heard (0 when closed)."""
        return 0.0 if self._stream is None else float(self._stream.latency)

    @staticmethod
    def initialised() -> bool:
        """Whether PortAudio is initialised already (sounddevice imported): checking a device
        then costs nothing."""
        import sys

        return "sounddevice" in sys.modules

    @staticmethod
    def check_device(device: int | None) -> None:
        """Raise OutputUnavailable unless ``device`` (None: the default) is an output device."""
        sd = _sounddevice()
        try:
            if not sd.query_devices():
                raise OutputUnavailable("no sound device found")
            info = sd.query_devices(device, "output")
        except OutputUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - PortAudioError, ValueError: both mean "no"
            raise OutputUnavailable(_describe(device, exc)) from None
        if info["max_output_channels"] <= 0:
            raise OutputUnavailable(f"{info['name']} has no outputs")

    def open(self, buffer: PlaybackBuffer, device: int | None = None,
             samples: np.ndarray | None = None) -> PlaybackBuffer:
        """A stream for ``buffer`` on ``device`` (None: the system default), stopped. Returns the
        buffer it plays: ``buffer`` itself, or, when the device refuses its rate and
        ``samples`` (the sound ``buffer`` was made from) are given, a new buffer resampled to
        the device's default rate with the same position, loop and volume.

        An open stream of the same device, rate and channels is kept and given the new buffer."""
        sd = _sounddevice()
        key = (device, buffer.rate, buffer.channels)
        if self._stream is not None and self._key == key:
            self.halt()
            self._buffer = buffer  # one write; the stream is stopped anyway
            return buffer
        self.close()
        try:
            self._open(sd, buffer, device)
            return buffer
        except OutputUnavailable as first:
            refused_rate = first.__cause__ is not None and _error_code(first.__cause__) == _INVALID_SAMPLE_RATE
            if not refused_rate or samples is None:
                raise
            try:
                rate = int(sd.query_devices(device, "output")["default_samplerate"])
            except Exception:  # noqa: BLE001
                raise first from None
            if rate <= 0 or rate == buffer.rate:
                raise
            log.info("sound output refuses %d Hz; playing at its %d Hz", buffer.rate, rate)
            again = _carry_state(buffer, PlaybackBuffer(resample(samples.reshape(len(samples), -1),
                                                                  buffer.rate, rate), rate))
            self._open(sd, again, device)  # the one retry: its failure is the reason shown
            return again

    def _open(self, sd, buffer: PlaybackBuffer, device: int | None) -> None:
        self.check_device(device)
        self._buffer = buffer
        try:
            stream = sd.OutputStream(samplerate=buffer.rate, channels=buffer.channels, dtype="float32",
                                     device=device, blocksize=0, latency="high", callback=self._callback)
        except Exception as exc:  # noqa: BLE001 - PortAudioError, ValueError (bad settings)
            self._buffer = None
            raise OutputUnavailable(_describe(device, exc)) from exc
        self._stream = stream
        self._key = (device, buffer.rate, buffer.channels)

    def _callback(self, outdata, frames, time, status) -> None:  # noqa: ARG002 - PortAudio's signature
        """PortAudio's thread: copy the next block, nothing else."""
        if status and status.output_underflow:
            self.underruns += 1
        self._buffer.fill(outdata)

    def start(self) -> None:
        """Start the stream (callbacks begin); OutputUnavailable if the device went away."""
        if self._stream is None:
            raise OutputUnavailable("the output is not open")
        if self._stream.active:
            return
        try:
            self._stream.start()
        except Exception as exc:  # noqa: BLE001
            self.close()
            raise OutputUnavailable(_describe(None, exc)) from exc

    def halt(self) -> None:
        """Stop the stream now, dropping what it still holds (pause must be instant). No
        callbacks run until ``start``: the ALSA null device of the tests calls it unthrottled."""
        if self._stream is not None and not self._stream.stopped:
            try:
                self._stream.abort()
            except Exception as exc:  # noqa: BLE001 - a device unplugged while playing
                log.warning("stopping the sound output failed: %s", exc)

    def close(self) -> None:
        stream, self._stream, self._key = self._stream, None, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception as exc:  # noqa: BLE001
                log.warning("closing the sound output failed: %s", exc)
        self._buffer = None


def _carry_state(old: PlaybackBuffer, new: PlaybackBuffer) -> PlaybackBuffer:
    new.volume = old.volume
    new.seek(old.seconds)
    loop = old.loop
    if loop is not None:
        try:
            new.set_loop(*loop)
        except ValueError:  # shorter than a frame at the new rate
            pass
    return new


def _error_code(exc: BaseException) -> int | None:
    args = getattr(exc, "args", ())
    return args[1] if len(args) > 1 and isinstance(args[1], int) else None


def _describe(device, exc: BaseException) -> str:
    """One line a person can act on, from what PortAudio said."""
    text = (str(exc.args[0]) if exc.args else str(exc)).strip()
    if text.startswith("Error querying device"):
        if device is None or text.endswith(" -1"):
            return "no sound device found"
        return f"there is no output device {device!r}"
    if text.startswith("No output device matching"):
        return f"there is no output device {device!r}"
    for prefix in ("Error opening OutputStream: ", "Error starting stream: "):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text.split(" [PaErrorCode")[0] or type(exc).__name__
