"""The Streamlit script of ``povsim dashboard`` (started by :func:`povsim.dashboard.server.serve`).

Sidebar: language, results folders (from the command line and the folder picker under
``results/``), the folder shown, the view and its filters.  Main area: the view's table,
its figure (drawn by :mod:`povsim.plots` as in the brief) and the export buttons.  All logic
lives in :mod:`povsim.dashboard.view` and :mod:`povsim.dashboard.kinds`; this only renders.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from pathlib import Path

import streamlit as st

from povsim.dashboard.export import EXPORT_DPI, csv_bytes, export_name, figure_export
from povsim.dashboard.folder import DashboardError
from povsim.dashboard.i18n import LANGUAGES, ui
from povsim.dashboard.kinds import combine, find_folders, open_folder
from povsim.dashboard.view import Control, Drawn, render, walk
from povsim.report import ReportError, font_rc, translate

#: Resolution of the figure on screen (the export is at :data:`EXPORT_DPI`).
SCREEN_DPI = 110
#: The entry of the folder menu that shows several folders side by side.
SIDE_BY_SIDE = "\u2003side by side"


def config(argv: list[str]) -> argparse.Namespace:
    """The app's arguments (see :func:`povsim.dashboard.server.app_args`)."""
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--lang", choices=list(LANGUAGES), default="en")
    ap.add_argument("--results-root", default="results")
    ap.add_argument("--folder", action="append", default=[])
    args, _ = ap.parse_known_args(argv)
    return args


def _stamp(path: str) -> float:
    """Changes when the folder is rewritten (``--force``) or a batch is collected again."""
    p = Path(path)
    marks = [p / "manifest.json", p / "tables", p]
    return max((m.stat().st_mtime for m in marks if m.exists()), default=0.0)


@st.cache_resource(max_entries=32, show_spinner=False)
def _open(path: str, stamp: float):
    return open_folder(path)


def _folder(paths: tuple[str, ...], stamps: tuple[float, ...]):
    """The kind and results of one folder, or of several side by side."""
    if len(paths) == 1:
        return _open(paths[0], stamps[0])
    return combine([_open(p, s) for p, s in zip(paths, stamps, strict=True)])


def _freeze(sel: dict) -> tuple:
    return tuple((k, tuple(v) if isinstance(v, list | tuple) else v) for k, v in sel.items())


@st.cache_resource(max_entries=48, show_spinner=False)
def _drawn(paths: tuple[str, ...], stamps: tuple[float, ...], view_key: str, sel: tuple, lang: str) -> Drawn:
    kind, res = _folder(paths, stamps)
    view = next(v for v in kind.views(res) if v.key == view_key)
    return render(view, res, dict(sel), lang=lang)


@st.cache_data(max_entries=48, show_spinner=False)
def _screen_png(paths: tuple[str, ...], stamps: tuple[float, ...], view_key: str, sel: tuple, lang: str) -> bytes:
    fig = _drawn(paths, stamps, view_key, sel, lang).figure
    return figure_export(fig, "png", lang=lang, dpi=SCREEN_DPI)


def _widget(c: Control, prefix: str, lang: str):
    """Render one control in the sidebar; its key changes with its options, so a control whose
    choices changed (another subgroup) starts from its default."""
    key = f"{prefix}:{c.name}:{zlib.crc32(repr(c.options).encode()):08x}"
    label = ui(c.label, lang)

    def fmt(v):
        return ui(str(v), lang)

    side = st.sidebar
    if c.kind == "multiselect":
        return tuple(side.multiselect(label, list(c.options), default=list(c.default), format_func=fmt, key=key))
    if c.kind in ("range", "slider") and len(c.options) > 1:
        value = side.select_slider(label, options=list(c.options), value=c.default, format_func=fmt, key=key)
        return tuple(value) if c.kind == "range" else value
    return side.selectbox(label, list(c.options), index=list(c.options).index(c.default), format_func=fmt, key=key)


def _label(path: str) -> str:
    p = Path(path)
    return f"{p.parent.name}/{p.name}" if p.parent.name else p.name


def main() -> None:
    cfg = config(sys.argv[1:])
    st.set_page_config(page_title="povsim dashboard", layout="wide", initial_sidebar_state="expanded")
    lang = st.sidebar.radio("Language / 语言", list(LANGUAGES), index=list(LANGUAGES).index(cfg.lang),
                            format_func=LANGUAGES.get, horizontal=True, key="lang")
    try:
        font_rc(lang)
    except ReportError as e:  # the same rule as `povsim report --lang zh`
        st.sidebar.warning(str(e))
        lang = "en"

    def t(text: str) -> str:
        return ui(text, lang)

    known = list(dict.fromkeys([*cfg.folder, *(str(p.absolute()) for p in find_folders(cfg.results_root))]))
    picked = st.sidebar.multiselect(t("Results folders"), known, default=cfg.folder or known[:1],
                                    format_func=_label, key="folders")
    if not picked:
        st.title(t("povsim dashboard"))
        st.info(t("No results folder chosen") + ". " + t("Pick a folder in the sidebar, or start with "
                                                         "`povsim dashboard RESULTS_DIR`."))
        return
    opened, stamps = {}, {}
    for p in picked:
        try:
            stamps[p] = _stamp(p)
            opened[p] = _open(p, stamps[p])
        except DashboardError as e:
            st.error(str(e))
    if not opened:
        return
    runs = [p for p in opened if opened[p][1].scenarios]
    choices = list(opened) + ([SIDE_BY_SIDE] if len(runs) > 1 else [])
    current = choices[0] if len(choices) == 1 else st.sidebar.radio(
        t("Folder"), choices, format_func=lambda c: t("Folders side by side") if c == SIDE_BY_SIDE else _label(c),
        key="folder")
    paths = tuple(runs) if current == SIDE_BY_SIDE else (current,)
    key_stamps = tuple(stamps[p] for p in paths)
    kind, res = _folder(paths, key_stamps)
    views = {v.key: v for v in kind.views(res) if v.available(res)}
    if not views:
        st.title(res.name)
        st.info(t("No view of this folder can be drawn from its tables."))
        return
    view_key = st.sidebar.radio(t("View"), list(views), format_func=lambda k: t(views[k].title),
                                key=f"view:{kind.name}:{zlib.crc32(repr(paths).encode()):08x}")
    view = views[view_key]
    st.sidebar.subheader(t("Filters"))
    sel = walk(view, res, lambda c: _widget(c, f"{view.key}:{zlib.crc32(repr(paths).encode()):08x}", lang))
    frozen = _freeze(sel)

    st.title(res.name)
    st.caption(f"{t(kind.label)} · {' + '.join(paths)}  \n{res.provenance()}")
    st.subheader(t(view.title))
    drawn = _drawn(paths, key_stamps, view.key, frozen, lang)
    if drawn.table is not None and not drawn.table.empty:
        st.dataframe(drawn.table, hide_index=True)
    if drawn.figure is not None:
        st.image(_screen_png(paths, key_stamps, view.key, frozen, lang), caption=translate(drawn.caption, lang))
    elif drawn.caption:
        st.caption(translate(drawn.caption, lang))
    if drawn.note:
        st.info(translate(drawn.note, lang))

    stem = export_name(Path(paths[0]).name if len(paths) == 1 else "side_by_side", view.key, sel)
    st.subheader(t("Export"))
    cols = st.columns(3)
    if drawn.figure is not None:
        fig = drawn.figure
        cols[0].download_button(t("Figure (PNG, 300 dpi)"), data=lambda: figure_export(fig, "png", lang=lang,
                                                                                      dpi=EXPORT_DPI),
                                file_name=f"{stem}.png", mime="image/png", on_click="ignore", key="export_png")
        cols[1].download_button(t("Figure (SVG)"), data=lambda: figure_export(fig, "svg", lang=lang),
                                file_name=f"{stem}.svg", mime="image/svg+xml", on_click="ignore", key="export_svg")
    data, prov = drawn.data, res.provenance()
    cols[2].download_button(t("Data (CSV)"), data=lambda: csv_bytes(data, prov, sel), file_name=f"{stem}.csv",
                            mime="text/csv", on_click="ignore", key="export_csv")


main()
