"""The window's state and what acts on it, apart from its widgets: generating (the job queue and
the engine thread) and the open project (through the project thread)."""
