"""Build a brief from a results folder and write it (HTML, Markdown, and an A4 PDF)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from povsim.brief.captions import brief_figures
from povsim.brief.context import Context
from povsim.brief.document import Brief
from povsim.brief.kinds import kind_of
from povsim.report import ReportFigure, Results

__all__ = ["SCREEN_DPI", "build_brief", "write_brief"]

#: resolution of the figures embedded in brief.html (the figure pack is at 300 dpi)
SCREEN_DPI = 100


def build_brief(res: Results, figures: Sequence[ReportFigure], *, lang: str = "en") -> Brief:
    """The brief of a loaded results folder, with the figures of its pack (drawn in ``lang``).

    Parameters
    ----------
    res
        The folder, from :func:`povsim.report.load_results`.
    figures
        The figure pack, from :func:`povsim.report.build_figures` (same ``lang``).
    lang
        ``"en"`` or ``"zh"``.
    """
    ctx = Context(res, lang, figures)
    kind = kind_of(res)
    chosen, rest = brief_figures(ctx, figures, keep=lambda stem: kind.keep_figure(ctx, stem))
    m = res.manifest
    created = str(m.get("created") or "")[:10] or ctx.t("n/a")
    title = kind.title(ctx)
    return Brief(kind=kind.name, lang=lang, title=title,
                 subtitle=ctx.t("subtitle", version=m.get("povsim_version", "?"), created=created,
                                replicates=ctx.replicates),
                 footer=f"povsim {m.get('povsim_version', '?')} · {title} · {created}",
                 sections=kind.sections(ctx, chosen, rest))


def figure_png(fig, dpi: int = SCREEN_DPI) -> bytes:
    """``fig`` as PNG bytes at ``dpi``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def write_brief(brief: Brief, folder: str | Path, *, pdf: bool = False) -> list[Path]:
    """Write ``brief.html`` and ``brief.md`` (and ``brief.pdf`` with ``pdf``) into ``folder``
    atomically; returns the paths written."""
    from povsim.brief.html import render_html
    from povsim.brief.markdown import render_markdown
    from povsim.output import atomic_write_bytes, atomic_write_text

    folder = Path(folder)
    out = [atomic_write_text(folder / "brief.html", render_html(brief)),
           atomic_write_text(folder / "brief.md", render_markdown(brief))]
    if pdf:
        from povsim.brief.pdf import render_pdf

        out.append(atomic_write_bytes(folder / "brief.pdf", render_pdf(brief)))
    return out
