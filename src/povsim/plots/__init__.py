"""Figures. Every function takes tidy tables and returns a :class:`matplotlib.figure.Figure`.

Nothing here calls ``plt.show()`` or touches pyplot state; save figures with
:func:`povsim.output.save_figure`.
"""

from povsim.plots.moda import (
    moda_figures,
    plot_deprivation_distribution,
    plot_dimension_headcounts,
    plot_income_overlap,
)
from povsim.plots.trajectories import (
    LINESTYLES,
    OKABE_ITO,
    plot_panel,
    plot_trajectory,
    provenance_line,
)

__all__ = [
    "LINESTYLES",
    "OKABE_ITO",
    "moda_figures",
    "plot_deprivation_distribution",
    "plot_dimension_headcounts",
    "plot_income_overlap",
    "plot_panel",
    "plot_trajectory",
    "provenance_line",
]
