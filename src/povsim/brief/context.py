"""What a brief knows about its results folder: the loaded tables, the scenarios as run, the
years, the language, and the figures of the pack.  Read-only; every section takes one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from povsim.brief.i18n import msg, term
from povsim.report import ReportFigure, Results

__all__ = ["Context"]


@dataclass
class Context:
    """A results folder seen by a brief.

    ``res`` is the folder as :func:`povsim.report.load_results` read it; ``figures`` the
    figure pack already drawn (in ``lang``) by :func:`povsim.report.build_figures`.
    """

    res: Results
    lang: str = "en"
    figures: Sequence[ReportFigure] = ()
    _csv: dict[str, pd.DataFrame | None] = field(default_factory=dict, repr=False)

    # -- words ------------------------------------------------------------------------
    def t(self, key: str, **values: object) -> str:
        return msg(key, self.lang, **values)

    def scenario_name(self, name: str) -> str:
        return term("scenario", name, self.lang)

    # -- folder -----------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        return self.res.folder

    @property
    def manifest(self) -> dict:
        return self.res.manifest

    @property
    def input_files(self) -> list[str]:
        """Paths of the run's input files (its scenario files and what they extend), as the
        manifest lists them."""
        return [str(f.get("path")) for f in self.manifest.get("input_files") or [] if isinstance(f, dict)]

    def csv(self, relpath: str) -> pd.DataFrame | None:
        """``<folder>/<relpath>`` as a table, or ``None`` when absent or empty (read once)."""
        if relpath not in self._csv:
            p = self.folder / relpath
            df = None
            if p.is_file():
                try:
                    df = pd.read_csv(p)
                except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError):
                    df = None
            self._csv[relpath] = df if df is not None and not df.empty else None
        return self._csv[relpath]

    def json(self, relpath: str) -> dict:
        """``<folder>/<relpath>`` as JSON (``{}`` when absent or unreadable)."""
        import json

        p = self.folder / relpath
        try:
            return json.loads(p.read_text("utf-8")) if p.is_file() else {}
        except (OSError, ValueError):
            return {}

    def extra(self, name: str) -> pd.DataFrame | None:
        """The folder's own table ``name`` (not a scenario's; ``None`` when missing or empty)."""
        t = self.res.extra.get(name)
        return t if t is not None and not t.empty else None

    def table(self, scenario: str, name: str) -> pd.DataFrame | None:
        """Table ``name`` of one scenario (``None`` when the folder has none, or it is empty)."""
        t = self.res.scenarios.get(scenario, {}).get(name)
        return t if t is not None and not t.empty else None

    # -- scenarios --------------------------------------------------------------------
    @cached_property
    def scenario_names(self) -> list[str]:
        return list(self.res.scenarios)

    @property
    def base(self) -> str:
        ex = self.manifest.get("extra") or {}
        return ex.get("base") or (self.scenario_names[0] if self.scenario_names else "")

    @property
    def alternatives(self) -> list[str]:
        ex = self.manifest.get("extra") or {}
        alts = ex.get("alternatives")
        return list(alts) if alts else self.scenario_names[1:]

    def resolved(self, scenario: str) -> dict:
        """The resolved scenario as recorded in ``manifest.json`` (``{}`` if not recorded)."""
        sc = self.manifest.get("scenario") or {}
        if scenario in sc and isinstance(sc[scenario], dict):
            return sc[scenario]
        if isinstance(sc.get("scenario"), dict):  # a run folder: the scenario itself
            return sc
        return {}

    def interventions(self, scenario: str) -> list[str]:
        iv = self.resolved(scenario).get("interventions") or {}
        out = [k for k, v in iv.items() if not isinstance(v, dict) or v.get("enabled", True)]
        if not out and self.table(scenario, "costs") is not None:
            out = list(dict.fromkeys(self.table(scenario, "costs")["intervention"]))
        return out

    def years_active(self, scenario: str) -> tuple[int, int] | None:
        iv = self.resolved(scenario).get("interventions") or {}
        spans = [(v.get("start_year") or self.start, min(v.get("end_year") or self.end, self.end))
                 for v in iv.values() if isinstance(v, dict) and v.get("enabled", True)]
        return (min(a for a, _ in spans), max(b for _, b in spans)) if spans else None

    # -- time -------------------------------------------------------------------------
    def _years(self) -> tuple[int, int] | None:
        for tabs in self.res.scenarios.values():
            for name in ("population", "moda", "income_poverty"):
                t = tabs.get(name)
                if t is not None and not t.empty and "year" in t.columns:
                    return int(t["year"].min()), int(t["year"].max())
        return None

    @cached_property
    def start(self) -> int:
        for name in self.scenario_names or [""]:
            time = self.resolved(name).get("time") or {}
            if "start_year" in time:
                return int(time["start_year"])
        yrs = self._years()
        return yrs[0] if yrs else 0

    @cached_property
    def end(self) -> int:
        for name in self.scenario_names or [""]:
            time = self.resolved(name).get("time") or {}
            if "start_year" in time and "years" in time:
                return int(time["start_year"]) + int(time["years"])
        yrs = self._years()
        return yrs[1] if yrs else 0

    @property
    def replicates(self) -> int:
        if self.res.kind == "plan":  # a plan's seeds are its design's and its verification's: count the latter
            return int((((self.manifest.get("scenario") or {}).get("plan") or {}).get("verify") or {})
                       .get("replicates", 0))
        return len(self.manifest.get("seeds") or []) or int((self.manifest.get("extra") or {}).get("replicates", 0))

    def discount_rate(self, scenario: str) -> float:
        return float((self.resolved(scenario).get("budget") or {}).get("discount_rate", 0.03))

    def moda_k(self, age_group: str = "0-5") -> int | None:
        """The MODA cut-off k (dimensions) of an age group, as recorded in ``moda_summary``."""
        for tabs in self.res.scenarios.values():
            s = tabs.get("moda_summary")
            if s is not None and not s.empty:
                d = s[(s["measure"] == "k") & (s["by"] == "all") & (s["age_group"] == age_group)]
                if not d.empty:
                    return round(float(d["value"].iloc[0]))
        return None
