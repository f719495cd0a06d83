"""Sizes for people: one way to write a number of bytes everywhere the app shows one.

A fixed unit misleads at the other end of the scale (``doctor`` said "only 0.0 GiB free of
0.0 GiB" on a 40 MiB file system; a 2 KB upload read "0.0 MB"). :func:`size_text` picks the unit
that fits. Units are binary (KiB, MiB, GiB: IEC 80000-13), as the platform's limits are stated
("256 MiB", Kubernetes' ``Mi``/``Gi``) and as ``df -h``/``ls -h`` count. The formatting is
humanize's (a maintained library), not ours.
"""

from __future__ import annotations

import humanize


def size_text(n: int | float) -> str:
    """``n`` bytes as ``"512 Bytes"``, ``"2.0 KiB"``, ``"40.0 MiB"``, ``"3.1 GiB"`` (one decimal)."""
    return str(humanize.naturalsize(n, binary=True, format="%.1f"))


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``"1 attendee"``, ``"3 attendees"``, ``"0 attendees"`` (English: singular for one only)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
