"""The model registry: versions of a finished job's bundle, with checksums, lineage and stages.

Registering records the sha256 of everything a prediction server loads for the version: every
bundle file (model, manifest, zone table) and every file of the scoring package (the folder of
``scoring_path``: its modules and data files, ``__pycache__`` aside). It refuses a bundle whose
files no longer match the checksums its own manifest recorded at training time (tampered or
rewritten), a scoring package holding a symbolic link or a special file (what it points to could
change unseen), or a job that did not finish. The prediction server checks both sets of checksums
again before it loads, and runs the scoring code from the bytes it verified.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlops_tui.platform import names
from mlops_tui.platform.access import Principal, require_owner
from mlops_tui.platform.db import Database, dumps, loads
from mlops_tui.platform.errors import conflict, invalid, not_found
from mlops_tui.platform.repo import EVERYTHING, FolderRule, Repo, sha256_file
from mlops_tui.platform.state import StatePaths, utcnow

STAGES = ("none", "staging", "production", "archived")
MANIFEST = "manifest.json"
SKIPPED_DIRS = {"__pycache__"}  # bytecode the server never reads (it compiles the verified sources)


def version_json(row: dict[str, Any]) -> dict[str, Any]:
    """A version row as ``services.types.ModelVersion`` JSON."""
    return {
        "model": row["model"],
        "version": row["version"],
        "description": row["description"],
        "path": row["path"],
        "scoring_path": row["scoring_path"],
        "model_type": row["model_type"],
        "checksums": loads(row["checksums"], {}),
        "scoring_checksums": loads(row.get("scoring_checksums"), {}),
        "metrics": loads(row["metrics"], {}),
        "lineage": loads(row["lineage"], {}),
        "stage": row["stage"],
        "input_schema": loads(row["input_schema"], {}),
        "created_by": row["created_by"],
        "created_at": row["created_at"],
    }


def _single_name(path: Path, rel: str) -> None:
    """Refuse a file with more than one name: a hard link may share its bytes with a file in a
    folder or tenant the registering user cannot read, and the server would serve them."""
    links = path.stat().st_nlink
    if links > 1:
        raise invalid(
            f"{rel} has {links} names (a hard link); copy the file instead of linking it, then register",
            "job_id",
        )


def bundle_checksums(bundle: Path) -> dict[str, str]:
    """sha256 of every regular file under ``bundle``, keyed by its relative path (a hard link → 400)."""
    sums = {}
    for p in sorted(bundle.rglob("*")):
        if p.is_file() and not p.is_symlink():
            rel = p.relative_to(bundle).as_posix()
            _single_name(p, rel)
            sums[rel] = sha256_file(p)
    return sums


def scoring_checksums(package: Path) -> dict[str, str]:
    """sha256 of every file of a scoring package, keyed by its path relative to the package folder.

    Raises ``invalid`` (field ``scoring_path``) for a symbolic link or anything but a regular file.
    """
    sums: dict[str, str] = {}
    for p in sorted(package.rglob("*")):
        rel = p.relative_to(package)
        if SKIPPED_DIRS & set(rel.parts):
            continue
        if p.is_symlink() or not (p.is_file() or p.is_dir()):
            raise invalid(
                f"the scoring package {package.name}/ holds {rel.as_posix()}, which is a symbolic link "
                "or a special file: copy the real file there instead",
                "scoring_path",
            )
        if p.is_file():
            _single_name(p, rel.as_posix())
            sums[rel.as_posix()] = sha256_file(p)
    return sums


def migrate(db: Database) -> None:
    """Add ``model_versions.scoring_checksums`` to a database made before it existed.

    Versions registered before have ``{}`` there, and a server refuses to run them (it could not
    verify their code): registering the same job again gives a version that serves.
    """
    columns = {r["name"] for r in db.query("PRAGMA table_info(model_versions)")}
    if "scoring_checksums" not in columns:
        db.execute("ALTER TABLE model_versions ADD COLUMN scoring_checksums TEXT NOT NULL DEFAULT '{}'")


def unverifiable_code(version: dict[str, Any]) -> str | None:
    """Why ``version`` (a ``model_versions`` row) cannot be served, or None when it can.

    A version registered before the registry recorded checksums of the scoring package (what
    :func:`migrate` leaves: ``{}``) has code nothing can verify, so no prediction server runs it
    (issue 8 §4). The message says so and gives the one way out, with the exact request:
    registering the same job again records the checksums, and the new version serves.
    """
    if loads(version.get("scoring_checksums"), {}):
        return None
    job_id = str(loads(version.get("lineage"), {}).get("job_id", ""))
    body = json.dumps(
        {"model": version["model"], "job_id": job_id, "scoring_path": version["scoring_path"]},
        separators=(", ", ": "),
    )
    return (
        f"version {version['version']} of model {version['model']} was registered before the registry "
        "recorded checksums of its scoring code, so that code cannot be verified and is not run: "
        f"register the version again: POST /api/mlops/v1/models {body} (in the TUI: Registry, n, "
        f"job {job_id}), then deploy the new version"
    )


def verify_against_manifest(bundle: Path, manifest: dict[str, Any], actual: dict[str, str]) -> None:
    """Refuse a bundle whose files differ from what the training run recorded."""
    recorded = manifest.get("files")
    if not isinstance(recorded, dict) or not recorded:
        raise conflict(
            f"the bundle's {MANIFEST} lists no files with checksums; it cannot be verified", "job_id"
        )
    for rel, expected in recorded.items():
        got = actual.get(rel)
        if got is None:
            raise conflict(
                f"bundle file {names.shown(rel)} listed in {MANIFEST} is missing from {bundle.name}", "job_id"
            )
        want = expected if str(expected).startswith("sha256:") else f"sha256:{expected}"
        if got != want:
            raise conflict(
                f"bundle file {names.shown(rel)} does not match the checksum its {MANIFEST} recorded at "
                "training time "
                "(changed after training): retrain, or restore the file",
                "job_id",
            )


class Registry:
    def __init__(self, db: Database, paths: StatePaths) -> None:
        self.db = db
        self.paths = paths
        migrate(db)

    def models(self, tenant: str) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT m.*, MAX(v.version) AS latest, COUNT(v.version) AS n FROM models m "
            "LEFT JOIN model_versions v ON v.tenant = m.tenant AND v.model = m.name "
            "WHERE m.tenant = ? GROUP BY m.name ORDER BY m.name",
            (tenant,),
        )
        return [
            {
                "name": r["name"],
                "description": r["description"],
                "latest_version": r["latest"] or 0,
                "versions": r["n"],
                "updated_at": r["updated_at"],
                "owner": r["owner"],
            }
            for r in rows
        ]

    def require_model_owner(self, tenant: str, model: str, who: Principal, action: str) -> None:
        """403 naming the owner unless ``who`` may ``action`` (register, stage, deploy) ``model``."""
        row = self.db.one("SELECT owner FROM models WHERE tenant = ? AND name = ?", (tenant, model))
        if row is not None:
            require_owner(
                who, row["owner"], f"model {names.shown(model)} (you asked to {action} it)", "model"
            )

    def versions(self, tenant: str, model: str) -> list[dict[str, Any]]:
        self._model(tenant, model)
        return self.db.query(
            "SELECT * FROM model_versions WHERE tenant = ? AND model = ? ORDER BY version DESC",
            (tenant, model),
        )

    def get(self, tenant: str, model: str, version: int) -> dict[str, Any]:
        self._model(tenant, model)
        if not 0 < version < 2**62:
            raise not_found(f"model {names.shown(model)} has no version {version}", "version")
        row = self.db.one(
            "SELECT * FROM model_versions WHERE tenant = ? AND model = ? AND version = ?",
            (tenant, model, version),
        )
        if row is None:
            raise not_found(f"model {names.shown(model)} has no version {version}", "version")
        return row

    def _model(self, tenant: str, model: str) -> dict[str, Any]:
        row = self.db.one("SELECT * FROM models WHERE tenant = ? AND name = ?", (tenant, model))
        if row is None:
            raise not_found(f"no model {names.shown(model)} in this tenant's registry", "model")
        return row

    def register(
        self,
        tenant: str,
        namespace: str,
        user: str,
        body: dict[str, Any],
        who: Principal | None = None,
        rule: FolderRule = EVERYTHING,
    ) -> dict[str, Any]:
        """Blocking (hashes files): run in a thread. ``who`` registers (an attendee: only their own
        job, into a model they own or a new one, with scoring code they may read: else 403)."""
        model = body["model"]
        try:
            names.check("model", model)
        except ValueError as exc:
            raise invalid(f"model {exc}", "model") from None
        job_id = str(body["job_id"])
        job = self.db.one(
            "SELECT * FROM jobs WHERE id = ? AND tenant = ?",
            (int(job_id) if names.job_id(job_id) else -1, tenant),
        )
        if job is None:
            raise not_found(f"no job {names.shown(job_id)} in this tenant", "job_id")
        if who is not None:
            require_owner(who, job["user"], f"job {job_id} (its model bundle)", "job_id")
            self.require_model_owner(tenant, model, who, "register a version of")
        if job["state"] != "finished":
            detail = f": {job['message']}" if job["message"] and job["state"] == "failed" else ""
            raise conflict(
                f"job {job_id} is {job['state']}{detail}; only a finished job's bundle can be registered",
                "job_id",
            )
        repo = Repo(self.paths.tenant_repo(namespace), rule)
        bundle = repo.resolve(job["output"], "job_id")
        manifest_path = bundle / MANIFEST
        if not manifest_path.is_file():
            raise conflict(
                f"job {job_id} left no {MANIFEST} in {names.shown(job['output'])}; it wrote no model bundle",
                "job_id",
            )
        try:
            manifest = json.loads(manifest_path.read_text())
            if not isinstance(manifest, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            raise conflict(f"{job['output']}/{MANIFEST} is not valid JSON ({exc})", "job_id") from None
        checksums = bundle_checksums(bundle)
        verify_against_manifest(bundle, manifest, checksums)
        scoring_rel = body.get("scoring_path") or f"{job['code']}/scoring.py"
        scoring = repo.resolve(scoring_rel, "scoring_path", write=False)
        if scoring.suffix != ".py":
            raise invalid(
                f"scoring_path {names.shown(scoring_rel)} must name a Python file (.py)", "scoring_path"
            )
        if not scoring.is_file():
            raise not_found(
                f"scoring_path {names.shown(scoring_rel)} is not a file in the project repository",
                "scoring_path",
            )
        if not all(names.IDENTIFIER.fullmatch(part) for part in (scoring.parent.name, scoring.stem)):
            raise invalid(
                f"scoring_path {names.shown(scoring_rel)} must be <dir>/<package>/<module>.py "
                "with Python names",
                "scoring_path",
            )
        code_sums = scoring_checksums(scoring.parent)
        metrics = {
            k: v
            for k, v in (manifest.get("metrics") or {}).items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
        lineage = {
            "job_id": str(job["id"]),
            "data": job["data"],
            "data_fingerprint": job["data_fingerprint"]
            or (manifest.get("data") or {}).get("fingerprint", ""),
            "code": job["code"],
        }
        now = utcnow()
        description = body.get("description") or ""
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM models WHERE tenant = ? AND name = ?", (tenant, model)).fetchone():
                conn.execute(
                    "UPDATE models SET updated_at = ? WHERE tenant = ? AND name = ?", (now, tenant, model)
                )
            else:
                conn.execute(
                    "INSERT INTO models (tenant, name, description, created_at, updated_at, owner) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (tenant, model, description, now, now, who.user if who is not None else user),
                )
            latest = conn.execute(
                "SELECT MAX(version) FROM model_versions WHERE tenant = ? AND model = ?", (tenant, model)
            ).fetchone()[0]
            version = (latest or 0) + 1
            conn.execute(
                "INSERT INTO model_versions (tenant, model, version, description, path, scoring_path,"
                " model_type, checksums, scoring_checksums, metrics, lineage, stage, input_schema,"
                " manifest, created_by, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 'xgboost', ?, ?, ?, ?, 'none', ?, ?, ?, ?)",
                (
                    tenant,
                    model,
                    version,
                    description,
                    job["output"],
                    repo.clean(scoring_rel, "scoring_path"),
                    dumps(checksums),
                    dumps(code_sums),
                    dumps(metrics),
                    dumps(lineage),
                    dumps(manifest.get("input_schema") or {}),
                    dumps(manifest),
                    user,
                    now,
                ),
            )
        return self.get(tenant, model, version)

    def set_stage(
        self, tenant: str, model: str, version: int, stage: str, who: Principal | None = None
    ) -> dict[str, Any]:
        if stage not in STAGES:
            raise invalid(f"stage must be one of {', '.join(STAGES)}", "stage")
        self.get(tenant, model, version)
        if who is not None:
            self.require_model_owner(tenant, model, who, "change the stage of")
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE model_versions SET stage = ? WHERE tenant = ? AND model = ? AND version = ?",
                (stage, tenant, model, version),
            )
            # A model's updated_at moves with any change of its versions, so a client that lists
            # models can tell which versions to fetch again (the TUI's registry poll does).
            conn.execute(
                "UPDATE models SET updated_at = ? WHERE tenant = ? AND name = ?", (utcnow(), tenant, model)
            )
        return self.get(tenant, model, version)

    def configmap(self, tenant: str, namespace: str, model: str, version: int) -> dict[str, Any]:
        """The workshop's registry ConfigMap for this version (reference §4), with absolute paths."""
        row = self.get(tenant, model, version)
        manifest = loads(row["manifest"], {})
        root = self.paths.tenant_repo(namespace)
        model_file = manifest.get("model_file") or "model.ubj"
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": model,
                "namespace": namespace,
                "labels": {"kubedirector.hpe.com/cmType": "model"},
            },
            "data": {
                "name": model,
                "description": row["description"],
                "model-version": str(version),
                "path": str(root / row["path"] / model_file),
                "scoring-path": str(root / row["scoring_path"]),
                "modelType": "kubedirector",
            },
        }
