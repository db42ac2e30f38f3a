"""MODA configuration: age groups, dimensions with weights, indicators with their rules,
the cut-off ``k`` (read through :mod:`povsim.config`, so errors read as in every file).

Configuration (TOML)
--------------------
::

    [moda]
    name = "hubei_2015"
    k = 3                    # poverty cut-off, in dimension-weight units (> 0)
    missing = "drop"         # "drop" | "not_deprived": what to do with missing values
    income_poverty = "income_poor"   # optional 0/1 column for the income overlap
    groups = ["sex", "arm"]  # optional default subgroup columns for decomposition
    description = "..."      # optional

    [[age_groups]]           # one or more; the age ranges must not overlap
    name = "0-5"
    min_age = 0              # a child belongs when min_age <= age < max_age + 1
    max_age = 5
    k = 3                    # optional override of moda.k

    [dimensions.nutrition]   # one table per dimension, in reporting order
    weight = 1.0             # > 0; default 1 (equal weights)
    label = "Nutrition"      # optional
    description = ""         # optional

    [[indicators]]
    name = "stunting"        # unique
    dimension = "nutrition"  # must be a key of [dimensions]
    age_groups = ["0-5"]     # optional; default: every age group
    column = "haz"           # column of the child frame or survey
    rule = "< -2"            # optional: "< x", "<= x", "> x", ">= x", "== x", "!= x".
                             # Without a rule the column must be 0/1 (1 = deprived).
    min_age = 3              # optional: the indicator applies only at these ages
    max_age = 5              # (same convention as the age groups); others count as
                             # not deprived in it
    source = "WHO Child Growth Standards: stunting = HAZ < -2 SD"
    description = ""         # optional

Unknown keys are errors. The dimensions of an age group are the dimensions that have
at least one indicator for that age group. The cut-off ``k`` of an age group must lie
in ``(0, sum of the weights of its dimensions]``.

Missing values (NaN in a float column) are handled as the ``missing`` policy says:

A configuration may ``extends = "other.toml"`` in ``[moda]`` to change a few settings of
another one (arrays of tables such as ``[[indicators]]`` are replaced as a whole).
"""

from __future__ import annotations

import itertools
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, PrivateAttr, ValidationError

from povsim.config import StrictModel, merge_chain, read_chain, translate
from povsim.errors import ScenarioError, ScenarioErrors, did_you_mean
from povsim.moda.measures import SCORE_TOLERANCE

__all__ = [
    "AgeGroupSpec",
    "DimensionSpec",
    "IndicatorSpec",
    "MODAConfig",
    "MODAConfigError",
    "MODASection",
    "default_moda_config_path",
    "load_moda_config",
    "parse_moda_config",
    "parse_rule",
    "rule_interval",
]


class MODAConfigError(ScenarioErrors):
    """A MODA configuration that cannot be used: every problem found, each naming the
    file, the dotted key, the value, what was expected and a fix."""


_RULE_RE = re.compile(
    r"^\s*(<=|>=|==|!=|<|>)\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)


def parse_rule(rule: str) -> tuple[str, float]:
    """Parse a deprivation rule such as ``"< -2"`` into ``("<", -2.0)``.

    Raises
    ------
    ValueError
        When the rule is not ``OP NUMBER`` with OP one of ``< <= > >= == !=``.
    """
    m = _RULE_RE.match(rule) if isinstance(rule, str) else None
    if m is None:
        raise ValueError(
            f"rule {rule!r} is not understood; expected 'OP NUMBER' with OP one of "
            "<, <=, >, >=, ==, != (e.g. '< -2')"
        )
    return m.group(1), float(m.group(2))


def rule_interval(rule: str | None) -> tuple[float, float, bool]:
    """What a rule means: deprived when the value lies in ``[low, high]`` (``negate``: outside).

    ``x < t`` is ``x <= the float just below t`` (exact in floating point), ``==`` is
    ``[t, t]``, ``!=`` the negation of it; no rule (a 0/1 column) is ``[1, 1]``.  The one
    definition of a rule, used by every MODA path (:mod:`povsim.moda.score`).
    """
    if rule is None:
        return 1.0, 1.0, False
    op, t = parse_rule(rule)
    return {"<": (-math.inf, float(np.nextafter(t, -math.inf)), False), "<=": (-math.inf, t, False),
            ">": (float(np.nextafter(t, math.inf)), math.inf, False), ">=": (t, math.inf, False),
            "==": (t, t, False), "!=": (t, t, True)}[op]


class MODASection(StrictModel):
    """The ``[moda]`` table."""

    name: str
    k: float = Field(gt=0)
    missing: Literal["drop", "not_deprived"] = "drop"
    income_poverty: str | None = None
    groups: list[str] = Field(default_factory=list)
    description: str = ""


class AgeGroupSpec(StrictModel):
    """One ``[[age_groups]]`` entry: ``min_age <= age < max_age + 1``."""

    name: str
    min_age: int = Field(ge=0)
    max_age: int = Field(ge=0)
    k: float | None = Field(default=None, gt=0)

    def contains(self, age: NDArray[np.float64]) -> NDArray[np.bool_]:
        return (age >= self.min_age) & (age < self.max_age + 1)


class DimensionSpec(StrictModel):
    """One ``[dimensions.NAME]`` table."""

    weight: float = Field(default=1.0, gt=0)
    label: str = ""
    description: str = ""


class IndicatorSpec(StrictModel):
    """One ``[[indicators]]`` entry."""

    name: str
    dimension: str
    column: str
    source: str
    age_groups: list[str] | None = None
    rule: str | None = None
    min_age: int | None = Field(default=None, ge=0)
    max_age: int | None = Field(default=None, ge=0)
    description: str = ""
    #: "outcome" (a child's state) or "service" (receipt of a service); see povsim.moda.views
    kind: Literal["outcome", "service"] = "outcome"


class MODAConfig(StrictModel):
    """A validated MODA configuration (see the module docstring for the TOML format)."""

    moda: MODASection
    age_groups: list[AgeGroupSpec] = Field(min_length=1)
    dimensions: dict[str, DimensionSpec] = Field(min_length=1)
    indicators: list[IndicatorSpec] = Field(min_length=1)
    _source: str = PrivateAttr(default="<dict>")

    @property
    def source(self) -> str:
        """File the configuration was read from (``"<dict>"`` when built from a mapping)."""
        return self._source

    def age_group(self, name: str) -> AgeGroupSpec:
        """The age group called ``name``."""
        for ag in self.age_groups:
            if ag.name == name:
                return ag
        raise KeyError(f"no age group {name!r}; {did_you_mean(name, self.age_group_names)}")

    @property
    def age_group_names(self) -> list[str]:
        return [ag.name for ag in self.age_groups]

    def indicators_for(self, age_group: str) -> list[IndicatorSpec]:
        """Indicators that apply to an age group, in configuration order."""
        return [
            ind
            for ind in self.indicators
            if ind.age_groups is None or age_group in ind.age_groups
        ]

    def dimensions_for(self, age_group: str) -> list[str]:
        """Dimensions with at least one indicator for the age group, in configuration order."""
        used = {ind.dimension for ind in self.indicators_for(age_group)}
        return [d for d in self.dimensions if d in used]

    def weights_for(self, age_group: str) -> NDArray[np.float64]:
        """Dimension weights of an age group, aligned with :meth:`dimensions_for`."""
        return np.array([self.dimensions[d].weight for d in self.dimensions_for(age_group)])

    def k_for(self, age_group: str) -> float:
        """Poverty cut-off of an age group (its override, or ``moda.k``)."""
        ag = self.age_group(age_group)
        return float(ag.k if ag.k is not None else self.moda.k)


def default_moda_config_path() -> Path:
    """Path of the shipped default configuration (``data/moda_hubei.toml``)."""
    return Path(__file__).resolve().parents[1] / "data" / "moda_hubei.toml"




def _check_semantics(cfg: MODAConfig, file: str) -> list[ScenarioError]:
    """Cross-checks pydantic cannot express: references, ranges, rules, overlaps."""
    errors: list[ScenarioError] = []

    def fail(key: str, value: object, expected: str, suggestion: str = "") -> None:
        errors.append(ScenarioError(file, key, value, expected, suggestion))

    ag_names = cfg.age_group_names
    for i, ag in enumerate(cfg.age_groups):
        if ag_names.index(ag.name) != i:
            fail(f"age_groups[{i}].name", ag.name, "a unique age-group name")
        if ag.max_age < ag.min_age:
            fail(f"age_groups[{i}]({ag.name!r}).max_age", ag.max_age, f"an age >= min_age ({ag.min_age})")
    spans = sorted((ag.min_age, ag.max_age + 1, ag.name) for ag in cfg.age_groups)
    for (_lo1, hi1, n1), (lo2, _hi2, n2) in itertools.pairwise(spans):
        if lo2 < hi1:
            fail("age_groups", f"{n1!r} and {n2!r} overlap",
                 "age groups with disjoint age ranges (a child belongs to one group)")
    seen: set[str] = set()
    for i, ind in enumerate(cfg.indicators):
        where = f"indicators[{i}]({ind.name!r})"
        if ind.name in seen:
            fail(f"{where}.name", ind.name, "a unique indicator name")
        seen.add(ind.name)
        if ind.dimension not in cfg.dimensions:
            fail(f"{where}.dimension", ind.dimension, "one of the dimensions declared under [dimensions]",
                 did_you_mean(ind.dimension, cfg.dimensions))
        for ag in ind.age_groups or []:
            if ag not in ag_names:
                fail(f"{where}.age_groups", ag, "names of [[age_groups]] entries", did_you_mean(ag, ag_names))
        if ind.age_groups is not None and not ind.age_groups:
            fail(f"{where}.age_groups", [], "at least one age group (or omit the key)")
        if ind.rule is not None:
            try:
                parse_rule(ind.rule)
            except ValueError:
                fail(f"{where}.rule", ind.rule, "'OP NUMBER' with OP one of <, <=, >, >=, ==, != (e.g. '< -2'), "
                     "or no rule for a 0/1 column")
        if ind.min_age is not None and ind.max_age is not None and ind.max_age < ind.min_age:
            fail(f"{where}.max_age", ind.max_age, f"an age >= min_age ({ind.min_age})")
    used = {ind.dimension for ind in cfg.indicators}
    for dim in cfg.dimensions:
        if dim not in used:
            fail(f"dimensions.{dim}", dim, "a dimension with at least one indicator",
                 f"add an [[indicators]] entry with dimension = {dim!r} or remove it")
    for i, ag in enumerate(cfg.age_groups):
        dims = cfg.dimensions_for(ag.name)
        if not dims:
            fail(f"age_groups[{i}]({ag.name!r})", ag.name, "an age group with at least one indicator")
            continue
        total = float(cfg.weights_for(ag.name).sum())
        k = cfg.k_for(ag.name)
        if k > total + SCORE_TOLERANCE * max(1.0, total):
            fail(f"age_groups[{i}]({ag.name!r}).k" if ag.k is not None else "moda.k", k,
                 f"a cut-off in (0, {total:g}] for age group {ag.name!r} (the sum of the weights of its "
                 f"{len(dims)} dimensions)")
    return errors


def parse_moda_config(data: Mapping[str, Any], source: str = "<dict>") -> MODAConfig:
    """Validate a MODA configuration given as a mapping (e.g. parsed TOML).

    Raises
    ------
    MODAConfigError
        Every problem, each naming the key, the bad value, what was expected and a fix.
    """
    if not isinstance(data, Mapping):
        raise MODAConfigError([ScenarioError(source, "", type(data).__name__, "a table of MODA settings")])
    try:
        cfg = MODAConfig.model_validate(dict(data))
    except ValidationError as exc:
        raise MODAConfigError(translate(exc, MODAConfig, file=source, data=data)) from None
    cfg._source = source
    errors = _check_semantics(cfg, source)
    if errors:
        raise MODAConfigError(errors)
    return cfg


def load_moda_config(path: str | os.PathLike[str]) -> MODAConfig:
    """Read and validate a MODA configuration file (TOML), following ``extends``.

    Parameters
    ----------
    path
        TOML file; :func:`default_moda_config_path` gives the shipped Hubei default.

    Raises
    ------
    MODAConfigError
        When the file is missing, not valid TOML, or not a valid configuration.
    """
    errors: list[ScenarioError] = []
    chain = read_chain(path, errors, meta="moda", what="MODA configuration")
    if errors or not chain:
        raise MODAConfigError(errors)
    data, _ = merge_chain(chain, meta="moda", own=())
    return parse_moda_config(data, source=str(path))
