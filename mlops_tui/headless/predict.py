"""``mlops-tui predict``: one ride, from flags or JSON, scored by a deployment; ``mlops-tui zones``.

Flags make a raw ride (``pickup_datetime``, zones or coordinates, distance, passengers) that the
deployment turns into features itself. Zones are read by the one zone resolver and ``--when`` by
the one date reader, as in the guide and the Predict form (``--when 'tomorrow 8am'``,
``--pickup-zone laguardia``); the ride is printed in words before it is sent. ``--example`` is
the workshop's ride (``lab_scripts/workshop_ride.py``), ``--json``/``--json-file`` send the object
as given (the workshop's ``scoring_args`` or a raw ride).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from mlops_tui import strict_json
from mlops_tui.assistant import workshop as ws
from mlops_tui.headless.common import connect, out
from mlops_tui.services import errors
from mlops_tui.services.errors import InvalidInput


def read_when(text: str | None, today: date | None = None) -> tuple[str, tuple[str, ...]]:
    """``--when`` as ISO 8601 and the notes on how it was read (the workshop's time when absent)."""
    from mlops_tui.assistant.when import DEFAULT_WHEN, WhenError
    from mlops_tui.assistant.when import read_when as read

    try:
        when = read(text or "", today=today, default=DEFAULT_WHEN)
    except WhenError as exc:
        raise InvalidInput(f"--when: {exc}", field="when") from None
    return when.iso(), when.notes


def _zone(end: str, value: str) -> int:
    """A zone id or name, read by the one resolver in the app's zone table (``taxi_zones``)."""
    from mlops_tui.lab_scripts.places import resolve_zone
    from mlops_tui.services.taxi_zones import zone_table

    try:
        return resolve_zone(zone_table(), value).location_id
    except LookupError as exc:
        hint = str(getattr(exc, "hint", "")).replace("`zones ", "`mlops-tui zones ")
        message = f"{end}_zone: {exc}"  # (place_problem's hint names the guide's command)
        raise InvalidInput(message + (f", {hint}" if hint else ""), field=f"{end}_zone") from None


def build_record(args: Any) -> dict[str, Any]:
    """The request record from the command's flags (``--json``/``--json-file`` win)."""
    if args.json is not None or args.json_file is not None:
        try:
            # bytes: strict_json names a file that is not UTF-8 (PowerShell 5 writes UTF-16)
            raw = Path(args.json_file).read_bytes() if args.json_file else args.json
        except OSError as exc:
            raise InvalidInput(f"cannot read {args.json_file}: {exc.strerror}", field="json-file") from None
        option = "json-file" if args.json_file else "json"
        try:
            data = strict_json.loads(
                raw, f"{args.json_file}" if args.json_file else "the JSON", decompresses=False
            )
        except strict_json.JsonRefused as exc:  # NaN, a key twice, UTF-16 …: named
            field = option if exc.field == "body" else f"{option}.{exc.field}"
            raise InvalidInput(f"--{option}: {exc.message}", field=field) from None
        if isinstance(data, dict) and "scoring_args" in data:
            data = data["scoring_args"]  # a whole workshop body was given
            if isinstance(data, str):  # its ride as JSON text, as the workshop's server takes it
                try:
                    data = strict_json.loads(data, "scoring_args (a string)", "scoring_args")
                except strict_json.JsonRefused as exc:
                    raise InvalidInput(f"--{option}: {exc.message}", field=f"{option}.{exc.field}") from None
        if not isinstance(data, dict):
            raise InvalidInput(f"--{option}: the JSON must be one object: the ride's fields", field=option)
        return data
    if args.example:
        return dict(ws.EXAMPLE_SCORING_ARGS)
    when, _ = read_when(args.when)
    record: dict[str, Any] = {"pickup_datetime": when}
    for end in ("pickup", "dropoff"):
        zone, lat, lon = (getattr(args, f"{end}_{k}") for k in ("zone", "lat", "lon"))
        if lat is not None or lon is not None:
            record[f"{end}_lat"], record[f"{end}_lon"] = lat, lon
        elif zone is not None:
            record[f"{end}_zone"] = _zone(end, zone)
        else:
            raise InvalidInput(
                f"give the {end} place: --{end}-zone (id or name) or --{end}-lat/--{end}-lon",
                field=f"{end}_zone",
            )
    if args.distance is not None:
        record["distance"] = args.distance
    if args.passengers is not None:
        record["passengers"] = args.passengers
    return record


def describe(args: Any, record: dict[str, Any]) -> list[str]:
    """The ride in words, as it will be sent (and how the time was read)."""
    if args.json is not None or args.json_file is not None:
        return [f"ride: {json.dumps(record)}"]
    if args.example:
        return [f"ride: the workshop's, {ws.EXAMPLE_RIDE_TEXT}"]
    from mlops_tui.assistant.rides import describe_record
    from mlops_tui.services.taxi_zones import zone_table

    lines = [f"ride: {describe_record(record, zone_table())}"]
    _, notes = read_when(args.when)
    if record.get("distance") is None:
        notes = (*notes, "distance: estimated by the deployment from the places")
    if notes:
        lines.append("read as: " + "; ".join(notes))
    return lines


async def run(args: Any) -> int:
    record = build_record(args)
    conn = connect(args.profile)
    p = conn.platform
    try:
        deployment = args.deployment or ws.deployment_name(conn.resolved.user)
        if args.output != "json":
            for line in describe(args, record):  # before sending: what is asked
                out(line)
        try:
            prediction = await p.predict(deployment, [record])
        except errors.NotFound as exc:
            if args.deployment:  # a name the person gave: the platform's words ("check the name")
                raise
            raise errors.NotFound(  # the default one, not made yet: say which lab makes it
                f"there is no deployment {deployment} yet",
                hint="Lab 4 deploys the model: mlops-tui lab run, or the guide's Lab 4 in mlops-tui; "
                "--deployment NAME asks another",
            ) from exc
        if args.output == "json":
            out(strict_json.dumps(prediction.response, indent=True).decode())  # never NaN
            return 0
        for warning in prediction.warnings:
            out(f"warning: {warning}")
        out(
            f"predicted travel time: {ws.format_seconds(prediction.value)} ({prediction.value:.1f} s)  "
            f"latency {prediction.latency_ms:.1f} ms  [{deployment}]"
        )
        if args.curl:
            try:
                curl = p.equivalent("predict", deployment=deployment, records=[record], reveal=True)
            except TypeError:
                curl = p.equivalent("predict", deployment=deployment, records=[record])
            out("# the same request with curl (asked for with --curl: it holds the deployment's auth token)")
            out(curl)
        return 0
    finally:
        await p.aclose()


def zones(words: list[str]) -> int:
    """``mlops-tui zones penn``: the zones a text matches, best first, with their ids."""
    from mlops_tui.services.taxi_zones import zone_table

    text = " ".join(words)
    found = zone_table().find(text, limit=12)
    if not found:
        out(f"No taxi zone matches '{text}'.")
        return 1
    for zone in found:
        out(f"{zone.location_id:>5}  {zone.zone} ({zone.borough})")
    return 0
