"""Undo steps. Each asks the project controller for what it does and undoes; the project thread
carries it out, and the history follows from what it reports."""

from PySide6.QtGui import QUndoCommand

from ..core.edits import EDITS


class MarkCommand(QUndoCommand):
    """A change to an output's marks (favourite, rating, hidden)."""

    def __init__(self, project, output_id: str, before: dict, after: dict):
        super().__init__(f"change {', '.join(after)}")
        self.project, self.output_id, self.before, self.after = project, output_id, before, after

    def redo(self) -> None:
        self.project.set_marks(self.output_id, self.after)

    def undo(self) -> None:
        self.project.set_marks(self.output_id, self.before)


class DeleteCommand(QUndoCommand):
    """Delete an output from the history; undo brings it back, asset and all."""

    def __init__(self, project, output_id: str):
        super().__init__("delete output")
        self.project, self.output_id = project, output_id

    def redo(self) -> None:
        self.project.remove_output(self.output_id)

    def undo(self) -> None:
        self.project.restore_output(self.output_id)


class EditCommand(QUndoCommand):
    """A canvas edit: the edited image is stored as a new output; undo deletes that output
    (asset kept, as for any delete) and shows the source again; redo brings it back."""

    def __init__(self, project, source_id: str, operation: str):
        super().__init__(EDITS[operation][0].replace("&", "").lower())
        self.project, self.source_id, self.operation = project, source_id, operation
        self.result_id: str | None = None
        self._undone_early = False

    def redo(self) -> None:
        if self.result_id is None:
            self._undone_early = False
            self.project.make_edit(self.source_id, self.operation, self._stored)
        else:
            self.project.restore_output(self.result_id)
            self.project.show_output(self.result_id)

    def undo(self) -> None:
        if self.result_id is None:
            self._undone_early = True  # not stored yet: take it away the moment it is
            return
        self.project.remove_output(self.result_id)
        self.project.show_output(self.source_id)

    def _stored(self, output_id: str) -> None:
        self.result_id = output_id
        if self._undone_early:
            self.project.remove_output(output_id)
        else:
            self.project.show_output(output_id)
