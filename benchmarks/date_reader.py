"""The date reader's library: dateparser (used) against parsedatetime (the usual alternative).

For each library, in a fresh interpreter: the import time, the first parse (it loads its language
data), then the median time of one parse over the phrases people type into the guide and the
Predict form, and how many of those phrases it reads to the right day and time (relative to a
fixed "today", Thursday 6 June 2019, as mlops-tui anchors them). parsedatetime is measured only
when it is installed (``pip install parsedatetime``); it is not a dependency.

    .venv/bin/python benchmarks/date_reader.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

PHRASES = {  # text -> the day and time a person means, "today" being Thu 6 June 2019
    "tomorrow 8am": "2019-06-07T08:00",
    "tomorrow at 8am": "2019-06-07T08:00",
    "friday 5pm": "2019-06-07T17:00",
    "next monday 8am": "2019-06-10T08:00",
    "saturday 17:30": "2019-06-08T17:30",
    "tonight": "2019-06-06T20:00",
    "8am": "2019-06-06T08:00",
    "15/03/2019 09:00": "2019-03-15T09:00",
    "2019-02-05 09:00": "2019-02-05T09:00",
    "march 15 9:30": "2019-03-15T09:30",
    "in 3 days": "2019-06-09T00:00",
    "noon": "2019-06-06T12:00",
}

CHILD = r"""
import json, sys, time
from datetime import datetime
lib, runs = sys.argv[1], int(sys.argv[2])
phrases = json.loads(sys.argv[3])
base = datetime(2019, 6, 6)
t0 = time.perf_counter()
if lib == "dateparser":
    from dateparser.date import DateDataParser
    ddp = DateDataParser(languages=["en"], settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future",
                                                      "DATE_ORDER": "DMY"})
    def parse(text):
        d = ddp.get_date_data(text).date_obj
        return d
else:
    import parsedatetime
    cal = parsedatetime.Calendar(version=parsedatetime.VERSION_CONTEXT_STYLE)
    def parse(text):
        value, ctx = cal.parseDT(text, sourceTime=base)
        return value if ctx.hasDate or ctx.hasTime else None
t1 = time.perf_counter()
parse("tomorrow 8am")
t2 = time.perf_counter()
right = 0
for text, want in phrases.items():
    got = parse(text)
    right += got is not None and got.strftime("%Y-%m-%dT%H:%M") == want
times = []
for _ in range(runs):
    for text in phrases:
        s = time.perf_counter(); parse(text); times.append(time.perf_counter() - s)
times.sort()
print(json.dumps({"import_ms": (t1 - t0) * 1e3, "first_ms": (t2 - t1) * 1e3,
                  "p50_ms": times[len(times) // 2] * 1e3, "right": right}))
"""


def measure(lib: str, runs: int) -> dict | None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, lib, str(runs), json.dumps(PHRASES)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        return None
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 5 if args.quick else 50
    print(f"{'library':<14}{'import':>10}{'1st parse':>11}{'parse p50':>11}{'right':>8}")
    for lib in ("dateparser", "parsedatetime"):
        figures = measure(lib, runs)
        if figures is None:
            print(f"{lib:<14}  not installed")
            continue
        print(
            f"{lib:<14}{figures['import_ms']:>8.0f} ms{figures['first_ms']:>8.0f} ms"
            f"{figures['p50_ms']:>8.2f} ms{figures['right']:>5}/{len(PHRASES)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
