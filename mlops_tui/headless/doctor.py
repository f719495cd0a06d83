"""``mlops-tui doctor [--profile P] [-o json]``: check each hop to the platform, one line each.

Text: one line per check as it ends (``ok``, ``FAIL``, ``skip``, ``--`` for not run), the failure
with what to do after "→"; the last line names the first failure and the exit code. JSON: one
document at the end (:meth:`Report.to_json`). Exit code 0 only when every check passed, else the
failed check's own code (docs/kubernetes.md lists them). A kubeconfig's exec plugin writes its
sign-in lines to stderr as they come, as in the other headless commands.
"""

from __future__ import annotations

import json

from mlops_tui import config
from mlops_tui.headless.common import StderrPassThrough, out
from mlops_tui.services.doctor import Result, Status, diagnose

MARK = {Status.OK: "ok", Status.FAIL: "FAIL", Status.SKIP: "skip", Status.NOT_RUN: "--"}
TITLE_WIDTH = 18


def line(result: Result) -> str:
    """One check as one line: mark, title, what was seen (and, on failure, what to do)."""
    text = result.seen if result.status is not Status.NOT_RUN else "not run (an earlier check failed)"
    if result.hint and result.status in (Status.FAIL, Status.SKIP):
        text += f" → {result.hint}"
    return f"{MARK[result.status]:<5} {result.title:<{TITLE_WIDTH}} {text}"


async def run(profile_name: str | None, *, output: str = "text") -> int:
    profile = config.active_profile(profile_name)
    text = output == "text"
    if text:
        where = profile.url or (profile.kubeconfig if profile.platform == "kubernetes" else "this machine")
        out(f"mlops-tui doctor: profile {profile.name} ({profile.platform}, {where})")
    report = await diagnose(
        profile, listener=StderrPassThrough(), on_result=(lambda r: out(line(r))) if text else None
    )
    if not text:
        out(json.dumps(report.to_json(), indent=2))
        return report.exit_code
    failed = report.first_failure
    if failed is None:
        out(f"all {len(report.results)} checks passed")
    else:
        out(f"doctor: {failed.title} failed (exit {failed.exit_code})")
    return report.exit_code
