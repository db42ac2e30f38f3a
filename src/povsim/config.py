"""The configuration layer every input file goes through.

Scenarios, MODA configurations, batch designs, sensitivity studies and calibration
target files are TOML files read into strict pydantic models.  This module holds what
they share, so that a mistake reads the same in every kind of file:

* :class:`StrictModel`: immutable, no unknown keys, no silent ``"3" -> 3``;
* :func:`read_toml` and :func:`read_chain`: TOML with ``extends = "parent.toml"`` in the
  file's own table (``[scenario]``, ``[experiment]``, ...), the child overriding key by
  key, paths made absolute against the file that holds them, and every value's file
  remembered (``origins``);
* :func:`translate`: pydantic's errors as :class:`~povsim.errors.ScenarioError` -- file
  (through ``extends``), dotted key, value, what was expected, and a fix ("did you
  mean ...?");
* :func:`check_parameter`, :func:`check_interval`, :func:`check_range`: a value, bounds
  or a sampling range of a declared parameter against its declaration;
* :data:`FILE_KINDS`: how ``povsim validate`` recognises a file and which loader checks it.
"""

from __future__ import annotations

import difflib
import importlib
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError

from povsim.errors import ParameterError, ScenarioError, ScenarioErrors, did_you_mean
from povsim.params import Param
from povsim.toml_writer import toml_string, toml_value

__all__ = [
    "FILE_KINDS",
    "StrictModel",
    "check_interval",
    "check_parameter",
    "check_range",
    "detect_kind",
    "dotted_key",
    "load_model",
    "missing_file_hint",
    "origin_of",
    "read_chain",
    "read_toml",
    "read_toml_text",
    "translate",
    "validate_files",
]

Loc = tuple[Any, ...]
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")


class StrictModel(BaseModel):
    """Base of every file table: immutable, unknown keys refused, no type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --------------------------------------------------------------------------- reading


def missing_file_hint(path: Path, relative_to: str = "the folder of the file naming it") -> str:
    """A fix for a missing file: a similar name beside it, or where paths are resolved."""
    folder = path.parent
    if not folder.is_dir():
        return f"the folder {folder} does not exist; the path is relative to {relative_to}"
    stems = {p.stem: p.name for p in folder.iterdir() if p.suffix == path.suffix and p.is_file()}
    close = difflib.get_close_matches(path.stem, list(stems), n=1, cutoff=0.75)
    if close:
        return f"did you mean {stems[close[0]]!r}?"
    return f"no such file in {folder}; the path is relative to {relative_to}"


def read_toml(path: str | os.PathLike[str], errors: list[ScenarioError], what: str = "file") -> dict[str, Any] | None:
    """Parse a TOML file; problems (missing, unreadable, not UTF-8, bad syntax) are
    appended to ``errors`` naming the line, and ``None`` is returned."""
    return read_toml_text(path, errors, what)[0]


def read_toml_text(path: str | os.PathLike[str], errors: list[ScenarioError],
                   what: str = "file") -> tuple[dict[str, Any] | None, str | None]:
    """:func:`read_toml`, and the file's text (read once; ``None`` when it could not be
    read or decoded)."""
    path = Path(path)
    if not path.is_file():
        errors.append(ScenarioError(str(path), "", str(path), f"an existing {what}",
                                    missing_file_hint(_abs(path), f"the current folder {Path.cwd()}")))
        return None, None
    try:
        raw = path.read_bytes()
    except OSError as exc:
        errors.append(ScenarioError(str(path), "", str(path), "a readable file", exc.strerror or str(exc)))
        return None, None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        errors.append(ScenarioError(str(path), f"byte {exc.start}", raw[exc.start:exc.start + 4],
                                    "a UTF-8 text file", "save the file as UTF-8"))
        return None, None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        lines = text.splitlines()
        lineno = int(m.group(1)) if m else len(lines)
        where = f"line {lineno}, column {m.group(2)}" if m else f"line {lineno} (end of file)"
        errors.append(ScenarioError(
            str(path), where, lines[lineno - 1] if 0 < lineno <= len(lines) else "",
            f"valid TOML ({re.sub(r'\s*\(at [^)]*\)\s*$', '', msg)})",
            "strings need double quotes, each key may appear once, tables are written [name], lists [a, b]"))
        return None, text


def _abs(path: Path) -> Path:
    """Absolute, normalised path (``..`` removed; symlinks kept)."""
    return Path(os.path.normpath(path.absolute()))


def _absolutize(data: dict[str, Any], folder: Path, path_keys: Iterable[tuple[str, str]]) -> None:
    """Make the file-relative paths (``(table, key)``; a string or a list of them) absolute."""
    for table, key in path_keys:
        t = data.get(table)
        v = t.get(key) if isinstance(t, dict) else None
        if isinstance(v, str):
            t[key] = str(_abs(folder / v))
        elif isinstance(v, list) and all(isinstance(x, str) for x in v):
            t[key] = [str(_abs(folder / x)) for x in v]


def follow_extends(file: str, data: dict[str, Any], folder: Path, errors: list[ScenarioError], *,
                   meta: str, path_keys: Iterable[tuple[str, str]] = (),
                   absolute_child: bool = True) -> list[tuple[str, dict[str, Any]]]:
    """The chain ``[(file, data), (parent_file, parent_data), ...]`` starting at ``data``.

    ``extends`` is read from the ``[meta]`` table; relative paths inside each file are made
    absolute against that file's folder (in the first file only with ``absolute_child``:
    else its loader resolves them and its messages show them as written); cycles, missing
    and unreadable parents are appended to ``errors``.
    """
    path_keys = tuple(path_keys)
    chain: list[tuple[str, dict[str, Any]]] = []
    while True:
        if chain or absolute_child:
            _absolutize(data, folder, path_keys)
        chain.append((file, data))
        table = data.get(meta)
        ext = table.get("extends") if isinstance(table, dict) else None
        if not isinstance(ext, str):  # absent, or a wrong type reported by validation
            return chain
        target = _abs(folder / ext)
        seen = [f for f, _ in chain]
        if str(target) in seen:
            loop = [Path(f).name for f in seen[seen.index(str(target)):]] + [target.name]
            errors.append(ScenarioError(file, f"{meta}.extends", ext, "a parent that does not lead back to this "
                                        f"file, but found the cycle {' -> '.join(loop)}",
                                        f"remove extends from one of {', '.join(dict.fromkeys(loop))}"))
            return chain
        if not target.is_file():
            errors.append(ScenarioError(file, f"{meta}.extends", ext, f"an existing file (looked for {target})",
                                        missing_file_hint(target)))
            return chain
        parent = read_toml(target, errors)
        if parent is None:
            return chain
        file, data, folder = str(target), parent, target.parent


def read_chain(path: str | os.PathLike[str], errors: list[ScenarioError], *, meta: str,
               path_keys: Iterable[tuple[str, str]] = (), what: str = "file",
               absolute_child: bool = True) -> list[tuple[str, dict[str, Any]]]:
    """Parse ``path`` and its ``extends`` ancestors (see :func:`follow_extends`), child first;
    empty when the file itself cannot be read (the reason is in ``errors``)."""
    current = _abs(Path(path))
    data = read_toml(current if Path(path).is_file() else Path(path), errors, what)
    if data is None:
        return []
    return follow_extends(str(current), data, current.parent, errors, meta=meta, path_keys=path_keys,
                          absolute_child=absolute_child)


def _forget(origins: dict[Loc, str], prefix: Loc) -> None:
    n = len(prefix)
    for k in [k for k in origins if len(k) >= n and k[:n] == prefix]:
        del origins[k]


def merge(base: dict[str, Any], over: Mapping[str, Any], origins: dict[Loc, str], over_file: str,
          path: Loc = ()) -> dict[str, Any]:
    """Deep-merge ``over`` onto ``base`` (tables key by key; anything else replaced),
    recording in ``origins`` the file each replaced value comes from."""
    out = dict(base)
    for key, value in over.items():
        here = (*path, key)
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value, origins, over_file, here)
        else:
            out[key] = value
            _forget(origins, here)
            origins[here] = over_file
    return out


def merge_chain(chain: list[tuple[str, dict[str, Any]]], *, meta: str,
                own: Iterable[str] = ("name", "description")) -> tuple[dict[str, Any], dict[Loc, str]]:
    """Deep-merge a chain (child first).  In ``[meta]`` the keys ``own`` are the child's own
    (never inherited) and ``extends`` is dropped once followed."""
    own = set(own)
    child_file = chain[0][0]
    origins: dict[Loc, str] = {(): child_file}
    merged: dict[str, Any] = {}
    for i, (file, data) in enumerate(reversed(chain)):
        child = i == len(chain) - 1
        table = data.get(meta)
        if isinstance(table, dict):
            keep = {k: v for k, v in table.items()
                    if not (k == "extends" and isinstance(v, str)) and (child or k not in own)}
            data = {**data, meta: keep}
        merged = merge(merged, data, origins, file)
    if isinstance(merged.get(meta), dict):  # a missing key of [meta] is the child's to add
        for k in merged[meta]:
            origins.setdefault((meta, k), origin_of(origins, (meta, k)))
        origins[(meta,)] = child_file
    return merged, origins


def load_model(path: str | os.PathLike[str], model: type[BaseModel], *, meta: str,
               path_keys: Iterable[tuple[str, str]] = (), what: str = "file") -> BaseModel:
    """Read a file of one kind (following ``extends`` in its ``[meta]`` table) into ``model``.

    Paths of the file itself stay as written (its loader resolves them against the file's
    folder); paths inherited through ``extends`` come absolute.

    Raises
    ------
    ScenarioErrors
        The file cannot be read, or does not fit the model (every problem, translated).
    """
    errors: list[ScenarioError] = []
    chain = read_chain(path, errors, meta=meta, path_keys=path_keys, what=what, absolute_child=False)
    if errors:
        raise ScenarioErrors(errors)
    data, origins = merge_chain(chain, meta=meta)
    origins = {k: str(path) if v == chain[0][0] else v for k, v in origins.items()}  # as the user named it
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ScenarioErrors(translate(exc, model, origins=origins, data=data)) from None


def origin_of(origins: Mapping[Loc, str], loc: Loc) -> str:
    """The file a value comes from (the nearest recorded prefix of its location)."""
    for i in range(len(loc), -1, -1):
        if loc[:i] in origins:
            return origins[loc[:i]]
    return "<unknown>"


# --------------------------------------------------------------------------- error translation

_EXPECTED = {
    "int_type": "a whole number (integer, no quotes)",
    "int_from_float": "a whole number (integer)",
    "int_parsing": "a whole number (integer)",
    "float_type": "a number",
    "float_parsing": "a number",
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


def dotted_key(loc: Loc, data: Mapping[str, Any] | None = None) -> str:
    """Dotted TOML key path, list indices as ``[i]``; with the file's ``data``, an entry of
    an array of tables that has a ``name`` is shown with it: ``indicators[2]('water')``."""
    out = ""
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            if isinstance(node, Mapping) and isinstance(node.get("name"), str):
                out += f"({node['name']!r})"
        else:
            k = str(part)
            out += ("." if out else "") + (k if _BARE_KEY.match(k) else toml_string(k))
            node = node.get(part) if isinstance(node, Mapping) else None
    return out


def _model_at(model: Any, loc: Loc) -> Any:
    """The annotation reached by following ``loc`` from ``model`` (through models, dicts,
    lists, tuples and optionals), or ``None``."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            current = field.annotation if field is not None else None
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        elif get_origin(current) in (list, tuple) and isinstance(part, int):
            current = get_args(current)[0]
        else:
            return None
    return _unwrap(current)


def _unwrap(annotation: Any) -> Any:
    """``X | None`` and ``Annotated[X, ...]`` -> ``X`` (the first model or container inside)."""
    for _ in range(4):
        args = get_args(annotation)
        if getattr(annotation, "__metadata__", None) is not None:  # Annotated
            annotation = args[0]
        elif args and get_origin(annotation) not in (dict, list, tuple, Literal) and type(None) in args:
            annotation = next(a for a in args if a is not type(None))
        else:
            break
    return annotation


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    here = _model_at(model, loc)
    return list(here.model_fields) if isinstance(here, type) and issubclass(here, BaseModel) else []


def _literals(model: type[BaseModel], loc: Loc) -> list[str]:
    here = _model_at(model, loc)
    args = get_args(here) if get_origin(here) is Literal else ()
    if not args and isinstance(loc[-1] if loc else None, int):
        here = _model_at(model, loc[:-1])
        inner = get_args(here)[0] if get_origin(here) in (list, tuple) and get_args(here) else None
        args = get_args(_unwrap(inner)) if get_origin(_unwrap(inner)) is Literal else ()
    return [str(a) for a in args]


def translate(exc: ValidationError, model: type[BaseModel], *, prefix: Loc = (),
              origins: Mapping[Loc, str] | None = None, file: str = "<unknown>",
              data: Mapping[str, Any] | None = None) -> list[ScenarioError]:
    """Turn pydantic's error entries into :class:`ScenarioError` (one per entry).

    Parameters
    ----------
    exc
        The validation error of ``model.model_validate(...)``.
    model
        The model validated.
    prefix
        Location of the model in the file (``("population",)`` for a scenario's table).
    origins, file
        The file of each value (:func:`read_chain`), or the one file.
    data
        The file's content, to name entries of arrays of tables (:func:`dotted_key`).
    """
    out = []
    for err in exc.errors(include_url=False):
        kind = err["type"]
        loc = tuple(err["loc"])
        ctx = err.get("ctx") or {}
        value = err.get("input")
        if "key" in ctx:  # model-level check pointing at one field
            loc = (*loc, ctx["key"])
            value = ctx.get("value")
        elif "index" in ctx:  # list-level check pointing at one element
            loc = (*loc, ctx["index"])
            value = ctx.get("value")
        full = (*prefix, *loc)
        if kind == "missing":
            value = None
        expected = _EXPECTED.get(kind) or err["msg"].removeprefix("Input should be ")
        expected = expected.replace("greater than or equal to", ">=").replace("less than or equal to", "<=")
        expected = expected.replace("greater than", ">").replace("less than", "<")
        if kind == "extra_forbidden":
            fields = _fields_at(model, loc[:-1])
            parent = (*prefix, *loc[:-1])
            expected = "a known key" + (f" of [{dotted_key(parent)}]" if parent else " (a top-level table)")
            suggestion = did_you_mean(str(loc[-1]), fields) if fields else "remove this key"
        else:
            suggestion = ctx.get("suggestion") or _suggest(kind, model, loc, value)
        where = origin_of(origins, full) if origins is not None else file
        out.append(ScenarioError(where, dotted_key(full, data if not prefix else None), value, expected,
                                 suggestion))
    return out


def _suggest(kind: str, model: type[BaseModel], loc: Loc, value: object) -> str:
    owner = _model_at(model, loc[:-1]) if loc else None
    field = owner.model_fields.get(str(loc[-1])) if isinstance(owner, type) and issubclass(owner, BaseModel) else None
    leaf = str(loc[-1]) if loc and not isinstance(loc[-1], int) else (str(loc[-2]) if len(loc) > 1 else "")
    default = field.get_default(call_default_factory=True) if field is not None and not field.is_required() else None
    if kind == "missing":
        return 'add name = "my_name"' if leaf == "name" else f"add {leaf} = ..."
    if kind in ("int_type", "int_from_float", "int_parsing", "float_type", "float_parsing"):
        if isinstance(value, str) and _is_number(value):
            return f"remove the quotes: {leaf} = {value.strip()}"
        if kind == "int_type" and isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return f"write {leaf} = {int(value)}"
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
        return did_you_mean(value, _literals(model, loc))
    if default is not None:
        return f"the default is {_toml_value(default)}"
    if field is not None and not field.is_required():
        return "remove the key to use the default"
    return ""


def _toml_value(v: object) -> str:
    try:
        return toml_value(v)
    except TypeError:
        return repr(v)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- parameters


def check_parameter(p: Param, value: object, file: str, key: str, errors: list[ScenarioError],
                    warnings: list[str] | None = None) -> float | None:
    """A parameter value checked against its declaration: an error outside the hard
    bounds (or not a number), a warning outside the plausible range; the value or ``None``."""
    try:
        v = p.check(value)
    except ParameterError as exc:
        lo, hi = p.bounds
        whole = "a whole number" if p.integer else "a number"
        reason = str(exc).removeprefix(f"{p.name}: ")
        errors.append(ScenarioError(file, key, value, f"{whole} within the bounds [{lo:g}, {hi:g}] ({p.unit}); "
                                    f"{reason}", f"the default is {p.default:g}; plausible range "
                                    f"{p.range[0]:g} to {p.range[1]:g}"))
        return None
    lo, hi = p.range
    if warnings is not None and not lo <= v <= hi:
        warnings.append(f"{file}: {key} = {value!r} is outside the plausible range [{lo:g}, {hi:g}] ({p.unit}); "
                        f"accepted, but check it (source: {p.source})")
    return v


def check_interval(p: Param, key: str, lo: float, hi: float, fail: Callable[..., None], *, field: str = "range",
                   where: str | None = None, same: str | None = None) -> bool:
    """Whether ``[lo, hi]`` is an interval (``lo < hi``) within the parameter's admissible bounds.

    Problems go through ``fail(key, value, expected, suggestion)``: an inverted or empty
    interval at ``<key>.<field>``, bounds exceeded at ``where`` (default ``<key>.<field>``);
    ``same`` is the suggestion for ``lo == hi`` (default: widen it).  Shared by batch
    designs, sensitivity studies and calibration target files.
    """
    if not lo < hi:
        fail(f"{key}.{field}", [lo, hi], "[low, high] with low < high",
             f"write {field} = [{min(lo, hi):g}, {max(lo, hi):g}]" if lo != hi else (same or f"widen the {field}"))
        return False
    blo, bhi = p.bounds
    if not (blo <= lo and hi <= bhi):
        fail(where or f"{key}.{field}", [lo, hi], f"[low, high] within the admissible bounds [{blo:g}, {bhi:g}] "
             f"({p.unit})", f"the plausible range is [{p.range[0]:g}, {p.range[1]:g}]")
        return False
    return True


def check_range(p: Param, key: str, spec_range: tuple[float, float] | None,
                spec_dist: str | None, fail: Callable[..., None]) -> tuple[float, float, str, bool]:
    """Range and distribution of a varied parameter (a design's or a sensitivity study's).

    Defaults are the parameter's plausible range and declared distribution.  Problems are
    reported through ``fail(key, value, expected, suggestion)``; returns
    ``(low, high, distribution, ok)``.
    """
    lo, hi = spec_range if spec_range is not None else p.range
    where = f"{key}.range" if spec_range is not None else key
    ok = check_interval(p, key, lo, hi, fail, where=where,
                        same="widen the range, or set the value in [overrides.parameters] instead")
    dist = spec_dist if spec_dist is not None else p.distribution
    if dist not in ("uniform", "loguniform"):
        fail(f"{key}.distribution", dist, "'uniform' or 'loguniform'", did_you_mean(dist, ("uniform", "loguniform")))
        ok = False
    elif dist == "loguniform" and ok and lo <= 0:
        fail(where, [lo, hi], "a range above 0 for a loguniform parameter",
             'raise the low end or use distribution = "uniform"')
        ok = False
    return lo, hi, dist, ok


# --------------------------------------------------------------------------- file kinds

#: The kinds of input file, in the order they are recognised: the top-level table that
#: marks each, and the function that loads (and so checks) it.  A new kind of file (a
#: budget plan) registers here and ``povsim validate`` accepts it.
FILE_KINDS: dict[str, tuple[str, str]] = {
    "scenario": ("scenario", "povsim.scenario:load_scenario"),
    "experiment design": ("experiment", "povsim.experiment.design:load_experiment"),
    "sensitivity study": ("sensitivity", "povsim.sensitivity:load_study"),
    "MODA configuration": ("moda", "povsim.moda:load_moda_config"),
    "calibration targets": ("calibration", "povsim.calibration.targets:load_targets"),
    "budget plan": ("plan", "povsim.plan.schema:load_plan"),
    "virtual trial": ("trial", "povsim.trial:load_trial"),
}


def detect_kind(data: Mapping[str, Any]) -> str | None:
    """The kind of a parsed input file (:data:`FILE_KINDS`), or ``None``."""
    return next((kind for kind, (table, _) in FILE_KINDS.items() if isinstance(data.get(table), dict)), None)


def validate_files(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[str, str | None, list[ScenarioError]]]:
    """Check input files of any kind: ``(file, kind or None, errors)`` for each."""
    from povsim.errors import PovsimError

    out = []
    for path in paths:
        errors: list[ScenarioError] = []
        data = read_toml(path, errors, "input file")
        kind = detect_kind(data) if data is not None else None
        if data is not None and kind is None:
            tables = [k for k, v in data.items() if isinstance(v, dict)]
            markers = [t for t, _ in FILE_KINDS.values()]
            near = next((h for t in tables if (h := did_you_mean(t, markers)).startswith("did you")), "")
            errors.append(ScenarioError(str(path), "", sorted(tables) or sorted(data), "a povsim input file: one of "
                                        + ", ".join(f"a {k} ([{t}])" for k, (t, _) in FILE_KINDS.items()),
                                        near or "the top-level table says what the file is"))
        elif kind is not None:
            module, func = FILE_KINDS[kind][1].split(":")
            try:
                getattr(importlib.import_module(module), func)(path)
            except ScenarioErrors as exc:
                errors.extend(exc.errors)
            except PovsimError as exc:
                errors.append(ScenarioError(str(path), "", None, "a valid file", str(exc)))
        out.append((str(path), kind, errors))
    return out
