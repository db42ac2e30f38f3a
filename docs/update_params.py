"""Regenerate the parameter tables of docs/model.md from the parameter registry.

Run from the repository root: ``python docs/update_params.py``.  Each table sits between
``<!-- params:<module> -->`` and ``<!-- /params -->``.
"""

import pathlib
import re

from povsim.params import registry

DOC = pathlib.Path(__file__).with_name("model.md")


def row(p) -> str:
    return (f"| `{p.name}` | {p.default:g} | {p.unit} | {p.range[0]:g} – {p.range[1]:g} | "
            f"{p.description} | {p.source} |")


def table(module: str) -> str:
    rows = [row(p) for p in registry().values() if p.module == module]
    return "\n".join(["| name | default | unit | range | meaning | source |",
                      "|---|---|---|---|---|---|", *rows])


text = DOC.read_text()
modules = {p.module for p in registry().values()}
missing = sorted(m for m in modules if f"<!-- params:{m} -->" not in text)
if missing:
    raise SystemExit(f"{DOC}: no table for {', '.join(missing)}: add a marker pair "
                     "<!-- params:MODULE --> ... <!-- /params --> where its process is described")
new = re.sub(r"(?ms)^(<!-- params:([\w.]+) -->).*?^(<!-- /params -->)",
             lambda m: m[1] + "\n" + table(m[2]) + "\n" + m[3], text)
DOC.write_text(new)
print(f"{DOC}: {'updated' if new != text else 'unchanged'}")
