"""Generating: the job queue (core/queue.py) and each job's life on the engine thread, from
queued to stored. The window shows what this says (``progress``, ``message``, the images) and
asks it to queue, cancel and reproduce."""

import time

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from ...core.errors import RequestError
from ...core.jobs import Job, JobState
from ...core.queue import JobQueue
from ...core.families import AUDIO_TASKS
from ...core.recipe_settings import settings_of
from ...models.kinds import PARTS
from ..bridges.project_changes import OutputAdded
from ..queue import QueueModel
from ..widgets import FrameLimiter
from ..worker import EngineThread, MadeOutput
from .project import ProjectController

# What a variation keeps of its source's request; the seed is new and the size follows the image.
_KEPT_BY_VARIATIONS = ("prompt", "negative_prompt", "steps", "guidance", "scheduler")
# What the queue names a job that runs on no model (a Lanczos upscale).
_NO_MODEL_NAME = "Lanczos (not AI)"
# Progress and live previews repaint at most this often (12.5 per second): smooth to the eye,
# and a fast engine's steps do not turn into repaints that take CPU from it.
_PROGRESS_FRAME_MS = 80


class GenerationController(QObject):
    models_changed = Signal(object)  # the models found that Atelier can run: image and sound
    parts_changed = Signal(object)  # the LoRAs, ControlNets, VAEs, ... found (ModelInfo), before models_changed
    progress = Signal(object, object, object)  # text, value, maximum for the progress bar; None keeps each
    message = Signal(str, bool)  # a line for the artist, error
    status = Signal(str, int)  # status-bar text, milliseconds (0: until replaced)
    engine_described = Signal(str)  # what the engine is: starting, ready, the model it holds, stopped
    preview_shown = Signal(QImage, object)  # a live preview, the (width, height) it stretches to
    image_shown = Signal(QImage)  # a finished image, stored (or a remake, compared)
    sound_shown = Signal(str, bytes, bytes)  # a finished sound, stored: its output id ("" for a remake), file, peaks
    seed_used = Signal(object)  # the seed of the output just shown (past 2**31: a Qt int is 32-bit)
    job_started = Signal(object)  # Job
    countdown_over = Signal()  # the cancel countdown ended: its last words should not stay up
    model_missing = Signal(object)  # a job's ModelInfo whose files are no longer where the scan found them
    busy_changed = Signal()  # a job started or ended, or the models changed: what may be clicked changed
    waiting_changed = Signal(int)  # how many jobs wait their turn (queued, not yet running)

    def __init__(self, engine: EngineThread, project: ProjectController, parent: QObject | None = None):
        super().__init__(parent)
        self.engine = engine
        self.project = project
        self.jobs = JobQueue()
        self.queue_model = QueueModel(self.jobs, self)
        self.models: list = []
        # Offered by their own dialogs, not the prompt panel: upscalers and background-removal models.
        self.upscalers: list = []
        self.matting_models: list = []
        self.parts: list = []
        # The last scan whole (pickles, unusable models and problems included): the Model Library's.
        self.all_models: list = []
        self.scan_problems: list[str] = []
        self.closing = False  # set while the window closes: no job starts
        self.last_output: MadeOutput | None = None
        self.reproductions: dict[str, bool] = {}  # output id -> pixels identical when remade
        self._pending: dict[str, MadeOutput] = {}  # outputs waiting to be stored before shown
        self._showing_model = False  # the engine's description names a loaded model
        self._frames = FrameLimiter(_PROGRESS_FRAME_MS, self)  # step and preview repaints
        worker = engine.worker
        worker.set_asset_source(project.read_asset)  # a job's inputs, read on the engine thread
        worker.models_found.connect(self._on_models_found)
        worker.status.connect(self._on_status)
        worker.engine_ready.connect(self._on_engine_ready)
        worker.model_loading.connect(self._on_model_loading)
        worker.model_loaded.connect(self._on_model_loaded)
        worker.step.connect(self._on_step)
        worker.preview.connect(self._on_preview)
        worker.output_ready.connect(self._on_output_ready)
        worker.job_failed.connect(self._on_failed)
        worker.model_missing.connect(self.model_missing)
        worker.job_cancelled.connect(self._on_cancelled)
        worker.job_done.connect(self._on_job_done)
        engine.cancel_countdown.connect(self._on_cancel_countdown)
        engine.engine_stopped.connect(self._on_engine_stopped)
        project.opened.connect(self._on_project_opened)
        project.changed.connect(self._on_project_changed)
        project.compared.connect(self._on_compared)

    @property
    def running_job(self) -> Job | None:
        """The job the engine has, until it is free again."""
        return self.jobs.running

    # ----- asking ---------------------------------------------------------------------------
    def scan(self, folders: list) -> None:
        self.engine.request_scan.emit(list(folders))

    def warm(self) -> None:
        """Start the engine process ahead of the first job."""
        if not self.closing:
            self.engine.warm()

    def queue(self, request, info, source: str | None = None, extra_models: dict | None = None) -> None:
        """Queue ``request`` (an immutable snapshot) on model ``info`` (None: a task that needs
        none, a Lanczos upscale); it runs when its turn comes. ``source``: the output it was made
        from (an inpaint's picture), to link it to in the history. ``extra_models``: id ->
        ModelInfo of the other models it uses (an upscale's refining model); those not given are
        found among the listed models by the ids the request names (LoRAs, ControlNets, ...)."""
        extra_models = self._extra_models(request, info, extra_models)
        if extra_models is None:
            return
        self.queue_model.add(_job(request, info, source=source, extra_models=extra_models), info)
        self.message.emit("", False)
        self._dispatch()

    def _extra_models(self, request, info, given: dict | None,
                      why: str = "add its folder in Settings > Models") -> dict | None:
        """``given`` and, for each other model ``request`` names, its listed ModelInfo, and the
        embeddings of ``info``'s family its prompts name; None, having said which is missing,
        when one is not listed."""
        found = dict(given or {})
        if info is not None and info.kind == "image" and hasattr(request, "negative_prompt"):
            from ...core.embedding_names import embeddings_for

            found.update(embeddings_for((request.prompt, request.negative_prompt), self.parts, info.family))
        for model_id in request.extra_model_ids:
            if model_id not in found:
                info = self.find_model(model_id)
                if info is None:
                    self.message.emit(f"Model {model_id!r} is not installed; {why}.", True)
                    return None
                found[model_id] = info
        return found

    def queue_variations(self, source_id: str, image, strength: float, count: int, defaults: dict,
                         fallback_model) -> None:
        """Queue ``count`` variations of output ``source_id`` (ready as init image ``image``):
        its prompt and settings where its recipe has them, else the form's (``defaults``), new
        seeds, on the model that made it if it is here, else ``fallback_model``. Each is
        linked to its source in the history."""
        from ...core.families import native_side
        from ...core.init_image import fit_size  # numpy and Pillow: not at the window's start
        from ...core.tasks import ImageToImageRequest

        found = self.project.find(source_id)
        if found is None:
            return
        entry, output = found
        made_with = ((output.recipe or {}).get("model") or entry.model or {}).get("id")
        info = next((m for m in self.models if m.id == made_with), fallback_model)
        if info is None:
            self.message.emit("No image model to make variations with; add one in Settings > Models.", True)
            return
        settings = settings_of(output.recipe)
        # On the model that made it, a variation keeps its style: the LoRAs and VAE too.
        kept = _KEPT_BY_VARIATIONS + (("loras", "vae") if info.id == made_with else ())
        values = {**defaults, **{k: settings[k] for k in kept if k in settings}}
        width, height = fit_size(image.width, image.height, native_side(info.family))
        common = dict(init_image=image.asset, strength=strength, seed=None, batch_size=count, width=width, height=height)
        try:
            request = ImageToImageRequest(**{**values, **common})
        except RequestError:  # a recipe from elsewhere with values the app refuses: the form's
            request = ImageToImageRequest(**{**defaults, **common})
        extra_models = self._extra_models(request, info, {})
        if extra_models is None:
            return
        self.queue_model.add(Job(request, info.id, info.name, source=source_id, extra_models=extra_models), info)
        self.message.emit("", False)
        self._dispatch()

    def reproduce(self, output_id: str) -> None:
        """Queue the output's recipe again; when it is done, say whether the pixels match."""
        from ...core.recipe import Recipe  # with the first job, not with the window

        found = self.project.find(output_id)
        if found is None:
            return
        try:
            recipe = Recipe.from_dict(found[1].recipe or {})
            request = recipe.to_request()
        except RequestError as exc:  # made by a newer Atelier, or a value out of range
            self.message.emit(f"This output cannot be remade: {exc}.", True)
            return
        except (TypeError, ValueError, KeyError, AttributeError):
            self.message.emit("This output has no Atelier recipe to reproduce; use its prompt and seed instead.", True)
            return
        # A Lanczos upscale runs on no model; a refined upscale needs its refining model too.
        not_ai = getattr(request, "not_ai", False)
        info = None if not_ai else self.find_model(recipe.model.id)
        if not (not_ai or info):
            self.message.emit(f"Model {recipe.model.id!r} is not installed, so this output cannot be remade.", True)
            return
        extra = self._extra_models(request, info, {}, "so this output cannot be remade")
        if extra is None:
            return
        self.queue_model.add(_job(request, info, reproduce_of=output_id, extra_models=extra), info)
        self._dispatch()

    def cancel_running(self) -> None:
        if self.running_job is not None:
            self.cancel_job(self.running_job.id)

    def cancel_job(self, job_id: str) -> None:
        """A queued job is dropped at once; the running one stops at the end of its step, or,
        if the engine has not confirmed within the grace, when its process is stopped."""
        job = self.jobs.find(job_id)
        if job is None or job.state.finished:
            return
        if job is self.running_job:
            self.progress.emit("Cancelling ...", None, None)
            self.engine.cancel()  # its countdown, if it starts one, replaces the text
        elif self.jobs.cancel_waiting(job_id) is not None:
            self.queue_model.changed(job)
            self._count_waiting()

    def cancel_all(self) -> None:
        """Every waiting job is dropped at once, and the running one is asked to stop."""
        for job in self.jobs.cancel_all_waiting():
            self.queue_model.changed(job)
        self._count_waiting()
        self.cancel_running()

    def retry(self, job_id: str) -> None:
        """Queue a failed or cancelled job again, at the end, on its model if it is still here."""
        job = self.jobs.find(job_id)
        if job is None or not job.state.retryable:
            return
        # The queue forgets a job's model once it ran: find it again among the models here now.
        info = self.find_model(job.model_id)
        if info is None and job.model_id:
            self.message.emit(f"{job.model_name} is no longer installed, so this job cannot be retried.", True)
            return
        self.queue_model.retry(job_id, info)
        self.message.emit("", False)
        self._dispatch()

    def find_model(self, model_id: str):
        """The model with this id among those found (any kind the window runs), or None."""
        return next((m for m in (*self.models, *self.upscalers, *self.matting_models, *self.parts)
                     if m.id == model_id), None)

    def _count_waiting(self) -> None:
        self.waiting_changed.emit(sum(1 for _job in self.jobs.waiting()))

    def _dispatch(self) -> None:
        """Start the next queued job if the engine is free."""
        if self.closing:
            return
        job = self.jobs.start_next(time.perf_counter())
        self._count_waiting()
        if job is None:
            self.busy_changed.emit()
            return
        info, request = self.jobs.model_of(job), job.request
        # The engine first: it starts on its threads while this one records and shows the job
        # (its answers wait in this thread's queue until this returns).
        self.engine.generate(info, request, job.extra_models)
        self.queue_model.changed(job)
        self.job_started.emit(job)
        if job.reproduce_of is None:
            self.project.begin_request(job.id, request, info, job.source)
        self.progress.emit("Starting ...", 0, job.total)
        self.busy_changed.emit()

    # ----- the engine's answers ---------------------------------------------------------------
    @Slot(object, object)
    def _on_models_found(self, models, problems) -> None:
        self.all_models, self.scan_problems = list(models), list(problems)
        models = [m for m in models if m.format != "pickle"]  # listed in the library, offered nowhere
        # Image models, and the sound models a task runs (AudioLDM and the like are listed by
        # 'atelier models' but not offered).
        self.models = [m for m in models if m.kind == "image" or m.family in AUDIO_TASKS]
        self.upscalers = [m for m in models if m.kind == "upscaler"]
        self.matting_models = [m for m in models if m.kind == "matting"]
        self.parts = [m for m in models if m.kind in PARTS]  # LoRAs, ControlNets, VAEs, ...
        self.parts_changed.emit(self.parts)
        self.models_changed.emit(self.models)
        if self.models:
            sounds = sum(m.kind == "audio" for m in self.models)
            self.status.emit(f"{len(self.models) - sounds} image and {sounds} sound model(s) found", 5000)
        else:
            # Calm, not red: a first run has no models yet; the canvas says what to do.
            self.message.emit("No models found yet: choose Add Models... above to add yours.", False)
        if problems:
            self.status.emit(f"{len(problems)} model folder(s) skipped: {problems[0]}", 15000)
        self.busy_changed.emit()

    @Slot(str)
    def _on_status(self, text: str) -> None:
        self.status.emit(text, 0)
        self.progress.emit(text, None, None)

    @Slot(int)
    def _on_cancel_countdown(self, seconds: int) -> None:
        """Say when the engine will be stopped if it has not stopped by itself (0: it has)."""
        if seconds and (self.running_job is not None or self.closing):
            text = f"{'Cancelling' if self.running_job else 'Closing'} ... stopping the engine in {seconds} s"
            self.status.emit(text, 0)
            if self.running_job is not None:
                self.progress.emit(text, None, None)
        else:
            self.countdown_over.emit()

    @Slot()
    def _on_engine_stopped(self) -> None:
        self._showing_model = False
        self.engine_described.emit("Engine: stopped")
        self.status.emit("Engine stopped; it starts again with the next job.", 10000)

    @Slot(str)
    def _on_engine_ready(self, torch_version: str) -> None:
        if not self._showing_model:
            self.engine_described.emit(f"Engine ready · torch {torch_version}")
        if self.running_job is None:  # "Starting the engine ..." must not outlive the start, anywhere
            self.status.emit("Engine ready", 5000)
            self.progress.emit("Ready", 0, 100)

    @Slot(str)
    def _on_model_loading(self, model: str) -> None:
        self.status.emit(f"Loading {model} ...", 0)
        if self.running_job is not None:
            self.progress.emit(None, None, 0)  # busy, without text: a load has no steps to count

    @Slot(str, str, str)
    def _on_model_loaded(self, model: str, device: str, dtype: str) -> None:
        self._showing_model = True
        self.engine_described.emit(f"{model} · {device} · {dtype}")
        job = self.running_job
        if job is not None and job.state is JobState.LOADING:
            self.progress.emit(None, 0, job.total)  # steps come next

    @Slot(int, int, int, int, float)
    def _on_step(self, index: int, count: int, step: int, total: int, elapsed: float) -> None:
        # The engine's step count is the true one (a sound's tokens, an image-to-image's share).
        job = self.jobs.stepped(index * total + step, time.perf_counter(), total * count, elapsed)
        if job is not None:
            self._frames.submit("progress", self._show_step, job)

    def _show_step(self, job: Job) -> None:
        # The row and the bar say the same words, the job's: where it is and its time left.
        self.queue_model.changed(job)
        # While a cancel counts down, the bar keeps saying so; a late step only moves it.
        self.progress.emit(None if self.engine.counting_down else job.progress_text(), job.step, job.total)

    @Slot(QImage)
    def _on_preview(self, image: QImage) -> None:
        if self.running_job is not None:
            request = self.running_job.request
            self._frames.submit("preview", self.preview_shown.emit, image, (request.width, request.height))

    @Slot(object)
    def _on_output_ready(self, output: MadeOutput) -> None:
        """Store first, show after: the output is on disk before the artist sees or hears it."""
        if self.running_job is None:
            return
        self._frames.drop("preview")  # a preview still waiting must not cover the image
        job_id = self.running_job.id
        if self.running_job.reproduce_of is not None:
            self._show(output, "")
            self.project.compare(self.running_job.reproduce_of, output.data)
            return
        self._pending[f"{job_id}:{output.recipe.batch_index}"] = output
        self.project.store_output(job_id, output.kind, output.data, output.suffix, output.recipe.to_dict(),
                                  output.peaks, output.mask)

    def _show(self, output: MadeOutput, output_id: str) -> None:
        if output.image is not None:
            self.image_shown.emit(output.image)
        else:
            self.sound_shown.emit(output_id, output.data, output.peaks or b"")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._finish_job(JobState.FAILED, message)
        self.message.emit(message, True)

    @Slot(str)
    def _on_cancelled(self, message: str) -> None:
        self._finish_job(JobState.CANCELLED, message)
        self.message.emit(f"Generation {message}.", False)

    @Slot()
    def _on_job_done(self) -> None:
        job = self.running_job
        if not self._showing_model and self.engine.worker.engine_pid is not None:
            self.engine_described.emit("Engine ready")  # a job started it (no warm-up said so)
        if job is not None and not job.state.finished:
            self._finish_job(JobState.DONE)
        if job is not None and job.state is JobState.FAILED:
            ending = "Failed"
            self.progress.emit(ending, 0, 100)
        elif job is not None and job.state is JobState.CANCELLED:
            ending = "Cancelled"
            self.progress.emit(ending, 0, 100)  # cleared: a half-full bar under "Cancelled" looks stuck
        else:
            ending = f"Done in {self.jobs.seconds_running(time.perf_counter()):.1f} s"
            self.progress.emit(ending, 100, 100)
        # The job's last word replaces "Loading ..." or "Generating with ...", which it outlived.
        self.status.emit(ending, 10000)
        self.jobs.release()
        self._dispatch()

    def _finish_job(self, state: JobState, message: str = "") -> None:
        job = self.jobs.finish(state, message)
        if job is None:
            return
        self._frames.drop()  # the job's last word replaces any step or preview still waiting
        self.queue_model.changed(job)

    # ----- the project's answers ----------------------------------------------------------------
    @Slot(object, object)
    def _on_project_opened(self, _project, _path) -> None:
        self._pending.clear()

    @Slot(object)
    def _on_project_changed(self, change) -> None:
        """An image this made is stored: show it now."""
        if not isinstance(change, OutputAdded):
            return
        shown = self._pending.pop(f"{change.token}:{(change.output.recipe or {}).get('batch_index', 0)}", None)
        if shown is None:
            return
        self.project.set_current(change.output.id)
        self.last_output = shown
        seed = shown.recipe.seed  # None for an edit that draws no noise (an upscale, a removed background)
        if seed is not None:
            self.seed_used.emit(seed)
        self._show(shown, change.output.id)
        self.project.load_mask(change.output.id)  # a removed background's subject, over it on the canvas
        noun = "Sound" if shown.kind == "audio" else "Image"
        self.status.emit(f"{noun} stored in the project" + (f" (seed {seed})" if seed is not None else ""), 5000)

    @Slot(str, bool, str)
    def _on_compared(self, output_id: str, identical: bool, comparison: str) -> None:
        self.reproductions[output_id] = identical
        detail = comparison.split(": ", 1)[-1]  # "every pixel matches", "12 of 4,096 pixels differ ..."
        self.message.emit(f"Reproduced exactly: {detail}." if identical else f"Reproduced, but {detail}.", not identical)


def _job(request, info, **fields) -> Job:
    """A job for ``request`` on model ``info``, or on none (a Lanczos upscale)."""
    if info is None:
        return Job(request, "", _NO_MODEL_NAME, **fields)
    return Job(request, info.id, info.name, **fields)
