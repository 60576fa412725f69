"""The only home of PySide6. Never imports torch: the engine runs in worker threads."""
