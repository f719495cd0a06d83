"""A saved XGBoost model loaded through XGBoost's own shared library, without its Python package.

Why: a deployment's prediction server stays resident for the whole workshop, one per attendee, and
needs four of XGBoost's documented C functions (``c_api.h``): ``XGBoosterCreate``,
``XGBoosterLoadModel``, ``XGBoosterSetParam`` and the prediction call (``dense_predict``). Importing
the ``xgboost`` Python package for them costs about 29 MB more proportional memory (PSS) than
loading ``libxgboost.so`` itself, because ``xgboost/core.py`` imports ``scipy.sparse`` whatever
the caller needs (measured on this project's host: numpy + the library 29 MB, ``import xgboost``
58 MB; issue 9's footprint goal is 100 MB per idle attendee, TUI and server together).

The library is the one the installed ``xgboost`` package ships, found by the package's own rule
(``xgboost/libpath.py``'s ``find_lib_path``, read from its file so that the package's
``__init__`` and its imports do not run). The model is read and computed by that library, so the
values are XGBoost's: tests/lab_scripts/test_native_booster.py compares them with
``xgboost.Booster`` to the bit.

:func:`load` returns None where the library or one of the functions cannot be found (another
packaging, a future XGBoost that moves them); the caller then uses the Python package.
"""

from __future__ import annotations

import ctypes
import importlib.util
from pathlib import Path
from typing import Any

_FUNCTIONS = (
    "XGBoostVersion",
    "XGBGetLastError",
    "XGBoosterCreate",
    "XGBoosterFree",
    "XGBoosterLoadModel",
    "XGBoosterSetParam",
    "XGBoosterPredictFromDense",
    "XGProxyDMatrixCreate",
    "XGDMatrixFree",
)


class NativeBoosterError(RuntimeError):
    """XGBoost's library refused a call; the message is XGBoost's (``XGBGetLastError``)."""


class NativeBooster:
    """One model in XGBoost's library: ``handle`` (a ``BoosterHandle``) and ``library`` (the CDLL),
    what ``dense_predict.DensePredictor`` calls; ``version`` is the library's ``"major.minor.patch"``.

    ``inplace_predict(x)`` exists for the rare model ``dense_predict`` does not call directly (several
    values per row) and for comparisons: it loads the same file with the Python package once.
    """

    def __init__(self, library: Any, model_file: Path) -> None:
        self.library = library
        self.model_file = model_file
        self.handle = ctypes.c_void_p()
        self._python_booster: Any = None
        self._check(library.XGBoosterCreate(None, ctypes.c_uint64(0), ctypes.byref(self.handle)))
        self.set_param({"validate_parameters": True})  # as xgboost.Booster() does
        self._check(library.XGBoosterLoadModel(self.handle, str(model_file).encode()))

    @property
    def version(self) -> str:
        return library_version(self.library)

    def set_param(self, params: dict[str, Any]) -> None:
        """``XGBoosterSetParam`` for each item, values written as the Python package writes them."""
        for key, value in params.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            self._check(self.library.XGBoosterSetParam(self.handle, key.encode(), text.encode()))

    def inplace_predict(self, x: Any) -> Any:
        """``xgboost.Booster.inplace_predict`` on the same model file (imports the Python package)."""
        if self._python_booster is None:
            import xgboost

            self._python_booster = xgboost.Booster(model_file=str(self.model_file))
            self._python_booster.set_param({"nthread": 1})
        return self._python_booster.inplace_predict(x)

    def _check(self, status: int) -> None:
        if status != 0:
            raise NativeBoosterError(self.library.XGBGetLastError().decode(errors="replace"))

    def __del__(self) -> None:
        if getattr(self, "handle", None):
            self.library.XGBoosterFree(self.handle)


def shared_library() -> Any | None:
    """The CDLL of the installed ``xgboost`` package's library with the functions this module and
    ``dense_predict`` call, their result types set; None where it cannot be found or loaded."""
    try:
        spec = importlib.util.find_spec("xgboost")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    libpath_file = Path(next(iter(spec.submodule_search_locations))) / "libpath.py"
    try:
        paths = _package_rule(libpath_file)
        library = ctypes.CDLL(paths[0])
        for name in _FUNCTIONS:
            getattr(library, name)
    except Exception:  # whatever stops it, the Python package is the way
        return None
    library.XGBGetLastError.restype = ctypes.c_char_p
    return library


def library_version(library: Any) -> str:
    """``"major.minor.patch"`` of a loaded XGBoost library (``XGBoostVersion``)."""
    parts = [ctypes.c_int() for _ in range(3)]
    library.XGBoostVersion(*(ctypes.byref(p) for p in parts))
    return ".".join(str(p.value) for p in parts)


def _package_rule(libpath_file: Path) -> list[str]:
    """``find_lib_path()`` of the package's ``libpath.py``, run as a lone module (it imports only
    ``os``, ``platform``, ``sys`` and ``typing``). Raises what it raises when no library is found."""
    spec = importlib.util.spec_from_file_location("_xgboost_libpath", libpath_file)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot read {libpath_file}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.find_lib_path())
