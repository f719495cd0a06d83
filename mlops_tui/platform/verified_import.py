"""Import a registered scoring package from the exact bytes whose checksums were verified.

The prediction server used to put the package's parent folder on ``sys.path`` and import from
disk. That ran whatever the folder held at that moment: a line appended to ``scoring.py`` after
registration was loaded silently, a sibling module could shadow a standard one (say a planted
``zoneinfo.py``), and a ``__pycache__`` file could stand in for its source. Here every file of the
package is read once, checked against the checksum the registry recorded, and the modules run
from those bytes through a finder that serves only this package: nothing else on disk is imported
from the repository, no bytecode cache is read or written.

Data files of the package (``zones.csv``) are read from disk by the code itself; they are checked
with the rest just before the import.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from mlops_tui.platform.names import shown


class Mismatch(Exception):
    """A file of the package is missing or differs from its recorded checksum; names the file."""


def read_verified(root: Path, checksums: dict[str, str], what: str) -> dict[str, bytes]:
    """Check every file in ``checksums`` (relative path → ``sha256:<hex>``) under ``root``.

    Returns the bytes of the ``.py`` files; raises :class:`Mismatch` naming the first bad file.
    """
    sources: dict[str, bytes] = {}
    for rel, expected in sorted(checksums.items()):
        path = root / rel
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise Mismatch(f"{what} file {rel} lies outside {root}")
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise Mismatch(f"{what} file {rel} is missing from {root}") from None
        except OSError as exc:
            raise Mismatch(f"{what} file {rel} cannot be read: {exc.strerror}") from None
        want = expected if str(expected).startswith("sha256:") else f"sha256:{expected}"
        if "sha256:" + hashlib.sha256(data).hexdigest() != want:
            raise Mismatch(
                f"{what} file {rel} in {root} does not match the checksum registered with the version "
                "(changed after registration): restore it, or register a new version"
            )
        if rel.endswith(".py"):
            sources[rel] = data
    return sources


class _PackageFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves ``name`` and its submodules from ``sources`` only (``__path__`` is empty)."""

    def __init__(self, name: str, root: Path, sources: dict[str, bytes]) -> None:
        self.name, self.root, self.sources = name, root, sources

    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name and not fullname.startswith(self.name + "."):
            return None
        base = "/".join(fullname.split(".")[1:])
        for rel, is_package in (
            (f"{base}/__init__.py" if base else "__init__.py", True),
            (f"{base}.py", False),
        ):
            if rel in self.sources or (rel == "__init__.py"):  # the top level may be a namespace package
                spec = importlib.util.spec_from_loader(
                    fullname, self, origin=str(self.root / rel), is_package=is_package
                )
                assert spec is not None
                spec.has_location = rel in self.sources
                if is_package:
                    spec.submodule_search_locations = []  # nothing on disk is searched
                return spec
        return None  # not registered: with an empty __path__ no other finder looks on disk

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        spec = module.__spec__
        assert spec is not None and spec.origin is not None
        rel = Path(spec.origin).relative_to(self.root).as_posix()
        source = self.sources.get(rel)
        if source is None:
            return  # a package without __init__.py
        exec(compile(source, spec.origin, "exec", dont_inherit=True), module.__dict__)


def import_verified(root: Path, sources: dict[str, bytes], module: str) -> ModuleType:
    """Import ``<root.name>.<module>`` from ``sources`` (relative path → verified bytes).

    Raises ImportError when the package's name is taken by an installed module (it would shadow
    it, or be shadowed), and whatever the package's own code raises while it is imported.
    """
    name = root.name
    if name in sys.modules or importlib.util.find_spec(name) is not None:
        raise ImportError(
            f"the scoring package is named {shown(name)}, like an installed module; rename its folder"
        )
    sys.meta_path.insert(0, _PackageFinder(name, root, sources))
    return importlib.import_module(f"{name}.{module}")
