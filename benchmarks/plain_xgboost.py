"""The plain script a data scientist would write instead of the product's training (issue 12 §6).

pandas reads the CSV, the same rules clean it, numpy builds the same eleven features, XGBoost trains
with the same parameters, split and early stopping: the model it writes is the product's, tree for
tree (``benchmarks/training.py`` checks that), so the two can be compared for time and memory.

    python benchmarks/plain_xgboost.py TRIPS.csv ZONES.csv FIRST_MONTH LAST_MONTH OUT.ubj
"""

import sys

import numpy as np
import pandas as pd
import xgboost as xgb

data, zones_csv, first, last, out = sys.argv[1:6]
times = ["tpep_pickup_datetime", "tpep_dropoff_datetime"]
t = pd.read_csv(
    data,
    usecols=[*times, "passenger_count", "trip_distance", "PULocationID", "DOLocationID"],
    parse_dates=times,
)
z = pd.read_csv(zones_csv, index_col="LocationID")
ny = {c: t[c].dt.tz_localize("America/New_York", ambiguous="NaT", nonexistent="NaT") for c in times}
t["duration"] = (ny[times[1]] - ny[times[0]]).dt.total_seconds()
for end, col in (("pickup", "PULocationID"), ("dropoff", "DOLocationID")):
    t[end + "_lat"], t[end + "_lon"] = t[col].map(z["lat"]), t[col].map(z["lon"])
period = t[times[0]].between(
    pd.Timestamp(first), pd.Timestamp(last) + pd.offsets.MonthBegin(), inclusive="left"
)
t = t[
    period
    & t.duration.between(20, 10_800, inclusive="neither")
    & (t.trip_distance > 0)
    & (t.trip_distance < 150)
    & t.pickup_lat.between(40.40, 41.00)
    & t.dropoff_lat.between(40.40, 41.00)
    & t.pickup_lon.between(-74.35, -73.60)
    & t.dropoff_lon.between(-74.35, -73.60)
]
when = t[times[0]].dt
weekday, hour = (when.day_of_week.to_numpy() < 5).astype(float), when.hour.to_numpy().astype(float)
lat1, lat2 = np.radians(t.pickup_lat.to_numpy()), np.radians(t.dropoff_lat.to_numpy())
dlon = np.radians(t.dropoff_lon.to_numpy() - t.pickup_lon.to_numpy())
a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
straight = 2 * 3958.8 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
x = np.column_stack(
    [
        weekday * ((hour >= 8) & (hour < 18)),
        weekday,
        hour,
        when.month,
        t.trip_distance,
        t.pickup_lat,
        t.pickup_lon,
        t.dropoff_lat,
        t.dropoff_lon,
        straight,
        t.passenger_count.fillna(1.0).clip(0, 9),
    ]
).astype(np.float64)
y = t.duration.to_numpy()
order = np.random.default_rng(0).permutation(len(y))
n_test = min(len(y) - 1, max(1, round(len(y) * 0.2)))
train, test = order[n_test:], order[:n_test]
inner = np.random.default_rng(1).permutation(len(train))
n_valid = min(len(train) - 1, max(1, round(len(train) * 0.1)))
fit, valid = train[inner[n_valid:]], train[inner[:n_valid]]
names = [
    "work",
    "weekday",
    "hour",
    "month",
    "distance",
    "pickup_lat",
    "pickup_lon",
    "dropoff_lat",
    "dropoff_lon",
    "straight_distance",
    "passengers",
]
params = {
    "objective": "reg:squarederror",
    "eval_metric": "rmse",
    "tree_method": "hist",
    "max_depth": 6,
    "eta": 0.15,
    "min_child_weight": 5,
    "subsample": 0.9,
    "colsample_bytree": 1.0,
    "seed": 0,
    "nthread": 2,
}
dfit = xgb.DMatrix(x[fit], label=y[fit], feature_names=names, nthread=2)
dvalid = xgb.DMatrix(x[valid], label=y[valid], feature_names=names, nthread=2)
booster = xgb.train(
    params,
    dfit,
    300,
    evals=[(dfit, "train"), (dvalid, "eval")],
    verbose_eval=False,
    callbacks=[xgb.callback.EarlyStopping(rounds=20, save_best=False)],
)
booster = booster[: int(booster.attr("best_iteration")) + 1]
pred = np.clip(booster.predict(xgb.DMatrix(x[test], feature_names=names, nthread=2)), 0, None)
print(f"{len(y)} rides, test RMSE {np.sqrt(np.mean((pred - y[test]) ** 2)):.1f} s")
booster.save_model(out)
