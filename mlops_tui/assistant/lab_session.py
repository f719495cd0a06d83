"""Lab 1 steps: log in as a tenant user and save the tenant's kubeconfig."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from mlops_tui.assistant.steps import (
    Check,
    CheckState,
    EventKind,
    LabContext,
    Step,
    StepEvent,
    equivalent_commands,
    event,
)
from mlops_tui.services.platform import Platform


async def _run_login(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    yield event(EventKind.INFO, f"logging in as {p.credentials.user} in tenant {p.credentials.tenant}")
    session = await p.login()
    ctx.tenant = session.tenant
    expires = session.expires_at.strftime("%Y-%m-%d %H:%M UTC") if session.expires_at else "unknown"
    # The session id is a credential: say where it lives, never what it is (issue 8).
    yield event(EventKind.INFO, "session: established (X-BDS-SESSION; the commands below use $MLOPS_SESSION)")
    yield event(
        EventKind.RESULT,
        f"logged in as {session.user} in tenant {session.tenant} (namespace {session.namespace or '-'}), "
        f"role {session.role}, session expires {expires}",
        session=session,
    )


async def _verify_login(p: Platform, ctx: LabContext) -> Check:
    if p.session is None:
        return Check(CheckState.PENDING, "not logged in")
    session = await p.whoami()
    return Check(CheckState.DONE, f"logged in as {session.user} in tenant {session.tenant}")


async def _run_kubeconfig(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    text = await p.kubeconfig()
    if text is None:
        yield event(
            EventKind.RESULT,
            f"the {p.kind} platform has no Kubernetes API, so there is no kubeconfig "
            "(on HPE Ezmeral this step saves the tenant's kubeconfig for kubectl)",
        )
        return
    path = ctx.kubeconfig_path or _default_kubeconfig_path()
    await asyncio.to_thread(_write_private, path, text)
    yield event(EventKind.RESULT, f"kubeconfig saved to {path} ({len(text)} bytes)", path=str(path))


def _default_kubeconfig_path() -> Path:
    from mlops_tui import config

    return config.config_dir() / "kubeconfig"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)


async def _verify_kubeconfig(p: Platform, ctx: LabContext) -> Check:
    if p.kind == "local":
        return Check(CheckState.DONE, "the local platform needs no kubeconfig")
    path = ctx.kubeconfig_path or _default_kubeconfig_path()
    if path.exists():
        return Check(CheckState.DONE, f"kubeconfig at {path}")
    return Check(CheckState.PENDING, "no kubeconfig saved yet")


STEPS: tuple[Step, ...] = (
    Step(
        "login",
        1,
        "Log in to the platform",
        "Create a REST session: POST /api/v2/session with your user name, password and tenant. The "
        "session is the Location header of the 201 answer; every later call sends it as X-BDS-SESSION.",
        _run_login,
        _verify_login,
        equivalent_commands(("login", {}), ("whoami", {})),
    ),
    Step(
        "kubeconfig",
        1,
        "Fetch the tenant kubeconfig",
        "On HPE Ezmeral, GET /api/v2/k8skubeconfig returns a kubeconfig for kubectl in your tenant. "
        "The local platform has no Kubernetes API, so there the step only says so.",
        _run_kubeconfig,
        _verify_kubeconfig,
        equivalent_commands(("kubeconfig", {})),
    ),
)
