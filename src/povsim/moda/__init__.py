"""MODA deprivation analysis and Alkire-Foster multidimensional poverty measures.

The child is the unit of analysis.  For each age group, indicator deprivations are
combined into dimension deprivations with the *union rule* (a child deprived in any
indicator of a dimension is deprived in that dimension); the Alkire-Foster dual cut-off
method then runs over the dimensions: a child is multidimensionally poor when its
weighted score reaches the cut-off ``k``.

The package:

* :mod:`~povsim.moda.measures` -- the Alkire-Foster maths: :func:`alkire_foster` on a
  deprivation matrix, the measures of the tables' pattern counts, :func:`is_poor` (the one
  cut-off);
* :mod:`~povsim.moda.config` -- configurations (:func:`load_moda_config`, the format);
* :mod:`~povsim.moda.score` -- the one per-child score: a configuration's rules compiled
  and applied to a child's values, shared by every path;
* :mod:`~povsim.moda.tables` -- the tables for a frame of children (:func:`moda_tables`);
* :mod:`~povsim.moda.model` -- the model bridge: the child frame of a run, the yearly
  collector with its compiled pass over persons, scores for targeting;
* :mod:`~povsim.moda.survey` -- the same tables from survey microdata (``povsim moda``).

References
----------
Alkire, S. and Foster, J. (2011). Counting and multidimensional poverty measurement.
*Journal of Public Economics* 95(7-8): 476-487. doi:10.1016/j.jpubeco.2010.11.006

de Neubourg, C., Chai, J., de Milliano, M., Plavgo, I. and Wei, Z. (2012).
*Step-by-Step Guidelines to the Multiple Overlapping Deprivation Analysis (MODA)*.
UNICEF Office of Research Working Paper WP-2012-10, Florence.
"""

from povsim.moda.config import (
    AgeGroupSpec,
    DimensionSpec,
    IndicatorSpec,
    MODAConfig,
    MODAConfigError,
    MODASection,
    default_moda_config_path,
    load_moda_config,
    parse_moda_config,
    parse_rule,
)
from povsim.moda.measures import SCORE_TOLERANCE, AFResult, alkire_foster, is_poor
from povsim.moda.tables import TABLE_COLUMNS, TABLE_NAMES, compute_moda_tables, moda_tables

__all__ = [
    "SCORE_TOLERANCE",
    "TABLE_COLUMNS",
    "TABLE_NAMES",
    "AFResult",
    "AgeGroupSpec",
    "DimensionSpec",
    "IndicatorSpec",
    "MODAConfig",
    "MODAConfigError",
    "MODASection",
    "alkire_foster",
    "compute_moda_tables",
    "default_moda_config_path",
    "is_poor",
    "load_moda_config",
    "moda_tables",
    "parse_moda_config",
    "parse_rule",
]
