"""Sound without Qt or torch: peaks for waveforms, the player's buffer, later loudness and export."""
