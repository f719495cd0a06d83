"""The registry screen against the real platform: register a finished job, lineage, ConfigMap, deploy."""

from __future__ import annotations

import uuid
from typing import Any

from local_platform_support import WORKSHOP_RIDE
from mlops_tui.screens.dialogs import DetailScreen
from mlops_tui.screens.model_forms import DeployScreen, RegisterScreen

from mlops_tui.services.errors import NotFound

from .conftest import wait_for


async def test_register_inspect_and_deploy(make_app: Any, adapter: Any, trained_job: dict) -> None:
    model = f"tui-model-{uuid.uuid4().hex[:6]}"
    dep_name = f"tui-dep-{uuid.uuid4().hex[:6]}"
    app = make_app(adapter, first_mode="registry")
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.data.get("registry") is not None)
            await pilot.press("n")
            form = await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen) and app.screen)
            form.query_one("#f-model").value = "bad name!"
            await pilot.press("ctrl+s")
            await pilot.pause(0.1)
            assert isinstance(app.screen, RegisterScreen), "an invalid model name is refused in the form"
            form.query_one("#f-model").value = model
            # The shared platform holds other tests' finished jobs too (some without a model bundle).
            form.query_one("#f-job").value = str(trained_job["id"])
            await pilot.press("ctrl+s")
            await wait_for(
                pilot,
                lambda: any(e.model.name == model for e in app.data.get("registry") or []),
                what="registered",
            )
            screen = app.screen
            await wait_for(
                pilot, lambda: screen.selected and screen.selected[0] == model, what="new version selected"
            )
            detail = str(screen.query_one("#version-detail").render())
            assert f"{model}  v1" in detail
            assert "lineage" in detail and "fingerprint" in detail and "checksums" in detail
            assert "sha256:" in detail and "model.ubj" in detail
            # the workshop ConfigMap
            await pilot.press("m")
            cm = await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen) and app.screen)
            body = str(cm.query_one("#detail-body").render())
            assert "kubedirector.hpe.com/cmType" in body and "model-version" in body and model in body
            await pilot.press("escape")
            # deploy it under our own name
            await pilot.press("d")
            dialog = await wait_for(pilot, lambda: isinstance(app.screen, DeployScreen) and app.screen)
            dialog.query_one("#f-name").value = dep_name
            await pilot.press("ctrl+s")
            await wait_for(
                pilot,
                lambda: any(d.name == dep_name and d.ready for d in app.data.get("deployments") or []),
                timeout=90,
                what="deployment configured",
            )
            detail_widget = screen.query_one("#version-detail")
            await wait_for(
                pilot, lambda: dep_name in str(detail_widget.render()), what="deployment in the detail"
            )
            assert "curl" in (screen.query_one("#command-pane").last or "")
            assert "up to 1024 rides per model call" in str(detail_widget.render())  # issue 10 §5
            # Issue 10 §4: the deployment's recent requests, from its server's history
            await adapter.predict(dep_name, [WORKSHOP_RIDE])
            app.refresh_data("deployments")
            recent = screen.query_one("#recent-requests")
            await wait_for(
                pilot,
                lambda: "The ride duration prediction is" in str(recent.render()),
                what="the request in the deployment's recent requests",
            )
            assert f"recent requests to {dep_name}" in str(recent.render()) and "200" in str(recent.render())
    finally:
        from mlops_tui.services.local.adapter import LocalPlatform as LocalAdapter

        cleanup = LocalAdapter(adapter.credentials)
        try:
            await cleanup.delete_deployment(dep_name)
        except NotFound:
            pass
        finally:
            await cleanup.aclose()
