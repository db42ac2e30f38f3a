"""Throughput of the full set of MODA measures (:func:`povsim.moda.moda_tables`).

Generates random indicator columns for N children (default 1,000,000) with 16
indicators in 8 dimensions, 2 age groups (every indicator applies to both), an
income-poverty column and 3 subgroup columns (sex, county, arm), then times
``moda_tables``. Throughput is counted in child x indicator cells per second.
The target is >= 20 million cells per second.

With ``--model PERSONS`` it times instead the model's compiled path
(:func:`povsim.moda.model.fast_moda_tables`, one pass over persons) on a world of the default
scenario after one simulated year, with the default configuration and the subgroups a run
uses (county, arm, sex, generation): the minimum over the repeats, in milliseconds.

Usage::

    python benchmarks/moda_throughput.py [--n 1000000] [--repeats 3] [--seed 0]
    python benchmarks/moda_throughput.py --model 1000000 --repeats 30

The last line printed is a JSON dict with ``cells``, ``seconds`` (median of the
repeats) and ``cells_per_s``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from povsim.moda import moda_tables, parse_moda_config

N_DIMENSIONS = 8
INDICATORS_PER_DIMENSION = 2


def make_config() -> object:
    dims = {f"d{j}": {"weight": 1.0} for j in range(N_DIMENSIONS)}
    indicators = []
    for j in range(N_DIMENSIONS):
        # first indicator of each dimension: a continuous score with a rule;
        # second: a 0/1 column without a rule
        indicators.append(
            {"name": f"d{j}_score", "dimension": f"d{j}", "column": f"x{j}", "rule": "< -1",
             "source": "benchmark"}
        )
        indicators.append(
            {"name": f"d{j}_flag", "dimension": f"d{j}", "column": f"f{j}", "source": "benchmark"}
        )
    return parse_moda_config(
        {
            "moda": {"name": "benchmark", "k": 3, "missing": "drop",
                     "income_poverty": "income_poor", "groups": ["sex", "county", "arm"]},
            "age_groups": [
                {"name": "0-5", "min_age": 0, "max_age": 5},
                {"name": "6-17", "min_age": 6, "max_age": 17},
            ],
            "dimensions": dims,
            "indicators": indicators,
        },
        source="<benchmark>",
    )


def make_frame(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame: dict[str, np.ndarray] = {
        "age": rng.integers(0, 18, n).astype(np.int16),
        "sex": rng.integers(0, 2, n).astype(np.int8),
        "county": np.array([f"county_{i}" for i in range(8)], dtype=object)[
            rng.integers(0, 8, n)
        ],
        "arm": np.array(["pilot", "comparison"], dtype=object)[rng.integers(0, 2, n)],
        "income_poor": (rng.random(n) < 0.25).astype(np.int8),
    }
    for j in range(N_DIMENSIONS):
        frame[f"x{j}"] = rng.normal(0.0, 1.0, n)
        frame[f"f{j}"] = (rng.random(n) < 0.2).astype(np.int8)
    frame["x0"][rng.random(n) < 0.01] = np.nan  # some missing values
    return frame


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="number of children")
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats (median reported)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", type=int, metavar="PERSONS", help="time the compiled model path instead")
    args = ap.parse_args(argv)
    if args.model:
        return model_path(args.model, args.repeats)

    config = make_config()
    frame = make_frame(args.n, args.seed)
    cells = args.n * N_DIMENSIONS * INDICATORS_PER_DIMENSION

    moda_tables(frame, config)  # warm-up
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        tables = moda_tables(frame, config)
        times.append(time.perf_counter() - t0)
    seconds = statistics.median(times)
    rate = cells / seconds
    rows = sum(len(t) for t in tables.values())
    print(f"children: {args.n:,}; indicators: {N_DIMENSIONS * INDICATORS_PER_DIMENSION}; "
          f"dimensions: {N_DIMENSIONS}; age groups: 2; subgroup columns: 3")
    print(f"table rows: {rows:,}; times (s): {', '.join(f'{t:.3f}' for t in times)}")
    print(f"throughput: {rate / 1e6:.1f} million child x indicator cells per second "
          f"(target >= 20)")
    result = {"cells": cells, "seconds": round(seconds, 4), "cells_per_s": round(rate, 1)}
    print(json.dumps(result))
    return result


def model_path(persons: int, repeats: int) -> dict[str, float]:
    """Milliseconds of the compiled MODA pass over a model world's persons."""
    from povsim.moda import default_moda_config_path, load_moda_config
    from povsim.moda.model import fast_moda_tables
    from povsim.model import PovertyModel
    from povsim.scenario import Scenario

    model = PovertyModel(Scenario.default().with_overrides(population={"persons": persons}, time={"years": 2}),
                         seed=1)
    model.step()
    config = load_moda_config(default_moda_config_path())
    groups = ("county", "arm", "sex", "generation")
    if fast_moda_tables(model.world, config, groups) is None:  # warm-up; the compiled path must apply
        raise SystemExit("the compiled path did not apply to this world")
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fast_moda_tables(model.world, config, groups)
        times.append(time.perf_counter() - t0)
    result = {"persons": persons, "ms_min": round(1e3 * min(times), 2),
              "ms_median": round(1e3 * statistics.median(times), 2)}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
