"""Export of the current view: its figure (PNG at 300 dpi, SVG) and its data (CSV), each with
the provenance footer of ``povsim report``."""

from __future__ import annotations

import re

import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure

from povsim.dashboard.view import DRAW_LOCK, Selection
from povsim.output import figure_bytes
from povsim.report import font_rc

__all__ = ["EXPORT_DPI", "csv_bytes", "export_name", "figure_export"]

#: Resolution of exported PNG figures: the figure pack's (``povsim report``, ``povsim run``).
EXPORT_DPI = 300


def figure_export(fig: Figure, fmt: str, *, lang: str = "en", dpi: int = EXPORT_DPI) -> bytes:
    """``fig`` as ``fmt`` (``png``, ``svg``, ``pdf``); the footer was added when it was drawn
    (:func:`povsim.dashboard.view.render`)."""
    with DRAW_LOCK, rc_context(font_rc(lang)):
        return figure_bytes(fig, fmt, dpi)


def csv_bytes(data: pd.DataFrame, provenance: str, filters: Selection | None = None) -> bytes:
    """The view's rows as CSV, then the provenance footer as ``#`` comment lines (read back
    with ``pandas.read_csv(path, comment="#")``)."""
    text = data.to_csv(index=False, lineterminator="\n")
    text += f"# {provenance}\n"
    if filters:
        text += "# filters: " + "; ".join(f"{k} = {_show(v)}" for k, v in filters.items()) + "\n"
    return text.encode("utf-8")


def _show(v: object) -> str:
    if isinstance(v, tuple | list):
        return ", ".join(map(str, v))
    return str(v)


def export_name(folder_name: str, view_key: str, sel: Selection) -> str:
    """File stem of an export: folder, view and the single-valued filters, e.g.
    ``run_dimensions_by-arm_group-pilot_year-2034``."""
    parts = [folder_name, view_key]
    for k, v in sel.items():
        if isinstance(v, tuple | list):
            if k == "years" and len(v) == 2:
                parts.append(f"{v[0]}-{v[1]}")
            continue
        if k == "by" and v == "all":
            continue
        parts.append(f"{k}-{v}")
    return re.sub(r"[^A-Za-z0-9._-]+", "_", "_".join(map(str, parts))).strip("_")[:150]
