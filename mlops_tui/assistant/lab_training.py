"""Lab 3 steps: upload the lab code, check the training data, train and follow the job's log.

The training script's structured ``@@mlops`` log lines are read and worded by
``services/job_output.py``, as everywhere else.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from mlops_tui.assistant import workshop as ws
from mlops_tui.assistant.steps import (
    Check,
    CheckState,
    EventKind,
    LabContext,
    Step,
    StepCancelled,
    StepEvent,
    StepFailed,
    equivalent_commands,
    event,
)
from mlops_tui.services import datasets, errors, job_output, ownership, taxi_zones
from mlops_tui.services.classroom import queue_place
from mlops_tui.services.errors import InvalidInput
from mlops_tui.services.platform import Platform
from mlops_tui.services.types import Job, JobSpec, JobState
from mlops_tui.services.units import size_text


def choose_data(ctx: LabContext, value: str, *, local_files: bool = True) -> None:
    """Train on ``value``: a local trip file (uploaded by the check-data step as ``data/<its name>``)
    or a data file of the repository (``march.csv`` or ``data/NYCTaxi/march.csv``).

    Raises InvalidInput naming the data-name rule (``names.MESSAGES["data"]``) otherwise.
    """
    local = Path(value).expanduser()
    if local_files and local.is_file():
        ctx.data_file = local
        ctx.data_path = datasets.upload_path(local)
        return
    ctx.data_file = None
    ctx.data_path = datasets.data_path(value)


def apply_train_params(ctx: LabContext, params: dict[str, Any], *, local_files: bool = True) -> None:
    """Training parameters as typed (``rounds=50 data=march.csv``): ``data`` chooses the data file
    (it is the job's data, not a parameter of train.py); the rest go to train.py as flags."""
    rest = dict(params)
    value = rest.pop("data", None)
    if value is not None:
        if not str(value).strip():
            raise InvalidInput("data= needs a file name, e.g. data=march.csv", field="data")
        choose_data(ctx, str(value), local_files=local_files)
    ctx.train_params = rest


def lab_code_files() -> dict[str, Path]:
    """The files of ``mlops_tui.lab_scripts`` shipped to the training cluster (*.py and zones.csv),
    by the name each gets there; ``zones.csv`` is the table fetched from the TLC's shapefile when
    there is one (``mlops-tui data fetch zones``), else the built-in approximate one."""
    spec = find_spec("mlops_tui.lab_scripts")
    if spec is None or not spec.submodule_search_locations:
        raise StepFailed("the lab code package mlops_tui.lab_scripts is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    files: dict[str, Path] = {}
    for pattern in ws.LAB_CODE_PATTERNS:
        files.update((f.name, f) for f in root.glob(pattern) if f.is_file())
    fetched = taxi_zones.lab_zones_file()
    if fetched is not None:
        files["zones.csv"] = fetched
    return dict(sorted(files.items()))


def _lab_file(name: str) -> str:
    """Where the lab code file ``name`` is on this machine (what the shown upload command reads)."""
    return str(lab_code_files().get(name, name))


Send = Callable[[str, bytes, str, bool], Awaitable[Any]]  # (path, content, source, replace)
REPLACE_CODE_HOW = "run upload --replace in the guide, or mlops-tui lab run --replace-code"


@dataclass
class CodeUpload:
    """What :func:`upload_lab_code` did with each lab file, by name: ``sent`` (absent, or
    replaced when asked), ``same`` (already there, byte for byte) and ``kept`` (there with other
    content: changed since, e.g. in the notebook; left as it is). ``total``: bytes sent."""

    code_dir: str
    sent: list[str] = field(default_factory=list)
    same: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    total: int = 0

    def kept_note(self) -> str:
        """``kept your changed scoring.py as it is (training uses it); to put …``, or ``""``."""
        if not self.kept:
            return ""
        one = len(self.kept) == 1
        return (
            f"kept your changed {', '.join(self.kept)} in {self.code_dir}/ "
            f"as {'it is' if one else 'they are'} "
            f"(training uses {'it' if one else 'them'}); to put the lab's {'copy' if one else 'copies'} "
            f"back (your changes are lost): {REPLACE_CODE_HOW}"
        )


async def upload_lab_code(
    p: Platform, code_dir: str, *, replace: bool = False, send: Send | None = None
) -> CodeUpload:
    """Put the lab's code files (:func:`lab_code_files`) in ``code_dir``, never over a person's.

    A file absent there is uploaded; one there with the same bytes is left alone; one there with
    other content (changed in the notebook, or by hand) is kept as it is unless ``replace`` (an
    explicit choice: ``run upload --replace``, ``lab run --replace-code``, the Train dialog's
    confirmation). ``send`` uploads one file (default: ``p.upload_repo``; a screen passes one that
    shows the equivalent command)."""
    upload = send or (
        lambda path, content, source, again: p.upload_repo(path, content, source=source, replace=again)
    )
    files = await asyncio.to_thread(lab_code_files)
    there = {e.path: e for e in await p.list_repo(code_dir + "/") if not e.is_dir}
    done = CodeUpload(code_dir)
    for name, f in files.items():
        content = await asyncio.to_thread(f.read_bytes)
        path = f"{code_dir}/{name}"
        existing = there.get(path)
        if existing is not None:
            if existing.size == len(content) and await p.fetch_repo(path) == content:
                done.same.append(name)
                continue
            if not replace:
                done.kept.append(name)
                continue
        await upload(path, content, str(f), existing is not None)
        done.sent.append(name)
        done.total += len(content)
    return done


def _files(names: list[str]) -> str:
    return f"{len(names)} file{'s' * (len(names) != 1)}"


async def _run_upload(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    done = await upload_lab_code(p, ctx.code_dir, replace=bool(ctx.extra.pop("replace_code", False)))
    table = await asyncio.to_thread(taxi_zones.zone_table)
    parts = []
    if done.sent:
        size = f"{done.total / 1024:.0f} KiB"
        parts.append(f"uploaded {_files(done.sent)} ({size}) to {ctx.code_dir}/: " + ", ".join(done.sent))
    if done.same:
        parts.append(f"{_files(done.same)} already there, unchanged")
    if done.kept:
        parts.append(done.kept_note())
    yield event(EventKind.RESULT, "; ".join(parts) + f" (zones.csv: {taxi_zones.describe(table)})")


async def _verify_upload(p: Platform, ctx: LabContext) -> Check:
    """Done when every lab file is in the code folder; one of another size there was changed
    (in the notebook, by hand): it counts, is named, and is never replaced by running the step."""
    local = {name: f.stat().st_size for name, f in (await asyncio.to_thread(lab_code_files)).items()}
    remote = {
        e.path.rsplit("/", 1)[-1]: e.size for e in await p.list_repo(ctx.code_dir + "/") if not e.is_dir
    }
    missing = [n for n in local if n not in remote]
    if missing:
        return Check(CheckState.PENDING, f"{len(missing)} of {len(local)} files not in {ctx.code_dir}/")
    changed = [n for n, size in local.items() if remote[n] != size]
    note = f" ({', '.join(changed)} changed there; training uses {'it' if len(changed) == 1 else 'them'})"
    return Check(CheckState.DONE, f"{len(local)} files in {ctx.code_dir}/" + (note if changed else ""))


def _data_folder(ctx: LabContext) -> str:
    return ctx.data_path.rsplit("/", 1)[0] + "/"


async def _run_check_data(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    if ctx.data_file is not None:
        async for step_event in _upload_data_file(p, ctx):
            yield step_event
        return
    entries = {e.path: e for e in await p.list_repo(_data_folder(ctx))}
    entry = entries.get(ctx.data_path)
    if entry is None:
        have = ", ".join(sorted(e for e in entries if not entries[e].is_dir)) or "nothing"
        raise StepFailed(
            f"the training data {ctx.data_path} is not in the project repository (found: {have})"
        )
    synthetic = "synthetic" in ctx.data_path or any("README" in e and "synthetic" in e for e in entries)
    note = " — a SYNTHETIC data set in the 2019 TLC layout (see its README)" if synthetic else ""
    yield event(EventKind.RESULT, f"{ctx.data_path} is there ({size_text(entry.size)}){note}")


async def _upload_data_file(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    """Profile the local file chosen with ``--data``, upload it, and show what training will see."""
    from mlops_tui.lab_scripts.data_profile import describe

    assert ctx.data_file is not None
    # the file's own name (not one typed): the platform's default place, an attendee's own folder
    name = None if ctx.data_path == datasets.upload_path(ctx.data_file) else ctx.data_path
    if name is None and p.session is not None:
        ctx.data_path = ownership.default_data_path(ctx.data_path, p.session.user, p.session.role)
    yield event(EventKind.INFO, f"profiling {ctx.data_file} and uploading it as {ctx.data_path}")
    try:
        done = await datasets.upload_data(p, ctx.data_file, name)
        ctx.data_path = done.entry.path
    except errors.AlreadyExists as exc:  # another file of that name: never replaced from here
        name = ctx.data_path.removeprefix("data/")
        raise StepFailed(exc.message, hint=f"train on the one there (data={name}), or {exc.hint}") from None
    entry, prof = done.entry, done.profile
    if done.unchanged:
        yield event(EventKind.INFO, f"{entry.path} is already there with the same content: not sent again")
    assert prof is not None  # profiled now, or the stored profile that recorded the same content
    for line in describe(prof):
        yield event(EventKind.INFO, line)
    if prof["kept"] < 50:
        raise StepFailed(f"{ctx.data_path}: only {prof['kept']} usable rides; training needs 50")
    sent = "already there" if done.unchanged else "uploaded"
    yield event(
        EventKind.RESULT,
        f"{entry.path} {sent} ({size_text(entry.size)}): {datasets.summary(prof)}",
        profile=prof,
    )


async def _verify_check_data(p: Platform, ctx: LabContext) -> Check:
    if any(e.path == ctx.data_path for e in await p.list_repo(_data_folder(ctx))):
        return Check(CheckState.DONE, f"{ctx.data_path} present")
    return Check(CheckState.PENDING, f"{ctx.data_path} missing")


def _job_spec(ctx: LabContext) -> JobSpec:
    return JobSpec(
        cluster=ws.TRAINING_CLUSTER,
        code=ctx.code_dir,
        data=ctx.data_path,
        output=ws.models_dir(ctx.user),
        entrypoint="train",
        params=dict(ctx.train_params),
        name=f"taxi-{ws.dns_name(ctx.user)}",
    )


QUEUE_POLL_S = 1.0  # a class of 40 asking once a second is light work for the platform


async def _wait_for_a_worker(p: Platform, ctx: LabContext, job: Job) -> AsyncIterator[StepEvent]:
    """While the job waits on the shared training cluster, say its place in the queue and when it
    should start, each time the place changes (the class shares the cluster's workers)."""
    said = ""
    deadline = time.monotonic() + ctx.train_timeout_s
    while job.state == JobState.QUEUED and time.monotonic() < deadline:
        place = queue_place(job)
        if place and place.split(",")[0] != said:
            said = place.split(",")[0]
            yield event(EventKind.PROGRESS, f"job {job.id}: {place}", queue_position=job.queue_position)
        await asyncio.sleep(max(ctx.poll_s, QUEUE_POLL_S))
        job = await p.get_job(job.id)


MAIN_METRICS = ("rmse", "mae", "r2", "rmsle", "baseline_mae")


def format_metrics(metrics: dict[str, Any], keys: tuple[str, ...] = MAIN_METRICS) -> str:
    """``rmse 289.2, mae 172.4, r2 0.857`` for the given keys that are present (all when empty)."""
    return job_output.format_metrics(metrics, keys)


async def _run_train(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    job = await p.submit_job(_job_spec(ctx))
    ctx.job_id = job.id
    said = f"job {job.id} submitted to {job.cluster} ({job.state}); following its log"
    yield event(EventKind.INFO, said, submitted=job.id)
    async for note in _wait_for_a_worker(p, ctx, job):
        yield note
    tail: list[str] = []
    async for line in p.follow_log(job.id):
        tail = [*tail[-19:], line]
        data = job_output.parse(line)
        if data is None:
            yield event(EventKind.LOG, line)
        else:
            kind = EventKind.PROGRESS if data.get("type") == "progress" else EventKind.METRIC
            yield event(kind, job_output.describe(data), **data)
    deadline = time.monotonic() + ctx.train_timeout_s
    job = await p.get_job(job.id)
    while not job.state.is_final and time.monotonic() < deadline:
        await asyncio.sleep(ctx.poll_s)
        job = await p.get_job(job.id)
    if job.state == JobState.CANCELLED:  # on request: no exit code, no cause to fix
        raise StepCancelled(f"training job {job.id} was {job.message or 'cancelled'}")
    if job.state != JobState.FINISHED:
        last = " | ".join(line for line in tail[-3:] if line.strip())
        said = job.message or last or "see its log"
        # the platform's message often begins with the exit code already ("exit code 2: ...")
        code = job.exit_code is not None and f"exit code {job.exit_code}" not in said
        raise StepFailed(
            f"training job {job.id} {job.state}" + (f" (exit {job.exit_code})" if code else "") + f": {said}"
        )
    metrics = await p.job_metrics(job.id)
    duration = f" in {job.duration_s:.1f} s" if job.duration_s is not None else ""
    yield event(
        EventKind.RESULT,
        f"job {job.id} finished{duration}; model bundle in {job.output or '-'}; "
        f"metrics: {format_metrics(metrics.final or job.metrics)}",
        job=job,
        metrics=metrics.final or job.metrics,
    )


async def latest_job(p: Platform, ctx: LabContext) -> Job | None:
    """The newest finished training job of this user's lab code."""
    for job in await p.list_jobs():  # newest first
        if job.state == JobState.FINISHED and job.code.rstrip("/") == ctx.code_dir:
            return job
    return None


async def _verify_train(p: Platform, ctx: LabContext) -> Check:
    """Done with a finished job of this user's code; else pending, saying why where the newest job
    of that code failed or was cancelled (a job run from the CLI or another screen: the guide said
    only "no finished training job" while the Class screen showed the failure)."""
    jobs = [j for j in await p.list_jobs() if j.code.rstrip("/") == ctx.code_dir]  # newest first
    job = next((j for j in jobs if j.state == JobState.FINISHED), None)
    if job is None:
        newest = jobs[0] if jobs else None
        if newest is not None and newest.state in (JobState.FAILED, JobState.CANCELLED):
            why = f": {newest.message}" if newest.message else ""
            return Check(CheckState.PENDING, f"job {newest.id} {newest.state.value}{why}; train again")
        return Check(CheckState.PENDING, f"no finished training job of {ctx.code_dir}")
    ctx.job_id = ctx.job_id or job.id
    return Check(CheckState.DONE, f"job {job.id} finished ({format_metrics(job.metrics) or 'no metrics'})")


STEPS: tuple[Step, ...] = (
    Step(
        "upload-code",
        3,
        "Upload the training code",
        "Copy the lab's taxi package (features, training and scoring code, zone table) to "
        "code/<user>/taxi/ in the tenant's project repository, where the training cluster reads it.",
        _run_upload,
        _verify_upload,
        equivalent_commands(
            (
                "upload_repo",
                {"path": lambda c: f"{c.code_dir}/train.py", "source": lambda c: _lab_file("train.py")},
            )
        ),
    ),
    Step(
        "check-data",
        3,
        "Check the training data",
        "The NYC yellow-cab rides of January-June 2019 sit in data/NYCTaxi/ of the project repository.",
        _run_check_data,
        _verify_check_data,
        equivalent_commands(("list_repo", {"prefix": ws.DATA_DIR + "/"})),
    ),
    Step(
        "train",
        3,
        "Train the model",
        "Submit the training job to the shared training cluster and follow its log live: XGBoost on an "
        "80/20 split, per-round RMSE, then MAE, RMSE, R² and RMSLE on the test set. The model bundle "
        "lands in models/<user>/job-<id>/.",
        _run_train,
        _verify_train,
        equivalent_commands(
            ("submit_job", {"spec": _job_spec}),
            ("follow_log", {"job_id": lambda c: c.job_id or "ID"}),
            ("job_metrics", {"job_id": lambda c: c.job_id or "ID"}),
        ),
    ),
)
