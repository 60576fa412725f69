"""The queue panel: every request in order, with its state, progress and time left.

It shows a core ``JobQueue`` through a ``QueueModel`` (the generation controller moves its
jobs), rows painted by ``queue_delegate.JobDelegate``, and asks for jobs to be cancelled or
retried; its buttons are enabled only when there is something for them to do.
"""

from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import QAbstractItemView, QListView, QPushButton, QVBoxLayout, QWidget

from ..core.jobs import Job
from ..core.queue import JobQueue
from .queue_delegate import JOB_ROLE, JobDelegate, chip_text
from .widgets import button_grid, own_viewport

JOB_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class QueueModel(QAbstractListModel):
    """A list model over a JobQueue: jobs are added, retried and cleared through it, so rows follow."""

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
        if role == Qt.ItemDataRole.DisplayRole:  # what a screen reader says, and the delegate draws
            head = job.headline if job.headline == job.label or not job.label else f"{job.label}: {job.headline}"
            count = f" ×{job.request.images}" if job.request.images > 1 else ""
            return f"{head}{count}\n" \
                   f"{job.model_name} · {job.describe()}"
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [getattr(job.request, "prompt", ""), job.label, job.model_name,
                     f"{chip_text(job.state)}: {job.describe()}"]
            return "\n".join(line for line in lines if line)
        if role == JOB_ROLE:
            return job
        if role == JOB_ID_ROLE:
            return job.id
        return None

    def add(self, job: Job, model=None) -> None:
        """Queue ``job`` to run on ``model`` (a ModelInfo)."""
        self.beginInsertRows(QModelIndex(), len(self.jobs), len(self.jobs))
        self.queue.add(job, model)
        self.endInsertRows()

    def retry(self, job_id: str, model) -> Job | None:
        """Queue a failed or cancelled job again, at the end, on ``model``."""
        if (job := self.queue.find(job_id)) is None or not job.state.retryable:
            return None
        self.beginInsertRows(QModelIndex(), len(self.jobs), len(self.jobs))
        again = self.queue.retry(job_id, model)
        self.endInsertRows()
        return again

    def changed(self, job: Job) -> None:
        row = self.jobs.index(job)
        self.dataChanged.emit(self.index(row), self.index(row))

    def clear_finished(self) -> None:
        self.beginResetModel()
        self.queue.clear_finished()
        self.endResetModel()


class _JobList(QListView):
    """A list whose rows change size only with its width: a changed job repaints its own row."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._viewport = own_viewport(self)  # asking Qt for its own would cost the start 15 ms

    def dataChanged(self, top_left: QModelIndex, bottom_right: QModelIndex, roles=()) -> None:
        # QListView's own handling lays out and repaints every row (1.3 ms with a dozen jobs,
        # growing with the queue), and the running job changes on every step.
        for row in range(top_left.row(), bottom_right.row() + 1):
            self.update(self.model().index(row, 0))

    _three_lines: bool | None = None  # how the rows were last laid out

    def mouseMoveEvent(self, event) -> None:
        super().mouseMoveEvent(event)
        # Qt repaints a row when the mouse enters it; its button lights up when the mouse enters that.
        index = self.indexAt(event.position().toPoint())
        if index.isValid():
            self.update(index)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # Narrow rows take a line more (see JobDelegate.three_lines): lay them out again.
        three = self.itemDelegate().three_lines(self._viewport.width() - 2 * self.spacing(), self.font())
        if three != self._three_lines:
            self._three_lines = three
            self.scheduleDelayedItemsLayout()


class QueueView(QWidget):
    cancel_requested = Signal(str)  # job id
    cancel_all_requested = Signal()
    retry_requested = Signal(str)  # job id

    def __init__(self, model: QueueModel, parent=None):
        super().__init__(parent)
        self.setObjectName("queueView")
        self.setAccessibleName("Queue")
        self.model = model
        self.list = _JobList()
        self.list.setObjectName("queueList")
        self.list.setModel(self.model)
        self.delegate = JobDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        self.list.setAlternatingRowColors(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # rows fit the width
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setMouseTracking(True)  # a row's button lights up under the mouse
        self.list.setSpacing(2)
        self.delegate.cancel_clicked.connect(self.cancel_requested)
        self.delegate.retry_clicked.connect(self.retry_requested)

        self.cancel_button = self._button("Cancel job", "cancelJobButton", "Cancel the selected job",
                                          self._cancel_selected)
        self.cancel_all_button = self._button("Cancel all", "cancelAllButton", "Cancel every unfinished job",
                                              self.cancel_all_requested)
        self.retry_button = self._button("Retry", "retryJobButton", "Queue the selected job again",
                                         self._retry_selected)
        self.clear_button = self._button("Clear finished", "clearQueueButton", "Remove finished jobs from the list",
                                         self.model.clear_finished)
        buttons = button_grid(self.cancel_button, self.cancel_all_button, self.retry_button, self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        layout.addLayout(buttons)

        for signal in (model.dataChanged, model.rowsInserted, model.rowsRemoved, model.modelReset,
                       self.list.selectionModel().currentChanged):
            signal.connect(self._update_buttons)
        self._update_buttons()

    def _button(self, text: str, name: str, accessible: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setAccessibleName(accessible)
        button.clicked.connect(slot)
        return button

    def reveal(self, job: Job) -> None:
        """Scroll the job's row into view (the running one, as it starts)."""
        self.list.scrollTo(self.model.index(self.model.jobs.index(job)))

    def select(self, job: Job) -> None:
        self.list.setCurrentIndex(self.model.index(self.model.jobs.index(job)))

    def selected_job(self) -> Job | None:
        index = self.list.currentIndex()
        return index.data(JOB_ROLE) if index.isValid() else None

    @Slot()
    def _update_buttons(self) -> None:
        jobs, selected = self.model.jobs, self.selected_job()
        self.cancel_button.setEnabled(selected is not None and not selected.state.finished)
        self.cancel_all_button.setEnabled(any(not job.state.finished for job in jobs))
        self.retry_button.setEnabled(selected is not None and selected.state.retryable)
        self.clear_button.setEnabled(any(job.state.finished for job in jobs))

    @Slot()
    def _cancel_selected(self) -> None:
        if (job := self.selected_job()) is not None:
            self.cancel_requested.emit(job.id)

    @Slot()
    def _retry_selected(self) -> None:
        if (job := self.selected_job()) is not None:
            self.retry_requested.emit(job.id)
