"""One model call on a float64 matrix, through XGBoost's C API with the call's constant parts built once.

Why: for the few rows of one request, ``Booster.inplace_predict`` spends about half of its time in
Python before and after the model runs (it dispatches on the input's type, encodes its
configuration and the array's interface as JSON, builds a ctypes class for the output): about
40 µs of CPU of an 85 µs call for one ride, measured on the workshop's model. This makes the same C call
``XGBoosterPredictFromDense`` (XGBoost's documented C API, ``c_api.h``; the one ``inplace_predict``
makes for a numpy array) with the configuration encoded once, and reads the values straight from
XGBoost's output buffer. It also hands XGBoost a proxy DMatrix made once per thread (the call's
optional ``m``): without one, XGBoost makes a new proxy for every call, whose context reads the
cgroup's CPU quota from /sys (about ten system calls, 20 µs of the 40 µs left). One ride's call
now costs about 20 µs of CPU. Same model, same
call, same values (float32, as ``inplace_predict`` returns them: tests/lab_scripts/
test_dense_predict.py compares them).

The library is the booster's own where it carries one (``native_booster.NativeBooster.library``,
the server's case), else the Python package's (``xgboost.core._LIB``, present from 1.x to 3.x).
Where neither is there or it lacks the two C functions, :class:`DensePredictor` calls ``inplace_predict``:
slower, never wrong; so does a model with several values per row.
"""

from __future__ import annotations

import ctypes
import json
import threading
from typing import Any

import numpy as np

_CONFIG = {  # inplace_predict's own configuration for predict_type="value" on the whole model
    "type": 0,
    "training": False,
    "iteration_begin": 0,
    "iteration_end": 0,
    "strict_shape": False,
    "cache_id": 0,
    "missing": float("nan"),
}


class DensePredictor:
    """``predict(x)``: the model's values (float32, n) for ``x`` (n x features, float64)."""

    def __init__(self, booster: Any) -> None:
        self.booster = booster
        self._lib = _library(booster)
        self._config = json.dumps(_CONFIG).encode()  # NaN as Python writes it, as XGBoost reads it
        self._calls = threading.local()  # per thread: a proxy DMatrix (a call sets its data), outputs

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Values of the rows of ``x`` (float32, as XGBoost computes them; the caller's copy).

        Raises RuntimeError with XGBoost's message if the model call fails."""
        lib = self._lib
        if lib is None:
            return np.array(self.booster.inplace_predict(x), dtype=np.float32)
        call = getattr(self._calls, "call", None)
        if call is None:
            call = self._calls.call = _Call(lib)
        rows, columns = x.shape
        if rows <= SMALL_ROWS and columns == call.columns:  # into the thread's own matrix
            call.small[:rows] = x
            interface = call.interfaces[rows]
        else:
            x = np.ascontiguousarray(x, dtype=np.float64)
            interface = (
                f'{{"data":[{x.ctypes.data},true],"shape":[{rows},{columns}],'
                f'"strides":null,"typestr":"<f8","version":3}}'
            ).encode()
            if call.columns is None:
                call.size_for(columns)
        status = lib.XGBoosterPredictFromDense(
            self.booster.handle, interface, self._config, call.proxy.handle, *call.outputs
        )
        if status != 0:
            raise RuntimeError(f"XGBoost could not predict: {lib.XGBGetLastError().decode()}")
        shape, dims, values = call.shape, call.dims.value, call.values
        count = 1
        for i in range(dims):
            count *= shape[i]
        if count != rows:  # a model with several outputs per row: XGBoost's own wrapper shapes it
            return np.array(self.booster.inplace_predict(x), dtype=np.float32)
        if rows <= SMALL_ROWS:  # (slicing a ctypes pointer is the cheapest read of a few values)
            return np.array(values[:rows], dtype=np.float32)
        return np.ctypeslib.as_array(values, shape=(rows,)).copy()  # XGBoost reuses its buffer


SMALL_ROWS = 16  # a call of this many rows at most copies them into its thread's matrix


class _Call:
    """One thread's constant parts of a call: its proxy DMatrix, the three outputs XGBoost sets
    (made once: a ctypes object and its reference cost about 0.2 µs each), and a matrix of
    SMALL_ROWS rows whose address, and so the array interface of its first n rows, never changes
    (numpy's ``x.ctypes.data`` costs about 1 µs a call, its copy into this matrix 0.5)."""

    def __init__(self, lib: Any) -> None:
        self.proxy = _Proxy(lib)
        self.values = ctypes.POINTER(ctypes.c_float)()
        self.shape = ctypes.POINTER(ctypes.c_uint64)()
        self.dims = ctypes.c_uint64()
        self.outputs = (ctypes.byref(self.shape), ctypes.byref(self.dims), ctypes.byref(self.values))
        self.columns: int | None = None
        self.small = np.empty((0, 0))
        self.interfaces: list[bytes] = []

    def size_for(self, columns: int) -> None:
        """Make the small matrix for rows of ``columns`` values (the model's features)."""
        self.small = np.zeros((SMALL_ROWS, columns), dtype=np.float64)
        address = self.small.ctypes.data
        self.interfaces = [
            f'{{"data":[{address},true],"shape":[{n},{columns}],"strides":null,"typestr":"<f8","version":3}}'.encode()
            for n in range(SMALL_ROWS + 1)
        ]
        self.columns = columns


class _Proxy:
    """A proxy DMatrix (``XGProxyDMatrixCreate``), freed with its thread's last reference."""

    def __init__(self, lib: Any) -> None:
        self._lib = lib
        self.handle = ctypes.c_void_p()
        if lib.XGProxyDMatrixCreate(ctypes.byref(self.handle)) != 0:
            raise RuntimeError(f"XGBoost could not make a proxy DMatrix: {lib.XGBGetLastError().decode()}")

    def __del__(self) -> None:
        if self.handle:
            self._lib.XGDMatrixFree(self.handle)


def _library(booster: Any) -> Any:
    try:
        lib = getattr(booster, "library", None)
        if lib is None:
            from xgboost import core

            lib = core._LIB
        lib.XGBoosterPredictFromDense  # noqa: B018 (the symbols this needs)
        lib.XGProxyDMatrixCreate  # noqa: B018
    except (ImportError, AttributeError):
        return None
    return lib
