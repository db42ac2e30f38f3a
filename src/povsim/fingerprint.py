"""The model's code fingerprint: which version of the model a result comes from.

A hash of the source files (and data files) that define the model.  It is part of every
cache key (calibration runs, spun-up worlds) and is recorded in every stored run of a batch,
a sensitivity study or a plan: a result of another model version is never reused for the
current one (it would silently mix two models in one analysis).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

#: Parts of the package that cannot change a run's results (drawing, reporting, the command
#: line, batch plumbing, calibration): left out of :func:`model_fingerprint`, so that editing
#: them keeps caches and stored runs.
_NOT_MODEL = ("plots", "calibration", "experiment", "report.py", "cli.py", "summary.py", "output.py",
              "sensitivity.py", "compare.py", "moda/survey.py", "runs.py", "__main__.py", "fingerprint.py",
              # what reads results or builds scenarios: a model run imports none of them
              "plan", "brief", "dashboard", "trial.py", "validation.py", "stats.py")


@functools.cache
def model_fingerprint() -> str:
    """Hash of the source files that define the model (16 hex digits).

    After a change to the model code, earlier cached or stored runs no longer answer for
    it.
    """
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        rel = f.relative_to(root)
        if rel.parts[0] in _NOT_MODEL or rel.as_posix() in _NOT_MODEL or "__pycache__" in rel.parts:
            continue
        h.update(str(rel).encode())
        h.update(f.read_bytes())
    for f in sorted((root / "data").glob("*")) if (root / "data").is_dir() else ():
        if f.is_file():
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]
