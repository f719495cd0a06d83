"""The workshop's rides decoded from JSON straight into typed records (msgspec), for the common case.

Why: a batch of the workshop's rides (its 14 fields, every value a number: the form the workshop's
notebook sends, and the guide's Lab 5 and its printed curl) was parsed by orjson into dicts, then its values
were taken out of the dicts and their types checked one by one before numpy saw them: for 100 rides
about 50 µs of parsing and 55 µs of taking and checking, a third of a prediction server's time on
such a request (benchmarks/serving.py, issue 10: "at least the bare floor's rows per second at 100
rows"). msgspec checks the types while it parses (its documented strict mode: a boolean, a text or a
null is not a number) and makes one small record per ride instead of a dict: the same 100 rides in
about 28 µs, and their matrix in 26 µs more (measured on this project's host, 2 CPUs).

What it accepts is exactly a subset of what the JSON path accepts, read to the same values:

- a ride with exactly the fields of `features.WORKSHOP_COLUMNS`, no other (`forbid_unknown_fields`);
- every value an integer or a float; integers of 64 bits, signed (the bounds msgspec checks; orjson
  reads integers to 2**64-1 and a longer one as a float, so no integer is read to another value
  here), floats within a double (beyond, both refuse it);

anything else fails to decode (``msgspec.ValidationError`` or ``DecodeError``), and the caller then
parses the text as plain JSON and validates it by `columnar` and `features.parse_record`, which
name what is wrong. The rules on the values (ranges, whole numbers, months) are not here: they are
`columnar`'s and `features`', applied to the matrix (`records_to_matrix`).

msgspec is optional: without it :data:`WorkshopRide` is None and every request takes the JSON path.
"""

from __future__ import annotations

from typing import Annotated, Any

from .features import WORKSHOP_COLUMNS

try:
    import msgspec
except ImportError:  # (an environment without it: the JSON path serves every request)
    msgspec = None  # type: ignore[assignment]

WorkshopRide: Any = None
if msgspec is not None:
    _Integer = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
    # gc=False: a record of numbers holds no reference the garbage collector needs to follow
    WorkshopRide = msgspec.defstruct(
        "WorkshopRide",
        [(name, _Integer | float) for name in WORKSHOP_COLUMNS],
        forbid_unknown_fields=True,
        gc=False,
    )


def is_ride(item: Any) -> bool:
    """Whether ``item`` is one :data:`WorkshopRide` record."""
    return WorkshopRide is not None and type(item) is WorkshopRide


def is_rides(items: Any) -> bool:
    """Whether ``items`` is a non-empty list of :data:`WorkshopRide` records, every one."""
    return WorkshopRide is not None and bool(items) and set(map(type, items)) == {WorkshopRide}


def as_dict(ride: Any) -> dict[str, Any]:
    """A ride as the JSON path reads it (a dict of its fields, in `WORKSHOP_COLUMNS` order)."""
    return msgspec.structs.asdict(ride)


def values(rides: list[Any]) -> list[tuple[Any, ...]]:
    """Each ride's values (a tuple in `WORKSHOP_COLUMNS` order, its numbers as decoded)."""
    return [msgspec.structs.astuple(r) for r in rides]


def matrix(rides: list[Any]) -> Any:
    """The rides' values (n x 14, float64, columns in `WORKSHOP_COLUMNS` order)."""
    from itertools import chain

    import numpy as np

    width = len(WORKSHOP_COLUMNS)
    values = chain.from_iterable(map(msgspec.structs.astuple, rides))
    return np.fromiter(values, np.float64, len(rides) * width).reshape(len(rides), width)
