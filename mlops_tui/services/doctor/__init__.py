"""``mlops-tui doctor``: check each hop from this host to the platform a profile names, in order,
and stop at the first that fails with one line naming what failed, what was seen and what to do.

Used by the CLI (``mlops_tui.headless.doctor``) and the TUI's Doctor panel (``screens/doctor.py``)
alike: :func:`diagnose` runs the profile's checks (:mod:`.local` or :mod:`.kube`) and calls
``on_result`` as each ends. No Textual here (services layer).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from mlops_tui.services.doctor.core import Check, Finding, Report, Result, Status, run

__all__ = ["Check", "Finding", "Report", "Result", "Status", "checks_for", "diagnose"]


def checks_for(profile: Any) -> list[Check[Any]]:
    """The checks of ``profile`` in the order they run (for listing them before they do)."""
    if profile.platform == "kubernetes":
        from mlops_tui.services.doctor import kube

        return kube.checks(ezmeral=bool(profile.url))  # type: ignore[return-value]
    from mlops_tui.services.doctor import local

    return local.checks()  # type: ignore[return-value]


async def diagnose(
    profile: Any,
    *,
    password: str | None = None,
    listener: Any = None,
    on_result: Callable[[Result], None] | None = None,
) -> Report:
    """Run every check of ``profile`` (a :class:`mlops_tui.config.Profile`); ``password`` overrides
    the stored one (the Login form's), ``listener`` hears a kubeconfig exec plugin while it runs.

    Never raises for what it finds: each problem is a failed :class:`Result` in the report.
    """
    from mlops_tui import config, credentials
    from mlops_tui.services.factory import _password_profiles

    user = profile.effective_user
    source = "the Login form" if password is not None else ""
    if password is None:

        def stored() -> tuple[str | None, str]:
            for name in _password_profiles(profile):
                found = credentials.get_password(name, user)
                if found is not None:
                    return found, credentials.backend_description()
            return None, credentials.backend_description()

        try:
            password, source = await asyncio.to_thread(stored)
        except credentials.CredentialsError as exc:
            password, source = None, str(exc)
    if profile.platform == "kubernetes":
        from mlops_tui.services.doctor import kube

        target = profile.url or profile.kubeconfig or "$KUBECONFIG"
        report = Report(profile.name, "kubernetes", target)
        kctx = kube.KubeContext(profile, user, password, source, listener=listener)
        try:
            return await run(kube.checks(ezmeral=bool(profile.url)), kctx, report, on_result)
        finally:
            if kctx.platform is not None:
                await kctx.platform.aclose()
    from mlops_tui.services.doctor import local

    state_dir = config.platform_state_dir()
    report = Report(profile.name, "local", profile.url or str(state_dir))
    lctx = local.LocalContext(profile, state_dir, user, password, source)
    return await run(local.checks(), lctx, report, on_result)
