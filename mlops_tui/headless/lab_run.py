"""``mlops-tui lab run``: the workshop's Labs 1-5 against the platform, printed step by step.

For each step: what it does, the equivalent command of every kind of call made, what happened and
the result. A failing step stops the run with one clear line and a non-zero exit.
"""

from __future__ import annotations

import time

from mlops_tui.assistant import labs
from mlops_tui.assistant.lab_training import apply_train_params
from mlops_tui.assistant.labs import EventKind, LabContext, StepCancelled, StepFailed
from mlops_tui.headless.common import Connection, connect, out, password_note, wrap
from mlops_tui.services.curl import JSON_TOOL_ENV, json_tool
from mlops_tui.services.errors import InvalidInput, PlatformError
from mlops_tui.services.terminal_text import plain

ROUND_EVERY = 10  # print every Nth boosting round (all rounds are in the job's log)


async def run(
    profile: str | None,
    from_lab: int = 1,
    *,
    train_params: dict[str, int | float | str] | None = None,
    data: str | None = None,
    replace_code: bool = False,
) -> int:
    """``replace_code``: the upload step puts the lab's code files back over changed ones."""
    started = time.monotonic()
    params: dict[str, int | float | str] = dict(train_params or {})
    if data is not None:
        if "data" in params:
            raise InvalidInput("give the data once: --data FILE|NAME or --param data=NAME", field="data")
        params["data"] = data
    probe = LabContext(user="")
    apply_train_params(probe, params)  # a bad data name is refused before anything starts
    conn: Connection = connect(profile)
    p = conn.platform
    out(f"mlops-tui lab run: {conn.where}")
    out(password_note())
    _print_shell_setup(p)
    ctx = LabContext(user=conn.resolved.user, tenant=conn.resolved.profile.tenant)
    ctx.extra["replace_code"] = replace_code
    apply_train_params(ctx, params)
    if "data" in params:
        out(
            f"training data: {ctx.data_file or ctx.data_path}"
            + (f" (uploaded as {ctx.data_path})" if ctx.data_file else "")
        )
    chosen = labs.steps(from_lab)
    lab_seen = 0
    try:
        for n, step in enumerate(chosen, 1):
            if step.lab != lab_seen:
                lab_seen = step.lab
                out()
                out(f"== Lab {step.lab}: {labs.LAB_TITLES[step.lab]} ==")
            out()
            out(f"-- [{n}/{len(chosen)}] {step.title} ({step.id})")
            wrap(step.explanation, indent=3)
            t0 = time.monotonic()
            try:
                async for event in labs.run_step(step, p, ctx):
                    _print_event(event)
            except StepCancelled as exc:  # on request: nothing to fix
                raise StepCancelled(f"step '{step.id}' (Lab {step.lab}) stopped: {exc}", hint="") from None
            except PlatformError as exc:
                raise StepFailed(f"step '{step.id}' (Lab {step.lab}) failed: {exc}", hint="") from None
            out(f"   ok ({time.monotonic() - t0:.1f} s)")
        elapsed = time.monotonic() - started
        out()
        if ctx.prediction is not None:
            out("Paste this to ask the deployment yourself (it holds the deployment's auth token):")
            out(labs.runnable_predict_curl(p, ctx), indent=2)
            out()
        which = f"Labs {from_lab}-5" if from_lab < 5 else "Lab 5"
        out(f"{which} completed in {elapsed:.1f} s.")
        return 0
    finally:
        await p.aclose()


def _print_shell_setup(p: object) -> None:
    """How to repeat the printed calls: secrets stay in shell variables, never in the output."""
    setup = getattr(p, "shell_setup", None)
    lines = setup() if setup is not None else ""
    if not lines:
        return
    tool = json_tool()
    other = "python3" if tool == "jq" else "jq"
    out("To repeat the calls below in bash, paste these lines, then the login (it sets $MLOPS_SESSION):")
    out(lines, indent=2)
    wrap(
        f"Bodies that hold $MLOPS_PASSWORD are built with {tool} (where it is missing, run with "
        f"{JSON_TOOL_ENV}={other} to get commands built with {other}).",
        indent=0,
    )


def _print_event(event: labs.StepEvent) -> None:
    """One event, its text sanitised before our prefix goes in front (a job's ``\\r`` must not
    overwrite the ``|``)."""
    kind = event.kind
    text = plain(event.text)
    if kind == EventKind.COMMAND:
        out(f"$ {text}", indent=3)
    elif kind == EventKind.LOG:
        out(f"| {text}", indent=5)
    elif kind == EventKind.METRIC:
        rnd = event.data.get("round")
        if event.data.get("type") == "round" and isinstance(rnd, int) and rnd > 1 and rnd % ROUND_EVERY:
            return
        out(f"| {text}", indent=5)
    elif kind == EventKind.PROGRESS:
        out(f"… {text}", indent=3)
    elif kind == EventKind.WARNING:
        wrap(f"! {text}", indent=3)
    elif kind == EventKind.RESULT:
        wrap(f"=> {text}", indent=3)
    else:
        for i, line in enumerate(text.split("\n")):
            out(("- " if i == 0 else "  ") + line, indent=3)
