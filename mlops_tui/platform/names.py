"""What a valid name looks like, with the message that says so (shared by the API and the admin CLI)."""

from __future__ import annotations

import re

TENANT = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,62}$")
USER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._@-]{0,63}$")
# KubeDirector cluster names are DNS labels; so are ours, clusters and deployments share them.
CLUSTER = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
MODEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
PARAM = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")

MESSAGES = {
    "tenant": "must start with a letter and hold only letters, digits, '_' and '-' (at most 63)",
    "user": "must hold only letters, digits and '._@-' (at most 64) and not start with '.', '@' or '-'",
    "cluster": "must be a lower-case DNS label: a-z, 0-9 and '-', at most 63, "
    "not starting or ending with '-'",
    "model": "must start with a letter or digit and hold only letters, digits and '._-' (at most 63)",
    "identifier": "must be a Python identifier (letters, digits, '_'; not starting with a digit)",
    "param": "must be lower-case letters, digits, '_' or '-', starting with a letter",
}


def check(kind: str, value: str) -> str:
    """Return ``value`` if it is a valid ``kind`` name, else raise ``ValueError`` with the rule."""
    pattern = {
        "tenant": TENANT,
        "user": USER,
        "cluster": CLUSTER,
        "model": MODEL,
        "identifier": IDENTIFIER,
        "param": PARAM,
    }[kind]
    if not isinstance(value, str) or not pattern.match(value):
        raise ValueError(f"{value!r} {MESSAGES[kind]}")
    return value


JOB_ID = re.compile(r"^[0-9]{1,18}$")  # ASCII digits: str.isdigit() takes "²", which int() refuses


def job_id(value: str) -> bool:
    """Whether ``value`` can be a job id (a number of at most 18 ASCII digits)."""
    return JOB_ID.match(value) is not None


def namespace_for(tenant: str) -> str:
    """The tenant's namespace, as Ezmeral does it: the lower-cased name (a DNS label)."""
    return tenant.lower().replace("_", "-")
