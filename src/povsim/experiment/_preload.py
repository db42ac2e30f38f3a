"""Imported once by each worker of the local pool and of Dask: import povsim and run a
tiny model.

Each worker then has povsim imported and its compiled kernels loaded: the first run of a
worker is as fast as the others (the pilot run's time is then representative, and no
worker pays a warm-up inside the batch).  Any failure here is ignored: it only costs the warm-up.
"""

from __future__ import annotations

__all__ = ["warm_up"]


def warm_up() -> None:
    """Run a 300-person, 2-year model once (about 0.3 s); never raises."""
    try:
        from povsim.experiment import worker  # noqa: F401  (what every run imports)
        from povsim.runner import run_replicate
        from povsim.scenario import Scenario

        tiny = Scenario.default("warm_up").with_overrides(
            population={"persons": 300, "pilot_villages": 1, "comparison_villages": 1, "townships": 8},
            time={"years": 2})
        run_replicate(tiny, 0)
    except Exception:  # an optimisation only
        pass


warm_up()
