"""The brief as a document: sections of paragraphs, tables, notes and figures.

Built once from a results folder (:mod:`povsim.brief.kinds`), then rendered as HTML, Markdown
or an A4 PDF (:mod:`povsim.brief.html`, :mod:`povsim.brief.markdown`, :mod:`povsim.brief.pdf`);
the renderers never compute anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from matplotlib.figure import Figure

if TYPE_CHECKING:
    import pandas as pd

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

    @classmethod
    def as_written(cls, df: pd.DataFrame, caption: str = "") -> Table:
        """A table whose layout the brief does not know (a newer povsim's), every cell as written."""
        return cls(list(map(str, df.columns)), [[str(v) for v in r] for r in df.itertuples(index=False)], caption,
                   tuple(range(len(df.columns))))


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
