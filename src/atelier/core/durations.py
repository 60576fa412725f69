"""A sound's length in words, the same in the history, the Info pane and anywhere else it shows."""


def clock_time(seconds: float) -> str:
    """0:12.5 under a minute (tenths count in a short sound), 2:05 from a minute on."""
    if seconds < 60:
        tenths = round(seconds * 10)
        if tenths < 600:
            return f"0:{tenths // 10:02d}.{tenths % 10}"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def sound_length(seconds: float) -> str:
    """12.5 s under a minute, the clock time (2:05) from a minute on."""
    return f"{seconds:g} s" if seconds < 60 else clock_time(seconds)
