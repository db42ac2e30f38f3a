"""The scenario schema: the typed tables of a scenario file and the resolved
:class:`Scenario` (reading and checking files is :mod:`povsim.scenario.loading`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import AfterValidator, Field, StrictStr, model_validator
from pydantic_core import PydanticCustomError

from povsim.config import StrictModel, missing_file_hint
from povsim.errors import did_you_mean
from povsim.params import Param
from povsim.toml_writer import dumps_toml

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

#: Names of the tidy output tables a run can write.
OUTPUT_TABLES: tuple[str, ...] = (
    "population", "income_poverty", "stunting", "anaemia", "health", "enrolment", "left_behind",
    "development", "living_conditions", "generations", "schooling_by_cohort",
    "demography", "household_composition", "wealth", "poverty_policy", "poverty_lines",
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

#: ``[population]`` keys of a synthetic layout; an area file sets its own villages and townships.
SYNTHETIC_ONLY: tuple[str, ...] = ("pilot_villages", "comparison_villages", "village_size", "townships")

# --------------------------------------------------------------------------- models


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
    if name not in OUTPUT_TABLES:
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
            {"suggestion": missing_file_hint(Path(path))},
        )
    return path


class ScenarioMeta(StrictModel):
    """The ``[scenario]`` table: identity of the scenario."""

    name: str = Field(pattern=_NAME_PATTERN, description="Short identifier, [A-Za-z0-9_-]+.")
    description: str = ""
    extends: str | None = Field(
        default=None, description="Parent scenario file, relative to this file."
    )


class PopulationConfig(StrictModel):
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
    start
        ``"spinup"``: the start year's population is spun up from history by the model's
        own processes (:mod:`povsim.spinup`, cached); ``"synthetic"``: drawn directly from
        the start year's marginal distributions (its first years relax).
    spinup_from
        First year of the spin-up.
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
    start: Literal["spinup", "synthetic"] = "synthetic"
    spinup_from: int = Field(default=1980, ge=1960, le=2013)

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

            given = [k for k in SYNTHETIC_ONLY if k in self.model_fields_set]
            if given:
                raise PydanticCustomError(
                    "synthetic_only", "keys of a synthetic geography only ({keys})",
                    {"key": given[0], "value": getattr(self, given[0]), "keys": ", ".join(SYNTHETIC_ONLY),
                     "suggestion": f'add geography = "synthetic" to [population] for a synthetic layout, or drop '
                                   f"{given[0]} (the area file {self.geography!r} sets the villages and townships)"})

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


class TimeConfig(StrictModel):
    """The ``[time]`` table: first simulated year and number of years."""

    start_year: int = Field(default=2014, ge=1990, le=2100)
    years: int = Field(default=60, ge=1, le=200)

    @property
    def end_year(self) -> int:
        """The last simulated year, ``start_year + years``: the start year is the initial
        state and each of the ``years`` steps simulates one more year."""
        return self.start_year + self.years


class OutputsConfig(StrictModel):
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


class BudgetConfig(StrictModel):
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


class CalibrationConfig(StrictModel):
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


#: The model of each top-level table (``[parameters]`` and ``[interventions]`` are checked
#: against the parameter registry and the intervention catalogue instead).
SECTION_MODELS: dict[str, type[StrictModel]] = {
    "scenario": ScenarioMeta,
    "population": PopulationConfig,
    "time": TimeConfig,
    "outputs": OutputsConfig,
    "budget": BudgetConfig,
    "calibration": CalibrationConfig,
}


class Scenario(StrictModel):
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
        from povsim.scenario.loading import scenario_from_dict

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
        over: dict[str, Any] = {section: dict(values) for section, values in (
            ("parameters", parameters), ("population", population), ("time", time), ("outputs", outputs))
            if values is not None}
        from povsim.config import merge
        from povsim.scenario.loading import PATH_KEYS, build

        folder = Path.cwd()
        for table, key in PATH_KEYS:  # paths given as overrides are relative to the current folder
            if isinstance(over.get(table, {}).get(key), str):
                over[table][key] = str(folder / over[table][key])
        origins: dict[tuple[Any, ...], str] = {(): base_file}
        merged = merge(base, over, origins, "<overrides>")
        return build(merged, origins=origins, registry=registry, source_files=self.source_files)

    def _content_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude={"source_files", "warnings"})
        return {
            "scenario": {"name": data["name"], "description": data["description"]},
            "population": _population_content(_drop_none(data["population"])),
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


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _population_content(pop: dict[str, Any]) -> dict[str, Any]:
    """``[population]`` as written in a resolved scenario: without the keys of a synthetic
    layout when an area file sets the villages (they would not apply, and are refused)."""
    if pop.get("geography", "synthetic") == "synthetic":
        return pop
    return {k: v for k, v in pop.items() if k not in SYNTHETIC_ONLY}
