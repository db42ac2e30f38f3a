"""The programme's yearly cycle: plan, fund and commit every intervention's reach.

Runs after demography and migration, so targeting sees this year's families; the
processes after it read the modified values (:class:`povsim.state.Values`).  A scenario
without interventions has no programme and this step does nothing.
"""

from __future__ import annotations

from povsim.state import World

PARAMS = ()
COLUMNS = ()
VALUES = ()
STREAMS = ()
TABLES = ()


def step(world: World, params, streams) -> None:
    """Plan, fund (budget pass) and commit the interventions of the year."""
    if world.programme is not None:
        world.programme.allocate(world)


def end_of_year(world: World, params, streams) -> None:
    """Costs that depend on what happened during the year (transfers paid...)."""
    if world.programme is not None:
        world.programme.finish(world)
