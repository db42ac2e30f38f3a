"""Sensitivity folders (``povsim sensitivity``): indices by output, second-order indices,
and the ranked summary."""

from __future__ import annotations

from collections.abc import Iterator

from povsim.dashboard.folder import Kind
from povsim.dashboard.view import Control, Drawn, Selection, View, has_extra
from povsim.report import Results, load_results

__all__ = ["KIND", "views"]


def _method(res: Results) -> str:
    """The study's method (manifest), or the one its index columns show."""
    m = (res.manifest.get("extra") or {}).get("method")
    if m:
        return str(m)
    cols = set(res.extra["indices"].columns)
    return "morris" if "mu_star" in cols else "delta" if "delta" in cols else "pawn" if "median" in cols else "sobol"


def _outputs(table) -> Iterator[Control]:
    outs = tuple(dict.fromkeys(table["output"].astype(str)))
    if outs:
        yield Control("output", "Output", outs, outs[0])


def _indices_controls(res: Results, sel: Selection) -> Iterator[Control]:
    yield from _outputs(res.extra["indices"])


def _indices_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.sensitivity import plot_output

    idx = res.extra["indices"]
    out = sel["output"]
    method = _method(res)
    summ = res.extra.get("summary")
    table = None if summ is None else summ[summ["output"].astype(str) == out]
    what = "Morris screening: mu* against sigma" if method == "morris" else f"{method} sensitivity indices"
    return Drawn(plot_output(method, idx, out), idx[idx["output"].astype(str) == out],
                 f"{what} of {out}, with confidence intervals; the table ranks the parameters.", table=table,
                 labels=("", "" if method == "morris" else "Parameter"))


def _second_controls(res: Results, sel: Selection) -> Iterator[Control]:
    yield from _outputs(res.extra["second_order"])


def _second_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.sensitivity import plot_second_order

    s2 = res.extra["second_order"]
    out = sel["output"]
    return Drawn(plot_second_order(s2, out), s2[s2["output"].astype(str) == out],
                 f"Second-order Sobol' indices S2 of {out} (interactions of parameter pairs).")


def views(res: Results) -> list[View]:
    return [
        View("indices", "Sensitivity indices", _indices_controls, _indices_draw),
        View("second_order", "Second-order indices", _second_controls, _second_draw, has_extra("second_order")),
    ]


KIND = Kind("sensitivity", "Sensitivity study", lambda folder: (folder / "indices.csv").is_file(),
            lambda folder: load_results(folder, lazy=True), views)
