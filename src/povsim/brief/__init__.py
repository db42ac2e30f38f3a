"""The policy brief of a results folder, organised by the questions a planner asks, in
English or Chinese, as a self-contained HTML page, Markdown, and an A4 PDF.

:func:`build_brief` reads a loaded folder (:func:`povsim.report.load_results`) through the
kind of brief that recognises it (:mod:`povsim.brief.kinds`: ``run``, ``compare``, ``batch``,
``sensitivity``, ``calibrate``; one module each) into a :class:`~povsim.brief.document.Brief`;
:func:`write_brief` renders it.  Every sentence is generated from the numbers
(:mod:`povsim.brief.sentences`) with templates in both languages (:mod:`povsim.brief.i18n`).
``povsim report`` calls both (:func:`povsim.report.write_report`).
"""

from povsim.brief.build import build_brief, write_brief

__all__ = ["build_brief", "write_brief"]
