"""The queue panel: every request in order, with its state, progress and ETA.

It shows a core ``JobQueue`` through a ``QueueModel`` (the generation controller moves its
jobs) and asks for one to be cancelled.
"""

from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QListView, QPushButton, QVBoxLayout, QWidget

from ..core.jobs import Job, JobState
from ..core.queue import JobQueue

_STATE_COLOURS = {
    JobState.QUEUED: QColor(160, 160, 170),
    JobState.LOADING: QColor(230, 190, 90),
    JobState.RUNNING: QColor(120, 170, 255),
    JobState.DONE: QColor(120, 200, 140),
    JobState.CANCELLED: QColor(160, 160, 170),
    JobState.FAILED: QColor(255, 138, 128),
}
JOB_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class QueueModel(QAbstractListModel):
    """A list model over a JobQueue: jobs are added and cleared through it, so rows follow."""

    def __init__(self, queue: JobQueue, parent=None):
        super().__init__(parent)
        self.queue = queue

    @property
    def jobs(self) -> list[Job]:
        return self.queue.jobs

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.jobs)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        job = self.jobs[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            prompt = job.request.prompt.replace("\n", " ") or "(no prompt)"
            if len(prompt) > 48:
                prompt = prompt[:47] + "…"
            count = f" ×{job.request.batch_size}" if job.request.batch_size > 1 else ""
            return f"{prompt}{count}\n{job.model_name} · {job.describe()}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{job.request.prompt}\n{job.model_name}\n{job.describe()}"
        if role == Qt.ItemDataRole.ForegroundRole:
            return _STATE_COLOURS[job.state]
        if role == JOB_ID_ROLE:
            return job.id
        return None

    def add(self, job: Job, model=None) -> None:
        """Queue ``job`` to run on ``model`` (a ModelInfo)."""
        self.beginInsertRows(QModelIndex(), len(self.jobs), len(self.jobs))
        self.queue.add(job, model)
        self.endInsertRows()

    def changed(self, job: Job) -> None:
        row = self.jobs.index(job)
        self.dataChanged.emit(self.index(row), self.index(row))

    def clear_finished(self) -> None:
        self.beginResetModel()
        self.queue.clear_finished()
        self.endResetModel()


class _JobList(QListView):
    """A list whose rows never change size: a changed job repaints its own row."""

    def dataChanged(self, top_left: QModelIndex, bottom_right: QModelIndex, roles=()) -> None:
        # QListView's own handling lays out and repaints every row (1.3 ms with a dozen jobs,
        # growing with the queue), and the running job changes on every step.
        for row in range(top_left.row(), bottom_right.row() + 1):
            self.update(self.model().index(row, 0))


class QueueView(QWidget):
    cancel_requested = Signal(str)  # job id

    def __init__(self, model: QueueModel, parent=None):
        super().__init__(parent)
        self.setObjectName("queueView")
        self.setAccessibleName("Queue")
        self.model = model
        self.list = _JobList()
        self.list.setObjectName("queueList")
        self.list.setModel(self.model)
        self.list.setAlternatingRowColors(True)
        self.list.setUniformItemSizes(True)  # every row is two lines, elided
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setSpacing(2)
        self.cancel_button = QPushButton("Cancel job")
        self.cancel_button.setObjectName("cancelJobButton")
        self.cancel_button.setAccessibleName("Cancel the selected job")
        self.cancel_button.clicked.connect(self._cancel_selected)
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.setObjectName("clearQueueButton")
        self.clear_button.clicked.connect(self.model.clear_finished)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        layout.addLayout(buttons)

    def reveal(self, job: Job) -> None:
        """Scroll the job's row into view (the running one, as it starts)."""
        self.list.scrollTo(self.model.index(self.model.jobs.index(job)))

    def select(self, job: Job) -> None:
        self.list.setCurrentIndex(self.model.index(self.model.jobs.index(job)))

    @Slot()
    def _cancel_selected(self) -> None:
        index = self.list.currentIndex()
        if index.isValid():
            self.cancel_requested.emit(index.data(JOB_ID_ROLE))
