"""TOML writing (the standard library reads TOML but does not write it).

Used for resolved scenarios (``scenario.resolved.toml``) and fitted parameter sets.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["dumps_toml", "toml_string", "toml_value"]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
#: str.translate table: the short escapes, other control characters as \uXXXX
_TRANSLATE = {c: f"\\u{c:04X}" for c in (*range(0x20), 0x7F)} | {ord(k): v for k, v in _ESCAPES.items()}


def toml_string(s: str) -> str:
    """A TOML basic string (double quotes, escapes)."""
    return '"' + s.translate(_TRANSLATE) + '"'


def _key(k: object) -> str:
    if not isinstance(k, str):
        raise TypeError(f"TOML keys must be strings, got {k!r}")
    return k if _BARE_KEY.match(k) else toml_string(k)


def toml_value(v: object) -> str:
    """A value as TOML (tables and lists inline)."""
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
        return toml_string(v)
    if isinstance(v, datetime.date):  # TOML local date (programme start and end dates)
        return v.isoformat()
    if isinstance(v, Mapping):
        items = [f"{_key(k)} = {toml_value(x)}" for k, x in v.items() if x is not None]
        return "{" + ", ".join(items) + "}" if items else "{}"
    if isinstance(v, Sequence):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} {v!r} as TOML")


def _emit_table(table: Mapping[str, Any], path: tuple[str, ...], lines: list[str]) -> None:
    subtables = []
    if path:
        lines.append("")
        lines.append("[" + ".".join(_key(p) for p in path) + "]")
    for k, v in table.items():
        if v is None:
            continue
        if isinstance(v, Mapping):
            subtables.append((k, v))
        else:
            lines.append(f"{_key(k)} = {toml_value(v)}")
    for k, v in subtables:
        _emit_table(v, (*path, k), lines)


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
