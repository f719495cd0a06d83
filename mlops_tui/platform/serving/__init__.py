"""The prediction server's parts: one process per deployment (``mlops_tui.platform.predictor``).

HTTP/1.1 is uvicorn's (httptools parser, uvloop event loop), with a protocol subclass for what a
server facing untrusted clients must bound (``protocol``); the routes are a plain ASGI app
(``app``); the Open Inference Protocol's JSON and binary forms (``oip``), the workshop's request
and answer (``workshop``), adaptive batching (``batching``), Prometheus metrics (``metrics``,
prometheus_client), the bounded request history (``history``) and drift monitoring (``drift``,
over ``psi`` and ``running_histogram``; docs/drift.md) are each a module; strict JSON
(orjson) is ``mlops_tui.strict_json``, shared with the platform's API and the CLI. The taxi
scoring code stays in ``lab_scripts`` and knows nothing of any of this. Why uvicorn, and the
figures: docs/prediction-server.md.
"""
