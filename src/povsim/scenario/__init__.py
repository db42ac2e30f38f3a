"""Scenario files (TOML) parsed once into typed, validated, immutable objects.

A scenario file has a small fixed set of top-level tables::

    [scenario]        name (required), description, extends
    [population]      persons, pilot_villages, comparison_villages, village_size,
                      counties, townships
    [time]            start_year, years
    [parameters]      overrides of declared parameters (:mod:`povsim.params`)
    [interventions.X] one table per intervention (:data:`povsim.interventions.CATALOGUE`)
    [outputs]         tables, figures, moda_config, by
    [calibration]     targets, fit, provenance (written by ``povsim calibrate`` into a
                      fitted parameter set that scenarios ``extends``)

``extends = "baseline.toml"`` deep-merges the file over its parent (the child wins key by
key; ``name`` and ``description`` are never inherited).  Relative paths (``extends``,
``moda_config``, ``calibration.targets``) resolve against the folder of the file that contains them.

Every problem is reported as a :class:`~povsim.errors.ScenarioError` naming the file, the
dotted key, the value, what was expected and a fix; the loaders collect all problems they
can find in one pass and raise them together as :class:`~povsim.errors.ScenarioErrors`.

The package: :mod:`~povsim.scenario.schema` (the typed tables and :class:`Scenario`),
:mod:`~povsim.scenario.loading` (files, ``extends``, checks), on the shared configuration
layer :mod:`povsim.config`; TOML is written by :mod:`povsim.toml_writer`.

Examples
--------
>>> s = Scenario.default()
>>> s.total_persons, s.end_year
(240000, 2074)
>>> s2 = s.with_overrides(time={"years": 10})
>>> s2.end_year
2024
"""

from povsim.scenario.loading import PLACES, load_scenario, parameter_origins, scenario_from_dict, validate_files
from povsim.scenario.schema import (
    BY_GROUPS,
    HUBEI_PILOT_COUNTIES,
    OUTPUT_TABLES,
    TOP_LEVEL_TABLES,
    BudgetConfig,
    CalibrationConfig,
    OutputsConfig,
    PopulationConfig,
    Scenario,
    ScenarioMeta,
    TimeConfig,
)
from povsim.toml_writer import dumps_toml

__all__ = [
    "BY_GROUPS",
    "HUBEI_PILOT_COUNTIES",
    "OUTPUT_TABLES",
    "PLACES",
    "TOP_LEVEL_TABLES",
    "BudgetConfig",
    "CalibrationConfig",
    "OutputsConfig",
    "PopulationConfig",
    "Scenario",
    "ScenarioMeta",
    "TimeConfig",
    "dumps_toml",
    "load_scenario",
    "parameter_origins",
    "scenario_from_dict",
    "validate_files",
]
