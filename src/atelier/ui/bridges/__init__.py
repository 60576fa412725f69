"""Threads the window talks to through queued signals: the open project's (here) and the
engine's (``ui/worker.py``)."""
