"""What a valid name looks like, with the message that says so.

Shared by the platform's API and admin CLI and by the clients that check a name before they send
it (the ``mlops-tui data`` and ``lab run --data`` commands, the guide's ``train data=…``, the Train
dialog and the Data screen), so all of them accept and refuse the same names with the same words.
"""

from __future__ import annotations

import json
import re
import shlex

from mlops_tui.lab_scripts import params as training_params

TENANT = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,62}$")
USER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._@-]{0,63}$")
# KubeDirector cluster names are DNS labels; so are ours, clusters and deployments share them.
CLUSTER = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
MODEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
PARAM = training_params.KEY  # one rule: the job API and the Kubernetes adapter check the same
# A data file: folders and a file name of letters, digits, '.', '_', '-' (a TLC name such as
# yellow_tripdata_2019-02.parquet fits), in a format the taxi code reads.
DATA_DIR = "data"
DATA_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
DATA_SUFFIXES = (".csv", ".csv.gz", ".parquet")

MESSAGES = {
    "tenant": "must start with a letter and hold only letters, digits, '_' and '-' (at most 63)",
    "user": "must hold only ASCII letters (a-z, A-Z), digits and '._@-' (at most 64) and not start with "
    "'.', '@' or '-'",
    "cluster": "must be a lower-case DNS label: a-z, 0-9 and '-', at most 63, "
    "not starting or ending with '-'",
    "model": "must start with a letter or digit and hold only letters, digits and '._-' (at most 63)",
    "identifier": "must be a Python identifier (letters, digits, '_'; not starting with a digit)",
    "param": training_params.KEY_RULE,
    "data": "must name a data file of the project repository: a name such as march.csv or "
    "data/NYCTaxi/march.csv, made of letters, digits, '.', '_' and '-' (folders separated by '/', "
    "none starting with '.' or '-'), ending in .csv, .csv.gz or .parquet",
}


ROLES = {
    "tenant": "a tenant name",
    "user": "a user name",
    "cluster": "a cluster name",
    "model": "a model name",
    "identifier": "a Python name",
    "param": "a parameter name",
}
"""What a refused ``kind`` would have been, for the message (``… is refused as a model name``)."""


def shown(name: object) -> str:
    """``name`` as a message shows it: as the person typed it (``my rides.csv``, ``it's.csv``).

    A Python repr (``'my rides.csv'``, ``"it's.csv"``) is a notation nobody typed, and its quotes
    change with the name; so a name is shown plainly. Only a name that would not be seen as it is
    gets JSON string notation (RFC 8259 §7), with ``\\uXXXX`` for what is not printable: an empty
    one (``""``), one with white space at either end (``" march.csv"``), or one holding a control,
    a non-breaking or an invisible character (``"a\\u200bb.csv"``)."""
    text = name if isinstance(name, str) else str(name)
    if text and text == text.strip() and text.isprintable():
        return text
    quoted = json.dumps(text, ensure_ascii=False)[1:-1]
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in quoted) + '"'


def as_argument(name: str) -> str:
    """``name`` as one shell word inside a suggested command (``'my rides.csv'``), so the command
    works when pasted into a POSIX shell (``shlex.quote``; a plain name stays plain)."""
    return shlex.quote(name)


def suggested_data_name(file_name: str) -> str | None:
    """A data file name that :func:`data_path` accepts, made from a local file's name: runs of
    other characters become ``-`` (``my rides.csv`` → ``my-rides.csv``), the suffix is kept.
    None for a file whose suffix is none of :data:`DATA_SUFFIXES` (no name makes it readable)."""
    known = next((s for s in DATA_SUFFIXES if file_name.lower().endswith(s)), "")
    if not known:
        return None
    stem, suffix = file_name[: -len(known)], file_name[-len(known) :]
    clean = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "data"
    return clean[: 127 - len(suffix)] + suffix


def check(kind: str, value: str) -> str:
    """Return ``value`` if it is a valid ``kind`` name, else raise ``ValueError`` with the rule
    (``MESSAGES[kind]``), naming the value as typed (:func:`shown`)."""
    pattern = {
        "tenant": TENANT,
        "user": USER,
        "cluster": CLUSTER,
        "model": MODEL,
        "identifier": IDENTIFIER,
        "param": PARAM,
    }[kind]
    if not isinstance(value, str) or not pattern.fullmatch(value):  # ("$" also matches before "\n")
        raise ValueError(f"{shown(value)} is refused as {ROLES[kind]}: it {MESSAGES[kind]}")
    return value


def data_path(value: str) -> str:
    """The repository path of the data file ``value`` names: ``march.csv`` and ``data/march.csv``
    are both ``data/march.csv``; ``NYCTaxi/x.parquet`` is ``data/NYCTaxi/x.parquet``.

    Raises ``ValueError`` with the rule (``MESSAGES["data"]``) for anything else, e.g. a path with
    ``..``, spaces, or another extension.
    """
    text = value.strip() if isinstance(value, str) else ""
    parts = text.split("/")
    if parts and parts[0] == DATA_DIR:
        parts = parts[1:]
    ok = (
        bool(parts)
        and not text.startswith("/")
        and len(text) <= 255
        and all(DATA_SEGMENT.fullmatch(p) for p in parts)
        and parts[-1].lower().endswith(DATA_SUFFIXES)
    )
    if not ok:
        raise ValueError(f"{shown(value)} is refused as a data file name: it {MESSAGES['data']}")
    return "/".join((DATA_DIR, *parts))


def is_data_file(path: str) -> bool:
    """True for a repository path that names a data file (see :func:`data_path`)."""
    try:
        return data_path(path) == path
    except ValueError:
        return False


JOB_ID = re.compile(r"^[0-9]{1,18}$")  # ASCII digits: str.isdigit() takes "²", which int() refuses


def job_id(value: str) -> bool:
    """Whether ``value`` can be a job id (a number of at most 18 ASCII digits)."""
    return JOB_ID.fullmatch(value) is not None


def namespace_for(tenant: str) -> str:
    """The tenant's namespace, as Ezmeral does it: the lower-cased name (a DNS label)."""
    return tenant.lower().replace("_", "-")


def user_folder(user: str) -> str:
    """The folder of ``user`` in the project repository (``code/<folder>/``, ``models/<folder>/``,
    ``data/<folder>/``): the user id as a DNS label, as the workshop names everything a user makes
    (``mlops-model-<user>``). The lab steps use the same rule (``assistant.workshop.dns_name``)."""
    folder = re.sub(r"[^a-z0-9-]+", "-", user.lower()).strip("-")
    return folder or "user"
