"""How long the dashboard takes to open a large batch and draw its first figure.

Builds a real batch of a few short runs (``povsim batch``), then grows it to ``--runs`` runs:
its collected tables (Parquet and CSV) repeated under new run keys, its keyspace likewise,
and one run file per run under ``runs/`` (garbage: the dashboard must never read them).
Then it times what the app does when the folder is picked: recognise and open it, list its
views, and draw the first one with its default filters (the batch's outcome by scenario over
every run).  Files opened are recorded with an audit hook, to show that no run file and no
CSV copy of a collected table was read.

    python benchmarks/dashboard_open.py                    # 5,000 runs
    python benchmarks/dashboard_open.py --runs 20000
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def small_batch(folder: Path) -> Path:
    """A real batch of 4 short runs of the small world (2 parameter points x 2 seeds)."""
    from povsim.cli import main

    design = folder / "design.toml"
    small = (ROOT / "scenarios" / "small.toml").as_posix()
    design.write_text(f'[experiment]\nname = "bench"\nscenarios = ["{small}"]\n'
                      "replicates = 2\nseed = 5\n[overrides.population]\npersons = 1200\npilot_villages = 2\n"
                      "comparison_villages = 2\n[overrides.time]\nyears = 10\n[design]\nmethod = \"grid\"\n"
                      "[design.parameters.poverty_line]\nvalues = [2300.0, 3300.0]\n", "utf-8")
    out = folder / "batch"
    if main(["batch", str(design), "--workers", "0", "--out", str(out), "-q"]) != 0:
        raise SystemExit("the small batch failed")
    return out


def scale_batch(src: Path, dest: Path, runs: int, tables: tuple[str, ...] = ("moda", "income_poverty"),
                csv_rows: int | None = None) -> None:
    """``dest``: the batch ``src`` grown to ``runs`` runs (see the module docstring).

    ``csv_rows`` cuts the CSV copy of each table to its first rows (a test that only checks the
    copy is never opened need not spend time writing it in full).
    """
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("runs", "tables"))
    (dest / "runs").mkdir()
    for i in range(runs):
        (dest / "runs" / f"{i:016x}.run").write_bytes(b"\0garbage")
    (dest / "tables").mkdir()
    ks = pd.read_csv(src / "keyspace.csv")
    reps = -(-runs // len(ks))
    big_ks = pd.concat([ks.assign(run_key=ks["run_key"] + f"-{r}") for r in range(reps)], ignore_index=True)
    big_ks = big_ks.head(runs)
    big_ks.to_csv(dest / "keyspace.csv", index=False)
    for name in tables:
        t = pd.read_parquet(src / "tables" / f"{name}.parquet")
        big = pd.concat([t.assign(run_key=t["run_key"] + f"-{r}") for r in range(reps)], ignore_index=True)
        big = big[big["run_key"].isin(big_ks["run_key"])]
        big.to_parquet(dest / "tables" / f"{name}.parquet", index=False)
        (big if csv_rows is None else big.head(csv_rows)).to_csv(dest / "tables" / f"{name}.csv", index=False)


def open_and_draw(folder: Path) -> dict:
    """Open ``folder`` as the app does and draw its first view; seconds and files opened."""
    from povsim.dashboard.kinds import open_folder
    from povsim.dashboard.view import defaults, render

    opened: list[str] = []
    active = [True]

    def hook(event, args):
        if active[0] and event == "open" and isinstance(args[0], str | os.PathLike):
            opened.append(os.fspath(args[0]))

    sys.addaudithook(hook)  # cannot be removed: `active` switches it off
    try:
        t0 = time.perf_counter()
        kind, res = open_folder(folder)
        views = [v for v in kind.views(res) if v.available(res)]
        t1 = time.perf_counter()
        drawn = render(views[0], res, defaults(views[0], res))
        t2 = time.perf_counter()
    finally:
        active[0] = False
    return {"kind": kind.name, "open_s": t1 - t0, "first_view_s": t2 - t1, "total_s": t2 - t0,
            "runs_drawn": int(drawn.data["run_key"].nunique()), "opened": opened}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5000)
    args = ap.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        big = tmp / "big"
        scale_batch(small_batch(tmp), big, args.runs)
        size = sum(p.stat().st_size for p in (big / "tables").iterdir())
        r = open_and_draw(big)
        runs_read = [p for p in r["opened"] if f"{os.sep}runs{os.sep}" in p]
        csv_read = [p for p in r["opened"] if p.endswith(".csv") and f"{os.sep}tables{os.sep}" in p]
        print(f"batch of {args.runs:,} runs, collected tables {size / 1e6:.0f} MB (Parquet + CSV); "
              f"load average {os.getloadavg()[0]:.1f}")
        print(f"open {r['open_s']:.2f} s, first view ({r['runs_drawn']:,} runs drawn) {r['first_view_s']:.2f} s, "
              f"total {r['total_s']:.2f} s; run files read: {len(runs_read)}, CSV tables parsed: {len(csv_read)}")


if __name__ == "__main__":
    main()
