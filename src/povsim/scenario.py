"""Scenario files (TOML) parsed once into typed, validated, immutable objects.

A scenario file has a small fixed set of top-level tables::

    [scenario]        name (required), description, extends
    [population]      geography, persons, scale, pilot_villages, comparison_villages,
                      village_size, counties, townships
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

Examples
--------
>>> s = Scenario.default()
>>> s.total_persons, s.end_year
(240000, 2074)
>>> s2 = s.with_overrides(time={"years": 10})
>>> s2.end_year
2024
"""

from __future__ import annotations

import copy
import datetime
import difflib
import importlib
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from povsim.errors import ParameterError, ScenarioError, ScenarioErrors, did_you_mean
from povsim.params import Param, registry

__all__ = [
    "BY_GROUPS",
    "OUTPUT_TABLES",
    "TOP_LEVEL_TABLES",
    "OutputsConfig",
    "PopulationConfig",
    "Scenario",
    "ScenarioMeta",
    "TimeConfig",
    "dumps_toml",
    "load_scenario",
    "scenario_from_dict",
    "validate_files",
]

#: The only tables allowed at the top level of a scenario file, in the order written.
TOP_LEVEL_TABLES: tuple[str, ...] = (
    "scenario",
    "population",
    "time",
    "parameters",
    "interventions",
    "budget",
    "outputs",
    "calibration",
)

#: Names of the tidy output tables a run can write.  Empty: any name is accepted.
OUTPUT_TABLES: tuple[str, ...] = (
    "population", "income_poverty", "stunting", "anaemia", "health", "enrolment", "left_behind",
    "development", "living_conditions", "generations", "schooling_by_cohort",
)

#: A subgroup by which yearly tables may be broken down (``[outputs] by``).
ByGroup = Literal["county", "arm", "area", "sex", "age_group", "left_behind"]
#: All subgroups, in order.
BY_GROUPS: tuple[str, ...] = get_args(ByGroup)

#: Counties of the Hubei integrated child poverty reduction pilot (the default geography).
HUBEI_PILOT_COUNTIES: tuple[str, ...] = (
    "Yangxin",
    "Wufeng",
    "Tongshan",
    "Xuan'en",
    "Dawu",
    "Yunyang",
    "Luotian",
    "Baokang",
)

_NAME_PATTERN = r"^[A-Za-z0-9_-]+$"
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")

# --------------------------------------------------------------------------- models


class _Table(BaseModel):
    """Base of the typed tables: immutable, no unknown keys, no str -> int coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _unique(kind: str) -> AfterValidator:
    def check(values: tuple[str, ...]) -> tuple[str, ...]:
        seen: set[str] = set()
        for i, v in enumerate(values):
            if v in seen:
                raise PydanticCustomError(
                    "duplicate",
                    "a list of distinct {kind}",
                    {
                        "kind": kind,
                        "index": i,
                        "value": v,
                        "suggestion": f"remove the second {v!r}",
                    },
                )
            seen.add(v)
        return values

    return AfterValidator(check)


def _known_output_table(name: str) -> str:
    if OUTPUT_TABLES and name not in OUTPUT_TABLES:
        raise PydanticCustomError(
            "unknown_output_table",
            "one of the output tables",
            {"suggestion": did_you_mean(name, OUTPUT_TABLES)},
        )
    return name


def _existing_file(path: str | None) -> str | None:
    if path is not None and not Path(path).is_file():
        raise PydanticCustomError(
            "file_missing",
            "an existing file",
            {"suggestion": _missing_file_hint(Path(path))},
        )
    return path


class ScenarioMeta(_Table):
    """The ``[scenario]`` table: identity of the scenario."""

    name: str = Field(pattern=_NAME_PATTERN, description="Short identifier, [A-Za-z0-9_-]+.")
    description: str = ""
    extends: str | None = Field(
        default=None, description="Parent scenario file, relative to this file."
    )


class PopulationConfig(_Table):
    """The ``[population]`` table: size and geography of the simulated world.

    Attributes
    ----------
    geography
        ``"synthetic"`` (the default: the villages below) or an area file -- a packaged
        name such as ``"hubei_pilot_area"`` (the 8 pilot counties at 1:1, see
        :mod:`povsim.geography`) or a path to a TOML file.
    persons
        Synthetic geography: total initial persons of the full area (``None`` derives it
        as ``villages * village_size``).  Area file: simulate a sample of about this many
        persons (sampling fraction ``persons / area population``, times ``scale``).
    pilot_villages, comparison_villages
        Synthetic geography: villages in the programme arm and non-pilot villages.
    village_size
        Synthetic geography: mean persons per village, used only when ``persons`` is not
        given.
    counties
        County names (distinct, non-empty).  With an area file: the counties of the area
        to simulate (default: all of them).
    townships
        Synthetic geography: number of townships (at least one per county).
    scale
        Sampling fraction in (0, 1]: the run simulates a sample of whole villages, each
        with probability ``scale``, and reports counts and totals weighted by ``1 / scale``
        (per-capita outcomes, costs per child and cost-effectiveness estimate the
        full-scale ones); programme-wide caps and capacities scale with it.
    """

    geography: Annotated[str, Field(min_length=1)] = "synthetic"
    persons: int | None = Field(default=None, ge=200)
    scale: float = Field(default=1.0, gt=0.0, le=1.0)
    pilot_villages: int = Field(default=80, ge=0)
    comparison_villages: int = Field(default=80, ge=0)
    village_size: int = Field(default=1500, ge=10)
    counties: Annotated[
        tuple[Annotated[StrictStr, Field(min_length=1)], ...],
        Field(strict=False, min_length=1),
        _unique("county names"),
    ] = HUBEI_PILOT_COUNTIES
    townships: int = Field(default=66, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.villages < 1:
            raise PydanticCustomError(
                "no_villages",
                "pilot_villages + comparison_villages >= 1",
                {
                    "key": "pilot_villages",
                    "value": self.pilot_villages,
                    "suggestion": "set pilot_villages or comparison_villages to at least 1",
                },
            )
        if self.townships < len(self.counties):
            raise PydanticCustomError(
                "too_few_townships",
                "at least one township per county ({n} counties)",
                {
                    "n": len(self.counties),
                    "key": "townships",
                    "value": self.townships,
                    "suggestion": f"set townships >= {len(self.counties)} or list fewer counties",
                },
            )
        if self.geography != "synthetic":
            from povsim.geography import area_names, load_area

            try:
                area = load_area(self.geography)
            except ValueError as exc:
                raise PydanticCustomError(
                    "unknown_area", "a packaged area name ({names}) or an area TOML file",
                    {"key": "geography", "value": self.geography, "names": ", ".join(area_names()),
                     "suggestion": f"{exc}"}) from None
            unknown = [c for c in self.counties if c not in area.county_names]
            if unknown and self.counties != HUBEI_PILOT_COUNTIES:
                raise PydanticCustomError(
                    "unknown_county", "counties of the area ({names})",
                    {"key": "counties", "value": unknown[0], "names": ", ".join(area.county_names),
                     "suggestion": did_you_mean(unknown[0], area.county_names)})
        if self.total_persons < 200:
            raise PydanticCustomError(
                "too_few_persons",
                "at least 200 persons (persons or villages * village_size, times scale)",
                {
                    "key": "scale" if self.scale != 1.0 else "village_size",
                    "value": self.scale if self.scale != 1.0 else self.village_size,
                    "suggestion": "raise scale, village_size or the number of villages, or set persons",
                },
            )
        return self

    @property
    def villages(self) -> int:
        """Number of villages (pilot + comparison)."""
        return self.pilot_villages + self.comparison_villages

    @property
    def frame_persons(self) -> int:
        """Initial persons of the full area (before sampling)."""
        if self.geography == "synthetic":
            return self.persons if self.persons is not None else self.villages * self.village_size
        from povsim.geography import load_area

        area = load_area(self.geography)
        chosen = set(self.counties) & set(area.county_names) or set(area.county_names)
        return sum(c.population for c in area.counties if c.name in chosen)

    @property
    def sampling_fraction(self) -> float:
        """Inclusion probability of every village: ``scale``, times ``persons / area
        population`` when an area file is sampled down to ``persons``."""
        if self.geography != "synthetic" and self.persons is not None:
            return min(1.0, self.scale * self.persons / self.frame_persons)
        return self.scale

    @property
    def total_persons(self) -> int:
        """Expected initial persons simulated: the area's persons x the sampling fraction."""
        return round(self.frame_persons * self.sampling_fraction)

    @property
    def mean_village_size(self) -> float:
        """Mean initial persons per village (synthetic geography)."""
        return self.frame_persons / self.villages


class TimeConfig(_Table):
    """The ``[time]`` table: first simulated year and number of years."""

    start_year: int = Field(default=2014, ge=1990, le=2100)
    years: int = Field(default=60, ge=1, le=200)

    @property
    def end_year(self) -> int:
        """The last simulated year, ``start_year + years``: the start year is the initial
        state and each of the ``years`` steps simulates one more year."""
        return self.start_year + self.years


class OutputsConfig(_Table):
    """The ``[outputs]`` table: what a run writes.

    Attributes
    ----------
    tables
        Output tables to write; ``None`` means all of them.
    figures
        Whether to draw the figure pack.
    moda
        Whether to compute MODA tables (child deprivation, Alkire-Foster measures).
    moda_every
        Compute MODA every this many years (1 = yearly).
    moda_config
        Absolute path of a MODA configuration file, or ``None`` for the built-in one.
    by
        Subgroups for the yearly tables, from :data:`BY_GROUPS`.
    """

    tables: (
        Annotated[
            tuple[Annotated[StrictStr, AfterValidator(_known_output_table)], ...],
            Field(strict=False),
            _unique("table names"),
        ]
        | None
    ) = None
    figures: bool = True
    moda: bool = True
    moda_every: Annotated[int, Field(ge=1, le=100)] = 1
    moda_config: Annotated[str | None, AfterValidator(_existing_file)] = None
    by: Annotated[
        tuple[ByGroup, ...],
        Field(strict=False),
        _unique("subgroups"),
    ] = ("county", "arm")


class BudgetConfig(_Table):
    """The ``[budget]`` table: yearly cap, funders and discounting of programme costs.

    Attributes
    ----------
    cap_rmb
        Yearly budget cap in RMB (2014 prices); ``None`` = no cap.  When the requested
        costs exceed it, interventions are funded in their declared ``priority`` order and
        the run reports what was cut.
    funders
        Funder name -> share of every cost (must sum to 1); an intervention may declare its
        own shares.
    discount_rate
        Yearly rate for discounted cost totals (3% by default, a common choice in
        cost-effectiveness analysis; WHO-CHOICE).
    """

    cap_rmb: Annotated[float | None, Field(strict=False, gt=0)] = None
    funders: dict[StrictStr, Annotated[float, Field(strict=False, ge=0, le=1)]] = Field(
        default_factory=lambda: {"government": 1.0})
    discount_rate: Annotated[float, Field(strict=False, ge=0, le=0.2)] = 0.03

    @model_validator(mode="after")
    def _shares(self) -> Self:
        total = sum(self.funders.values())
        if not self.funders or abs(total - 1.0) > 1e-6:
            raise PydanticCustomError(
                "funder_shares",
                "funder shares that sum to 1",
                {"key": "funders", "value": dict(self.funders),
                 "suggestion": f"the shares sum to {total:g}; rescale them to sum to 1"},
            )
        return self


class CalibrationConfig(_Table):
    """The ``[calibration]`` table of a fitted parameter set (written by ``povsim calibrate``).

    Attributes
    ----------
    targets
        Absolute path of the target file the parameters were fitted to; ``povsim run``
        checks a run without interventions against its fitting targets.
    fit
        Fit statistics (objective, evaluations, method, ...), for the record.
    provenance
        Where the fit came from (command line, commit, target-file checksum, date).
    """

    targets: Annotated[str | None, AfterValidator(_existing_file)] = None
    fit: dict[str, Any] = Field(default_factory=dict)
    provenance: dict[str, Any] = Field(default_factory=dict)


_SECTION_MODELS: dict[str, type[_Table]] = {
    "scenario": ScenarioMeta,
    "population": PopulationConfig,
    "time": TimeConfig,
    "outputs": OutputsConfig,
    "budget": BudgetConfig,
    "calibration": CalibrationConfig,
}


class Scenario(BaseModel):
    """A fully resolved, validated scenario (immutable).

    Build one with :func:`load_scenario`, :func:`scenario_from_dict`,
    :meth:`Scenario.default` or :meth:`with_overrides`; those validate parameter names
    against the registry and interventions against the catalogue, which constructing
    ``Scenario(...)`` directly does not.

    Attributes
    ----------
    name, description
        From ``[scenario]`` of the file itself (never inherited).
    population, time, outputs
        The typed tables.
    parameters
        Parameter overrides (declared names only), as floats; the full set of values is
        ``povsim.params.Parameters(scenario.parameters)``.
    interventions
        Intervention name -> its validated table (as a plain dict).
    source_files
        The file and every file in its ``extends`` chain, absolute, child first.
    warnings
        Non-fatal remarks, e.g. parameter values outside their plausible range.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str = Field(pattern=_NAME_PATTERN)
    description: str = ""
    population: PopulationConfig = PopulationConfig()
    time: TimeConfig = TimeConfig()
    parameters: dict[str, float] = Field(default_factory=dict)
    interventions: dict[str, dict[str, Any]] = Field(default_factory=dict)
    outputs: OutputsConfig = OutputsConfig()
    budget: BudgetConfig = BudgetConfig()
    calibration: CalibrationConfig = CalibrationConfig()
    source_files: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @classmethod
    def default(cls, name: str = "baseline") -> Scenario:
        """A valid scenario with every default (Hubei pilot geography, 2014 + 60 years).

        Parameters
        ----------
        name
            Scenario name, ``[A-Za-z0-9_-]+``.
        """
        return scenario_from_dict({"scenario": {"name": name}}, file="<default>")

    @property
    def total_persons(self) -> int:
        """Total initial persons."""
        return self.population.total_persons

    @property
    def end_year(self) -> int:
        """``start_year + years`` (exclusive horizon)."""
        return self.time.end_year

    def resolved_dict(self) -> dict[str, Any]:
        """The fully resolved scenario as plain TOML-able data (no ``extends``).

        Every default is explicit, ``persons`` is explicit for a synthetic geography
        (``scale``, the sampling fraction, is kept as given), paths are absolute and
        ``None`` values are left out.  ``source_files`` and ``warnings`` are not part of it.
        """
        data = self._content_dict()
        pop = data["population"]
        if pop.get("geography", "synthetic") == "synthetic" and pop.get("persons") is None:
            # the full area's persons, explicit (scale stays: it is the sampling fraction)
            data["population"] = {"persons": self.population.frame_persons, **pop}
        return data

    def to_toml(self) -> str:
        """:meth:`resolved_dict` written as TOML, headed by comments naming the sources."""
        head = [f"# Resolved scenario {self.name!r}."]
        head += [f"# source: {f}" for f in self.source_files]
        head += [f"# warning: {w}" for w in self.warnings]
        return "\n".join(head) + "\n\n" + dumps_toml(self.resolved_dict())

    def with_overrides(
        self,
        *,
        parameters: Mapping[str, float] | None = None,
        population: Mapping[str, Any] | None = None,
        time: Mapping[str, Any] | None = None,
        outputs: Mapping[str, Any] | None = None,
        registry: Mapping[str, Param] | None = None,
    ) -> Scenario:
        """A new validated scenario with some values replaced (key by key).

        Parameters
        ----------
        parameters, population, time, outputs
            Keys to set in the corresponding table; other keys keep their values.
        registry
            Parameter declarations to validate against; default
            :func:`povsim.params.registry`.

        Raises
        ------
        ScenarioErrors
            If an override is invalid; the errors name the file ``"<overrides>"``.
        """
        base_file = self.source_files[0] if self.source_files else "<scenario>"
        base = self._content_dict()
        over: dict[str, Any] = {}
        for section, values in (
            ("parameters", parameters),
            ("population", population),
            ("time", time),
            ("outputs", outputs),
        ):
            if values is not None:
                over[section] = dict(values)
        _absolutize(over, Path.cwd())
        origins: dict[tuple[Any, ...], str] = {(): base_file}
        merged = _merge(base, over, origins, "<overrides>", ())
        return _build(merged, origins=origins, registry=registry, source_files=self.source_files)

    def _content_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude={"source_files", "warnings"})
        return {
            "scenario": {"name": data["name"], "description": data["description"]},
            "population": _drop_none(data["population"]),
            "time": data["time"],
            "parameters": data["parameters"],
            "interventions": data["interventions"],
            "budget": _drop_none(data["budget"]),
            "outputs": _drop_none(data["outputs"]),
            # a fitted parameter set's record; left out when empty so that scenarios
            # without one resolve (and hash) as before
            **({"calibration": _drop_none(data["calibration"])}
               if any(data["calibration"].values()) else {}),
        }


# --------------------------------------------------------------------------- public API


def load_scenario(
    path: str | os.PathLike[str], *, registry: Mapping[str, Param] | None = None
) -> Scenario:
    """Read a scenario file, follow its ``extends`` chain and validate everything.

    Parameters
    ----------
    path
        The scenario TOML file.
    registry
        Parameter declarations to validate ``[parameters]`` against; default
        :func:`povsim.params.registry`.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioErrors
        With every problem found (``.errors`` lists :class:`ScenarioError`).
    """
    errors: list[ScenarioError] = []
    chain = _read_chain(Path(path), errors)
    return _build_chain(chain, registry, errors)


def scenario_from_dict(
    data: Mapping[str, Any],
    *,
    file: str = "<dict>",
    base_dir: str | os.PathLike[str] = ".",
    registry: Mapping[str, Param] | None = None,
) -> Scenario:
    """Validate scenario data given as a dict (the parsed content of one TOML file).

    Parameters
    ----------
    data
        Same layout as a scenario file.  ``extends`` and ``moda_config`` resolve against
        ``base_dir``.
    file
        Name used in error messages.
    base_dir
        Folder against which relative paths resolve.
    registry
        Parameter declarations; default :func:`povsim.params.registry`.

    Raises
    ------
    ScenarioErrors
        With every problem found.
    """
    if not isinstance(data, Mapping):
        raise ScenarioErrors(
            [ScenarioError(file, "", data, "a table (dict) of scenario tables", "")]
        )
    errors: list[ScenarioError] = []
    chain = _follow_extends(file, copy.deepcopy(dict(data)), _abs(Path(base_dir)), errors)
    return _build_chain(chain, registry, errors)


def _build_chain(
    chain: list[tuple[str, dict[str, Any]]],
    registry: Mapping[str, Param] | None,
    errors: list[ScenarioError],
) -> Scenario:
    """Merge and validate a chain; raise every error found while reading or validating."""
    if not chain:
        raise ScenarioErrors(errors)
    merged, origins = _merge_chain(chain)
    source_files = tuple(f for f, _ in chain if Path(f).is_absolute())
    try:
        scenario = _build(merged, origins=origins, registry=registry, source_files=source_files)
    except ScenarioErrors as exc:
        errors.extend(exc.errors)
    if errors:
        raise ScenarioErrors(_dedupe(errors))
    return scenario


def validate_files(
    paths: Iterable[str | os.PathLike[str]], *, registry: Mapping[str, Param] | None = None
) -> list[ScenarioError]:
    """Every problem in every file (empty list: all valid).  Never raises for bad content.

    Parameters
    ----------
    paths
        Scenario files.
    registry
        Parameter declarations; default :func:`povsim.params.registry`.
    """
    errors: list[ScenarioError] = []
    for p in paths:
        try:
            load_scenario(p, registry=registry)
        except ScenarioErrors as exc:
            errors.extend(exc.errors)
    return _dedupe(errors)


def dumps_toml(data: Mapping[str, Any]) -> str:
    """Write a mapping as TOML.

    Supports str, int, float (including inf/nan), bool, lists (of scalars, lists or
    tables, written inline) and nested tables.  Keys whose value is ``None`` are left out
    (TOML has no null).

    Raises
    ------
    TypeError
        For a value of any other type.
    """
    lines: list[str] = []
    _emit_table(data, (), lines)
    return "\n".join(lines).lstrip("\n") + "\n"


# --------------------------------------------------------------------------- reading files


def _read_chain(path: Path, errors: list[ScenarioError]) -> list[tuple[str, dict[str, Any]]]:
    """Parse ``path`` and its ``extends`` ancestors: ``[(abs_file, data), ...]``, child first.

    Problems are appended to ``errors``; the chain stops at the first unreadable file.
    """
    current = _abs(path)
    if not current.is_file():
        errors.append(
            ScenarioError(
                str(path),
                "",
                str(path),
                "an existing scenario file",
                _missing_file_hint(current, f"the current folder {Path.cwd()}"),
            )
        )
        return []
    data = _parse_toml(current, errors)
    if data is None:
        return []
    return _follow_extends(str(current), data, current.parent, errors)


def _follow_extends(
    file: str, data: dict[str, Any], folder: Path, errors: list[ScenarioError]
) -> list[tuple[str, dict[str, Any]]]:
    """The chain ``[(file, data), (parent_file, parent_data), ...]`` starting at ``data``.

    Relative paths inside each file are made absolute against that file's folder; cycles,
    missing parents and unreadable parents are appended to ``errors``.
    """
    chain: list[tuple[str, dict[str, Any]]] = []
    while True:
        _absolutize(data, folder)
        chain.append((file, data))
        meta = data.get("scenario")
        if not isinstance(meta, dict):
            return chain
        if len(chain) > 1:  # an ancestor: check its [scenario] table (name not required)
            errors.extend(_check_parent_meta(meta, file))
        ext = meta.get("extends")
        if not isinstance(ext, str):  # absent, or a wrong type reported by validation
            return chain
        target = _abs(folder / ext)
        seen = [f for f, _ in chain]
        if str(target) in seen:
            loop = [Path(f).name for f in seen[seen.index(str(target)) :]] + [target.name]
            errors.append(
                ScenarioError(
                    file,
                    "scenario.extends",
                    ext,
                    "a parent that does not lead back to this file, "
                    f"but found the cycle {' -> '.join(loop)}",
                    f"remove extends from one of {', '.join(dict.fromkeys(loop))}",
                )
            )
            return chain
        if not target.is_file():
            errors.append(
                ScenarioError(
                    file,
                    "scenario.extends",
                    ext,
                    f"an existing scenario file (looked for {target})",
                    _missing_file_hint(target),
                )
            )
            return chain
        parent = _parse_toml(target, errors)
        if parent is None:
            return chain
        file, data, folder = str(target), parent, target.parent


def _merge_chain(
    chain: list[tuple[str, dict[str, Any]]],
) -> tuple[dict[str, Any], dict[tuple[Any, ...], str]]:
    """Deep-merge a chain (child first); ``[scenario]`` is the child's own, never inherited."""
    child_file, child_data = chain[0]
    origins: dict[tuple[Any, ...], str] = {(): child_file}
    merged: dict[str, Any] = {}
    for file, data in reversed(chain):
        own = {k: v for k, v in data.items() if k != "scenario"}
        merged = _merge(merged, own, origins, file, ())
    if "scenario" in child_data:
        meta = child_data["scenario"]
        if isinstance(meta, dict):
            meta = {k: v for k, v in meta.items() if k != "extends" or not isinstance(v, str)}
        merged = {"scenario": meta, **merged}
        _forget(origins, ("scenario",))
        origins[("scenario",)] = child_file
    return merged, origins


def _parse_toml(path: Path, errors: list[ScenarioError]) -> dict[str, Any] | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        errors.append(
            ScenarioError(str(path), "", str(path), "a readable file", exc.strerror or str(exc))
        )
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        errors.append(
            ScenarioError(
                str(path),
                f"byte {exc.start}",
                raw[exc.start : exc.start + 4],
                "a UTF-8 text file",
                "save the file as UTF-8",
            )
        )
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        errors.append(_toml_error(str(path), text, exc))
        return None


def _toml_error(file: str, text: str, exc: tomllib.TOMLDecodeError) -> ScenarioError:
    msg = str(exc)
    m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
    lines = text.splitlines()
    if m:
        lineno, col = int(m.group(1)), int(m.group(2))
        where = f"line {lineno}, column {col}"
    else:
        lineno = len(lines)
        where = f"line {lineno} (end of file)"
    reason = re.sub(r"\s*\(at [^)]*\)\s*$", "", msg)
    source = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    return ScenarioError(
        file,
        where,
        source,
        f"valid TOML ({reason})",
        "strings need double quotes, each key may appear once, tables are written [name], "
        "lists [a, b]",
    )


def _absolutize(data: dict[str, Any], folder: Path) -> None:
    """Make the file-relative paths of one parsed file absolute (in place)."""
    outputs = data.get("outputs")
    if isinstance(outputs, dict) and isinstance(outputs.get("moda_config"), str):
        outputs["moda_config"] = str(_abs(folder / outputs["moda_config"]))
    calibration = data.get("calibration")
    if isinstance(calibration, dict) and isinstance(calibration.get("targets"), str):
        calibration["targets"] = str(_abs(folder / calibration["targets"]))


def _abs(path: Path) -> Path:
    """Absolute, normalised path (``..`` removed; symlinks kept)."""
    return Path(os.path.normpath(path.absolute()))


def _check_parent_meta(meta: dict[str, Any], file: str) -> list[ScenarioError]:
    try:
        ScenarioMeta.model_validate({"name": "parent", **meta})
    except ValidationError as exc:
        return _translate(exc, ScenarioMeta, ("scenario",), {(): file})
    return []


def _missing_file_hint(path: Path, relative_to: str = "the folder of the file naming it") -> str:
    """A fix for a missing file: a similar name beside it, or where paths are resolved."""
    folder = path.parent
    if not folder.is_dir():
        return f"the folder {folder} does not exist; the path is relative to {relative_to}"
    stems = {p.stem: p.name for p in folder.iterdir() if p.suffix == path.suffix and p.is_file()}
    close = difflib.get_close_matches(path.stem, list(stems), n=1, cutoff=0.75)
    if close:
        return f"did you mean {stems[close[0]]!r}?"
    return f"no such file in {folder}; the path is relative to {relative_to}"


# --------------------------------------------------------------------------- merging


def _merge(
    base: dict[str, Any],
    over: Mapping[str, Any],
    origins: dict[tuple[Any, ...], str],
    over_file: str,
    path: tuple[Any, ...],
) -> dict[str, Any]:
    """Deep-merge ``over`` onto ``base`` (tables key by key; anything else replaced)."""
    out = dict(base)
    for key, value in over.items():
        here = (*path, key)
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, origins, over_file, here)
        else:
            out[key] = value
            _forget(origins, here)
            origins[here] = over_file
    return out


def _forget(origins: dict[tuple[Any, ...], str], prefix: tuple[Any, ...]) -> None:
    n = len(prefix)
    for k in [k for k in origins if len(k) >= n and k[:n] == prefix]:
        del origins[k]


def _origin(origins: Mapping[tuple[Any, ...], str], loc: tuple[Any, ...]) -> str:
    for i in range(len(loc), -1, -1):
        if loc[:i] in origins:
            return origins[loc[:i]]
    return "<unknown>"


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _dedupe(errors: list[ScenarioError]) -> list[ScenarioError]:
    seen: set[str] = set()
    out = []
    for e in errors:
        if e.message() not in seen:
            seen.add(e.message())
            out.append(e)
    return out


# --------------------------------------------------------------------------- validation


def _build(
    data: dict[str, Any],
    *,
    origins: dict[tuple[Any, ...], str],
    registry: Mapping[str, Param] | None,
    source_files: tuple[str, ...] = (),
) -> Scenario:
    """Validate merged scenario data and build the :class:`Scenario`, or raise all errors."""
    errors: list[ScenarioError] = []
    warnings: list[str] = []

    def fail(loc: tuple[Any, ...], value: object, expected: str, suggestion: str) -> None:
        errors.append(ScenarioError(_origin(origins, loc), _key(loc), value, expected, suggestion))

    for name, value in data.items():
        if name not in TOP_LEVEL_TABLES:
            fail(
                (name,),
                value,
                "a known top-level table",
                did_you_mean(str(name), TOP_LEVEL_TABLES),
            )

    tables: dict[str, Any] = {}
    for section in TOP_LEVEL_TABLES:
        raw = data.get(section, {})
        if not isinstance(raw, dict):
            fail(
                (section,),
                raw,
                f"a table [{section}]",
                f"write the keys under a [{section}] header",
            )
            continue
        model = _SECTION_MODELS.get(section)
        if model is not None:
            try:
                tables[section] = model.model_validate(raw)
            except ValidationError as exc:
                errors.extend(_translate(exc, model, (section,), origins))
        elif section == "parameters":
            tables[section] = _check_parameters(raw, registry, origins, errors, warnings)
        else:
            tables[section] = _check_interventions(raw, origins, errors)

    if errors:
        raise ScenarioErrors(_dedupe(errors))
    meta: ScenarioMeta = tables["scenario"]
    return Scenario(
        name=meta.name,
        description=meta.description,
        population=tables["population"],
        time=tables["time"],
        parameters=tables["parameters"],
        interventions=tables["interventions"],
        outputs=tables["outputs"],
        budget=tables["budget"],
        calibration=tables["calibration"],
        source_files=source_files,
        warnings=tuple(warnings),
    )


def _resolve_registry(reg: Mapping[str, Param] | None) -> Mapping[str, Param]:
    return reg if reg is not None else registry()


def _check_parameters(
    raw: dict[str, Any],
    reg: Mapping[str, Param] | None,
    origins: Mapping[tuple[Any, ...], str],
    errors: list[ScenarioError],
    warnings: list[str],
) -> dict[str, float]:
    out: dict[str, float] = {}
    if not raw:
        return out
    params = _resolve_registry(reg)
    for name, value in raw.items():
        loc = ("parameters", name)
        file = _origin(origins, loc)
        p = params.get(name)
        if p is None:
            errors.append(
                ScenarioError(
                    file,
                    _key(loc),
                    value,
                    "the name of a declared parameter",
                    did_you_mean(str(name), params) if params else "no parameters are declared",
                )
            )
            continue
        try:
            v = p.check(value)
        except ParameterError as exc:
            lo, hi = p.bounds
            whole = "a whole number" if p.integer else "a number"
            reason = str(exc).removeprefix(f"{p.name}: ")
            errors.append(
                ScenarioError(
                    file,
                    _key(loc),
                    value,
                    f"{whole} within the bounds [{lo:g}, {hi:g}] ({p.unit}); {reason}",
                    f"the default is {p.default:g}; plausible range "
                    f"{p.range[0]:g} to {p.range[1]:g}",
                )
            )
            continue
        lo, hi = p.range
        if not lo <= v <= hi:
            warnings.append(
                f"{file}: {_key(loc)} = {value!r} is outside the plausible range "
                f"[{lo:g}, {hi:g}] ({p.unit}); accepted, but check it (source: {p.source})"
            )
        out[name] = v
    return out


def _catalogue() -> Mapping[str, type[BaseModel]]:
    """``povsim.interventions.CATALOGUE``, or empty if that module does not exist yet."""
    try:
        mod = importlib.import_module("povsim.interventions")
    except ModuleNotFoundError as exc:
        if exc.name in ("povsim.interventions", "povsim"):
            return {}
        raise
    return getattr(mod, "CATALOGUE", {})


def _check_interventions(
    raw: dict[str, Any],
    origins: Mapping[tuple[Any, ...], str],
    errors: list[ScenarioError],
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if not raw:
        return out
    catalogue = _catalogue()
    for name, table in raw.items():
        loc = ("interventions", name)
        file = _origin(origins, loc)
        model = catalogue.get(name)
        if model is None:
            hint = (
                did_you_mean(str(name), catalogue)
                if catalogue
                else "no interventions are available yet; remove this table"
            )
            errors.append(
                ScenarioError(file, _key(loc), table, "the name of a known intervention", hint)
            )
            continue
        if not isinstance(table, dict):
            errors.append(
                ScenarioError(
                    file,
                    _key(loc),
                    table,
                    "a table [interventions.<name>]",
                    f"write the settings under an [interventions.{name}] header",
                )
            )
            continue
        try:
            out[name] = model.model_validate(table).model_dump(mode="json")
        except ValidationError as exc:
            errors.extend(_translate(exc, model, loc, origins))
    return out


# --------------------------------------------------------------------------- error translation

_EXPECTED = {
    "int_type": "a whole number (integer, no quotes)",
    "int_from_float": "a whole number (integer)",
    "int_parsing": "a whole number (integer)",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "a string in double quotes",
    "tuple_type": "a list [..]",
    "list_type": "a list [..]",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "missing": "a value (this key is required)",
    "string_pattern_mismatch": "a name of letters, digits, '_' and '-' only",
}


def _translate(
    exc: ValidationError,
    model: type[BaseModel],
    prefix: tuple[Any, ...],
    origins: Mapping[tuple[Any, ...], str],
) -> list[ScenarioError]:
    """Turn pydantic's error entries into :class:`ScenarioError` (one per entry)."""
    out = []
    for err in exc.errors(include_url=False):
        kind = err["type"]
        loc = tuple(err["loc"])
        ctx = err.get("ctx") or {}
        value = err.get("input")
        if "key" in ctx:  # model-level check pointing at one field
            loc = (ctx["key"],)
            value = ctx.get("value")
        elif "index" in ctx:  # list-level check pointing at one element
            loc = (*loc, ctx["index"])
            value = ctx.get("value")
        full = (*prefix, *loc)
        if kind == "missing":
            value = None
        expected = _EXPECTED.get(kind) or err["msg"].removeprefix("Input should be ")
        expected = expected.replace("greater than or equal to", ">=")
        expected = expected.replace("less than or equal to", "<=")
        if kind == "extra_forbidden":
            fields = _fields_at(model, loc[:-1])
            expected = "a known key" + (
                f" of [{'.'.join(map(str, (*prefix, *loc[:-1])))}]" if full[:-1] else ""
            )
            suggestion = did_you_mean(str(loc[-1]), fields) if fields else "remove this key"
        else:
            suggestion = ctx.get("suggestion") or _suggest(kind, model, loc, value)
        out.append(ScenarioError(_origin(origins, full), _key(full), value, expected, suggestion))
    return out


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the (sub)model reached by following ``loc`` from ``model``."""
    current: Any = model
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(part)
        if field is None:
            return []
        current = field.annotation
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _suggest(kind: str, model: type[BaseModel], loc: tuple[Any, ...], value: object) -> str:
    field = model.model_fields.get(loc[0]) if loc else None
    leaf = str(loc[0]) if loc else ""
    default = None
    if field is not None and not field.is_required():
        default = field.get_default(call_default_factory=True)
    if kind == "missing":
        return f"add {leaf} = ..." if leaf != "name" else 'add name = "my_scenario"'
    if kind in ("int_type", "int_from_float", "int_parsing", "float_type"):
        if isinstance(value, str) and _is_number(value):
            return f"remove the quotes: {leaf} = {value.strip()}"
        if default is not None:
            return f"e.g. {leaf} = {_toml_value(default)} (the default)"
        return "write a number without quotes"
    if kind in ("tuple_type", "list_type") and isinstance(value, str):
        return f"write a list: {leaf} = [{_toml_value(value)}]"
    if kind == "bool_type":
        return f"write {leaf} = true or {leaf} = false, without quotes"
    if kind == "string_type":
        return f"put the value in double quotes: {_toml_value(str(value))}"
    if kind == "string_pattern_mismatch" and isinstance(value, str):
        return f"e.g. {_toml_value(re.sub(r'[^A-Za-z0-9_-]+', '_', value))}"
    if kind == "literal_error" and isinstance(value, str):
        return did_you_mean(value, BY_GROUPS if leaf == "by" else ())
    if default is not None:
        return f"the default is {_toml_value(default)}"
    if field is not None and not field.is_required():
        return "remove the key to use the default"
    return ""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _key(loc: tuple[Any, ...]) -> str:
    """Dotted TOML key path, list indices as ``[i]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            k = str(part)
            k = k if _BARE_KEY.match(k) else _toml_string(k)
            out += f".{k}" if out else k
    return out


# --------------------------------------------------------------------------- TOML writer

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _toml_string(s: str) -> str:
    out = []
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_key(k: object) -> str:
    if not isinstance(k, str):
        raise TypeError(f"TOML keys must be strings, got {k!r}")
    return k if _BARE_KEY.match(k) else _toml_string(k)


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _toml_string(v)
    if isinstance(v, datetime.date):  # TOML local date (programme start and end dates)
        return v.isoformat()
    if isinstance(v, Mapping):
        items = [f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items() if x is not None]
        return "{" + ", ".join(items) + "}" if items else "{}"
    if isinstance(v, Sequence):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} {v!r} as TOML")


def _emit_table(table: Mapping[str, Any], path: tuple[str, ...], lines: list[str]) -> None:
    subtables = []
    if path:
        lines.append("")
        lines.append("[" + ".".join(_toml_key(p) for p in path) + "]")
    for k, v in table.items():
        if v is None:
            continue
        if isinstance(v, Mapping):
            subtables.append((k, v))
        else:
            lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
    for k, v in subtables:
        _emit_table(v, (*path, k), lines)
