"""The player's buffer: the whole sound prepared in memory, and the body of the audio callback
that copies the next frames of it into the device's block.

The callback runs on PortAudio's thread and must return fast: it only copies and scales slices
of arrays built beforehand, never allocates an array, reads no file and takes no lock. The UI
thread steers it between callbacks through plain attribute writes, each one whole object, so the
callback always sees either the old or the new value and never half of one."""

from dataclasses import dataclass

import numpy as np

CROSSFADE_SECONDS = 0.005


@dataclass(frozen=True, slots=True)
class _Loop:
    start: int  # first frame of the region
    end: int  # one past its last frame: reaching it wraps to start
    fade: int  # frames of the crossfade, the last ones before end
    tail: np.ndarray  # (fade, channels): what plays instead of samples[end - fade:end]


class PlaybackBuffer:
    """A sound ready to play: ``fill`` is the callback body; ``play``, ``pause``, ``stop``,
    ``seek``, ``set_loop`` and ``volume`` are for the UI thread."""

    def __init__(self, samples: np.ndarray, rate: int, crossfade_seconds: float = CROSSFADE_SECONDS):
        samples = np.asarray(samples)
        if samples.ndim == 1:
            samples = samples[:, None]
        if samples.ndim != 2 or samples.shape[0] == 0 or samples.shape[1] == 0:
            raise ValueError("the sound is empty" if samples.size == 0 else
                             f"samples must be (frames, channels), not shape {samples.shape}")
        if int(rate) <= 0:
            raise ValueError(f"the sample rate must be positive, not {rate}")
        # A contiguous float32 copy of our own: the caller may change or free theirs.
        self._samples = np.ascontiguousarray(samples, dtype=np.float32).copy()
        if not np.isfinite(self._samples).all():
            raise ValueError("the sound holds NaN or infinite samples")
        self.rate = int(rate)
        self.frames, self.channels = self._samples.shape
        self._crossfade = max(0, round(crossfade_seconds * self.rate))
        self._playing = False
        self._volume = 1.0
        self._loop: _Loop | None = None
        self._pos = 0  # written only by fill, or by the UI while not playing
        # A seek is a request the callback takes at its next block: (serial, frame). Writing
        # the position directly could be lost to the callback's own write of it at its end.
        self._seek_request = (0, 0)
        self._seek_done = 0

    # -- for the UI thread -------------------------------------------------------------------

    @property
    def duration(self) -> float:
        return self.frames / self.rate

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def position(self) -> int:
        """The next frame to play (a pending seek counts as done)."""
        serial, frame = self._seek_request
        return frame if serial != self._seek_done else self._pos

    @property
    def seconds(self) -> float:
        return self.position / self.rate

    @property
    def volume(self) -> float:
        return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        self._volume = min(1.0, max(0.0, float(value)))

    @property
    def loop(self) -> tuple[float, float] | None:
        """The loop region in seconds, or None."""
        loop = self._loop
        return None if loop is None else (loop.start / self.rate, loop.end / self.rate)

    def play(self) -> None:
        if self.position >= self.frames:  # played to the end: play again from the start
            self._seek_frame(0)
        self._playing = True

    def pause(self) -> None:
        self._playing = False

    def stop(self) -> None:
        self._playing = False
        self._seek_frame(0)

    def seek(self, seconds: float) -> None:
        """Move to ``seconds``, clamped to the sound."""
        self._seek_frame(round(seconds * self.rate))

    def _seek_frame(self, frame: int) -> None:
        frame = min(self.frames, max(0, int(frame)))
        self._seek_request = (self._seek_request[0] + 1, frame)

    def set_loop(self, start_s: float, end_s: float) -> None:
        """Loop over ``start_s`` to ``end_s`` (clamped to the sound) whenever playback reaches
        the region's end; playing from beyond the end plays on without looping."""
        start = min(self.frames, max(0, round(start_s * self.rate)))
        end = min(self.frames, max(0, round(end_s * self.rate)))
        if end <= start:
            raise ValueError(f"the loop region is empty ({start_s:g} s to {end_s:g} s)")
        # The crossfade, built here so the callback only copies. Over the last `fade` frames
        # before the loop end, the sound blends linearly from itself into the `fade` frames just
        # before the loop start: at frame i of the fade, tail[i] = (1 - w) * x[end - fade + i]
        # + w * x[start - fade + i] with w = (i + 1) / fade. The last tail frame is therefore
        # exactly x[start - 1], and the wrap to x[start] is as smooth as the sound itself; the
        # first one is nearly x[end - fade], continuing from x[end - fade - 1]. Before the first
        # frame of the sound there is nothing, so those frames repeat frame 0 (constant, so
        # still continuous). At most half the loop fades, so a tiny loop keeps some of itself.
        fade = min(self._crossfade, (end - start) // 2)
        x = self._samples
        if fade:
            before = np.arange(start - fade, start).clip(0, None)
            w = (np.arange(1, fade + 1, dtype=np.float64) / fade)[:, None]
            tail = ((1.0 - w) * x[end - fade:end] + w * x[before]).astype(np.float32)
        else:
            tail = x[:0]
        self._loop = _Loop(start, end, fade, tail)  # one write: the callback sees all or nothing

    def clear_loop(self) -> None:
        self._loop = None

    # -- the callback ------------------------------------------------------------------------

    def fill(self, out: np.ndarray) -> bool:
        """Fill all of ``out`` (frames, channels) float32 with the next frames and move on.
        Zeros while paused and after the end; returns whether it is still playing. Copies
        slices into ``out`` and scales it in place: no array is allocated."""
        serial, frame = self._seek_request
        if serial != self._seek_done:
            self._pos, self._seek_done = frame, serial
        if not self._playing:
            out.fill(0.0)
            return False
        loop = self._loop  # one read: a set_loop from the UI applies from the next block
        samples, frames = self._samples, self.frames
        pos, done, wanted = self._pos, 0, len(out)
        while done < wanted:
            if loop is not None and pos < loop.end:
                fade_from = loop.end - loop.fade
                if pos < fade_from:
                    source, offset, limit = samples, pos, fade_from
                else:
                    source, offset, limit = loop.tail, pos - fade_from, loop.end
            elif pos < frames:
                source, offset, limit = samples, pos, frames
            else:  # the end: silence for the rest, and playing stops
                out[done:].fill(0.0)
                self._playing = False
                break
            count = min(wanted - done, limit - pos)
            out[done:done + count] = source[offset:offset + count]
            done += count
            pos += count
            if loop is not None and pos == loop.end:
                pos = loop.start  # a tiny loop may wrap several times in one block
        self._pos = pos
        volume = self._volume
        if volume != 1.0:
            np.multiply(out, volume, out=out)
        return self._playing
