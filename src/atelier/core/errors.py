"""Errors a person can act on: each message is one line naming the file or field and the fix.

The exit codes are the CLI's contract (README "Command line").
"""


class AtelierError(Exception):
    """Base class; ``str(err)`` is the complete one-line message shown to the user."""

    exit_code = 1


class RequestError(AtelierError):
    """A request field is out of range or malformed."""

    exit_code = 2


class ModelError(AtelierError):
    """A model is missing, malformed, or of the wrong kind."""

    exit_code = 3


class GenerationError(AtelierError):
    """A generation started but failed."""

    exit_code = 4


class GenerationCancelled(AtelierError):
    """The user cancelled a generation; not a failure."""

    exit_code = 130

    def __init__(self, step: int, total: int):
        super().__init__(f"cancelled after step {step} of {total}")
        self.step = step
        self.total = total


class ProjectError(AtelierError):
    """A project file is damaged, too new, or cannot be written; the message says which."""

    exit_code = 5
