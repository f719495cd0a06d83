"""``mlops-tui predict``: one ride, from flags or JSON, scored by a deployment.

Flags make a raw ride (``pickup_datetime``, zones or coordinates, distance, passengers) that the
deployment turns into features itself; ``--json``/``--json-file`` send the object as given (the
workshop's ``scoring_args`` or a raw ride). Zone names are resolved by the deployment, so a wrong
name comes back as a 4xx naming the field.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from mlops_tui import strict_json
from mlops_tui.assistant import workshop as ws
from mlops_tui.headless.common import connect, out
from mlops_tui.services.errors import InvalidInput

MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        1,
    )
    for m in names
}
DAYS = {
    d: i
    for i, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for d in names
}
BASE_YEAR = 2019  # the year of the training data (January-June)


def parse_when(text: str) -> datetime:
    """ISO 8601 (``2019-02-12T09:00``) or words: ``weekday 9am``, ``saturday 17:30 march``,
    ``weekend 11pm``. Missing parts default to a weekday in February 2019 at 9:00, like the
    workshop's example; the day is the first matching day of that month."""
    text = text.strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    hour, minute, month, wanted = 9, 0, 2, {0, 1, 2, 3, 4}
    words = re.findall(r"[a-z]+|\d{1,2}(?::\d{2})?\s*(?:am|pm)?|\d+", text.lower())
    if not words:
        raise InvalidInput(f"cannot read the time {text!r}", field="when")
    for word in words:
        m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", word)
        if m:
            hour, minute = int(m.group(1)), int(m.group(2) or 0)
            if m.group(3) == "pm" and hour < 12:
                hour += 12
            elif m.group(3) == "am" and hour == 12:
                hour = 0
            if not (0 <= hour <= 23 and 0 <= minute <= 59):
                raise InvalidInput(f"{word!r} is not a time of day", field="when")
        elif word in ("am", "pm", "at", "in", "on", "a"):
            continue
        elif word == "weekday":
            wanted = {0, 1, 2, 3, 4}
        elif word == "weekend":
            wanted = {5, 6}
        elif word in DAYS:
            wanted = {DAYS[word]}
        elif word in MONTHS:
            month = MONTHS[word]
        elif word in ("noon", "midday"):
            hour, minute = 12, 0
        elif word == "midnight":
            hour, minute = 0, 0
        else:
            raise InvalidInput(
                f"cannot read {word!r} in the time {text!r}: use ISO 8601 or e.g. 'weekday 9am february'",
                field="when",
            )
    day = date(BASE_YEAR, month, 1)
    while day.weekday() not in wanted:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute)


def _zone(value: str) -> int | str:
    return int(value) if value.strip().isdigit() else value.strip()


def build_record(args: Any) -> dict[str, Any]:
    """The request record from the command's flags (``--json``/``--json-file`` win)."""
    if args.json is not None or args.json_file is not None:
        try:
            raw = Path(args.json_file).read_text(encoding="utf-8") if args.json_file else args.json
        except OSError as exc:
            raise InvalidInput(f"cannot read {args.json_file}: {exc.strerror}", field="json-file") from None
        try:
            data = strict_json.loads(raw, "the JSON")
        except strict_json.JsonRefused as exc:  # NaN, Infinity, a number beyond a float: named
            field = "json" if exc.field == "body" else f"json.{exc.field}"
            raise InvalidInput(f"--json: {exc.message}", field=field) from None
        if isinstance(data, dict) and "scoring_args" in data:
            data = data["scoring_args"]  # a whole workshop body was given
        if not isinstance(data, dict):
            raise InvalidInput("the JSON must be one object: the ride's fields", field="json")
        return data
    if args.example:
        return dict(ws.EXAMPLE_SCORING_ARGS)
    record: dict[str, Any] = {"pickup_datetime": parse_when(args.when or "weekday 9am february").isoformat()}
    for end in ("pickup", "dropoff"):
        zone, lat, lon = (getattr(args, f"{end}_{k}") for k in ("zone", "lat", "lon"))
        if lat is not None or lon is not None:
            record[f"{end}_lat"], record[f"{end}_lon"] = lat, lon
        elif zone is not None:
            record[f"{end}_zone"] = _zone(zone)
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


async def run(args: Any) -> int:
    record = build_record(args)
    conn = connect(args.profile)
    p = conn.platform
    try:
        deployment = args.deployment or ws.deployment_name(conn.resolved.user)
        prediction = await p.predict(deployment, [record])
        if args.output == "json":
            out(strict_json.dumps(prediction.response, indent=True).decode())  # never NaN
            return 0
        out(f"ride: {json.dumps(record)}")
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
