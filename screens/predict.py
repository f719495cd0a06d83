"""Predict: a form generated from the model's input schema, validated before it is sent.

The form comes from the deployed version's ``input_schema`` (the bundle's manifest) or, failing
that, ``lab_scripts.features.INPUT_SCHEMA``; zone fields become type-to-filter pickers over the
zone table, read by the one zone resolver (``lab_scripts.places``: ``laguardia`` or ``230`` are
enough; tab takes the highlighted match). The date field reads words and numbers with the one
date reader (``assistant.when``: ``tomorrow 8am``, ``15/03/2019 09:00``) and shows how it read
them before anything is sent. It is prefilled with the workshop's ride (``workshop_ride``), at its
exact points, so its answer is the guide's; a distance the person did not type is re-estimated
when the zones change. Before sending, the record goes through the same ``parse_record`` the
prediction server uses, so a bad field is named here rather than by a 4xx. The answer shows the
travel time in minutes and seconds, the latency, and the request and response; ``y`` copies it as
curl. The Send button stays visible at any size (ctrl+s sends from anywhere).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from rich.json import JSON
from rich.text import Text
from textual import events, on, work
from textual.actions import SkipAction
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Collapsible, Input, Label, Static

from mlops_tui.assistant import workshop as ws
from mlops_tui.services import errors
from mlops_tui.services.terminal_text import plain
from mlops_tui.services.types import Deployment, Prediction
from mlops_tui.terminal import Tone, tone_style
from mlops_tui.widgets.format import duration
from mlops_tui.widgets.picker import Picker
from mlops_tui.widgets.safe_text import outside, outside_markup
from mlops_tui.widgets.select import SafeSelect

from .base import BaseScreen, guarded

ADVANCED = ("pickup_lat", "pickup_lon", "dropoff_lat", "dropoff_lon")
FIRST = ("pickup_zone", "dropoff_zone", "pickup_datetime", "distance")  # a ride: from, to, when, how far
ENDS = {"pickup_zone": ("pickup_lat", "pickup_lon"), "dropoff_zone": ("dropoff_lat", "dropoff_lon")}
# the form's border subtitle: the send key, then how good the zone centroids behind the distance
# estimates are (kept short: the form is 44 columns wide at 80x24)
SEND_HINT = "ctrl+s sends"


def _load_schema_and_zones() -> tuple[dict[str, Any], Any]:
    """Blocking (reads the zone table): run in a thread. The zone table is the fetched one (real
    centroids) when there is one, else the built-in approximate one. The date reader is not warmed
    up here: the prefilled ride's date is in numbers, and dateparser would stay loaded (about 8 MB)
    in a TUI left open for hours; it is warmed up when the date field is focused."""
    from mlops_tui.lab_scripts import features

    from mlops_tui.services import taxi_zones

    return features.INPUT_SCHEMA, taxi_zones.zone_table()


def prefill(schema: dict[str, Any]) -> dict[str, Any]:
    """The form's first values: the workshop's ride where the schema has the field (one story with
    the guide's Lab 5), else the schema's own example."""
    from mlops_tui.lab_scripts import workshop_ride

    names = {f.get("name") for f in schema.get("fields", []) if isinstance(f, dict)}
    values = {
        **(schema.get("example") or {}),
        **{k: v for k, v in workshop_ride.RECORD.items() if k in names},
    }
    if isinstance(values.get("pickup_datetime"), str):
        values["pickup_datetime"] = values["pickup_datetime"].replace("T", " ")[:16]
    return values


def check_field(spec: dict[str, Any], raw: str, today: date | None = None) -> tuple[Any, str | None]:
    """``(value, problem)`` for one field's text according to its schema entry (a date-time in
    words or numbers, read by ``assistant.when`` relative to ``today``)."""
    text = raw.strip()
    if not text:
        if spec.get("required"):
            return None, "required"
        return None, None
    kind = spec.get("type")
    if kind in ("number", "integer"):
        try:
            value: Any = int(text) if kind == "integer" else float(text)
        except ValueError:
            return None, "a whole number" if kind == "integer" else "a number"
        low, high = spec.get("min"), spec.get("max")
        if low is not None and (value < low or (spec.get("exclusive") and value == low)):
            return None, f"more than {low}" if spec.get("exclusive") else f"at least {low}"
        if high is not None and value > high:
            return None, f"at most {high}"
        return value, None
    if spec.get("format") == "date-time":
        from mlops_tui.assistant.when import WhenError, read_when

        try:
            return read_when(text, today=today).iso(), None
        except WhenError as exc:
            return None, str(exc)
    return text, None


class PredictScreen(BaseScreen):
    MODE = "predict"
    TITLE_TEXT = "Predict"
    CSS_PATH = "predict.tcss"
    HELP = (
        "Ask a deployed model for the travel time of a taxi ride. The form is generated from the "
        "model's input schema and starts with the workshop's ride (the guide's Lab 5); [b]tab[/b] goes "
        "to its first field, and a letter typed first starts the pickup zone (the screen keys 1-8, : "
        "and ? still act until a field has the focus). Zone fields "
        "are pickers: type part of a name, a landmark such as 'Centre Market', or an id; tab takes "
        "the highlighted match and moves on (↑/↓ choose another). The date takes words or numbers "
        "(tomorrow 8am, friday 5pm, 15/03/2019 09:00) and shows how it was read. A distance you do "
        "not type is estimated from the zones. Every field is checked with the same code the "
        "prediction server runs before anything is sent.\n"
        "[b]ctrl+s[/b] (or enter) sends; [b]y[/b] copies the request as a curl command that runs as "
        "pasted (it contains the deployment's auth token) through OSC 52."
    )
    TYPES_AHEAD = True  # a zone typed on arrival goes to "from" (base.py)
    # Send from the first frame: Textual's default ("*") focused the scrolling form while the
    # schema loaded, and a tab then went to the Deployment select
    AUTO_FOCUS = "#send"
    COMMAND_PANE_KEYS = (":cmd", "^y")  # c and y type into the form there
    BINDINGS = [
        Binding("ctrl+s", "send", "Send", priority=True),
        Binding("c", "toggle_commands", "Cmd", show=False),  # (typed into the form: :cmd expands)
        Binding("ctrl+y", "copy_curl", "Copy curl", key_display="^y", priority=True),
        # In the form, tab and shift+tab move as the key arrives, so what is typed next lands in the
        # next field even when the last one has not caught up (see Picker.action_accept_next).
        Binding("shift+tab", "form_focus(-1)", show=False, priority=True),
        Binding("tab", "form_focus(1)", show=False, priority=True),
    ]

    def action_form_focus(self, step: int) -> None:
        form = self.query_one("#predict-form-box")
        if self.focused is None or form not in self.focused.ancestors:
            raise SkipAction()  # elsewhere (the : command line completes with tab): as usual
        first = self._first_field()
        if step > 0 and self.focused.id == "send":
            if first is None:  # still loading: the first field takes the focus when it appears
                self._tab_pending = True
            else:  # where the screen starts: tab goes to the ride's first field
                first.input.focus()
            return
        picker = next((p for p in self.focused.ancestors if isinstance(p, Picker)), None)
        if step > 0 and picker is not None:
            picker.action_accept_next()
        elif step > 0:
            self.focus_next()
        else:
            self.focus_previous()

    def __init__(self) -> None:
        super().__init__()
        self.schema: dict[str, Any] | None = None
        self.zones: Any = None
        self.fields: list[dict[str, Any]] = []
        self.last_record: dict[str, Any] | None = None
        self.last_deployment: str | None = None
        self._deployments_shown: list[str] = []
        # (user, role, names) the choice was last made for: a new person (login as someone else,
        # a session that now says who it is) makes the choice again
        self._chosen_for: tuple[str, str, tuple[str, ...]] | None = None
        self._auto_value: str | None = None  # what the screen itself put in the select
        self._by_hand: str | None = None  # a deployment the person picked: kept while it is listed
        self._picked_for = ""  # the last user known (a pick by hand is theirs)
        self.form_ready = False
        # where the distance came from: "example" (the workshop ride's), "estimated" (from the zones)
        # or "typed" (by the person: never estimated over)
        self._distance_from = "example"
        self._distance_set: str | None = None  # the distance the form itself put in the field
        self._asked = False  # a prediction was sent: the result pane is no longer for hints
        self._tab_pending = False  # tab pressed on Send before the form was built

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="predict-body"):
            with Vertical(id="predict-form-box") as box:
                box.border_title = "Ride"
                box.border_subtitle = SEND_HINT
                with VerticalScroll(id="predict-form"):
                    with Horizontal(id="dep-row"):
                        yield Label("Deployment", classes="field-label")
                        yield SafeSelect(
                            [],
                            prompt="no ready deployment yet",
                            id="f-deployment",
                            allow_blank=True,
                            compact=True,
                        )
                    yield Static("loading the input schema…", id="form-loading")
                    yield Static("", id="ride-note")
                    yield Vertical(id="form-fields")
                # outside the scroll: visible at any size and with the coordinates expanded
                yield Button("Send (ctrl+s)", id="send", variant="primary", compact=True)
            with VerticalScroll(id="predict-result") as result:
                result.border_title = "Result"
                yield Static("Fill in the ride and press ctrl+s.", id="result-value")
                yield Static("", id="result-meta")
                yield Static("", id="result-request")
                yield Static("", id="result-response")

    def type_ahead_field(self) -> Input | None:
        first = self._first_field()
        return first.input if first is not None else None

    def _first_field(self) -> Picker | None:
        """The ride's first field: "from" (the pickup zone)."""
        return self._picker("pickup_zone") or next(iter(self.query(Picker)), None)

    def on_mount(self) -> None:
        super().on_mount()
        self._load_form()
        self.on_data("deployments")

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self._take_intent()

    def _take_intent(self) -> None:
        intent = self.mlops.intent
        if intent and intent[0] == "deployment":
            self.mlops.intent = None
            select = self.query_one("#f-deployment", SafeSelect)
            if intent[1] in self._deployments_shown:
                self._by_hand = intent[1]  # asked for by name elsewhere: a choice of the person's
                select.set_value(intent[1])

    # -- deployments ---------------------------------------------------------------------------

    def on_data(self, topic: str) -> None:
        if topic != "deployments":
            return
        deployments: list[Deployment] = self.mlops.data.get("deployments") or []
        names = [d.name for d in deployments]
        user, role = self.mlops.me
        chosen_for = (user, role, tuple(names))
        if chosen_for == self._chosen_for:
            return
        if user and self._picked_for not in ("", user):
            self._by_hand = None  # someone else now: their own deployment, not the last person's
        self._picked_for = user or self._picked_for  # "" while disconnected: nobody new
        self._chosen_for = chosen_for
        self._deployments_shown = names
        select = self.query_one("#f-deployment", SafeSelect)
        options = [
            (Text(plain(f"{d.name} v{d.version}"), no_wrap=True, overflow="ellipsis"), d.name)
            for d in deployments
        ]
        if self._by_hand in names:
            value = self._by_hand
        else:  # the person's own (a class's list holds everyone's: services/ownership.py)
            self._by_hand = None
            own = self.mlops.default_pick(deployments, prefer=lambda d: d.ready)
            value = own.name if own is not None else None
        self._auto_value = value
        select.set_options_safely(options, value)
        if not self._asked:
            hint = self._none_of_mine() if value is None else "Fill in the ride and press ctrl+s."
            style = "italic" if value is None else ""
            self.query_one("#result-value", Static).update(Text(hint, style=style))
        self._take_intent()

    def on_platform_changed(self) -> None:
        self.on_data("deployments")  # the person may be someone else now

    @on(SafeSelect.Changed, "#f-deployment")
    def _deployment_changed(self, event: SafeSelect.Changed) -> None:
        """A value the screen did not set is the person's pick: kept until they log in as another."""
        if isinstance(event.value, str) and event.value != self._auto_value:
            self._by_hand = event.value

    def _none_of_mine(self) -> str:
        """What to say when the person has no deployment (as the guide says it)."""
        user, _ = self.mlops.me
        name = ws.deployment_name(user) if user else "of yours"
        others = " (the others listed are other people's)" if self._deployments_shown else ""
        # esc first: with a field focused, 1 is typed into it (a tester's picked zone became 'Queens)1')
        return (
            f"There is no deployment {name} yet: Lab 4 deploys the model (in the guide: esc, 1, then "
            f"type goto lab 4){others}."
        )

    def _deployment(self) -> Deployment | None:
        value = self.query_one("#f-deployment", SafeSelect).value
        deployments: list[Deployment] = self.mlops.data.get("deployments") or []
        return next((d for d in deployments if d.name == value), None)

    # -- the form --------------------------------------------------------------------------------

    @work(group="predict-form", exclusive=True)
    @guarded("Load the input schema")
    async def _load_form(self) -> None:
        schema, zones = await asyncio.to_thread(_load_schema_and_zones)
        dep = self._deployment()
        version_schema = self._version_schema(dep)
        self.schema = version_schema or schema
        self.zones = zones
        await self._build_form()

    def _version_schema(self, dep: Deployment | None) -> dict[str, Any] | None:
        """The deployed version's own input schema (from its bundle manifest), when it has fields."""
        if dep is None:
            return None
        for entry in self.mlops.data.get("registry") or []:
            for version in entry.versions:
                if version.model == dep.model and version.version == dep.version:
                    schema = version.input_schema
                    return schema if isinstance(schema, dict) and schema.get("fields") else None
        return None

    async def _build_form(self) -> None:
        assert self.schema is not None
        fields = [f for f in self.schema.get("fields", []) if isinstance(f, dict) and f.get("name")]
        order = {name: i for i, name in enumerate(FIRST)}
        self.fields = sorted(fields, key=lambda f: order.get(f["name"], len(FIRST)))
        values = prefill(self.schema)
        container = self.query_one("#form-fields", Vertical)
        await container.remove_children()
        # only from where the screen put it (Send): never away from where the person went
        take_focus = self.focused is None or self.focused.id == "send"
        rows = [
            self._field_row(spec, values.get(spec["name"], spec.get("default")))
            for spec in self.fields
            if spec["name"] not in ADVANCED
        ]
        advanced_specs = [spec for spec in self.fields if spec["name"] in ADVANCED]
        if advanced_specs:
            advanced = Vertical(*(self._field_row(spec, values.get(spec["name"])) for spec in advanced_specs))
            advanced.add_class("advanced")
            rows.append(Collapsible(advanced, title="coordinates instead of zones (optional)"))
        await container.mount_all(rows)  # the whole form at once: no field appears before the others
        if take_focus:
            # Not a field: the screen keys (1-8, ':', '?') must do on the first visit what they do
            # on every later one and the footer shows, not be typed into the pickup. Enter sends
            # the prefilled ride, tab goes to its first field ("from").
            first = self._first_field()
            if self._tab_pending and first is not None:
                first.input.focus()
            else:
                self.query_one("#send", Button).focus()
        self._tab_pending = False
        self.query_one("#form-loading", Static).display = False
        self._distance_from = "example"
        self._distance_set = None if values.get("distance") is None else str(values["distance"])
        self._note("ride-note", "Prefilled: the workshop's ride (Lab 5)")
        if "distance" in values:
            self._note("note-distance", "the workshop ride's distance")
        self._read_when()
        self.form_ready = True
        box = self.query_one("#predict-form-box")
        title = outside_markup(self.schema.get("title", "input"))  # the schema comes from the model
        box.border_title = f"Ride · {title}"
        if self.zones is not None:  # distance estimates rest on the zone centroids: say how good they are
            quality = "zones: approximate" if self.zones.approximate else "zones: TLC shapes"
            box.border_subtitle = f"{SEND_HINT} · {quality}"

    def _field_row(self, spec: dict[str, Any], default: Any) -> Widget:
        """Label and input side by side, how the value was read and its problem (if any) underneath."""
        label, control, error = self._field_widgets(spec, default)
        note = Static("", id=f"note-{spec['name']}", classes="field-note")
        return Vertical(Horizontal(label, control, classes="field-row"), note, error, classes="field")

    def _field_widgets(self, spec: dict[str, Any], default: Any) -> list[Widget]:
        """The field's widgets. The spec is the deployed model's input schema (written by its
        training job): names, descriptions and labels pass the sanitiser."""
        name = spec["name"]
        label = name.replace("_", " ") + (" *" if spec.get("required") else "")
        widgets: list[Widget] = [Label(outside(label), classes="field-label")]
        tooltip = outside_markup(spec.get("description", ""))
        if spec.get("enum") and spec.get("enum_labels"):
            labels = [plain(str(label)) for label in spec["enum_labels"]]
            options = list(zip(spec["enum"], labels, strict=False))
            matcher = None
            if self.zones is not None and name.endswith("zone"):
                table = self.zones

                def matcher(text: str, table=table) -> list[Any]:
                    return [z.location_id for _, z in table.ranked(text)]

            resolver = None
            if self.zones is not None and name.endswith("zone"):
                from mlops_tui.lab_scripts.places import resolve_zone

                def resolver(text: str, table=self.zones) -> Any:
                    return resolve_zone(table, text).location_id

            picker = Picker(options, value=default, matcher=matcher, resolver=resolver, id=f"f-{name}")
            picker.tooltip = tooltip
            widgets.append(picker)
        else:
            placeholder = plain(
                str(spec.get("example", ""))
                or (
                    f"{spec.get('min', '')} to {spec.get('max', '')} {spec.get('unit', '')}".strip()
                    if spec.get("type") in ("number", "integer")
                    else ""
                )
            )
            box = Input(
                "" if default is None else str(default), placeholder=placeholder, id=f"f-{name}", compact=True
            )
            box.tooltip = tooltip
            widgets.append(box)
        widgets.append(Static("", id=f"err-{name}", classes="field-error"))
        return widgets

    def _record(self) -> tuple[dict[str, Any], dict[str, str]]:
        record: dict[str, Any] = {}
        problems: dict[str, str] = {}
        today = self.mlops.clock().date()
        for spec in self.fields:
            name = spec["name"]
            widget = self.query_one(f"#f-{name}")
            if isinstance(widget, Picker):
                if widget.value is None and widget.input.value.strip():
                    try:  # "laguardia", "230": the one zone resolver, as the guide and the CLI read it
                        widget.resolve_typed()
                    except LookupError as exc:
                        problems[name] = _zone_problem(exc)
                        continue
                if widget.value is not None:
                    record[name] = widget.value
                elif spec.get("required"):
                    problems[name] = "required"
                continue
            assert isinstance(widget, Input)
            value, problem = check_field(spec, widget.value, today)
            if problem:
                problems[name] = problem
            elif value is not None:
                record[name] = value
        return record, problems

    # -- reading as you type ---------------------------------------------------------------------

    def _note(self, note_id: str, text: str, tone: Tone | None = None) -> None:
        """A field's dim line saying how its value was read (or, with ``tone``, what is wrong)."""
        for note in self.query(f"#{note_id}").results(Static):
            note.update(Text(text, style=tone_style(tone) if tone else "dim italic"))
            note.set_class(bool(text), "-shown")

    def _read_when(self) -> None:
        """Show how the date field reads now: "Fri 07 Jun 2019 08:00 (today = …)"."""
        from mlops_tui.assistant.when import WhenError, read_when

        boxes = self.query("#f-pickup_datetime").results(Input)
        box = next(iter(boxes), None)
        if box is None:
            return
        if not box.value.strip():
            self._note("note-pickup_datetime", "")
            return
        try:
            when = read_when(box.value, today=self.mlops.clock().date())
        except WhenError as exc:
            self._note("note-pickup_datetime", str(exc), Tone.WARN)
            return
        self._note("note-pickup_datetime", "→ " + when.explain())

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget.id == "f-pickup_datetime":
            self._warm_date_reader()

    @work(group="date-reader", exclusive=True, thread=True, exit_on_error=False)
    def _warm_date_reader(self) -> None:
        """dateparser's import and first parse (~0.1 s) in a thread, before a date in words is
        typed, not on its first key (:func:`~mlops_tui.assistant.when.warm_up`)."""
        from mlops_tui.assistant import when

        if not when.is_warm():
            when.warm_up()

    @on(Input.Changed, "#f-pickup_datetime")
    def _when_typed(self) -> None:
        self._read_when()
        self.query_one("#err-pickup_datetime", Static).remove_class("-shown")  # edited: read afresh

    @on(Input.Changed, "#f-distance")
    def _distance_changed(self, event: Input.Changed) -> None:
        if event.value != self._distance_set:  # not the value the form put there: typed
            self._distance_from = "typed"
            self._note("note-distance", "")

    @on(Picker.Picked)
    def _zone_picked(self, event: Picker.Picked) -> None:
        """A new zone: that end's exact points no longer apply, and a distance the person did not
        type is estimated again from the zones (straight line x 1.3, the server's estimate)."""
        name = (event.picker.id or "").removeprefix("f-")
        if name not in ENDS or not self.form_ready:
            return
        self._note("ride-note", "")
        for coordinate in ENDS[name]:
            for box in self.query(f"#f-{coordinate}").results(Input):
                box.value = ""
        self._estimate_distance()

    def _estimate_distance(self) -> None:
        from mlops_tui.lab_scripts.places import DETOUR, estimate_zone_miles

        if self._distance_from == "typed" or self.zones is None:
            return
        ids = [p.value for p in (self._picker("pickup_zone"), self._picker("dropoff_zone")) if p is not None]
        boxes = list(self.query("#f-distance").results(Input))
        if len(ids) != 2 or None in ids or not boxes:
            return
        miles = estimate_zone_miles(self.zones[ids[0]], self.zones[ids[1]])
        if miles is None:
            return
        self._distance_set = f"{miles:g}"
        boxes[0].value = self._distance_set
        self._distance_from = "estimated"
        self._note("note-distance", f"≈ estimated from the zones (x {DETOUR})")

    def _picker(self, name: str) -> Picker | None:
        return next(iter(self.query(f"#f-{name}").results(Picker)), None)

    def _show_problems(self, problems: dict[str, str]) -> None:
        for spec in self.fields:
            name = spec["name"]
            error = self.query_one(f"#err-{name}", Static)
            error.update(outside(problems.get(name, "")))  # the server's words: plain text
            error.set_class(name in problems, "-shown")
            if name in problems:
                self._note(f"note-{name}", "")  # the problem says it: no second line with it
        if problems:
            first = next(iter(problems))
            if first in ADVANCED:
                self.query_one(Collapsible).collapsed = False
            target = self.query_one(f"#f-{first}")
            box = target.input if isinstance(target, Picker) else target
            box.focus()
            box.select_all()  # what is typed next replaces the value that has the problem

    # -- sending ---------------------------------------------------------------------------------

    @on(Button.Pressed, "#send")
    def _send_pressed(self) -> None:
        self.action_send()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        """Enter in any field of the ride sends it, a zone picker's input (which has no id of its
        own) as much as a plain field: a complete form is sent, an incomplete one focuses the field
        to fill (``_show_problems``)."""
        if self.query_one("#form-fields") in event.input.ancestors:
            self.action_send()

    def action_send(self) -> None:
        self._send()

    @work(group="predict", exclusive=True)
    @guarded("Predict")
    async def _send(self) -> None:
        await self.keys_caught_up()  # ctrl+s right after the last keys of a field: with them
        if not self.form_ready:
            self.notify("The form is still loading.", severity="warning")
            return
        record, problems = self._record()
        if not problems:
            problems = await asyncio.to_thread(self._server_check, record)
        self._show_problems(problems)
        if problems:
            name, problem = next(iter(problems.items()))
            self.notify(f"{name}: {problem}", title="Check the ride", severity="warning")
            if self.last_record is not None:  # the pane still holds the last answer: not this ride's
                said = f"Not sent: {name} has a problem (see the field). Below: the previous ride's answer."
                self.query_one("#result-value", Static).update(Text(said, style=tone_style(Tone.WARN)))
            return
        dep = self._deployment()
        if dep is None:
            self.notify(self._none_of_mine(), title="No deployment to ask", severity="warning")
            return
        self._asked = True
        platform = self.mlops.require_platform()
        self.query_one("#result-value", Static).update(Text("asking the model…", style="italic"))
        try:
            prediction = await self.call(
                f"predict on {dep.name}",
                "predict",
                lambda: platform.predict(dep.name, [record]),
                deployment=dep.name,
                records=[record],
            )
        except errors.InvalidInput as exc:
            if exc.field:
                self._show_problems({exc.field.split(".")[-1]: plain(exc.message)})
            raise
        except errors.PlatformError:
            failed = Text("no answer — see the message", style=tone_style(Tone.FAIL))
            self.query_one("#result-value", Static).update(failed)
            raise
        self.last_record = record
        self.last_deployment = dep.name
        self.mlops.record_prediction(dep.name, prediction)
        self._show_result(dep, prediction, record)

    def _server_check(self, record: dict[str, Any]) -> dict[str, str]:
        """The prediction server's own validation, run here first (blocking: in a thread)."""
        from mlops_tui.lab_scripts import features

        try:
            features.parse_record(record, self.zones)
        except features.FieldError as exc:
            return {exc.field: str(exc)}
        return {}

    def _show_result(self, dep: Deployment, prediction: Prediction, record: dict[str, Any]) -> None:
        seconds = prediction.value
        value = Text()
        # No style run starts with a blank (an SVG screenshot drops it: "msHTTP"): blanks end runs.
        value.append(duration(seconds), style="bold reverse")
        value.append("  ")
        value.append(f"({seconds:.1f} s)", style="dim")
        self.query_one("#result-value", Static).update(value)
        meta = Text()
        meta.append(self._ride_words(record) + "\n")
        meta.append("latency ", style="dim")
        meta.append(f"{prediction.latency_ms:.1f} ms  ", style="bold")
        meta.append("HTTP ", style="dim")
        meta.append(str(prediction.status))
        meta.append(f"\n{dep.model} v{dep.version}", style="dim")
        for warning in prediction.warnings:  # the prediction server's words
            meta.append_text(outside(f"\n⚠ {warning}", tone_style(Tone.WARN)))
        meta.append("\nctrl+y copies this request as curl", style="dim italic")
        self.query_one("#result-meta", Static).update(meta)
        self.query_one("#result-request", Static).update(self._json_block("request", prediction.request))
        self.query_one("#result-response", Static).update(self._json_block("response", prediction.response))

    def _ride_words(self, record: dict[str, Any]) -> str:
        """The ride sent, in words (as the guide and the CLI say it)."""
        from mlops_tui.assistant.rides import describe_record

        words = describe_record(record, self.zones)
        return words + (" (distance estimated)" if self._distance_from == "estimated" else "")

    @staticmethod
    def _json_block(title: str, data: Any) -> Any:
        from rich.console import Group

        body = JSON(json.dumps(data), indent=2)
        # Rich's JSON never wraps: at 80x24 the pane cut '"pickup_datetime": "2019-0' and the
        # last digits of the coordinates. Wrapped at spaces; a token wider than the pane is folded.
        body.text.no_wrap = False
        body.text.overflow = "fold"
        return Group(Text(f"\n{title}", style="bold underline"), body)

    # -- copy as curl ----------------------------------------------------------------------------

    def action_copy_curl(self) -> None:
        platform = self.mlops.platform
        if platform is None or self.last_record is None or self.last_deployment is None:
            self.notify("Send a prediction first; then y copies it as curl.", severity="warning")
            return
        try:
            command = platform.equivalent(
                "predict", deployment=self.last_deployment, records=[self.last_record], reveal=True
            )
        except TypeError:
            command = platform.equivalent(
                "predict", deployment=self.last_deployment, records=[self.last_record]
            )
        self.mlops.copy_text(command, "prediction as curl (with its auth token)")


def _zone_problem(exc: LookupError) -> str:
    """A zone the resolver could not read, said for a form (the list below shows the matches)."""
    from mlops_tui.lab_scripts.places import AmbiguousZone

    if isinstance(exc, AmbiguousZone):
        return f"{exc}: type more of the name, or ↓ and enter to pick"
    return f"{exc}: type part of a name or an id, then pick from the list"
