"""The live link's registry poll lists the models once and asks for a model's versions again only
when its entry changed (issue 9: a class of 40 shares one registry; 41 requests per poll per idle
TUI would keep the platform busy). Against the real local platform."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from mlops_tui.live import LiveLink
from mlops_tui.services.local.adapter import LocalPlatform as LocalAdapter
from mlops_tui.services.types import ModelVersion

V1 = "/api/mlops/v1"


class CountingAdapter(LocalAdapter):
    """The real adapter, counting the version lists it is asked for."""

    versions_asked: list[str]

    async def list_versions(self, model: str) -> list[ModelVersion]:
        self.versions_asked.append(model)
        return await super().list_versions(model)


def _link(platform: LocalAdapter) -> LiveLink:
    link = LiveLink(
        on_status=lambda _: None,
        on_data=lambda *_: None,
        on_platform=lambda _: None,
        clock=lambda: datetime.now(UTC),
    )
    link.platform = platform
    return link


async def test_versions_are_fetched_again_only_for_a_changed_model(
    local_platform: Any, api: httpx.Client, registered_version: dict[str, Any]
) -> None:
    platform = CountingAdapter(local_platform.credentials)
    platform.versions_asked = []
    await platform.login()
    try:
        link = _link(platform)
        first = await link._fetch_registry()
        models = [entry.model.name for entry in first]
        assert sorted(platform.versions_asked) == sorted(models)  # the first poll: every model
        platform.versions_asked.clear()
        again = await link._fetch_registry()
        assert platform.versions_asked == [] and again == first  # nothing changed: one call
        name, version = registered_version["model"], registered_version["version"]
        stage = "staging" if registered_version.get("stage") != "staging" else "production"
        r = api.patch(f"{V1}/models/{name}/versions/{version}", json={"stage": stage})
        assert r.status_code == 200, r.text
        changed = await link._fetch_registry()
        assert platform.versions_asked == [name]  # its updated_at moved with the stage
        entry = next(e for e in changed if e.model.name == name)
        assert next(v for v in entry.versions if v.version == version).stage == stage
        platform.versions_asked.clear()
        link.refresh("registry")  # after an action of the person's own: everything again
        await link._fetch_registry()
        assert sorted(platform.versions_asked) == sorted(models)
    finally:
        await platform.aclose()
