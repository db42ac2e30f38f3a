"""Typed parameter declarations: default, unit, plausible range, hard bounds, source.

Every quantity a scenario may set is declared exactly once, next to the process or
population module that uses it (``PARAMS = (Param(...), ...)``).  :func:`registry`
collects them from the modules the model declares
(:func:`povsim.registry.parameter_modules`); scenario files may override only declared
names, and the sensitivity analysis takes its default bounds from :attr:`Param.range`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType

from povsim.errors import ParameterError, did_you_mean


@dataclass(frozen=True)
class Param:
    """One declared model parameter.

    Parameters
    ----------
    name
        Unique snake_case name used in scenario files (``[parameters]``).
    default
        Value used when no scenario overrides it.
    unit
        Unit of the value (``"per year"``, ``"RMB (2014 prices)"``, ``"SD"``, ``"ratio"``...).
    range
        Plausible ``(low, high)``: the prior range for sensitivity analysis and calibration.
    source
        Citation of the figure (or a statement that it is an assumption, with why).
    description
        What the parameter does in the model.
    bounds
        Hard validity bounds; a scenario value outside them is an error.  Defaults to
        ``(-inf, inf)``.
    integer
        Whether the value must be a whole number.
    distribution
        ``"uniform"`` or ``"loguniform"`` over :attr:`range`, for parameter draws.
    """

    name: str
    default: float
    unit: str
    range: tuple[float, float]
    source: str
    description: str
    bounds: tuple[float, float] = (-math.inf, math.inf)
    integer: bool = False
    distribution: str = "uniform"
    module: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        lo, hi = self.range
        if not lo <= self.default <= hi:
            raise ParameterError(
                f"parameter {self.name}: default {self.default} outside its range {self.range}"
            )
        if not self.bounds[0] <= lo <= hi <= self.bounds[1]:
            raise ParameterError(
                f"parameter {self.name}: range {self.range} outside its bounds {self.bounds}"
            )

    def check(self, value: float) -> float:
        """Return ``value`` as float if it is admissible, else raise :class:`ParameterError`."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError(f"{self.name}: expected a number in {self.unit}, got {value!r}")
        v = float(value)
        if not math.isfinite(v):
            raise ParameterError(f"{self.name}: expected a finite number, got {value!r}")
        if self.integer and v != round(v):
            raise ParameterError(f"{self.name}: expected a whole number, got {value!r}")
        lo, hi = self.bounds
        if not lo <= v <= hi:
            raise ParameterError(
                f"{self.name}: {value!r} is outside the admissible bounds [{lo}, {hi}] ({self.unit})"
            )
        return v


@cache
def registry() -> Mapping[str, Param]:
    """All declared parameters by name (read-only)."""
    from povsim.registry import parameter_modules

    out: dict[str, Param] = {}
    for mod in parameter_modules():
        modname = mod.__name__
        for p in getattr(mod, "PARAMS", ()):
            if p.name in out:
                raise ParameterError(f"parameter {p.name!r} declared twice ({modname})")
            out[p.name] = Param(**{**p.__dict__, "module": modname})
    return MappingProxyType(out)


def defaults() -> dict[str, float]:
    """Default value of every declared parameter."""
    return {name: p.default for name, p in registry().items()}


class Parameters(Mapping[str, float]):
    """Resolved parameter values: the defaults with validated overrides applied.

    Attribute access (``params.mortality_scale``) and mapping access both work.
    """

    __slots__ = ("_values",)

    def __init__(self, overrides: Mapping[str, float] | None = None) -> None:
        reg = registry()
        values = defaults()
        for key, value in (overrides or {}).items():
            if key not in reg:
                raise ParameterError(f"unknown parameter {key!r} ({did_you_mean(key, reg)})")
            values[key] = reg[key].check(value)
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> float:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(
                f"unknown parameter {name!r} ({did_you_mean(name, self._values)})"
            ) from None

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Parameters are read-only; pass overrides to the constructor")

    def __getitem__(self, key: str) -> float:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def overridden(self) -> dict[str, float]:
        """The values that differ from the declared defaults."""
        d = defaults()
        return {k: v for k, v in self._values.items() if v != d[k]}
