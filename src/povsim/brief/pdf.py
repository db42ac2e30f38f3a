"""The brief as an A4 PDF for print, in pure Python: matplotlib lays out and draws the text
pages, each figure of the pack is drawn as a vector PDF and placed on its page with pypdf.

Layout: blocks flow down the page; a paragraph or a table may continue on the next page (a
table repeats its header), a figure and its caption never split; a heading is kept with what
follows it.  Chinese text breaks between characters, English between words.  Fonts are the
matplotlib fonts in force (:func:`povsim.report.write_report` sets a CJK font for ``zh``) and
are embedded (TrueType / Type 42), so the PDF shows the same glyphs everywhere.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from povsim.brief.document import Brief, Bullets, FigureBlock, Heading, Missing, Para, Table
from povsim.brief.i18n import msg

__all__ = ["A4", "Page", "layout", "pdf_fonttype", "render_pdf"]

A4 = (595.276, 841.89)  # points (210 x 297 mm)
MARGIN = {"left": 54.0, "right": 54.0, "top": 54.0, "bottom": 58.0}
BODY, SMALL, H1, H2, H3 = 9.5, 7.6, 16.0, 12.5, 10.2
LEADING = 1.42
FIGURE_MAX_HEIGHT = 0.45  # of the text block: two figures with their captions fit a page
NAVY, GREY, AMBER = "#1f4e79", "#555555", "#7a4b00"

_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
_TOKEN = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+|\s+")


@dataclass
class Page:
    """What is drawn on one page: ``ops`` in points from the bottom-left corner."""

    ops: list[tuple] = field(default_factory=list)
    figures: list[tuple[FigureBlock, float, float, float]] = field(default_factory=list)  # (fig, x, y, scale)


class _Measure:
    """Text widths in points with the fonts in force (matplotlib's Agg renderer at 72 dpi)."""

    def __init__(self) -> None:
        from matplotlib.backends.backend_agg import RendererAgg

        self._r = RendererAgg(10, 10, 72)
        self._cache: dict[tuple, float] = {}

    def width(self, s: str, prop: FontProperties) -> float:
        key = (s, prop.get_size_in_points(), prop.get_weight(), prop.get_style())
        if key not in self._cache:
            self._cache[key] = self._r.get_text_width_height_descent(s, prop, ismath=False)[0] if s else 0.0
        return self._cache[key]

    def wrap(self, text: str, width: float, prop: FontProperties) -> list[str]:
        """Greedy line breaking: between words, and between CJK characters."""
        lines: list[str] = []
        line = ""
        for tok in _TOKEN.findall(text):
            cand = line + tok
            if not line.strip() or self.width(cand.rstrip(), prop) <= width:
                line = cand if line.strip() or not tok.isspace() else ""
                while self.width(line.rstrip(), prop) > width and len(line) > 1:  # one token wider than a line
                    cut = len(line) - 1
                    while cut > 1 and self.width(line[:cut], prop) > width:
                        cut -= 1
                    lines.append(line[:cut])
                    line = line[cut:]
                continue
            lines.append(line.rstrip())
            line = "" if tok.isspace() else tok
        if line.strip():
            lines.append(line.rstrip())
        return lines or [""]


def _font(size: float, bold: bool = False, italic: bool = False) -> FontProperties:
    return FontProperties(size=size, weight="bold" if bold else "normal", style="italic" if italic else "normal")


class _Layout:
    def __init__(self, brief: Brief) -> None:
        self.brief = brief
        self.m = _Measure()
        self.w = A4[0] - MARGIN["left"] - MARGIN["right"]
        self.h = A4[1] - MARGIN["top"] - MARGIN["bottom"]
        self.pages: list[Page] = []
        self.new_page()

    # -- page flow ----------------------------------------------------------------------
    def new_page(self) -> None:
        self.pages.append(Page())
        self.y = A4[1] - MARGIN["top"]

    @property
    def room(self) -> float:
        return self.y - MARGIN["bottom"]

    def need(self, height: float) -> None:
        if height > self.room and self.y < A4[1] - MARGIN["top"] - 1:
            self.new_page()

    def text(self, x: float, s: str, prop: FontProperties, color: str = "#111111") -> None:
        self.pages[-1].ops.append(("text", x, self.y, s, prop, color))

    # -- blocks -------------------------------------------------------------------------
    def lines(self, text: str, prop: FontProperties, *, indent: float = 0.0, color: str = "#111111",
              bullet: str = "", after: float = 4.0) -> None:
        lh = prop.get_size_in_points() * LEADING
        for i, line in enumerate(self.m.wrap(text, self.w - indent, prop)):
            self.need(lh)
            self.y -= lh
            if bullet and i == 0:
                self.text(MARGIN["left"] + indent - 9, bullet, prop, color)
            self.text(MARGIN["left"] + indent, line, prop, color)
        self.y -= after

    def heading(self, text: str, size: float, *, rule: bool = False) -> None:
        prop = _font(size, bold=True)
        self.need(size * LEADING * 2 + 70.0)  # kept with at least 70 pt of what follows it
        self.y -= size * 0.6
        self.lines(text, prop, color=NAVY if rule else "#111111", after=2.0)
        if rule:
            self.pages[-1].ops.append(("line", MARGIN["left"], self.y, MARGIN["left"] + self.w, self.y, 0.8, NAVY))
            self.y -= 6.0

    def table(self, t: Table) -> None:
        prop, bold = _font(SMALL), _font(SMALL, bold=True)
        pad, lh = 3.0, SMALL * 1.32
        ncol = len(t.columns)
        natural = [max([self.m.width(str(c), bold)] + [self.m.width(str(r[i]), prop) for r in t.rows]) + 2 * pad
                   for i, c in enumerate(t.columns)]
        widths = natural[:]
        if sum(natural) > self.w:  # narrow columns keep their width, wide ones share the rest
            fair = self.w / ncol
            fixed = sum(n for n in natural if n <= fair)
            wide = sum(n for n in natural if n > fair)
            widths = [n if n <= fair else (self.w - fixed) * n / wide for n in natural]

        def cells(row: list[str], p: FontProperties) -> list[list[str]]:
            return [self.m.wrap(str(v), w - 2 * pad, p) for v, w in zip(row, widths, strict=True)]

        head = cells(t.columns, bold)
        head_h = max(len(c) for c in head) * lh + 2 * pad

        def draw_row(wrapped: list[list[str]], p: FontProperties, height: float, fill: str | None) -> None:
            x = MARGIN["left"]
            top = self.y
            if fill:
                self.pages[-1].ops.append(("rect", x, top - height, sum(widths), height, fill))
            for w, c in zip(widths, wrapped, strict=True):
                yy = top - pad
                for line in c:
                    yy -= lh
                    self.pages[-1].ops.append(("text", x + pad, yy + 0.28 * lh, line, p, "#111111"))
                x += w
            self.y = top - height
            self.pages[-1].ops.append(("line", MARGIN["left"], self.y, MARGIN["left"] + sum(widths), self.y, 0.4,
                                       "#9aa5b1"))

        if t.caption:
            self.need(SMALL * LEADING + head_h + 3 * lh)
            self.lines(t.caption, _font(SMALL + 0.6, bold=True), after=1.0)
        self.need(head_h + 2 * lh + 2 * pad)
        draw_row(head, bold, head_h, "#e8edf3")
        for r in t.rows:
            c = cells(r, prop)
            rh = max(len(x) for x in c) * lh + 2 * pad
            if rh > self.room:
                self.new_page()
                draw_row(head, bold, head_h, "#e8edf3")
            draw_row(c, prop, rh, None)
        self.y -= 8.0

    def figure(self, f: FigureBlock) -> None:
        fw, fh = (float(v) * 72.0 for v in f.figure.get_size_inches())
        scale = min(self.w / fw, self.h * FIGURE_MAX_HEIGHT / fh)
        cap_prop = _font(BODY - 0.5)
        caption = f"{msg('figure', self.brief.lang, k=f.number)}. {f.caption}"
        cap_h = len(self.m.wrap(caption, self.w, cap_prop)) * cap_prop.get_size_in_points() * LEADING
        self.need(fh * scale + cap_h + 12)  # the figure and its caption stay together
        self.y -= fh * scale
        x = MARGIN["left"] + (self.w - fw * scale) / 2
        self.pages[-1].figures.append((f, x, self.y, scale))
        self.y -= 4.0
        self.lines(caption, cap_prop, after=10.0)

    def run(self) -> list[Page]:
        b = self.brief
        self.lines(b.title, _font(H1, bold=True), color=NAVY, after=2.0)
        self.lines(b.subtitle, _font(BODY - 0.5), color=GREY, after=8.0)
        for s in b.sections:
            self.heading(s.title, H2, rule=True)
            for blk in s.blocks:
                if isinstance(blk, Para):
                    self.lines(blk.text, _font(BODY), after=5.0)
                elif isinstance(blk, Missing):
                    self.lines(blk.text, _font(BODY - 0.5, italic=True), color=AMBER, after=5.0)
                elif isinstance(blk, Heading):
                    self.heading(blk.text, H3)
                elif isinstance(blk, Bullets):
                    for item in blk.items:
                        self.lines(item, _font(BODY), indent=12.0, bullet="•", after=2.5)
                    self.y -= 3.0
                elif isinstance(blk, Table):
                    self.table(blk)
                elif isinstance(blk, FigureBlock):
                    self.figure(blk)
        return self.pages


def layout(brief: Brief) -> list[Page]:
    """The pages of the brief (with the fonts in force)."""
    return _Layout(brief).run()


def _draw(page: Page, number: int, total: int, brief: Brief) -> Figure:
    W, H = A4
    fig = Figure(figsize=(W / 72.0, H / 72.0))
    for op in page.ops:
        if op[0] == "text":
            _, x, y, s, prop, color = op
            fig.text(x / W, y / H, s, fontproperties=prop, color=color, va="baseline", ha="left")
        elif op[0] == "line":
            _, x0, y0, x1, y1, lw, color = op
            fig.add_artist(Line2D([x0 / W, x1 / W], [y0 / H, y1 / H], linewidth=lw, color=color,
                                  transform=fig.transFigure))
        elif op[0] == "rect":
            _, x, y, w, h, color = op
            fig.add_artist(Rectangle((x / W, y / H), w / W, h / H, facecolor=color, edgecolor="none",
                                     transform=fig.transFigure))
    foot = _font(SMALL - 0.6)
    fig.text(MARGIN["left"] / W, 30 / H, brief.footer, fontproperties=foot, color=GREY, va="baseline")
    fig.text(1 - MARGIN["right"] / W, 30 / H, msg("page", brief.lang, i=number, n=total), fontproperties=foot,
             color=GREY, va="baseline", ha="right")
    return fig


def pdf_fonttype() -> int:
    """42 (TrueType, text selectable) when the first font in force has TrueType outlines; 3
    (glyphs as PDF procedures) when it has CFF outlines, as Noto Sans CJK does: matplotlib would
    embed those under a TrueType font type, which PDF readers flag as a mismatch."""
    from fontTools.ttLib import TTFont
    from matplotlib import font_manager, rcParams

    family = (rcParams["font.sans-serif"] or ["DejaVu Sans"])[0]
    try:
        path = font_manager.findfont(FontProperties(family=family), fallback_to_default=True)
        font = TTFont(path, fontNumber=0, lazy=True)
        cff = "CFF " in font or "CFF2" in font
    except (OSError, ValueError, RuntimeError):
        return 3
    return 3 if cff else 42


def render_pdf(brief: Brief) -> bytes:
    """The brief as an A4 PDF (vector figures, fonts embedded)."""
    from matplotlib.backends.backend_pdf import PdfPages
    from pypdf import PdfReader, PdfWriter, Transformation

    with rc_context({"pdf.fonttype": pdf_fonttype()}):
        pages = layout(brief)
        text_pdf = io.BytesIO()
        with PdfPages(text_pdf, metadata={"Title": brief.title, "Creator": "povsim report"}) as pdf:
            for i, page in enumerate(pages, 1):
                pdf.savefig(_draw(page, i, len(pages), brief))
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf.getvalue())))
        for i, page in enumerate(pages):
            for f, x, y, scale in page.figures:
                buf = io.BytesIO()
                f.figure.savefig(buf, format="pdf")
                src = PdfReader(io.BytesIO(buf.getvalue())).pages[0]
                writer.pages[i].merge_transformed_page(src, Transformation().scale(scale, scale).translate(x, y))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
