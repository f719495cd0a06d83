"""The Job controller and a kubelet that runs pods as local processes.

A pod's container runs for real: ``python`` is this interpreter, its volumes are laid out under a
per-pod root (the repository PVC is the fake tenant share directory, ConfigMap volumes are files
written from the ConfigMap), and absolute paths in its command, args and env are rebased onto that
root. stdout and stderr become the pod log that the API serves (and streams). So the training Job
really runs ``python -m taxi.train`` on the repository, and the repository helper pods really
list, read and write it.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import shutil
import sys
from pathlib import Path
from typing import Any

from .apiserver import ApiServer, LogBuffer
from .store import now


class Kubelet:
    def __init__(self, api: ApiServer, repo_dir: Path, work_dir: Path) -> None:
        self.api = api
        self.repo_dir = repo_dir
        self.work_dir = work_dir
        self.procs: dict[str, asyncio.subprocess.Process] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        api.on_create["pods"] = self.pod_created
        api.on_delete["pods"] = self.pod_deleted
        api.on_create["jobs"] = self.job_created
        api.on_patch["jobs"] = self.job_patched

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # -- Job controller ---------------------------------------------------------------------------------

    def job_created(self, job: dict[str, Any]) -> None:
        job["status"] = {}
        if not job["spec"].get("suspend"):
            self._start_job_pod(job)

    def _start_job_pod(self, job: dict[str, Any]) -> None:
        name = job["metadata"]["name"]
        template = job["spec"]["template"]
        labels = {
            **(template.get("metadata") or {}).get("labels", {}),
            "job-name": name,
            "batch.kubernetes.io/job-name": name,
            "controller-uid": job["metadata"]["uid"],
        }
        pod = self.api.put(
            "pods",
            {
                "metadata": {
                    "name": f"{name}-{secrets.token_hex(3)[:5]}",
                    "labels": labels,
                    "ownerReferences": [
                        {
                            "apiVersion": "batch/v1",
                            "kind": "Job",
                            "name": name,
                            "uid": job["metadata"]["uid"],
                            "controller": True,
                        }
                    ],
                },
                "spec": template["spec"],
                "status": {"phase": "Pending"},
            },
        )
        job["status"] = {"startTime": now(), "active": 1}
        self.api.store.bump(job)
        self.pod_created(pod)

    def job_patched(self, job: dict[str, Any]) -> None:
        if job["spec"].get("suspend") and job["status"].get("active"):
            for pod in self.api.store.list("pods", f"job-name={job['metadata']['name']}"):
                proc = self.procs.get(pod["metadata"]["name"])
                if proc and proc.returncode is None:
                    proc.kill()
                self.api.store.delete("pods", pod["metadata"]["name"])
            job["status"]["active"] = 0
            job["status"].setdefault("conditions", []).append(
                {
                    "type": "Suspended",
                    "status": "True",
                    "reason": "JobSuspended",
                    "message": "Job suspended",
                    "lastTransitionTime": now(),
                    "lastProbeTime": now(),
                }
            )
            self.api.store.bump(job)

    def _pod_finished(self, pod: dict[str, Any], code: int) -> None:
        owner = next(iter(pod["metadata"].get("ownerReferences") or []), None)
        if owner is None or owner.get("kind") != "Job":
            return
        job = self.api.store.get("jobs", owner["name"])
        if job is None or job["spec"].get("suspend"):
            return
        kind = "Complete" if code == 0 else "Failed"
        job["status"]["active"] = 0
        job["status"]["succeeded" if code == 0 else "failed"] = 1
        if code == 0:
            job["status"]["completionTime"] = now()
        job["status"]["conditions"] = [
            {
                "type": kind,
                "status": "True",
                "lastProbeTime": now(),
                "lastTransitionTime": now(),
                **(
                    {}
                    if code == 0
                    else {
                        "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                    }
                ),
            }
        ]
        self.api.store.bump(job)

    # -- kubelet ------------------------------------------------------------------------------------------

    def pod_created(self, pod: dict[str, Any]) -> None:
        if "kubedirector.hpe.com/kdcluster" in pod["metadata"].get("labels", {}):
            return  # KubeDirector members are simulated by the KubeDirector controller
        self._spawn(self._run(pod))

    def pod_deleted(self, pod: dict[str, Any]) -> None:
        proc = self.procs.get(pod["metadata"]["name"])
        if proc and proc.returncode is None:
            proc.kill()

    def _root(self, pod: dict[str, Any]) -> tuple[Path, list[str]]:
        """Lay out the pod's volumes under its own root; return the root and the mount paths."""
        root = self.work_dir / pod["metadata"]["name"]
        root.mkdir(parents=True, exist_ok=True)
        volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
        mounts: list[str] = []
        for m in pod["spec"]["containers"][0].get("volumeMounts") or []:
            volume = volumes[m["name"]]
            target = root / m["mountPath"].lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            if "persistentVolumeClaim" in volume:
                source = self.repo_dir / m.get("subPath", "")
                source.mkdir(parents=True, exist_ok=True)
                target.symlink_to(source, target_is_directory=True)
            elif "configMap" in volume:
                cm = self.api.store.get("configmaps", volume["configMap"]["name"])
                target.mkdir(parents=True, exist_ok=True)
                for key, text in ((cm or {}).get("data") or {}).items():
                    (target / key).write_text(text, encoding="utf-8")
                for key, b64 in ((cm or {}).get("binaryData") or {}).items():
                    (target / key).write_bytes(base64.b64decode(b64))
            mounts.append(m["mountPath"])
        return root, mounts

    @staticmethod
    def _rebase(value: str, root: Path, mounts: list[str]) -> str:
        tops = {"/" + m.strip("/").split("/")[0] for m in mounts}
        if value.startswith("/") and any(value == t or value.startswith(t + "/") for t in tops):
            return str(root) + value
        return value

    async def _run(self, pod: dict[str, Any]) -> None:
        name = pod["metadata"]["name"]
        container = pod["spec"]["containers"][0]
        await asyncio.sleep(0.05)  # scheduling
        root, mounts = self._root(pod)
        argv = [
            self._rebase(a, root, mounts) for a in [*container.get("command", []), *container.get("args", [])]
        ]
        if argv and argv[0] in ("python", "python3"):
            argv[0] = sys.executable
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root), "LANG": "C.UTF-8"}
        for item in container.get("env") or []:
            env[item["name"]] = self._rebase(item.get("value", ""), root, mounts)
        buffer = LogBuffer()
        self.api.logs[name] = buffer
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=root, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        self.procs[name] = proc
        live = self.api.store.get("pods", name)
        if live is not None:
            live["spec"]["nodeName"] = "fake-node-1"
            live["status"] = {
                "phase": "Running",
                "startTime": now(),
                "containerStatuses": [
                    {
                        "name": container["name"],
                        "ready": True,
                        "restartCount": 0,
                        "image": container["image"],
                        "imageID": "",
                        "started": True,
                        "state": {"running": {"startedAt": now()}},
                    }
                ],
            }
            self.api.store.bump(live)
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(4096):
            buffer.write(chunk)
        code = await proc.wait()
        buffer.close()
        live = self.api.store.get("pods", name)
        if live is not None:
            live["status"]["phase"] = "Succeeded" if code == 0 else "Failed"
            live["status"]["containerStatuses"][0].update(
                ready=False,
                state={
                    "terminated": {
                        "exitCode": code,
                        "reason": "Completed" if code == 0 else "Error",
                        "startedAt": now(),
                        "finishedAt": now(),
                    }
                },
            )
            self.api.store.bump(live)
            self._pod_finished(live, code)
        shutil.rmtree(root, ignore_errors=True)

    async def stop(self) -> None:
        for proc in self.procs.values():
            if proc.returncode is None:
                proc.kill()
        for task in list(self.tasks):
            task.cancel()
