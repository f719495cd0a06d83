"""The workshop's example ride, defined once for every place that shows or sends it.

Lab 5 of the HPE Ezmeral ML Ops workshop asks for "West 23rd Street to Centre Market Place, a
weekday at 9 am in February", 8 miles. Its coordinates put the pickup on West 23rd Street in
Coney Island (TLC zone 55), not in Chelsea, and the dropoff at Centre Market Place in Little Italy
(zone 144). The guide's Lab 5, the Predict form's prefill, `mlops-tui predict --example`, the
dashboard's latency probe and the docs all use this ride, so they all give the same travel time:
the form sends the same exact coordinates (in its optional coordinate fields), and 5 February 2019
(a Tuesday) at 9:00 gives the same weekday, hour and month as the workshop's `scoring_args`.

Plain data, standard library only (shipped to the training cluster; imported by the app).
"""

from __future__ import annotations

from typing import Any

TEXT = ("West 23rd Street (Coney Island) to Centre Market Place (Little Italy), "
        "a weekday at 9 am in February, 8 miles")
PICKUP_ZONE = 55  # Coney Island: West 23rd Street and Surf Avenue
DROPOFF_ZONE = 144  # Little Italy/NoLiTa: Centre Market Place
PICKUP = (40.57689727, -73.99047356)  # the workshop's start_latitude, start_longitude
DROPOFF = (40.72058154, -73.99740673)  # the workshop's end_latitude, end_longitude
WHEN = "2019-02-05T09:00:00"  # a Tuesday: a weekday at 9 am in February 2019
DISTANCE = 8.0  # miles, as the workshop sent it
PASSENGERS = 1

#: The ride as the raw-ride input schema takes it (the Predict form): zones to show, and the exact
#: points (which the prediction server uses when given) so the answer equals the workshop's.
RECORD: dict[str, Any] = {
    "pickup_datetime": WHEN,
    "pickup_zone": PICKUP_ZONE,
    "dropoff_zone": DROPOFF_ZONE,
    "pickup_lat": PICKUP[0],
    "pickup_lon": PICKUP[1],
    "dropoff_lat": DROPOFF[0],
    "dropoff_lon": DROPOFF[1],
    "distance": DISTANCE,
    "passengers": PASSENGERS,
}

#: The ride as the workshop's `scoring_args` (Lab 5's request), with the consistent `work` flag
#: (a weekday between 8 and 18 h is work time; the workshop sent 0, see features.WORKSHOP_EXAMPLE).
SCORING_ARGS: dict[str, Any] = {
    "work": 1,
    "start_latitude": PICKUP[0],
    "start_longitude": PICKUP[1],
    "end_latitude": DROPOFF[0],
    "end_longitude": DROPOFF[1],
    "distance": 8,
    "weekday": 1,
    "hour": 9,
    **{f"month_{m}": int(m == 2) for m in range(1, 7)},
}
