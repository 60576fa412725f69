"""Painting a queue row: a state chip, the prompt, the model and how far along the job is, a
thin progress bar, and a button to cancel (unfinished jobs) or retry (failed or cancelled ones).

Every row is laid out once by ``JobDelegate.layout``, which both paint and click handling read,
so what is drawn and what is clicked are the same rectangles. A row's height depends only on the
view's width (never on its text), so a job's steps repaint its row without relaying the list.
"""

from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QModelIndex, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QCursor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyledItemDelegate

from ..core.jobs import Job, JobState
from .theme import mix

JOB_ROLE = Qt.ItemDataRole.UserRole + 2

PAD = 6  # around a row's content
GAP = 6  # between a row's parts
BAR = 3  # the progress bar's height
# Chips are solid, with their own text colour, so they read the same on the dark and the light
# theme (each pair has a contrast of 4.5:1 or more); a queued job's chip is only an outline.
CHIPS = {
    JobState.QUEUED: ("Queued", None, None),
    JobState.LOADING: ("Loading", QColor(245, 158, 11), QColor(20, 20, 20)),
    JobState.RUNNING: ("Running", QColor(37, 99, 235), QColor(255, 255, 255)),
    JobState.DONE: ("Done", QColor(21, 128, 61), QColor(255, 255, 255)),
    JobState.CANCELLED: ("Cancelled", QColor(100, 104, 112), QColor(255, 255, 255)),
    JobState.FAILED: ("Failed", QColor(200, 30, 30), QColor(255, 255, 255)),
}
CANCEL, RETRY = "cancel", "retry"
_BUTTONS = {CANCEL: ("\u2715", "Cancel this job"), RETRY: ("\u21bb", "Retry: queue this job again")}
# Below this width (in the font's pixels) the model and the progress take a line each.
_TWO_LINE_SAMPLE = "a model name · image 10/10 · step 50/50 · 10 s left"


@dataclass
class RowLayout:
    """Where a row's parts go, and the texts that fit there."""

    chip: QRect
    prompt: QRect
    prompt_text: str
    button: QRect | None  # the cancel or retry button, if the job has one
    action: str | None  # CANCEL or RETRY
    lines: list[tuple[QRect, str, str]] = field(default_factory=list)  # (rect, text, "dim"/"text"/"label") below
    eta: tuple[QRect, str] | None = None  # the time left, never elided, at the right of its line
    bar: QRect = field(default_factory=QRect)


def chip_text(state: JobState) -> str:
    return CHIPS[state][0]


def action_of(job: Job) -> str | None:
    if not job.state.finished:
        return CANCEL
    return RETRY if job.state.retryable else None


class JobDelegate(QStyledItemDelegate):
    """Paints queue rows and turns clicks on their buttons into signals (job ids)."""

    cancel_clicked = Signal(str)
    retry_clicked = Signal(str)

    def __init__(self, view):
        super().__init__(view)
        self._view = view
        self._pressed: str | None = None  # the job whose button the mouse went down on

    # ----- geometry ------------------------------------------------------------------------
    @staticmethod
    def _fonts(font: QFont) -> tuple[QFont, QFont]:
        chip = QFont(font)
        chip.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        chip.setWeight(QFont.Weight.DemiBold)
        return font, chip

    def three_lines(self, width: int, font: QFont) -> bool:
        """Narrow rows give the model and the progress a line each."""
        return width - 2 * PAD < QFontMetrics(font).horizontalAdvance(_TWO_LINE_SAMPLE)

    def row_height(self, width: int, font: QFont) -> int:
        text, chip = self._fonts(font)
        line = QFontMetrics(text).height()
        first = max(line, QFontMetrics(chip).height() + 4, self._button_side(text))
        lines = 2 if self.three_lines(width, font) else 1
        return PAD + first + 2 + lines * line + 4 + BAR + PAD

    @staticmethod
    def _button_side(font: QFont) -> int:
        return max(QFontMetrics(font).height() + 6, 22)

    def layout(self, rect: QRect, job: Job, font: QFont) -> RowLayout:
        """Where everything of ``job``'s row goes in ``rect``, and the texts, elided to fit."""
        text_font, chip_font = self._fonts(font)
        fm, chip_fm = QFontMetrics(text_font), QFontMetrics(chip_font)
        inner = rect.adjusted(PAD, PAD, -PAD, -PAD)
        side = self._button_side(text_font)
        first_height = max(fm.height(), chip_fm.height() + 4, side)

        # 1. The first line: chip, prompt, button. Chips are as wide as the widest, so prompts align.
        chip_width = max(chip_fm.horizontalAdvance(text) for text, _bg, _fg in CHIPS.values()) + 12
        chip_height = chip_fm.height() + 4
        chip = QRect(inner.left(), inner.top() + (first_height - chip_height) // 2, chip_width, chip_height)
        action = action_of(job)
        button = None
        right = inner.right()
        if action is not None:
            button = QRect(inner.right() - side + 1, inner.top() + (first_height - side) // 2, side, side)
            right = button.left() - GAP
        prompt = QRect(chip.right() + 1 + GAP, inner.top(), max(0, right - chip.right() - GAP), first_height)
        count = f"  \u00d7{job.request.images}" if job.request.images > 1 else ""
        words = job.headline
        elided = fm.elidedText(words, Qt.TextElideMode.ElideRight, max(0, prompt.width() - fm.horizontalAdvance(count)))
        row = RowLayout(chip, prompt, elided + count if elided else "", button, action)

        # 2. Below: the label and model, then what the job is doing and its time left; on one
        # line when the row is wide enough, else on two.
        top = inner.top() + first_height + 2
        # A job without a prompt already heads its row with its label ("Background removed").
        label = job.label if job.label != job.headline else ""
        model = " · ".join(part for part in (label, job.model_name) if part)
        where, eta = job.progress()
        if not where:
            where = job.detail()
        if self.three_lines(rect.width(), font):
            self._model_line(row, fm, QRect(inner.left(), top, inner.width(), fm.height()), job)
            top += fm.height()
            self._detail_line(row, fm, QRect(inner.left(), top, inner.width(), fm.height()), where, eta, 0)
        else:
            # The model takes what the detail leaves, and 40% of the line when it leaves less.
            line = QRect(inner.left(), top, inner.width(), fm.height())
            detail_width = fm.horizontalAdvance(" ".join(part for part in (where, eta) if part))
            room = inner.width() - detail_width - 3 * GAP if detail_width else inner.width()
            # (+2: elidedText measures glyphs to fractions of a pixel, and cut a name that just fit.)
            model_width = min(fm.horizontalAdvance(model) + 2, max(room, int(inner.width() * 0.4)))
            self._model_line(row, fm, QRect(line.left(), top, model_width, line.height()), job)
            self._detail_line(row, fm, line, where, eta, model_width + GAP * 2)
        top += fm.height() + 4
        row.bar = QRect(inner.left(), top, inner.width(), BAR)
        return row

    @staticmethod
    def _model_line(row: RowLayout, fm: QFontMetrics, line: QRect, job: Job) -> None:
        """The job's label (a reproduction's seed, variations), which stands out, then its model."""
        left = line.left()
        if job.label and job.label != job.headline:
            label = fm.elidedText(f"{job.label} · ", Qt.TextElideMode.ElideRight, line.width())
            width = fm.horizontalAdvance(label)
            row.lines.append((QRect(left, line.top(), width, line.height()), label, "label"))
            left += width
        width = line.right() - left + 1
        if width > 0:
            row.lines.append((QRect(left, line.top(), width, line.height()),
                              fm.elidedText(job.model_name, Qt.TextElideMode.ElideRight, width), "dim"))

    @staticmethod
    def _detail_line(row: RowLayout, fm: QFontMetrics, line: QRect, where: str, eta: str, indent: int) -> None:
        """``where`` from ``indent``, elided; ``eta`` whole, at the line's right end."""
        right = line.right()
        if eta:
            eta_width = fm.horizontalAdvance(eta)
            row.eta = (QRect(line.right() - eta_width + 1, line.top(), eta_width, line.height()), eta)
            right = row.eta[0].left() - GAP
        width = max(0, right - line.left() - indent + 1)
        if where and width > 0:
            row.lines.append((QRect(line.left() + indent, line.top(), width, line.height()),
                              fm.elidedText(where, Qt.TextElideMode.ElideRight, width), "text"))

    # ----- painting ------------------------------------------------------------------------
    def sizeHint(self, option, index: QModelIndex) -> QSize:
        # A row is as wide as the viewport less the list's spacing on either side.
        width = self._view.viewport().width() - 2 * self._view.spacing()
        return QSize(120, self.row_height(width, option.font))

    def paint(self, painter: QPainter, option, index: QModelIndex) -> None:
        from PySide6.QtWidgets import QStyle  # here: making its class costs the window's start 6 ms
        job: Job = index.data(JOB_ROLE)
        if job is None:
            return
        self.initStyleOption(option, index)
        option.text = ""  # the row's texts are drawn below, each in its place
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget)
        row = self.layout(option.rect, job, option.font)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        active = QPalette.ColorGroup.Active
        text = palette.color(active, QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        background = palette.color(active, QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base)
        dim = mix(text, background, 0.3)
        text_font, chip_font = self._fonts(option.font)

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # The chip.
        label, fill, ink = CHIPS[job.state]
        painter.setFont(chip_font)
        if fill is None:
            painter.setPen(dim)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(row.chip).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
            painter.setPen(text)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawRoundedRect(QRectF(row.chip), 4, 4)
            painter.setPen(ink)
        painter.drawText(row.chip, Qt.AlignmentFlag.AlignCenter, label)

        # The texts.
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.setFont(text_font)
        painter.setPen(text)
        painter.drawText(row.prompt, align, row.prompt_text)
        for rect, words, kind in row.lines:
            painter.setPen(dim if kind == "dim" else text)
            painter.drawText(rect, align, words)
        if row.eta is not None:
            painter.setPen(text)
            painter.drawText(row.eta[0], Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, row.eta[1])

        # The progress bar: the running job's share, full when done, an empty track otherwise.
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(mix(background, text, 0.12))
        painter.drawRoundedRect(QRectF(row.bar), 1.5, 1.5)
        share = 1.0 if job.state is JobState.DONE else (job.step / job.total if job.total and
                                                         job.state is JobState.RUNNING else 0.0)
        if share > 0:
            done = QRectF(row.bar)
            done.setWidth(max(2.0, done.width() * min(share, 1.0)))
            painter.setBrush(CHIPS[job.state][1])
            painter.drawRoundedRect(done, 1.5, 1.5)
        painter.restore()

        if row.button is not None and style is not None:
            self._paint_button(painter, option, style, row, job)

    def _paint_button(self, painter: QPainter, option, style, row: RowLayout, job: Job) -> None:
        from PySide6.QtWidgets import QStyle, QStyleOptionButton
        button = QStyleOptionButton()
        button.rect = row.button
        button.palette = option.palette
        button.fontMetrics = option.fontMetrics
        button.text = _BUTTONS[row.action][0]
        button.state = QStyle.StateFlag.State_Enabled
        pressed = self._pressed == job.id
        button.state |= QStyle.StateFlag.State_Sunken if pressed else QStyle.StateFlag.State_Raised
        viewport = self._view.viewport()
        if row.button.contains(viewport.mapFromGlobal(QCursor.pos())):
            button.state |= QStyle.StateFlag.State_MouseOver
        style.drawControl(QStyle.ControlElement.CE_PushButton, button, painter, option.widget)

    # ----- clicks and tooltips -------------------------------------------------------------
    def button_at(self, rect: QRect, job: Job, font: QFont, pos) -> str | None:
        """CANCEL or RETRY if ``pos`` is on the row's button."""
        row = self.layout(rect, job, font)
        return row.action if row.button is not None and row.button.contains(pos) else None

    def editorEvent(self, event, model, option, index: QModelIndex) -> bool:
        kinds = (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick)
        job: Job = index.data(JOB_ROLE)
        if job is None or event.type() not in kinds or event.button() != Qt.MouseButton.LeftButton:
            return super().editorEvent(event, model, option, index)
        action = self.button_at(option.rect, job, option.font, event.position().toPoint())
        if event.type() == QEvent.Type.MouseButtonRelease:
            pressed, self._pressed = self._pressed, None
            self._view.update(index)
            if action is None or pressed != job.id:
                return super().editorEvent(event, model, option, index)
            (self.cancel_clicked if action == CANCEL else self.retry_clicked).emit(job.id)
            return True
        if action is None:
            return super().editorEvent(event, model, option, index)
        self._pressed = job.id
        self._view.update(index)
        return True  # a click on the button does not select the row

    def helpEvent(self, event, view, option, index: QModelIndex) -> bool:
        job: Job = index.data(JOB_ROLE)
        if job is not None and event.type() == QEvent.Type.ToolTip:
            action = self.button_at(option.rect, job, option.font, event.pos())
            if action is not None:
                from PySide6.QtWidgets import QToolTip

                QToolTip.showText(event.globalPos(), _BUTTONS[action][1], view)
                return True
        return super().helpEvent(event, view, option, index)
