"""Brief kinds: one module per kind of results folder (``run``, ``compare``, ``batch``,
``sensitivity``, ``calibrate``, ``plan``; ``trial`` to come).

Each module defines ``KIND``, a :class:`BriefKind`: how to recognise its folder, its title,
and its sections in the order a planner asks the questions.  Modules are discovered from
this package (:func:`povsim.registry.discover`), so a new kind is one new module; a folder is
given to the first kind (lowest ``priority``) whose ``detect`` accepts it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from povsim.brief.context import Context
from povsim.brief.document import FigureBlock, Section
from povsim.report import ReportError, Results

__all__ = ["BriefKind", "kind_of", "kinds"]


@dataclass(frozen=True)
class BriefKind:
    """A kind of brief.

    Attributes
    ----------
    name
        ``"compare"``, ``"run"``...
    detect
        ``detect(results) -> bool``: is this folder of this kind?
    title
        ``title(ctx) -> str``, in ``ctx.lang``.
    sections
        ``sections(ctx, figures, rest) -> [Section, ...]``: ``figures`` are the brief's figures
        by question (:func:`povsim.brief.captions.brief_figures`), ``rest`` the stems left out.
    keep_figure
        Which figures of the pack the brief may show (by stem).
    priority
        Detection order: lower first (specific kinds before ``run``).
    """

    name: str
    detect: Callable[[Results], bool]
    title: Callable[[Context], str]
    sections: Callable[[Context, dict[str, list[FigureBlock]], Sequence[str]], list[Section]]
    keep_figure: Callable[[Context, str], bool] = lambda ctx, stem: True
    priority: int = 50


def kinds() -> list[BriefKind]:
    """Every kind of brief, in detection order."""
    from povsim.registry import discover

    found = [m.KIND for m in discover(__name__) if hasattr(m, "KIND")]
    return sorted(found, key=lambda k: (k.priority, k.name))


def kind_of(res: Results) -> BriefKind:
    """The kind of brief for a loaded results folder.

    Raises
    ------
    ReportError
        No kind recognises the folder.
    """
    for k in kinds():
        if k.detect(res):
            return k
    raise ReportError(f"{res.folder}: no brief for this kind of results folder ({res.kind}); known kinds: "
                      f"{', '.join(k.name for k in kinds())}")
