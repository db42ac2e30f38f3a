"""A kind of results folder: how to recognise it, open it, and what the dashboard shows of it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from povsim.dashboard.view import View
from povsim.errors import PovsimError
from povsim.report import Results

__all__ = ["DashboardError", "Kind", "read_manifest"]


class DashboardError(PovsimError):
    """A results folder cannot be shown, or the dashboard cannot start."""


@dataclass(frozen=True)
class Kind:
    """A kind of results folder.

    Attributes
    ----------
    name
        ``"run"``, ``"compare"``, ``"batch"``, ``"sensitivity"``, ``"calibration"`` ...
    label
        English name shown in the app.
    detect
        Whether a folder is of this kind (file checks only: no table is read).
    load
        Open the folder: its manifest, and its tables read lazily, as a
        :class:`~povsim.report.Results`.
    views
        The views of an opened folder, in menu order.
    """

    name: str
    label: str
    detect: Callable[[Path], bool]
    load: Callable[[Path], Results]
    views: Callable[[Results], list[View]]


def read_manifest(folder: Path) -> dict:
    """``manifest.json`` of ``folder`` (``{}`` when there is none)."""
    path = folder / "manifest.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise DashboardError(f"cannot read {path}: {e}; is it the manifest povsim wrote?") from e
