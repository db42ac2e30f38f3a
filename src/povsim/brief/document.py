"""The brief as a document: sections of paragraphs, tables, notes and figures.

Built once from a results folder (:mod:`povsim.brief.kinds`), then rendered as HTML, Markdown
or an A4 PDF (:mod:`povsim.brief.html`, :mod:`povsim.brief.markdown`, :mod:`povsim.brief.pdf`);
the renderers never compute anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from matplotlib.figure import Figure

__all__ = ["Block", "Brief", "Bullets", "FigureBlock", "Heading", "Missing", "Para", "Section", "Table"]


@dataclass
class Para:
    """A paragraph of generated sentences."""

    text: str


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Heading:
    """A sub-heading inside a section."""

    text: str


@dataclass
class Missing:
    """What the folder lacks for this question, said plainly."""

    text: str


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    caption: str = ""
    code_columns: tuple[int, ...] = ()  # columns holding file names, commands, identifiers


@dataclass
class FigureBlock:
    """A figure of the pack with its caption (one sentence from the data) and the question it answers."""

    stem: str
    figure: Figure
    caption: str
    number: int = 0


Block = Para | Bullets | Heading | Missing | Table | FigureBlock


@dataclass
class Section:
    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block | None) -> Section:
        self.blocks.extend(b for b in blocks if b is not None)
        return self


@dataclass
class Brief:
    """The whole brief: title, subtitle, sections, and the footer printed on every page."""

    kind: str
    lang: str
    title: str
    subtitle: str
    footer: str
    sections: list[Section] = field(default_factory=list)

    def figures(self) -> list[FigureBlock]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, FigureBlock)]

    def texts(self) -> list[str]:
        """Every piece of prose and every table cell outside code columns (for language checks)."""
        out = [self.title, self.subtitle]
        for s in self.sections:
            out.append(s.title)
            for b in s.blocks:
                if isinstance(b, Para | Missing | Heading):
                    out.append(b.text)
                elif isinstance(b, Bullets):
                    out.extend(b.items)
                elif isinstance(b, Table):
                    out.append(b.caption)
                    out.extend(b.columns)
                    out.extend(c for r in b.rows for i, c in enumerate(r) if i not in b.code_columns)
                elif isinstance(b, FigureBlock):
                    out.append(b.caption)
        return [t for t in out if t]
