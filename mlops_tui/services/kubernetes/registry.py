"""The model registry as the workshop kept it: ConfigMaps labelled ``kubedirector.hpe.com/cmType=model``
(reference §4) with ``name``, ``description``, ``model-version``, ``path``, ``scoring-path`` and
``modelType``.

One ConfigMap per version, ``metadata.name == data.name`` as in every workshop example (so the
deployment engine's route is the same whichever of the two it reads, reference §7): version 1 is
named after the model (``mlops-model-<studentId>``, the workshop's name), later versions
``<model>-v<N>``. What the workshop did not record — checksums, metrics, lineage, stage, input
schema — is kept in ``mlops-tui.io/*`` annotations.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from mlops_tui.platform.names import shown
from mlops_tui.services import errors
from mlops_tui.services.kubernetes import convert, manifests
from mlops_tui.services.kubernetes import names as n
from mlops_tui.services.kubernetes.context import Ctx
from mlops_tui.services.kubernetes.kube import MERGE_PATCH
from mlops_tui.services.kubernetes.repo import Repository
from mlops_tui.services.kubernetes.training import Training
from mlops_tui.services.types import JobState, Lineage, Model, ModelVersion, RegisterSpec

STAGES = ("none", "staging", "production", "archived")
SELECTOR = f"{n.LABEL_CM_TYPE}=model"


def configmap_name(model: str, version: int) -> str:
    return model if version == 1 else f"{model}-v{version}"


class Registry:
    def __init__(self, ctx: Ctx, repo: Repository, training: Training) -> None:
        self.ctx = ctx
        self.repo = repo
        self.training = training

    async def configmaps(self, op: str = "list_models", selector: str = SELECTOR) -> list[dict[str, Any]]:
        return await self.ctx.call(
            op,
            self.ctx.kubectl("get", "configmap", "-l", selector),
            "list model ConfigMaps",
            lambda a: (
                a.plain(
                    a.core.list_namespaced_config_map(
                        a.namespace, label_selector=selector, _request_timeout=a.timeout
                    )
                ).get("items")
                or []
            ),
        )

    async def list_models(self) -> list[Model]:
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for cm in await self.configmaps():
            groups[convert.model_of(cm)].append(cm)
        models = []
        for name, cms in groups.items():
            latest = max(cms, key=convert.version_of)
            models.append(
                Model(
                    name=name,
                    description=str((latest.get("data") or {}).get("description", "")),
                    latest_version=convert.version_of(latest),
                    versions=len(cms),
                    updated_at=convert.parse_time((latest.get("metadata") or {}).get("creationTimestamp")),
                )
            )
        return sorted(models, key=lambda m: m.name)

    async def _versions_raw(self, model: str, op: str) -> list[dict[str, Any]]:
        return [cm for cm in await self.configmaps(op) if convert.model_of(cm) == model]

    async def list_versions(self, model: str) -> list[ModelVersion]:
        cms = await self._versions_raw(model, "list_versions")
        if not cms:
            raise errors.NotFound(f"no model named {shown(model)} in the registry")
        versions = [convert.model_version(cm, self.ctx.options.repo_mount) for cm in cms]
        return sorted(versions, key=lambda v: v.version)

    async def find(self, model: str, version: int, op: str = "get_version") -> dict[str, Any]:
        for cm in await self._versions_raw(model, op):
            if convert.version_of(cm) == int(version):
                return cm
        raise errors.NotFound(f"model {shown(model)} has no version {version}")

    async def get_version(self, model: str, version: int) -> ModelVersion:
        return convert.model_version(await self.find(model, version), self.ctx.options.repo_mount)

    async def register(self, spec: RegisterSpec) -> ModelVersion:
        if n.dns_label(spec.model, max_len=56) != spec.model:
            raise errors.InvalidInput(
                f"model name {shown(spec.model)} must be lower-case letters, digits and '-'"
                " (it names a ConfigMap)",
                field="model",
            )
        job = await self.training.get(spec.job_id)
        if job.state is not JobState.FINISHED:
            raise errors.Conflict(
                f"job {spec.job_id} is {job.state}; only a finished job's model can be registered"
            )
        manifest = await self._manifest(job.output)
        existing = await self._versions_raw(spec.model, "register_model")
        version = max((convert.version_of(cm) for cm in existing), default=0) + 1
        metrics = manifest.get("metrics") or (await self.training.metrics(job.id)).final
        data_info = manifest.get("data") or {}
        lineage = Lineage(
            job_id=job.id,
            data=job.data,
            data_fingerprint=str(data_info.get("fingerprint") or job.data_fingerprint),
            code=job.code,
        )
        scoring = spec.scoring_path or f"{job.code}/scoring.py"
        mount = self.ctx.options.repo_mount
        annotations = {
            n.P + "model-type": "xgboost",
            n.P + "checksums": json.dumps(manifest.get("files") or {}, sort_keys=True),
            n.P + "metrics": json.dumps(
                {k: v for k, v in metrics.items() if isinstance(v, int | float)}, sort_keys=True
            ),
            n.P + "lineage": json.dumps(lineage.to_dict(), sort_keys=True),
            n.P + "input-schema": json.dumps(manifest.get("input_schema") or {}, sort_keys=True),
            n.P + "stage": "none",
            n.P + "created-by": self.ctx.user(),
            n.P + "xgboost-version": str(manifest.get("xgboost_version", "")),
        }
        name = configmap_name(spec.model, version)
        body = manifests.model_configmap(
            name=name,
            version=version,
            description=spec.description or f"{spec.model} from job {job.id}",
            path=f"{mount}/{job.output}",
            scoring_path=f"{mount}/{scoring}",
            model=spec.model,
            user=self.ctx.user(),
            annotations=annotations,
        )
        created = await self.ctx.call(
            "register_model",
            self.ctx.kubectl.apply(body),
            f"create model ConfigMap {name}",
            lambda a: a.plain(a.core.create_namespaced_config_map(a.namespace, body)),
        )
        return convert.model_version(created, mount)

    async def _manifest(self, bundle: str) -> dict[str, Any]:
        try:
            return json.loads(await self.repo.fetch(f"{bundle}/manifest.json"))
        except errors.NotFound:
            raise errors.Conflict(f"the job wrote no model bundle at {bundle}") from None
        except ValueError:
            raise errors.PlatformFailure(f"{bundle}/manifest.json is not valid JSON") from None

    async def set_stage(self, model: str, version: int, stage: str) -> ModelVersion:
        if stage not in STAGES:
            raise errors.InvalidInput(f"stage must be one of {', '.join(STAGES)}", field="stage")
        cm = await self.find(model, version, "set_stage")
        name = cm["metadata"]["name"]
        patch = {"metadata": {"annotations": {n.P + "stage": stage}}}
        updated = await self.ctx.call(
            "set_stage",
            self.ctx.kubectl("annotate", "configmap", name, f"{n.P}stage={stage}", "--overwrite"),
            f"set the stage of {name}",
            lambda a: a.plain(
                a.core.patch_namespaced_config_map(name, a.namespace, patch, _content_type=MERGE_PATCH)
            ),
        )
        return convert.model_version(updated, self.ctx.options.repo_mount)
