"""The brief in Markdown, figures referenced as ``figures/<stem>.png`` of the pack."""

from __future__ import annotations

from povsim.brief.document import Brief, Bullets, FigureBlock, Heading, Missing, Para, Table
from povsim.brief.i18n import msg

__all__ = ["render_markdown"]


def _cell(v: object) -> str:
    return str(v).replace("|", "/").replace("\n", " ")


def _table(t: Table) -> list[str]:
    out = [f"**{t.caption}**", ""] if t.caption else []
    out.append("| " + " | ".join(_cell(c) for c in t.columns) + " |")
    out.append("|" + "---|" * len(t.columns))
    out += ["| " + " | ".join((f"`{_cell(v)}`" if i in t.code_columns and v else _cell(v)) for i, v in enumerate(r))
            + " |" for r in t.rows]
    return [*out, ""]


def render_markdown(brief: Brief) -> str:
    out = [f"# {brief.title}", "", f"_{brief.subtitle}_", ""]
    for s in brief.sections:
        out += [f"## {s.title}", ""]
        for b in s.blocks:
            if isinstance(b, Para):
                out += [b.text, ""]
            elif isinstance(b, Missing):
                out += [f"> {b.text}", ""]
            elif isinstance(b, Heading):
                out += [f"### {b.text}", ""]
            elif isinstance(b, Bullets):
                out += [f"- {i}" for i in b.items] + [""]
            elif isinstance(b, Table):
                out += _table(b)
            elif isinstance(b, FigureBlock):
                out += [f"![{b.stem}](figures/{b.stem}.png)", "",
                        f"**{msg('figure', brief.lang, k=b.number)}.** {b.caption}", ""]
    out += ["---", "", f"_{brief.footer}_", ""]
    return "\n".join(out)
