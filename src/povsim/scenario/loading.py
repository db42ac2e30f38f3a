"""Reading and checking scenario files: ``extends`` chains, the tables against the schema,
parameters against their declarations, interventions against the catalogue, targeted
places against the geography.  Every problem found is reported, all at once."""

from __future__ import annotations

import copy
import importlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from povsim.config import (
    check_parameter,
    dotted_key,
    follow_extends,
    merge_chain,
    origin_of,
    read_chain,
    translate,
)
from povsim.errors import ScenarioError, ScenarioErrors, did_you_mean
from povsim.params import Param
from povsim.params import registry as declared
from povsim.scenario.schema import SECTION_MODELS, TOP_LEVEL_TABLES, PopulationConfig, Scenario, ScenarioMeta

__all__ = ["PLACES", "load_scenario", "parameter_origins", "scenario_from_dict", "validate_files"]

#: File-relative paths of a scenario file, made absolute against the file holding them.
PATH_KEYS = (("outputs", "moda_config"), ("calibration", "targets"))

#: Targeting keys that name places, with the places of a scenario's geography they may
#: name (townships as ``County/township`` in an area file, ``County-Tnn`` in a synthetic one).
PLACES: dict[str, Callable[[PopulationConfig], Sequence[str]]] = {
    "counties": lambda population: population.counties,
    "townships": lambda population: _township_names(population),
}


def _township_names(population: PopulationConfig) -> tuple[str, ...]:
    from povsim.geography import township_names

    return township_names(population)


def load_scenario(path: str | os.PathLike[str], *, registry: Mapping[str, Param] | None = None) -> Scenario:
    """Read a scenario file, follow its ``extends`` chain and validate everything.

    Parameters
    ----------
    path
        The scenario TOML file.
    registry
        Parameter declarations to validate ``[parameters]`` against; default
        :func:`povsim.params.registry`.

    Raises
    ------
    ScenarioErrors
        With every problem found (``.errors`` lists :class:`ScenarioError`).
    """
    errors: list[ScenarioError] = []
    chain = read_chain(path, errors, meta="scenario", path_keys=PATH_KEYS, what="scenario file")
    return _build_chain(chain, registry, errors)


def scenario_from_dict(data: Mapping[str, Any], *, file: str = "<dict>", base_dir: str | os.PathLike[str] = ".",
                       registry: Mapping[str, Param] | None = None) -> Scenario:
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
        raise ScenarioErrors([ScenarioError(file, "", data, "a table (dict) of scenario tables", "")])
    errors: list[ScenarioError] = []
    chain = follow_extends(file, copy.deepcopy(dict(data)), Path(os.path.normpath(Path(base_dir).absolute())),
                           errors, meta="scenario", path_keys=PATH_KEYS)
    return _build_chain(chain, registry, errors)


def validate_files(paths: Iterable[str | os.PathLike[str]], *,
                   registry: Mapping[str, Param] | None = None) -> list[ScenarioError]:
    """Every problem in every scenario file (empty list: all valid).  Never raises for bad
    content; ``povsim validate`` checks files of every kind (:func:`povsim.config.validate_files`)."""
    errors: list[ScenarioError] = []
    for p in paths:
        try:
            load_scenario(p, registry=registry)
        except ScenarioErrors as exc:
            errors.extend(exc.errors)
    return _dedupe(errors)


def parameter_origins(path: str | os.PathLike[str]) -> dict[str, str]:
    """Parameter name -> the file of the ``extends`` chain that sets it (for ``describe``)."""
    errors: list[ScenarioError] = []
    chain = read_chain(path, errors, meta="scenario", path_keys=PATH_KEYS)
    if not chain:
        raise ScenarioErrors(errors)
    merged, origins = merge_chain(chain, meta="scenario")
    params = merged.get("parameters")
    return {k: origin_of(origins, ("parameters", k)) for k in params} if isinstance(params, dict) else {}


def _build_chain(chain: list[tuple[str, dict[str, Any]]], registry: Mapping[str, Param] | None,
                 errors: list[ScenarioError]) -> Scenario:
    """Merge and validate a chain; raise every error found while reading or validating."""
    if not chain:
        raise ScenarioErrors(errors)
    merged, origins = merge_chain(chain, meta="scenario")
    source_files = tuple(f for f, _ in chain if Path(f).is_absolute())
    try:
        scenario = build(merged, origins=origins, registry=registry, source_files=source_files)
    except ScenarioErrors as exc:
        errors.extend(exc.errors)
    if errors:
        raise ScenarioErrors(_dedupe(errors))
    return scenario


def _dedupe(errors: list[ScenarioError]) -> list[ScenarioError]:
    seen: set[str] = set()
    out = []
    for e in errors:
        if e.message() not in seen:
            seen.add(e.message())
            out.append(e)
    return out


def build(data: dict[str, Any], *, origins: dict[tuple[Any, ...], str], registry: Mapping[str, Param] | None,
          source_files: tuple[str, ...] = ()) -> Scenario:
    """Validate merged scenario data and build the :class:`Scenario`, or raise all errors."""
    errors: list[ScenarioError] = []
    warnings: list[str] = []

    def fail(loc: tuple[Any, ...], value: object, expected: str, suggestion: str) -> None:
        errors.append(ScenarioError(origin_of(origins, loc), dotted_key(loc), value, expected, suggestion))

    for name, value in data.items():
        if name not in TOP_LEVEL_TABLES:
            fail((name,), value, "a known top-level table", did_you_mean(str(name), TOP_LEVEL_TABLES))
    tables: dict[str, Any] = {}
    for section in TOP_LEVEL_TABLES:
        raw = data.get(section, {})
        if not isinstance(raw, dict):
            fail((section,), raw, f"a table [{section}]", f"write the keys under a [{section}] header")
            continue
        model = SECTION_MODELS.get(section)
        if model is not None:
            try:
                tables[section] = model.model_validate(raw)
            except ValidationError as exc:
                errors.extend(translate(exc, model, prefix=(section,), origins=origins))
        elif section == "parameters":
            reg = registry if registry is not None else (declared() if raw else {})
            tables[section] = _check_parameters(raw, reg, origins, errors, warnings)
        else:
            tables[section] = _check_interventions(raw, origins, errors)
    if "population" in tables and "interventions" in tables:
        _check_places(tables["interventions"], tables["population"], origins, errors)
    outputs = tables.get("outputs")
    if outputs is not None and outputs.moda_config is not None:
        _check_moda_config(outputs.moda_config, errors)
    if errors:
        raise ScenarioErrors(_dedupe(errors))
    meta: ScenarioMeta = tables["scenario"]
    return Scenario(name=meta.name, description=meta.description, population=tables["population"],
                    time=tables["time"], parameters=tables["parameters"], interventions=tables["interventions"],
                    outputs=tables["outputs"], budget=tables["budget"], calibration=tables["calibration"],
                    source_files=source_files, warnings=tuple(warnings))


def _check_parameters(raw: dict[str, Any], params: Mapping[str, Param], origins: Mapping[tuple[Any, ...], str],
                      errors: list[ScenarioError], warnings: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, value in raw.items():
        loc = ("parameters", name)
        file = origin_of(origins, loc)
        p = params.get(name)
        if p is None:
            errors.append(ScenarioError(file, dotted_key(loc), value, "the name of a declared parameter",
                                        did_you_mean(str(name), params) if params else "no parameters are declared"))
            continue
        v = check_parameter(p, value, file, dotted_key(loc), errors, warnings)
        if v is not None:
            out[name] = v
    return out


def _check_places(interventions: Mapping[str, Mapping[str, Any]], population: PopulationConfig,
                  origins: Mapping[tuple[Any, ...], str], errors: list[ScenarioError]) -> None:
    """Every place an intervention targets must be a place of the scenario's geography."""
    for name, cfg in interventions.items():
        targeting = cfg.get("targeting") or {}
        for key, places in PLACES.items():
            known = list(places(population))
            for i, value in enumerate(targeting.get(key) or ()):
                if value not in known:
                    loc = ("interventions", name, "targeting", key, i)
                    shown = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
                    errors.append(ScenarioError(origin_of(origins, loc), dotted_key(loc), value,
                                                f"one of the {key} of [population] ({shown})",
                                                did_you_mean(str(value), known)))


def _check_moda_config(path: str, errors: list[ScenarioError]) -> None:
    """A MODA configuration named by ``[outputs] moda_config`` is checked with the scenario."""
    from povsim.moda import load_moda_config

    try:
        load_moda_config(path)
    except ScenarioErrors as exc:
        errors.extend(exc.errors)


def _catalogue() -> Mapping[str, type[BaseModel]]:
    """``povsim.interventions.CATALOGUE``, or empty if that module does not exist yet."""
    try:
        mod = importlib.import_module("povsim.interventions")
    except ModuleNotFoundError as exc:
        if exc.name in ("povsim.interventions", "povsim"):
            return {}
        raise
    return getattr(mod, "CATALOGUE", {})


def _check_interventions(raw: dict[str, Any], origins: Mapping[tuple[Any, ...], str],
                         errors: list[ScenarioError]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    catalogue = _catalogue() if raw else {}
    for name, table in raw.items():
        loc = ("interventions", name)
        file = origin_of(origins, loc)
        model = catalogue.get(name)
        if model is None:
            hint = did_you_mean(str(name), catalogue) if catalogue else "no interventions are available yet; " \
                "remove this table"
            errors.append(ScenarioError(file, dotted_key(loc), table, "the name of a known intervention", hint))
        elif not isinstance(table, dict):
            errors.append(ScenarioError(file, dotted_key(loc), table, "a table [interventions.<name>]",
                                        f"write the settings under an [interventions.{name}] header"))
        else:
            try:
                out[name] = model.model_validate(table).model_dump(mode="json")
            except ValidationError as exc:
                errors.extend(translate(exc, model, prefix=loc, origins=origins))
    return out
