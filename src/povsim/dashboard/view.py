"""What the dashboard shows: views, their filter controls, and the drawn result.

A :class:`View` is a figure (or a table) of a results folder: ``controls`` lists the filters
it offers, ``draw`` makes the figure with a function of :mod:`povsim.plots` from the
folder's tables and the chosen values.  Nothing here imports the web framework, so the views
are tested as plain functions, and the app only renders the controls and the result.

``controls`` is a generator: it yields one :class:`Control` at a time and reads the values
already chosen from the selection it is given, so a control's options can depend on an
earlier choice (the groups of the chosen subgroup) while the app renders them in one pass
(:func:`walk`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure

from povsim.errors import PovsimError
from povsim.report import Results, finish_figure, font_rc

__all__ = [
    "DRAW_LOCK",
    "SUBGROUPS",
    "Control",
    "Drawn",
    "Selection",
    "View",
    "ages_control",
    "apply_filters",
    "chosen_rows",
    "defaults",
    "has_extra",
    "no_controls",
    "render",
    "subgroup_controls",
    "subgroup_rows",
    "values_control",
    "walk",
    "year_control",
    "years_control",
]

#: Chosen values of a view's controls, by control name.
Selection = dict[str, Any]

#: Subgroup breakdowns a results table may hold (``by`` column), in the order offered.
SUBGROUPS: tuple[str, ...] = ("county", "arm", "area", "sex", "left_behind", "generation", "age_group")

#: matplotlib's rc settings are process-wide and the app serves each browser session from
#: its own thread: drawing and saving hold this lock so one session's font settings never
#: leak into another's figure.
DRAW_LOCK = threading.RLock()


@dataclass(frozen=True)
class Control:
    """One filter of a view.

    Attributes
    ----------
    name
        Key of the chosen value in the :data:`Selection`.
    label
        English label (the app translates it).
    options
        The choices.  For ``kind="range"``: the ordered values a range may start and end at.
    default
        The value chosen when the user has chosen nothing (a tuple for ``multiselect`` and
        ``range``).
    kind
        ``"select"``, ``"multiselect"``, ``"range"`` (two ends of an ordered scale) or
        ``"slider"`` (one value of an ordered scale).
    """

    name: str
    label: str
    options: tuple
    default: Any
    kind: str = "select"

    def valid(self, value: Any) -> bool:
        """Whether ``value`` is a possible choice of this control."""
        if self.kind == "multiselect":
            return isinstance(value, tuple | list) and all(v in self.options for v in value)
        if self.kind == "range":
            return (isinstance(value, tuple | list) and len(value) == 2 and all(v in self.options for v in value)
                    and self.options.index(value[0]) <= self.options.index(value[1]))
        return value in self.options


@dataclass
class Drawn:
    """A view drawn for one selection.

    Attributes
    ----------
    figure
        The figure (``None`` for a table-only view or when it cannot be drawn).
    data
        The rows behind the figure: what the CSV export writes.
    caption
        One sentence under the figure: what it shows.
    table
        A formatted table shown above the figure (e.g. paired differences with intervals).
    note
        Why the figure is not drawn, when it is not.
    labels
        Axis labels (x, y) for axes the figure function leaves blank, as the brief sets them.
    """

    figure: Figure | None
    data: pd.DataFrame
    caption: str = ""
    table: pd.DataFrame | None = None
    note: str = ""
    labels: tuple[str, str] = ("", "")


def _always(_res: Results) -> bool:
    return True


@dataclass(frozen=True)
class View:
    """A figure or table the dashboard offers for a kind of results folder.

    Attributes
    ----------
    key
        Stable identifier: the stem of exported files and part of widget keys.
    title
        English title in the view menu.
    controls
        ``controls(results, selection)`` yields the view's :class:`Control` objects in order.
    draw
        ``draw(results, selection)`` returns a :class:`Drawn`.  It may raise
        :class:`~povsim.errors.PovsimError`, ``KeyError`` or ``ValueError`` when the tables
        cannot support the figure; :func:`render` turns that into a note.
    available
        Whether the folder has what the view needs (views without their tables are not offered).
    """

    key: str
    title: str
    controls: Callable[[Results, Selection], Iterator[Control]]
    draw: Callable[[Results, Selection], Drawn]
    available: Callable[[Results], bool] = field(default=_always)


def walk(view: View, res: Results, choose: Callable[[Control], Any]) -> Selection:
    """Go through the view's controls in order, asking ``choose`` for each value."""
    sel: Selection = {}
    for c in view.controls(res, sel):
        sel[c.name] = choose(c)
    return sel


def defaults(view: View, res: Results, given: Mapping[str, Any] | None = None) -> Selection:
    """The selection of ``view``: the ``given`` values that are valid, defaults for the rest."""
    given = given or {}
    return walk(view, res, lambda c: given[c.name] if c.name in given and c.valid(given[c.name]) else c.default)


def render(view: View, res: Results, sel: Selection, *, lang: str = "en", font: str | None = None) -> Drawn:
    """Draw ``view`` and finish its figure as the brief does (axis labels, provenance footer,
    translation into ``lang`` with the report's font rules)."""
    with DRAW_LOCK, rc_context(font_rc(lang, font)):
        try:
            drawn = view.draw(res, sel)
        except KeyError as e:  # a table or column the folder does not have
            return Drawn(None, pd.DataFrame(), note=f"Not drawn: the folder's tables have no {e}")
        except (PovsimError, ValueError, IndexError) as e:  # the tables cannot support the figure
            return Drawn(None, pd.DataFrame(), note=f"Not drawn: {e}")
        if drawn.figure is not None:
            finish_figure(drawn.figure, res.provenance(), lang=lang, labels=drawn.labels)
    return drawn


# -- filters shared by the views ----------------------------------------------------------
def _years(df: pd.DataFrame) -> tuple[int, ...]:
    return tuple(int(y) for y in sorted(df["year"].dropna().unique())) if "year" in df.columns else ()


def years_control(df: pd.DataFrame) -> Iterator[Control]:
    """A range of years (default: all the table's years); none for a table of one year."""
    ys = _years(df)
    if len(ys) > 1:
        yield Control("years", "Years", ys, (ys[0], ys[-1]), "range")


def year_control(df: pd.DataFrame) -> Iterator[Control]:
    """One year of the table (default: the last)."""
    ys = _years(df)
    if ys:
        yield Control("year", "Year", ys, ys[-1], "slider")


def ages_control(df: pd.DataFrame, *, multi: bool = True) -> Iterator[Control]:
    """Age groups of a MODA table (default: all; or the first for a single choice)."""
    if "age_group" not in df.columns:
        return
    ages = tuple(str(a) for a in dict.fromkeys(df["age_group"].astype(str)))
    if multi:
        yield Control("ages", "Age groups", ages, ages, "multiselect")
    else:
        yield Control("age", "Age group", ages, ages[0])


def no_controls(res: Results, sel: Selection) -> Iterator[Control]:
    """The controls of a view that has none."""
    yield from ()


def has_extra(name: str) -> Callable[[Results], bool]:
    """``available`` of a view drawn from the folder's table ``name`` (present and not empty)."""
    return lambda res: name in res.extra and not res.extra[name].empty


def values_control(df: pd.DataFrame, column: str, name: str, label: str) -> Iterator[Control]:
    """A subset of the values of ``column`` (default: all); none when it holds one value."""
    if column not in df.columns:
        return
    values = tuple(str(v) for v in dict.fromkeys(df[column].astype(str)))
    if len(values) > 1:
        yield Control(name, label, values, values, "multiselect")


def chosen_rows(df: pd.DataFrame, column: str, sel: Selection, name: str) -> pd.DataFrame:
    """Rows of ``df`` whose ``column`` is among the values chosen in ``sel[name]`` (all rows when
    nothing was offered).

    Raises
    ------
    ValueError
        Nothing chosen: no row to draw (the view says so instead of a figure).
    """
    out = df[df[column].astype(str).isin(sel[name])] if name in sel else df
    if out.empty:
        raise ValueError(f"no {column} chosen")
    return out


def subgroup_controls(df: pd.DataFrame, sel: Selection, *, measure: str | None = None, with_all: bool = True,
                      groups: str = "one") -> Iterator[Control]:
    """The breakdown (``by``) and then its group(s) among those the table holds.

    ``groups="one"`` offers one group (figures of one subgroup), ``"many"`` a subset of the
    groups (one line each), ``"none"`` no choice (every group is drawn).
    """
    d = df if measure is None else df[df["measure"] == measure]
    present = set(d["by"].astype(str))
    bys = tuple(b for b in SUBGROUPS if b in present)
    options = (("all",) if with_all and "all" in present else ()) + bys
    if not options:
        return
    yield Control("by", "Subgroup", options, options[0])
    by = sel.get("by", options[0])
    if by == "all" or groups == "none":
        return
    names = tuple(str(g) for g in dict.fromkeys(d.loc[d["by"] == by, "group"].astype(str)))
    if groups == "many":
        yield Control("groups", "Groups", names, names, "multiselect")
    else:
        yield Control("group", "Group", names, names[0])


def apply_filters(df: pd.DataFrame, sel: Selection, *, keep_by: Iterable[str] = ()) -> pd.DataFrame:
    """Rows of ``df`` within the selection's year range (or year), age groups and groups.

    The subgroup itself (``by``/``group``) is left to the figure function, which draws one
    subgroup, unless ``by`` is in ``keep_by`` (then only the chosen ``groups`` are kept).
    """
    out = df
    if "years" in sel and "year" in out.columns:
        lo, hi = sel["years"]
        out = out[(out["year"] >= lo) & (out["year"] <= hi)]
    if "year" in sel and "year" in out.columns:
        out = out[out["year"] == sel["year"]]
    if "ages" in sel and "age_group" in out.columns:
        out = out[out["age_group"].astype(str).isin(sel["ages"])]
    if "age" in sel and "age_group" in out.columns:
        out = out[out["age_group"].astype(str) == sel["age"]]
    by = sel.get("by")
    if by in set(keep_by) and by != "all" and "groups" in sel:
        out = out[(out["by"] == by) & out["group"].astype(str).isin(sel["groups"])]
    return out


def subgroup_rows(df: pd.DataFrame, sel: Selection) -> pd.DataFrame:
    """Rows of the chosen subgroup (all children when none is chosen): the data of a figure."""
    by = sel.get("by", "all")
    out = df[df["by"] == by]
    if by != "all" and "group" in sel:
        out = out[out["group"].astype(str) == sel["group"]]
    return out
