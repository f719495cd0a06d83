"""A fixed platform as an attendee of a class sees it (student01; the tenant's lists hold the
other attendees' objects too, newest first, without their tokens): the case of the tester's
findings where "the first of the list" was someone else's."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from mlops_tui.services.types import ClusterState, Deployment, Job, Model, ModelVersion, Session

from .fixed_platform import T0, FixedPlatform

ME = "student01"
OTHER = "student02"


class ClassPlatform(FixedPlatform):
    """``mine``: whether student01 has a deployment and a model of their own (listed after
    student02's, who made theirs later)."""

    def __init__(self, *, mine: bool = False, role: str = "attendee", user: str = ME) -> None:
        super().__init__()
        self.credentials = dataclasses.replace(self.credentials, user=user)
        self.mine = mine
        self.role = role

    async def login(self) -> Session:
        self._rec("login")
        self.session = Session(
            "/api/v2/session/0f0f", self.credentials.user, "K8sMLTenant", role=self.role,
            expires_at=T0 + timedelta(days=1),
        )  # fmt: skip
        return self.session

    def _jobs(self) -> list[Job]:
        own = [dataclasses.replace(j, user=ME, code=f"code/{ME}/taxi") for j in super()._jobs()[1:]]
        other = dataclasses.replace(super()._jobs()[0], id="7", user=OTHER, code=f"code/{OTHER}/taxi")
        return [other, *own]  # newest first: student02's job 7, then student01's 3, 2, 1

    async def list_models(self) -> list[Model]:
        self._rec("list_models")
        models = [Model(f"mlops-model-{OTHER}", "theirs", 1, 1, T0 + timedelta(minutes=12), owner=OTHER)]
        if self.mine:
            models.append(Model(f"mlops-model-{ME}", "mine", 2, 2, T0 + timedelta(minutes=10), owner=ME))
        return models

    async def list_versions(self, model: str) -> list[ModelVersion]:
        self._rec("list_versions", model=model)
        return [dataclasses.replace(v, model=model) for v in self._versions()]

    async def list_deployments(self) -> list[Deployment]:
        self._rec("list_deployments")
        theirs = Deployment(
            f"mlops-inference-server-{OTHER}", f"mlops-model-{OTHER}", 1, ClusterState.CONFIGURED,
            url="http://127.0.0.1:8472/x/1/predict", auth_token=None, owner=OTHER,
            created_at=T0 + timedelta(minutes=25),
        )  # fmt: skip
        mine = Deployment(
            f"mlops-inference-server-{ME}", f"mlops-model-{ME}", 2, ClusterState.CONFIGURED,
            url="http://127.0.0.1:8471/x/2/predict", auth_token="0123456789abcdef0123456789abcdef",
            owner=ME, created_at=T0 + timedelta(minutes=20),
        )  # fmt: skip
        return [theirs, mine] if self.mine else [theirs]
