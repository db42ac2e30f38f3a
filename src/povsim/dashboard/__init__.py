"""``povsim dashboard``: explore and compare results folders in a local web app.

The app reads the folders written by ``povsim run``, ``compare``, ``batch``, ``sensitivity``
and ``calibrate`` (:mod:`povsim.dashboard.kinds`), draws every figure with the functions of
:mod:`povsim.plots` that ``povsim report`` uses, exports the figure of the current view (PNG
at 300 dpi, SVG) and its data (CSV) with the report's provenance footer, and works offline:
it is served from 127.0.0.1 with every asset local and Streamlit's usage statistics off.

It needs the optional extra (``pip install "povsim[dashboard]"``); nothing here imports the
web framework until the app starts, so the core install stays lean.
"""

from __future__ import annotations

from povsim.dashboard.folder import DashboardError
from povsim.dashboard.server import serve

__all__ = ["INSTALL_HINT", "DashboardError", "require_extra", "serve"]

#: How to install what the dashboard needs.
INSTALL_HINT = 'pip install "povsim[dashboard]"  (from a checkout: pip install -e ".[dashboard]")'


def require_extra() -> None:
    """Raise :class:`DashboardError`, naming the pip command, when the extra is not installed."""
    import importlib.util

    missing = [m for m in ("streamlit",) if importlib.util.find_spec(m) is None]
    if missing:
        raise DashboardError(f"povsim dashboard needs the optional extra 'dashboard' ({', '.join(missing)} is not "
                             f"installed); install it with: {INSTALL_HINT}")

