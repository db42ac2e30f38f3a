"""Housing: poor (dilapidated) housing falls as income rises.

A household's housing is poor when a fixed household key falls below
``expit(logit(s) - b (ln income - ln mean_start))``: the share ``s`` at the start-year
mean income, falling with log income per capita (run after income).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from povsim.declare import household
from povsim.params import Param
from povsim.state import World

PARAMS = (
    Param("housing_poor_share", 0.2, "share of households at mean income", (0.1, 0.35),
          "Assumption (dilapidated housing among poor-county households; Hubei MODA study "
          "lists housing as a dimension)", "Probability of poor housing at the start-year "
          "mean income", bounds=(0.0, 1.0)),
    Param("housing_income_slope", 1.2, "logit per log RMB", (0.5, 2.0),
          "Assumption", "Decline of poor housing with log income per capita",
          bounds=(0.0, 10.0)),
)

COLUMNS = (household("housing_poor", np.bool_, False, "poor (dilapidated) housing"),)

VALUES = ()

STREAMS = ("living.housing",)

TABLES = ()


def step(world: World, params, streams) -> None:
    """Poor housing from a fixed household key and current income."""
    H = world.H
    lo = logit(params.housing_poor_share) - params.housing_income_slope * (
        np.log(np.maximum(H.income_pc, 100.0)) - np.log(params.income_mean_start))
    H["housing_poor"] = streams.uniform("living.housing", 0, H.id) < expit(lo)


initialise = step
