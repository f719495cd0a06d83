"""The workshop's taxi code: what a data scientist ships to the training cluster.

zones (taxi zone table), tlc (trip file reader), synthetic (offline data generator),
features (the one feature function, the input schema, request validation), feature_bins (each
feature's distribution in the training data, kept in the manifest for drift), train (the training
job), scoring (the prediction code the deployment engine loads). Relative imports only, and
nothing from the app around it: the platform copies this folder as the package `taxi` into the
project repository (`code/<user>/taxi/`) and runs `python -m taxi.train`.
"""
