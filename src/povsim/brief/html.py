"""The brief as one self-contained HTML page: inline CSS, figures as PNG data URIs at screen
resolution, no external reference; prints on A4 without splitting a figure."""

from __future__ import annotations

import base64
import html

from povsim.brief.build import SCREEN_DPI, figure_png
from povsim.brief.document import Brief, Bullets, FigureBlock, Heading, Missing, Para, Table
from povsim.brief.i18n import msg

__all__ = ["render_html"]

_CSS = """body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans','Noto Sans CJK SC','WenQuanYi Micro Hei',
sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#111;line-height:1.5}
h1{font-size:1.55rem;margin:.2rem 0}h2{border-bottom:2px solid #1f4e79;color:#1f4e79;padding-bottom:.15rem;
margin-top:1.8rem}h3{margin:1.1rem 0 .3rem;font-size:1.02rem}.sub{color:#555;font-size:.9rem;margin:0 0 .8rem}
nav{font-size:.9rem;background:#f4f6f9;padding:.4rem .8rem;border-radius:4px}nav a{margin-right:.9rem}
table{border-collapse:collapse;font-size:.84rem;margin:.5rem 0 .8rem}caption{text-align:left;font-weight:600;
font-size:.88rem;padding:.2rem 0}th,td{border:1px solid #c5ccd6;padding:.2rem .45rem;text-align:left;
vertical-align:top}th{background:#e8edf3}td.code{font-family:ui-monospace,monospace;font-size:.78rem;
word-break:break-all}.missing{color:#7a4b00;background:#fff7e6;border-left:3px solid #e0a030;padding:.25rem .6rem;
font-size:.9rem}figure{margin:1rem 0;break-inside:avoid;page-break-inside:avoid}figure img{max-width:100%;
height:auto;border:1px solid #ddd}figcaption{font-size:.9rem;color:#222}footer{color:#666;font-size:.8rem;
border-top:1px solid #ccc;margin-top:2rem;padding-top:.4rem}
@page{size:A4;margin:16mm}@media print{body{max-width:none;margin:0}nav{display:none}h2{break-after:avoid}
table{break-inside:auto}tr{break-inside:avoid}}"""


def _e(s: object) -> str:
    return html.escape(str(s))


def _table(t: Table) -> str:
    cap = f"<caption>{_e(t.caption)}</caption>" if t.caption else ""
    head = "".join(f"<th>{_e(c)}</th>" for c in t.columns)
    body = "".join("<tr>" + "".join(f"<td{' class=\"code\"' if i in t.code_columns else ''}>{_e(v)}</td>"
                                    for i, v in enumerate(r)) + "</tr>" for r in t.rows)
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(f: FigureBlock, lang: str) -> str:
    data = base64.b64encode(figure_png(f.figure, SCREEN_DPI)).decode("ascii")
    return (f"<figure id=\"fig-{_e(f.stem)}\"><img alt=\"{_e(f.caption)}\" src=\"data:image/png;base64,{data}\">"
            f"<figcaption><b>{_e(msg('figure', lang, k=f.number))}.</b> {_e(f.caption)}</figcaption></figure>")


def render_html(brief: Brief) -> str:
    """The brief as a self-contained HTML document."""
    lang = brief.lang
    parts = [f"<!DOCTYPE html><html lang=\"{'zh-CN' if lang == 'zh' else 'en'}\"><head><meta charset=\"utf-8\">",
             f"<meta name=\"viewport\" content=\"width=device-width\"><title>{_e(brief.title)}</title>",
             f"<style>{_CSS}</style></head><body>",
             f"<h1>{_e(brief.title)}</h1><p class=\"sub\">{_e(brief.subtitle)}</p>",
             "<nav>" + "".join(f"<a href=\"#{_e(s.key)}\">{_e(s.title)}</a>" for s in brief.sections) + "</nav>"]
    for s in brief.sections:
        parts.append(f"<section id=\"{_e(s.key)}\"><h2>{_e(s.title)}</h2>")
        for b in s.blocks:
            if isinstance(b, Para):
                parts.append(f"<p>{_e(b.text)}</p>")
            elif isinstance(b, Missing):
                parts.append(f"<p class=\"missing\">{_e(b.text)}</p>")
            elif isinstance(b, Heading):
                parts.append(f"<h3>{_e(b.text)}</h3>")
            elif isinstance(b, Bullets):
                parts.append("<ul>" + "".join(f"<li>{_e(i)}</li>" for i in b.items) + "</ul>")
            elif isinstance(b, Table):
                parts.append(_table(b))
            elif isinstance(b, FigureBlock):
                parts.append(_figure(b, lang))
        parts.append("</section>")
    parts.append(f"<footer>{_e(brief.footer)}</footer></body></html>\n")
    return "\n".join(parts)
