"""The audio player: waveform view, transport and the sound output (imported where used: the
output initialises PortAudio, which must not happen before the window's first frame)."""
