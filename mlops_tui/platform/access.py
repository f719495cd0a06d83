"""Who may change what: roles and owners (workshop mode, issue 9 §4).

Every object of the platform has an owner: a job its ``user``, a cluster, model or deployment its
``owner`` (the user who created it). Three roles:

- ``member``: a user of a personal platform (the default, as before workshop mode): changes
  everything in their tenant;
- ``facilitator``: runs a class; sees, cancels and deletes everything in the tenant;
- ``attendee``: sees the tenant's shared objects (the queue, the clusters, the registry, as on the
  real platform) but changes only their own; anything else is 403 naming the owner. Secrets of
  other users' objects (a deployment's auth token, a notebook's Jupyter token) are not shown.

Another tenant's objects stay 404 for everyone (names do not leak across tenants). The rule for
the project repository's folders is :func:`mlops_tui.platform.repo.check_folder_access`.
"""

from __future__ import annotations

from typing import Any, Protocol

from mlops_tui.platform.errors import forbidden

MEMBER, FACILITATOR, ATTENDEE = "member", "facilitator", "attendee"
ROLES = (MEMBER, FACILITATOR, ATTENDEE)


class Principal(Protocol):
    """Who acts: a session (``auth.SessionInfo``) or the owner of a job or server being started."""

    @property
    def user(self) -> str: ...

    @property
    def role(self) -> str: ...


def owns(who: Principal, owner: str | None) -> bool:
    """True when ``who`` may change an object owned by ``owner`` (only attendees are limited)."""
    return who.role != ATTENDEE or (bool(owner) and owner == who.user)


def require_owner(who: Principal, owner: str | None, what: str, field: str | None = None) -> None:
    """Raise 403 naming the owner unless ``who`` may change ``what`` (e.g. ``"job 12"``)."""
    if owns(who, owner):
        return
    whose = f"belongs to {owner}" if owner else "belongs to the facilitator"
    raise forbidden(
        f"{what} {whose}: as an attendee ({who.user}) you can change only what you created "
        "(ask the facilitator if it must change)",
        field,
    )


def hide_secret(who: Principal, owner: str | None, value: Any) -> Any:
    """``value`` (a token), or None when ``who`` is an attendee looking at someone else's object."""
    return value if owns(who, owner) else None
