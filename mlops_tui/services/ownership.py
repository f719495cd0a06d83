"""Whose an object is, and which one a screen picks by default (no Textual here).

In a workshop every attendee sees the tenant's shared lists (the queue of the shared training
cluster, the registry, every deployment, others' without their tokens; ``docs/workshop.md``),
newest first. A default of "the first of the list" was then someone else's: the Predict screen
asked another attendee's deployment (and was refused its token), the Training screen followed
another's newest job. The rule here: a default is the person's own object; an attendee never
gets someone else's by default (they can still pick it); a facilitator or a member of a personal
platform, who may act on everything in the tenant, falls back to the first of the list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

ATTENDEE = "attendee"


def owner_of(obj: Any) -> str:
    """Who made ``obj``: ``owner`` (clusters, models, deployments) or ``user`` (jobs); ``""`` is
    the platform's own (e.g. the shared training cluster), nobody's in particular."""
    return str(getattr(obj, "owner", "") or getattr(obj, "user", "") or "")


def is_mine(obj: Any, user: str) -> bool:
    """True when ``user`` made ``obj``, or nobody did (the platform's own objects)."""
    return owner_of(obj) in ("", user)


def owners(items: Sequence[Any]) -> set[str]:
    """The distinct owners of ``items`` (without the platform's ``""``)."""
    return {o for o in map(owner_of, items) if o}


def others_owner(obj: Any, user: str) -> str | None:
    """The owner of ``obj`` when it is someone other than ``user`` (what a confirmation names)."""
    owner = owner_of(obj)
    return owner if owner and owner != user else None


def attendee_refusal(obj: Any, user: str, role: str, what: str, rule: str) -> str | None:
    """Why an attendee may not act on ``obj`` (someone else's), in one line, or None.

    ``what`` names the object ("job 4"), ``rule`` says what attendees may do ("cancel only their
    own jobs"). The platform refuses an attendee acting on another's object (403, ``docs/workshop.md``);
    a confirmation asked first would only lead to that refusal. A facilitator may act on everything
    in the tenant: None (their confirmation names the owner, :func:`others_owner`)."""
    owner = others_owner(obj, user)
    if role != ATTENDEE or owner is None:
        return None
    return f"{what} is {owner}'s: attendees {rule}"


def default_pick(
    items: Sequence[T], user: str, role: str = "", *, prefer: Callable[[T], bool] | None = None
) -> T | None:
    """The object a screen shows by default: the first of ``items`` (in the list's order, newest
    first) that ``user`` owns, one that satisfies ``prefer`` (e.g. ready) before others. None for
    an ``attendee`` who owns none; anyone else then gets the first of all, as before."""
    mine = [i for i in items if is_mine(i, user)]
    pool = mine if mine or role == ATTENDEE else list(items)
    if prefer is not None:
        preferred = [i for i in pool if prefer(i)]
        if preferred:
            return preferred[0]
    return pool[0] if pool else None


def own_folders(user: str) -> tuple[str, ...]:
    """``code/<folder>``, ``models/<folder>``, ``data/<folder>``: where an attendee writes (the
    platform's rule, ``platform/repo.py`` ``check_folder_access``; ``names.user_folder``)."""
    from mlops_tui.platform.names import user_folder

    folder = user_folder(user)
    return tuple(f"{top}/{folder}" for top in ("code", "models", "data"))


def write_refusal(path: str, user: str, role: str) -> str | None:
    """Why the platform will refuse ``user`` writing ``path`` (a repository path), or None.

    The platform decides (403); this is said before a byte is sent: an upload's body went out
    whole before the refusal came back (httpx sends no ``Expect: 100-continue``)."""
    if role != ATTENDEE:
        return None
    folders = own_folders(user)
    if any(path.startswith(f + "/") for f in folders):
        return None
    yours = ", ".join(f"{f}/" for f in folders)
    return (
        f"{path} is outside your folders: as an attendee ({user}) you write only under {yours} "
        "(the rest is the tenant's shared data, kept by the facilitator)"
    )


def default_data_path(path: str, user: str, role: str) -> str:
    """Where an upload named ``data/<name>`` goes by default: for an attendee their own folder,
    ``data/<folder>/<name>`` (what they may write), else ``path`` as it is."""
    if role != ATTENDEE or write_refusal(path, user, role) is None:
        return path
    rest = path.removeprefix("data/")
    return f"{own_folders(user)[2]}/{rest}" if "/" not in rest else path
