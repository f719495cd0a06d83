"""The Open Inference Protocol (KServe v2) as stock clients speak it: JSON and binary tensors.

Source: the protocol's REST form (kserve/open-inference-protocol, ``required_api.md``) and
Triton's extensions that its clients use by default: binary tensor data
(``binary_tensor_data.md``: with ``Inference-Header-Content-Length: N`` the body is N bytes of
JSON, then each tensor whose ``parameters.binary_data_size`` is set, in order, little-endian,
a BYTES element as a 4-byte length then its bytes), model configuration and statistics.
tritonclient's HTTP client sends binary tensors and asks for binary outputs unless told otherwise.

A tensor's ``data`` may be flat or nested (row-major, as the protocol allows) but not nested deeper
than its ``shape`` has dimensions; its element count must be the product of its ``shape``. Each
input tensor is one field of the rides (named as the model's metadata lists its inputs), one
element per ride: shape ``[n]`` or ``[n, 1]``. A whole feature row as one tensor (``[1, 14]``, as
a tensor-in/tensor-out model would take it) is refused with the form this model takes. Errors
name the tensor (``inputs[2]``) and the element, and say what to send instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlops_tui import strict_json
from mlops_tui.platform.serving.errors import HttpError

OUTPUT = "duration_seconds"
MAX_NAME = 64  # characters of a tensor name (a ride's field name is at most 64: features.MAX_FIELD_NAME)

#: Datatypes of the protocol (``required_api.md``, "Tensor Data Types") and their little-endian
#: layout in the binary extension; BYTES is length-prefixed.
NUMPY = {
    "BOOL": np.dtype("?"),
    "UINT8": np.dtype("<u1"),
    "UINT16": np.dtype("<u2"),
    "UINT32": np.dtype("<u4"),
    "UINT64": np.dtype("<u8"),
    "INT8": np.dtype("<i1"),
    "INT16": np.dtype("<i2"),
    "INT32": np.dtype("<i4"),
    "INT64": np.dtype("<i8"),
    "FP16": np.dtype("<f2"),
    "FP32": np.dtype("<f4"),
    "FP64": np.dtype("<f8"),
}
DATATYPES = (*NUMPY, "BYTES")
#: The keys of an inference request and of its input tensors (``required_api.md``, "Inference
#: Request JSON Object"); another key is ignored with a warning
REQUEST_KEYS = ("id", "parameters", "inputs", "outputs")
TENSOR_KEYS = ("name", "shape", "datatype", "parameters", "data")
_END = object()


@dataclass
class InferRequest:
    """A decoded ``/infer`` request: one column of values per input tensor, in request order."""

    id: str | None
    names: list[str]
    columns: list[list[Any]]
    rows: int
    binary_output: bool
    ignored: list[str] = field(default_factory=list)  # warnings: keys the protocol does not define

    def records(self) -> list[dict[str, Any]]:
        """One ride per element: ``{tensor name: element}``."""
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in zip(*self.columns, strict=True)]

    def where(self, field: str, index: int | None, message: str) -> HttpError:
        """A scorer's error about ``field`` of ride ``index``, named by tensor and element."""
        if field in self.names:
            t = self.names.index(field)
            element = index or 0
            plain = message.removeprefix(f"record {element}: ")
            return HttpError(
                422, f"inputs[{t}] ({field}) element {element}: {plain}", f"inputs[{t}].data[{element}]"
            )
        return HttpError(422, f"inputs: {message} (one named tensor per field)", "inputs")


@dataclass(frozen=True)
class Expected:
    """What the model takes, for refusals that say what to send: its name and its inputs as its
    metadata (``GET /v2/models/<model>``) lists them (``{name, datatype, shape}``)."""

    model: str = "<model>"
    inputs: Sequence[Mapping[str, Any]] = ()

    @property
    def names(self) -> list[str]:
        return [str(f["name"]) for f in self.inputs]

    def form(self) -> str:
        """``send one tensor per input field, as GET /v2/models/m lists them, each with one element
        per ride (shape [n]), e.g. {"name": "work", …} and {"name": "start_latitude", …}``."""
        text = (
            f"send one named tensor per input field, as GET /v2/models/{self.model} lists them, "
            "each with one element per ride (shape [n])"
        )
        examples = [
            strict_json.dumps(
                {"name": f["name"], "datatype": f.get("datatype", "BYTES"), "shape": [1], "data": ["…"]}
            ).decode()
            for f in self.inputs[:2]
        ]
        return text + (f", e.g. {' and '.join(examples)}" if examples else "")


def parse_request(
    body: bytes, header_length: int | None, max_rows: int, expected: Expected | None = None
) -> InferRequest:
    """Decode an infer request (JSON, or JSON plus binary tensors); HttpError 400 naming what is
    wrong and, from ``expected``, what to send instead."""
    expected = expected or Expected()
    if header_length is not None:
        if not 0 < header_length <= len(body):
            raise HttpError(
                400,
                f"Inference-Header-Content-Length is {header_length} but the body holds {len(body)} bytes",
                "Inference-Header-Content-Length",
            )
        head = strict_json.loads(body[:header_length], "the JSON part of the request")
        binary = memoryview(body)[header_length:]
    else:
        head, binary = strict_json.loads(body), memoryview(b"")
    if not isinstance(head, dict):
        raise HttpError(400, f"the request must be a JSON object with inputs: {expected.form()}", "body")
    inputs = head.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise HttpError(
            400,
            f"inputs must be a non-empty list of tensors {{name, datatype, shape, data}}: {expected.form()}",
            "inputs",
        )
    names: list[str] = []
    columns: list[list[Any]] = []
    offset = 0
    for i, tensor in enumerate(inputs):
        name, count = _header(tensor, i, names, max_rows, expected)
        size = (tensor.get("parameters") or {}).get("binary_data_size")
        if size is not None:
            if "data" in tensor:
                raise HttpError(
                    400,
                    f"inputs[{i}] has both data and binary_data_size; send one: JSON data, or "
                    "binary_data_size and its bytes after the JSON",
                    f"inputs[{i}]",
                )
            if not isinstance(size, int) or isinstance(size, bool) or size < 0 or offset + size > len(binary):
                raise HttpError(
                    400,
                    f"inputs[{i}]: binary_data_size {size!r} does not fit the {len(binary) - offset} bytes "
                    "of binary data left",
                    f"inputs[{i}].parameters.binary_data_size",
                )
            values = _decode(binary[offset : offset + size], tensor["datatype"], count, i)
            offset += size
        else:
            if "data" not in tensor:
                raise HttpError(
                    400,
                    f"inputs[{i}] has no data (nor binary_data_size); add its data, "
                    '"data": [value] for one ride',
                    f"inputs[{i}].data",
                )
            values = _flatten(tensor["data"], tensor["shape"], count, i)
        names.append(name)
        columns.append(values)
    if offset != len(binary):
        raise HttpError(
            400,
            f"{len(binary) - offset} bytes of binary data follow the tensors that claim them",
            "Inference-Header-Content-Length",
        )
    rows = {len(c) for c in columns}
    if len(rows) != 1:
        counts = ", ".join(f"{n} {len(c)}" for n, c in zip(names, columns, strict=True))
        raise HttpError(
            400,
            f"every input tensor must hold one element per ride (the same count); got {counts}",
            "inputs",
        )
    n = rows.pop()
    if n == 0:
        raise HttpError(400, "the input tensors are empty: send at least one ride (shape [1])", "inputs")
    request_id = head.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise HttpError(400, "id must be a string", "id")
    return InferRequest(request_id, names, columns, n, _binary_output(head), _ignored(head, inputs))


def _ignored(head: dict[str, Any], inputs: list[dict[str, Any]]) -> list[str]:
    """Warnings for the keys of the request and of its tensors the protocol does not define: the
    first `strict_json.MAX_IGNORED` named (a long key shortened), the rest counted."""
    extra = [(-1, key) for key in head if key not in REQUEST_KEYS]
    extra += [(i, key) for i, tensor in enumerate(inputs) for key in tensor if key not in TENSOR_KEYS]
    if not extra:
        return []
    ignored = [
        f"{strict_json.shown_key(key)!r} ignored: not a key of an inference request"
        if i < 0
        else f"inputs[{i}].{strict_json.shown_key(key)} ignored: not a key of a tensor"
        for i, key in extra[: strict_json.MAX_IGNORED]
    ]
    if len(extra) > strict_json.MAX_IGNORED:
        ignored.append(
            f"… and {len(extra) - strict_json.MAX_IGNORED} more keys ignored: not keys of an inference "
            "request or of its tensors"
        )
    return ignored


def _header(tensor: Any, i: int, names: list[str], max_rows: int, expected: Expected) -> tuple[str, int]:
    """A tensor's name and element count, after checking its name, datatype and shape (one field,
    one element per ride: ``[n]`` or ``[n, 1, …]``)."""
    if not isinstance(tensor, dict):
        raise HttpError(
            400,
            f"inputs[{i}] must be an object {{name, datatype, shape, data}}: {expected.form()}",
            f"inputs[{i}]",
        )
    name = tensor.get("name")
    if not isinstance(name, str) or not name or len(name) > MAX_NAME:
        raise HttpError(
            400,
            f"inputs[{i}].name must be a field name of 1-{MAX_NAME} characters: {expected.form()}",
            f"inputs[{i}].name",
        )
    if name in names:
        raise HttpError(
            400,
            f"inputs[{i}]: a second tensor named {name}; send each field once, its rides in one tensor",
            f"inputs[{i}].name",
        )
    datatype = tensor.get("datatype")
    if datatype not in DATATYPES:
        raise HttpError(
            400, f"inputs[{i}].datatype must be one of {', '.join(DATATYPES)}", f"inputs[{i}].datatype"
        )
    shape = tensor.get("shape")
    if (
        not isinstance(shape, list)
        or not shape
        or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
    ):
        raise HttpError(
            400, f"inputs[{i}].shape must be a list of sizes, e.g. [1] for one ride", f"inputs[{i}].shape"
        )
    if math.prod(shape[1:]) != 1:
        raise HttpError(
            400,
            f"inputs[{i}] ({name}) has shape {_dims(shape)}: this model takes no feature row as one tensor; "
            f"{expected.form()}",
            f"inputs[{i}].shape",
        )
    count = math.prod(shape)
    if count > max_rows:
        raise HttpError(
            422, f"inputs[{i}] holds {count} elements: at most {max_rows} rides per request", f"inputs[{i}]"
        )
    return name, count


def _dims(shape: Sequence[int]) -> str:
    """A shape as a message shows it: whole up to 8 dimensions, else its first 6 and how many (data
    nested 900 levels was named by 2,835 characters)."""
    if len(shape) <= 8:
        return "[" + ", ".join(str(d) for d in shape) + "]"
    return "[" + ", ".join(str(d) for d in shape[:6]) + f", … ({len(shape)} dimensions)]"


def _nesting(data: list[Any]) -> list[int]:
    """The shape JSON ``data`` is nested as, along its deepest list: ``[[68]]`` → [1, 1],
    ``[68, [1, 2]]`` → [2, 2]."""
    deepest: list[int] = []
    pending: list[tuple[Any, list[int]]] = [(data, [])]
    while pending:
        value, above = pending.pop()
        if isinstance(value, list):
            dims = [*above, len(value)]
            if len(dims) > len(deepest):
                deepest = dims
            pending.extend((v, dims) for v in value if isinstance(v, list))
    return deepest


def _flatten(data: Any, shape: Sequence[int], count: int, i: int) -> list[Any]:
    """JSON tensor data, nested or not, in row-major order; its length must be ``count``. Data nested
    deeper than ``shape`` has dimensions is refused (a ``[1]`` tensor sent as ``[[68]]``): flattening
    it would read a tensor the client did not declare."""
    if not isinstance(data, list):
        data = [data]
    nested = _nesting(data)
    if len(nested) > len(shape):
        raise HttpError(
            400,
            f"inputs[{i}]: its shape is declared {_dims(shape)} but its data is nested as {_dims(nested)}; "
            f"send the data flat ({_dims([count])} elements) or declare the shape it is nested as",
            f"inputs[{i}].data",
        )
    if any(isinstance(v, list) for v in data):
        flat: list[Any] = []
        pending = [iter(data)]
        while pending and len(flat) <= count:
            v = next(pending[-1], _END)
            if v is _END:
                pending.pop()
            elif isinstance(v, list):
                pending.append(iter(v))
            else:
                flat.append(v)
        data = flat
    if len(data) != count:
        raise HttpError(
            400,
            f"inputs[{i}]: its shape holds {count} element{'s' * (count != 1)} but its data "
            f"{'has more' if len(data) > count else f'has {len(data)}'}; declare the shape [number of rides]",
            f"inputs[{i}]",
        )
    return data


def _decode(raw: memoryview, datatype: str, count: int, i: int) -> list[Any]:
    """Binary tensor data (little-endian; BYTES as 4-byte length + bytes) as Python values."""
    if datatype == "BYTES":
        out: list[Any] = []
        pos = 0
        while pos < len(raw):
            if pos + 4 > len(raw):
                raise HttpError(400, f"inputs[{i}]: a BYTES element is cut short", f"inputs[{i}]")
            size = int.from_bytes(raw[pos : pos + 4], "little")
            element = bytes(raw[pos + 4 : pos + 4 + size])
            if len(element) != size:
                raise HttpError(400, f"inputs[{i}]: a BYTES element is cut short", f"inputs[{i}]")
            try:
                out.append(element.decode())
            except UnicodeDecodeError:
                raise HttpError(
                    400, f"inputs[{i}]: element {len(out)} is not UTF-8 text", f"inputs[{i}]"
                ) from None
            pos += 4 + size
            if len(out) > count:
                break
    else:
        dtype = NUMPY[datatype]
        if len(raw) != count * dtype.itemsize:
            raise HttpError(
                400,
                f"inputs[{i}]: {count} {datatype} elements take {count * dtype.itemsize} bytes, "
                f"binary_data_size is {len(raw)}; set binary_data_size to the bytes of this tensor",
                f"inputs[{i}]",
            )
        out = np.frombuffer(raw, dtype=dtype).tolist()
    if len(out) != count:
        raise HttpError(
            400,
            f"inputs[{i}]: its shape holds {count} elements but its data has {len(out)}; declare the "
            "shape [number of rides]",
            f"inputs[{i}]",
        )
    return out


def _binary_output(head: dict[str, Any]) -> bool:
    """Whether the answer carries its output as binary data (``binary_data_output`` for all
    outputs, or ``binary_data`` on the one output asked for by name)."""
    params = head.get("parameters") or {}
    if not isinstance(params, dict):
        raise HttpError(400, 'parameters must be an object, e.g. {"binary_data_output": true}', "parameters")
    outputs = head.get("outputs")
    binary = params.get("binary_data_output") is True
    if outputs is None:
        return binary
    if not isinstance(outputs, list):
        raise HttpError(400, f'outputs must be a list of {{name}}, e.g. [{{"name": "{OUTPUT}"}}]', "outputs")
    for j, out in enumerate(outputs):
        if not isinstance(out, dict) or out.get("name") != OUTPUT:
            raise HttpError(
                400, f"outputs[{j}].name: this model has one output, {OUTPUT}", f"outputs[{j}].name"
            )
        binary = binary or (out.get("parameters") or {}).get("binary_data") is True
    return binary


def response(
    model: str, version: str, request_id: str, values: list[float], warnings: list[str], binary: bool
) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The infer answer's body and headers (JSON, or JSON then the FP64 output as binary data)."""
    output: dict[str, Any] = {"name": OUTPUT, "datatype": "FP64", "shape": [len(values)]}
    raw = b""
    if binary:
        raw = np.asarray(values, dtype="<f8").tobytes()
        output["parameters"] = {"binary_data_size": len(raw)}
    else:
        output["data"] = values
    doc: dict[str, Any] = {
        "model_name": model,
        "model_version": version,
        "id": request_id,
        "outputs": [output],
    }
    if warnings:
        doc["parameters"] = {"warnings": warnings}
    head = strict_json.dumps(doc)
    if not binary:
        return head, [(b"content-type", b"application/json")]
    return head + raw, [
        (b"content-type", b"application/octet-stream"),
        (b"inference-header-content-length", str(len(head)).encode()),
    ]
