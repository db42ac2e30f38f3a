"""Numbers as the brief writes them, in the unit an outcome is read in.

Units: ``share`` (a level in %, a difference in percentage points), ``index`` (M0, 0–1),
``sd`` (standard deviations of a development score), ``years``, ``rmb``, ``count``.
"""

from __future__ import annotations

import math

__all__ = ["fmt_count", "fmt_diff", "fmt_level", "fmt_pct", "fmt_rmb", "isnum"]


def isnum(v: object) -> bool:
    """``v`` is a finite number."""
    try:
        return math.isfinite(float(v))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _na(lang: str) -> str:
    return "无" if lang == "zh" else "n/a"


def fmt_count(v: float, lang: str = "en") -> str:
    """``12345.4`` -> ``"12,345"``."""
    return f"{v:,.0f}" if isnum(v) else _na(lang)


def fmt_pct(v: float, lang: str = "en", digits: int = 1) -> str:
    """A share as a percentage: ``0.123`` -> ``"12.3 %"`` (``"12.3%"`` in Chinese)."""
    if not isnum(v):
        return _na(lang)
    return f"{100 * v:.{digits}f}" + ("%" if lang == "zh" else " %")


def fmt_rmb(v: float, lang: str = "en", signed: bool = False) -> str:
    """Money: ``1.9e6`` -> ``"1.90 million RMB"`` / ``"190.0万元"``; small sums in full."""
    if not isnum(v):
        return _na(lang)
    sign = ("+" if v > 0 else "−" if v < 0 else "") if signed else ("−" if v < 0 else "")
    a = abs(v)
    if lang == "zh":
        if a >= 1e8:
            return f"{sign}{a / 1e8:,.2f}亿元"
        if a >= 1e5:
            return f"{sign}{a / 1e4:,.1f}万元"
        return f"{sign}{a:,.0f}元"
    if a >= 1e9:
        return f"{sign}{a / 1e9:,.2f} billion RMB"
    if a >= 1e6:
        return f"{sign}{a / 1e6:,.2f} million RMB"
    return f"{sign}{a:,.0f} RMB"


def _digits(unit: str, magnitude: float) -> int:
    """Decimals: one for percentage points (two significant digits below 1 pp, at most three
    decimals), three for M0, two for SD and years."""
    if unit == "share":
        pp = 100 * magnitude
        return 1 if pp >= 1 or pp == 0 else min(3, 1 - math.floor(math.log10(pp)))
    if unit == "index":
        return 3 if magnitude >= 0.001 or magnitude == 0 else 4
    if unit in ("sd", "years"):
        return 2
    return 0


def fmt_level(v: float, unit: str, lang: str = "en") -> str:
    """A level: ``share`` in %, ``index`` to 3 decimals, ``sd``, ``years``, ``rmb``, ``count``."""
    if not isnum(v):
        return _na(lang)
    if unit == "share":
        return fmt_pct(v, lang)
    if unit == "rmb":
        return fmt_rmb(v, lang)
    if unit == "count":
        return fmt_count(v, lang)
    if unit == "sd":
        return f"{v:.2f}" + (" 个标准差" if lang == "zh" else " SD")
    if unit == "years":
        return f"{v:.1f}" + ("年" if lang == "zh" else " years")
    return f"{v:.3f}"


def fmt_diff(v: float, unit: str, lang: str = "en", *, signed: bool = True, with_unit: bool = True) -> str:
    """A difference in the outcome's unit: ``-0.061`` (share) -> ``"−6.1 pp"`` / ``"−6.1个百分点"``.

    ``signed=False`` gives the magnitude (for "falls by 6.1 pp").
    """
    if not isnum(v):
        return _na(lang)
    if unit == "rmb":
        return fmt_rmb(v if signed else abs(v), lang, signed=signed)
    x = 100 * v if unit == "share" else v
    d = _digits(unit, abs(v))
    mag = f"{abs(x):,.{d}f}"
    if float(mag.replace(",", "")) == 0:
        sign = ""
    else:
        sign = ("+" if x > 0 else "−") if signed else ""
    units = {"share": (" pp", "个百分点"), "index": ("", ""), "sd": (" SD", "个标准差"),
             "years": (" years", "年"), "count": ("", "")}
    u = units.get(unit, ("", ""))[1 if lang == "zh" else 0] if with_unit else ""
    return f"{sign}{mag}{u}"
