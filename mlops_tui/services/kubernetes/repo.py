"""The project repository on a cluster: the tenant's shared volume, reached through short-lived pods.

The Kubernetes API cannot read a volume, so each list/fetch/upload runs a tiny ``python -c`` pod
that mounts the repository PVC, prints its answer to its log, and is deleted. Uploads travel in a
ConfigMap (so ≤ 900 KiB) and fetches in the pod log (so ≤ 5 MiB, below the kubelet's log
rotation); larger files need ``kubectl cp`` and are refused with a message saying so.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import secrets
from pathlib import Path
from typing import Any

from mlops_tui.services import errors
from mlops_tui.services.kubernetes import convert, manifests
from mlops_tui.services.kubernetes import names as n
from mlops_tui.services.kubernetes.context import Ctx, check_repo_path
from mlops_tui.services.types import RepoEntry

MAX_UPLOAD = 900 * 1024
MAX_FETCH = 5 * 1024 * 1024

LIST_SCRIPT = r"""
import datetime, json, os
root = os.environ["MLOPS_REPO"]; prefix = os.environ.get("MLOPS_PATH", "")
start = os.path.join(root, prefix if prefix.endswith("/") or not prefix else os.path.dirname(prefix))
out = []
def entry(path, is_dir):
    st = os.stat(path)
    rel = os.path.relpath(path, root)
    if rel.startswith(prefix):
        t = datetime.datetime.fromtimestamp(st.st_mtime, datetime.timezone.utc).isoformat()
        out.append({"path": rel, "size": 0 if is_dir else st.st_size, "is_dir": is_dir, "modified_at": t})
if os.path.isdir(start):
    for d, dirs, files in os.walk(start):
        dirs.sort()
        for x in dirs: entry(os.path.join(d, x), True)
        for x in sorted(files): entry(os.path.join(d, x), False)
print("@@repo " + json.dumps(out))
"""

FETCH_SCRIPT = r"""
import base64, hashlib, os, sys
path = os.path.join(os.environ["MLOPS_REPO"], os.environ["MLOPS_PATH"])
limit = int(os.environ["MLOPS_LIMIT"])
if os.path.isdir(path): print("@@error is-dir"); sys.exit(4)
if not os.path.isfile(path): print("@@error not-found"); sys.exit(4)
size = os.path.getsize(path)
if size > limit: print("@@error too-large %d" % size); sys.exit(3)
data = open(path, "rb").read()
print("@@size %d" % len(data)); print("@@sha256 " + hashlib.sha256(data).hexdigest())
text = base64.b64encode(data).decode()
for i in range(0, len(text), 4096): print(text[i:i + 4096])
print("@@end")
"""

# Without MLOPS_REPLACE=1 a taken path is refused, before and at the end (link(2) never replaces).
UPLOAD_SCRIPT = r"""
import datetime, json, os, shutil, sys
root = os.environ["MLOPS_REPO"]; rel = os.environ["MLOPS_PATH"]
replace = os.environ.get("MLOPS_REPLACE") == "1"
dest = os.path.join(root, rel)
if not replace and os.path.lexists(dest): print("@@error exists"); sys.exit(5)
os.makedirs(os.path.dirname(dest), exist_ok=True)
tmp = dest + ".upload-tmp"
shutil.copyfile(os.environ["MLOPS_UPLOAD"] + "/content", tmp)
if replace:
    os.replace(tmp, dest)
else:
    try:
        os.link(tmp, dest)
    except FileExistsError:
        os.remove(tmp); print("@@error exists"); sys.exit(5)
    os.remove(tmp)
st = os.stat(dest)
t = datetime.datetime.fromtimestamp(st.st_mtime, datetime.timezone.utc).isoformat()
print("@@repo " + json.dumps({"path": rel, "size": st.st_size, "is_dir": False, "modified_at": t}))
"""


DELETE_SCRIPT = r"""
import os, shutil, sys
path = os.path.join(os.environ["MLOPS_REPO"], os.environ["MLOPS_PATH"])
if os.path.isdir(path) and not os.path.islink(path): shutil.rmtree(path)
elif os.path.lexists(path): os.remove(path)
else: print("@@error not-found"); sys.exit(4)
print("@@repo {}")
"""


class Repository:
    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx

    def _check(self) -> None:
        if not self.ctx.options.repo_pvc:
            raise errors.InvalidInput(
                "the project repository is not reachable: set repo_pvc (the PVC of the tenant's shared "
                "volume) in the profile",
                field="repo_pvc",
            )

    def _pod_name(self, op: str) -> str:
        return n.dns_label(f"repo-{op}-{self.ctx.user()}-{secrets.token_hex(3)}")

    async def _run(
        self, op: str, script: str, env: dict[str, str], *, read_only: bool, upload_configmap: str = ""
    ) -> tuple[str, str]:
        """Run a helper pod to completion; return (phase, log). The pod is always deleted."""
        name = self._pod_name(op.split("_")[0])
        pod = manifests.helper_pod(
            name=name,
            script=script,
            env=env,
            options=self.ctx.options,
            user=self.ctx.user(),
            read_only=read_only,
            upload_configmap=upload_configmap,
        )
        await self.ctx.call(
            op,
            self.ctx.kubectl.run_pod(pod),
            f"create helper pod {name}",
            lambda a: a.core.create_namespaced_pod(a.namespace, pod),
        )
        try:
            phase = await self._wait(name)
            log = await self.ctx.kube.call(
                f"log of helper pod {name}",
                lambda a: a.core.read_namespaced_pod_log(name, a.namespace, _request_timeout=a.timeout),
            )
            return phase, str(log or "")
        finally:
            await self._delete_pod(name)

    async def _wait(self, name: str) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.ctx.options.pod_timeout
        delay = 0.2
        while True:
            pod = await self.ctx.kube.call(
                f"helper pod {name}",
                lambda a: a.plain(a.core.read_namespaced_pod(name, a.namespace, _request_timeout=a.timeout)),
            )
            status = pod.get("status") or {}
            phase = status.get("phase", "")
            if phase in ("Succeeded", "Failed"):
                return phase
            if loop.time() > deadline:
                waiting = [
                    ((cs.get("state") or {}).get("waiting") or {}).get("reason", "")
                    for cs in status.get("containerStatuses") or []
                ]
                raise errors.PlatformFailure(
                    f"the repository helper pod {name} did not finish in {self.ctx.options.pod_timeout:.0f}s"
                    f" (phase {phase or 'unknown'} {' '.join(w for w in waiting if w)})".rstrip(),
                    hint=f"check that the image {self.ctx.options.job_image} can be pulled and the PVC "
                    f"{self.ctx.options.repo_pvc} mounted",
                )
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 2.0)

    async def _delete_pod(self, name: str) -> None:
        # If this fails the pod stays labelled for ``kubectl delete pod -l mlops-tui.io/kind=repo-helper``.
        with contextlib.suppress(errors.PlatformError):
            await self.ctx.kube.call(
                f"delete helper pod {name}",
                lambda a: a.core.delete_namespaced_pod(name, a.namespace, grace_period_seconds=0),
            )

    @staticmethod
    def _answer(log: str, what: str) -> Any:
        for line in log.splitlines():
            if line.startswith("@@repo "):
                return json.loads(line[len("@@repo ") :])
        raise errors.PlatformFailure(f"{what}: the helper pod gave no answer: {log.strip()[-300:]}")

    async def list(self, prefix: str = "") -> list[RepoEntry]:
        self._check()
        clean = prefix.lstrip("/")
        if clean:
            check_repo_path(clean.rstrip("/"), field="prefix")
        _, log = await self._run("list_repo", LIST_SCRIPT, {"MLOPS_PATH": clean}, read_only=True)
        items = self._answer(log, "list the repository")
        return [
            RepoEntry(
                path=i["path"],
                size=int(i["size"]),
                is_dir=bool(i["is_dir"]),
                modified_at=convert.parse_time(i.get("modified_at")),
            )
            for i in items
        ]

    async def fetch(self, path: str) -> bytes:
        self._check()
        rel = check_repo_path(path)
        phase, log = await self._run(
            "fetch_repo", FETCH_SCRIPT, {"MLOPS_PATH": rel, "MLOPS_LIMIT": str(MAX_FETCH)}, read_only=True
        )
        lines = log.splitlines()
        for line in lines:
            if line.startswith("@@error "):
                reason = line.split()[1]
                if reason in ("not-found", "is-dir"):
                    raise errors.NotFound(f"{rel} is not a file in the project repository")
                raise errors.InvalidInput(
                    f"{rel} is larger than {MAX_FETCH // (1024 * 1024)} MiB, too large to fetch through the "
                    "Kubernetes API",
                    hint="copy it with kubectl cp from a pod that mounts the repository",
                    field="path",
                )
        try:
            size = int(next(x for x in lines if x.startswith("@@size ")).split()[1])
            digest = next(x for x in lines if x.startswith("@@sha256 ")).split()[1]
            body = lines[
                lines.index(next(x for x in lines if x.startswith("@@sha256 "))) + 1 : lines.index("@@end")
            ]
        except (StopIteration, ValueError):
            raise errors.PlatformFailure(
                f"fetching {rel} failed (pod {phase}): {log.strip()[-300:]}"
            ) from None
        data = base64.b64decode("".join(body))
        if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
            raise errors.PlatformFailure(f"fetching {rel}: the content arrived damaged (checksum mismatch)")
        return data

    async def read_local(self, file: Path) -> bytes:
        """A local file to upload, refused before it is read when it is over the ConfigMap limit."""
        try:
            size = await asyncio.to_thread(lambda: file.stat().st_size)
            if size > MAX_UPLOAD:
                raise errors.InvalidInput(
                    f"{file.name} is {size} bytes; uploads through the Kubernetes API are limited to "
                    f"{MAX_UPLOAD // 1024} KiB (a ConfigMap)",
                    hint="copy large files with kubectl cp",
                    field="content",
                )
            return await asyncio.to_thread(file.read_bytes)
        except OSError as exc:
            raise errors.InvalidInput(f"cannot read {file}: {exc.strerror}", field="file") from None

    async def delete(self, path: str) -> None:
        self._check()
        rel = check_repo_path(path)
        _, log = await self._run("delete_repo", DELETE_SCRIPT, {"MLOPS_PATH": rel}, read_only=False)
        if "@@error not-found" in log:
            raise errors.NotFound(f"no file or directory {rel} in the project repository")
        self._answer(log, f"delete {rel}")

    async def upload(
        self, path: str, content: bytes, *, source: str | None = None, replace: bool = False
    ) -> RepoEntry:
        """Write ``content`` at ``path`` through a helper pod; a taken path only with ``replace``
        (else AlreadyExists, nothing written)."""
        self._check()
        rel = check_repo_path(path)
        if len(content) > MAX_UPLOAD:
            raise errors.InvalidInput(
                f"{rel} is {len(content)} bytes; uploads through the Kubernetes API are limited to "
                f"{MAX_UPLOAD // 1024} KiB (a ConfigMap)",
                hint="copy large files with kubectl cp",
                field="content",
            )
        cm_name = n.dns_label(f"repo-upload-{self.ctx.user()}-{secrets.token_hex(3)}")
        cm = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": cm_name, "labels": {n.MANAGED_BY: n.MANAGER, n.LABEL_KIND: "repo-upload"}},
            "binaryData": {"content": base64.b64encode(content).decode()},
        }
        await self.ctx.call(
            "upload_repo",
            self.ctx.kubectl(
                "create", "configmap", cm_name, f"--from-file=content={source or rel.rsplit('/', 1)[-1]}"
            ),
            f"create upload ConfigMap {cm_name}",
            lambda a: a.core.create_namespaced_config_map(a.namespace, cm),
        )
        try:
            env = {
                "MLOPS_PATH": rel,
                "MLOPS_UPLOAD": manifests.UPLOAD_MOUNT,
                "MLOPS_REPLACE": "1" if replace else "0",
            }
            phase, log = await self._run(
                "upload_repo", UPLOAD_SCRIPT, env, read_only=False, upload_configmap=cm_name
            )
        finally:
            with contextlib.suppress(errors.PlatformError):
                await self.ctx.kube.call(
                    "delete upload ConfigMap",
                    lambda a: a.core.delete_namespaced_config_map(cm_name, a.namespace),
                )
        if "@@error exists" in log:
            raise errors.AlreadyExists(
                f"{rel} already exists in the project repository; nothing was written", path=rel
            )
        item = self._answer(log, f"upload {rel} (pod {phase})")
        return RepoEntry(
            path=item["path"],
            size=int(item["size"]),
            is_dir=False,
            modified_at=convert.parse_time(item.get("modified_at")),
        )
