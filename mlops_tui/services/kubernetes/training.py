"""Training on the cluster: one Kubernetes Job per run (reference §3; the training engine's own
submission protocol is not published, so the Job does what ``%%trainingengineshared`` would).

The lab code travels in a ConfigMap mounted as a Python package, the project repository is the
profile's PVC mounted where the workshop had it (``/bd-fs-mnt/TenantShare/repo``), the log is
the Job pod's log, and metrics are the ``@@mlops <json>`` lines the training script prints.
Finished metrics are written back as Job annotations so the history survives the pod.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib.resources
import json
import re
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from mlops_tui.lab_scripts import params as training_params
from mlops_tui.platform.names import shown
from mlops_tui.services import errors
from mlops_tui.services.kubernetes import convert, manifests
from mlops_tui.services.kubernetes import names as n
from mlops_tui.services.kubernetes.context import Ctx, check_repo_path
from mlops_tui.services.kubernetes.kube import MERGE_PATCH
from mlops_tui.services.types import ClusterKind, Job, JobMetrics, JobSpec

CODE_PACKAGE = "mlops_tui.lab_scripts"
MAX_CODE_BYTES = 900 * 1024  # a ConfigMap holds at most 1 MiB
CODE_SUFFIXES = (".py", ".csv", ".json", ".md")
POLL_S = 1.0
# A followed log may stay silent while the job works: after this long without a byte the stream is
# closed, the pod checked and the log reopened (a dead connection never holds the follow for long).
LOG_IDLE_S = 60.0
RESUME_MATCH_LINES = 20  # lines matched to find a tail stream's place again after a drop
_JOB_NUMBER = re.compile(r"-(\d+)$")


def code_files() -> dict[str, str]:
    """The workshop code shipped with mlops-tui, as ConfigMap data (file name → text)."""
    root = importlib.resources.files(CODE_PACKAGE)
    files: dict[str, str] = {}
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.is_file() and entry.name.endswith(CODE_SUFFIXES) and not entry.name.startswith("."):
            files[entry.name] = entry.read_text(encoding="utf-8")
    size = sum(len(v.encode()) for v in files.values())
    if size > MAX_CODE_BYTES:
        raise errors.InvalidInput(f"the lab code is {size} bytes, more than a ConfigMap holds", field="code")
    return files


def parse_metrics(job_id: str, lines: list[str]) -> tuple[JobMetrics, dict[str, Any]]:
    """Metrics from ``@@mlops`` lines, plus the other records (data fingerprint, artifact path)."""
    final: dict[str, float] = {}
    rounds: list[dict[str, float]] = []
    extra: dict[str, Any] = {}
    for line in lines:
        if not line.startswith("@@mlops "):
            continue
        try:
            record = json.loads(line[len("@@mlops ") :])
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        kind = record.get("type")
        values = {
            k: float(v) for k, v in record.items() if isinstance(v, int | float) and not isinstance(v, bool)
        }
        if kind == "round":
            rounds.append(values)
        elif kind == "metrics":
            final.update(values)
        elif kind in ("data", "artifact"):
            extra[kind] = record
    return JobMetrics(job_id=job_id, final=final, rounds=rounds), extra


class Training:
    def __init__(self, ctx: Ctx, get_cluster: Any) -> None:
        self.ctx = ctx
        self._get_cluster = get_cluster
        self._metrics: dict[str, JobMetrics] = {}

    # -- submit ------------------------------------------------------------------------------------

    async def submit(self, spec: JobSpec) -> Job:
        opts = self.ctx.options
        if not opts.repo_pvc:
            raise errors.InvalidInput(
                "training needs the project repository volume: set repo_pvc in the profile", field="repo_pvc"
            )
        try:  # the same rules as the local platform's job API; each becomes a --flag below
            params = training_params.check_job_params(spec.entrypoint, spec.params)
        except training_params.ParamError as exc:
            raise errors.InvalidInput(str(exc), field=exc.name) from None
        spec = dataclasses.replace(spec, params=params)
        code = check_repo_path(spec.code, field="code")
        data = check_repo_path(spec.data, field="data")
        output = check_repo_path(spec.output, field="output")
        cluster = await self._get_cluster(spec.cluster)
        if cluster.kind is not ClusterKind.TRAINING:
            raise errors.InvalidInput(
                f"{spec.cluster} is a {cluster.kind} cluster, not a training cluster", field="cluster"
            )
        package = code.rsplit("/", 1)[-1]
        if not package.isidentifier():
            raise errors.InvalidInput(
                f"code must end in a Python package name, not {shown(package)}", field="code"
            )
        files = code_files()
        user = self.ctx.user()
        number = await self._next_number(user)
        for _ in range(5):
            name = n.dns_label(f"train-{user}-{number}")
            try:
                return await self._create(name, spec, package, files, code, data, output)
            except errors.Conflict:
                number += 1
        raise errors.Conflict("could not find a free job name; try again")

    async def _next_number(self, user: str) -> int:
        jobs = await self.list()
        numbers = [
            int(m.group(1)) for j in jobs if j.user == n.label_value(user) if (m := _JOB_NUMBER.search(j.id))
        ]
        return max(numbers, default=0) + 1

    async def _create(
        self, name: str, spec: JobSpec, package: str, files: dict[str, str], code: str, data: str, output: str
    ) -> Job:
        opts = self.ctx.options
        user = self.ctx.user()
        bundle = f"{output}/{name}"
        args = ["--data", f"{opts.repo_mount}/{data}", "--output", f"{opts.repo_mount}/{bundle}"]
        for key, value in spec.params.items():
            args += [f"--{key}", str(value)]
        annotations = {
            n.P + "cluster": spec.cluster,
            n.P + "name": spec.name or name,
            n.P + "code": code,
            n.P + "data": data,
            n.P + "output": bundle,
            n.P + "params": json.dumps(spec.params, sort_keys=True),
        }
        cm_name = f"{name}-code"
        code_cm = manifests.code_configmap(cm_name, files, user=user, job=name)
        job = manifests.training_job(
            name=name,
            package=package,
            entrypoint=spec.entrypoint,
            args=args,
            code_configmap=cm_name,
            options=opts,
            user=user,
            annotations=annotations,
        )
        ns = self.ctx.namespace
        k = self.ctx.kubectl
        await self.ctx.call(
            "submit_job",
            k("create", "configmap", cm_name, f"--from-file={package}/"),
            f"create ConfigMap {cm_name}",
            lambda a: a.core.create_namespaced_config_map(a.namespace, code_cm),
        )
        try:
            created = await self.ctx.call(
                "submit_job",
                k.create(job),
                f"create Job {name}",
                lambda a: a.plain(a.batch.create_namespaced_job(a.namespace, job)),
            )
        except errors.PlatformError:
            await self._delete_quietly(cm_name)
            raise
        del ns
        return convert.job(created)

    async def _delete_quietly(self, cm_name: str) -> None:
        with contextlib.suppress(errors.PlatformError):
            await self.ctx.kube.call(
                "delete code ConfigMap", lambda a: a.core.delete_namespaced_config_map(cm_name, a.namespace)
            )

    # -- read ----------------------------------------------------------------------------------------

    async def list(self) -> list[Job]:
        selector = f"{n.MANAGED_BY}={n.MANAGER},{n.LABEL_KIND}=training-job"
        items = await self.ctx.call(
            "list_jobs",
            self.ctx.kubectl("get", "jobs", "-l", selector),
            "list training Jobs",
            lambda a: a.plain(
                a.batch.list_namespaced_job(a.namespace, label_selector=selector, _request_timeout=a.timeout)
            )["items"],
        )
        jobs = [convert.job(item) for item in items]
        return sorted(jobs, key=lambda j: (j.submitted_at is not None, j.submitted_at), reverse=True)

    async def _raw(self, job_id: str, op: str = "get_job") -> dict[str, Any]:
        return await self.ctx.call(
            op,
            self.ctx.kubectl("get", "job", job_id, "-o", "yaml"),
            f"training job {job_id}",
            lambda a: a.plain(a.batch.read_namespaced_job(job_id, a.namespace, _request_timeout=a.timeout)),
        )

    async def _pod(self, job_id: str) -> dict[str, Any] | None:
        """The job's newest pod (Jobs label their pods with ``job-name``)."""
        selector = f"job-name={job_id}"
        pods = await self.ctx.kube.call(
            f"pods of job {job_id}",
            lambda a: a.plain(
                a.core.list_namespaced_pod(a.namespace, label_selector=selector, _request_timeout=a.timeout)
            )["items"],
        )
        if not pods:
            return None
        return max(pods, key=lambda p: (p.get("metadata") or {}).get("creationTimestamp") or "")

    async def get(self, job_id: str) -> Job:
        raw = await self._raw(job_id)
        return convert.job(raw, pod=await self._pod(job_id))

    async def cancel(self, job_id: str) -> Job:
        job = await self.get(job_id)
        if job.state.is_final:
            raise errors.Conflict(f"job {job_id} is already {job.state}")
        patch = {"metadata": {"annotations": {n.P + "cancelled": "true"}}, "spec": {"suspend": True}}
        raw = await self.ctx.call(
            "cancel_job",
            self.ctx.kubectl("patch", "job", job_id, "--type=merge", "-p", manifests.dumps(patch)),
            f"cancel job {job_id}",
            lambda a: a.plain(
                a.batch.patch_namespaced_job(job_id, a.namespace, patch, _content_type=MERGE_PATCH)
            ),
        )
        return convert.job(raw)

    # -- log and metrics -------------------------------------------------------------------------------

    async def follow_log(
        self, job_id: str, *, from_line: int = 0, follow: bool = True, tail: int | None = None
    ) -> AsyncIterator[str]:
        """The pod's log; ``tail=N`` opens it with the pod log API's ``tailLines`` (``kubectl logs
        --tail``). Line numbers are not known then: a stream that drops finds its place again by
        the last lines it gave (:func:`_resume_at`) and goes on by line numbers from there."""
        tail_args = [f"--tail={tail}"] if tail is not None else []
        command = self.ctx.kubectl("logs", *(["-f"] if follow else []), *tail_args, f"job/{job_id}")
        recorded = False
        seen = 0
        recent: deque[str] = deque(maxlen=RESUME_MATCH_LINES)  # the last lines given (tail mode)
        while True:
            pod = await self._pod(job_id)
            phase = ((pod or {}).get("status") or {}).get("phase", "")
            if pod is None or phase == "Pending":
                job = convert.job(await self._raw(job_id, "follow_log"), pod=pod)
                if job.state.is_final or not follow:
                    return
                await asyncio.sleep(POLL_S)
                continue
            name = pod["metadata"]["name"]
            if tail is not None and recent:  # a tail stream dropped: from here on, by line numbers
                seen, tail, from_line = _resume_at(await self._lines(name), list(recent)), None, 0
            index = 0
            if not recorded:
                self.ctx.record(_record("follow_log", command))
                recorded = True
            lines = self.ctx.kube.stream_lines(
                f"log of job {job_id}",
                lambda a, name=name, tail=tail: a.core.read_namespaced_pod_log(
                    name,
                    a.namespace,
                    follow=follow,
                    tail_lines=tail,
                    _preload_content=False,
                    _request_timeout=(a.timeout[0], LOG_IDLE_S) if follow else a.timeout,
                ),
                idle_ends=follow,
            )
            async for line in lines:
                if tail is not None or index >= max(from_line, seen):
                    recent.append(line)
                    yield line
                index += 1
            if tail is None:
                seen = max(seen, index)
            if not follow or phase in ("Succeeded", "Failed"):
                return
            pod = await self._pod(job_id)
            if pod is None or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                # The stream ended with the container: read what may have been written since.
                if pod is not None:
                    everything = await self._lines(pod["metadata"]["name"])
                    if tail is not None:
                        seen = (
                            _resume_at(everything, list(recent)) if recent else max(0, len(everything) - tail)
                        )
                    for line in everything[seen:]:
                        yield line
                return
            await asyncio.sleep(POLL_S)  # the stream dropped while running: reopen, skip what we have

    async def _lines(self, pod_name: str) -> list[str]:
        text = await self.ctx.kube.call(
            "pod log",
            lambda a: a.core.read_namespaced_pod_log(pod_name, a.namespace, _request_timeout=a.timeout),
        )
        return str(text or "").splitlines()

    async def metrics(self, job_id: str) -> JobMetrics:
        if job_id in self._metrics:
            return self._metrics[job_id]
        raw = await self._raw(job_id, "job_metrics")
        job = convert.job(raw)
        pod = await self._pod(job_id)
        lines: list[str] = []
        if pod is not None and (pod.get("status") or {}).get("phase") != "Pending":
            pod_name = pod["metadata"]["name"]
            text = await self.ctx.call(
                "job_metrics",
                self.ctx.kubectl("logs", f"job/{job_id}") + " | grep '^@@mlops'",
                f"log of job {job_id}",
                lambda a: a.core.read_namespaced_pod_log(pod_name, a.namespace, _request_timeout=a.timeout),
            )
            lines = str(text or "").splitlines()
        elif job.metrics:  # the pod is gone: what was saved at the end
            return JobMetrics(job_id=job_id, final=dict(job.metrics))
        result, extra = parse_metrics(job_id, lines)
        if job.state.is_final:
            self._metrics[job_id] = result
            if result.final and not job.metrics:
                await self._save(job_id, result, extra)
        return result

    async def _save(self, job_id: str, result: JobMetrics, extra: dict[str, Any]) -> None:
        """Keep final metrics and the data fingerprint on the Job (they outlive the pod's log)."""
        ann = {n.P + "metrics": json.dumps(result.final, sort_keys=True)}
        fingerprint = (extra.get("data") or {}).get("fingerprint")
        if fingerprint:
            ann[n.P + "data-fingerprint"] = str(fingerprint)
        patch = {"metadata": {"annotations": ann}}
        await self.ctx.call(
            "job_metrics",
            self.ctx.kubectl("annotate", "job", job_id, "--overwrite", *[f"{k}={v}" for k, v in ann.items()]),
            f"annotate job {job_id}",
            lambda a: a.batch.patch_namespaced_job(job_id, a.namespace, patch, _content_type=MERGE_PATCH),
        )


def _resume_at(lines: list[str], recent: list[str]) -> int:
    """The index in ``lines`` (a whole log) just after the last lines given (``recent``): where the
    last ``RESUME_MATCH_LINES`` of them occur last. Not found (the log was rotated): its end."""
    m = min(len(recent), RESUME_MATCH_LINES)
    want = recent[-m:]
    for j in range(len(lines) - m, -1, -1):
        if lines[j : j + m] == want:
            return j + m
    return len(lines)


def _record(op: str, command: str) -> Any:
    from mlops_tui.services.platform import CallRecord

    return CallRecord(op=op, command=command, status=200)
