"""Start the dashboard: check what it needs, then run the Streamlit app on 127.0.0.1.

Streamlit is started through its own command line (``python -m streamlit run``), its stable
interface, with the settings that keep the app local and private: bound to 127.0.0.1, usage
statistics off, no e-mail prompt, no file watcher, no developer menu.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from povsim.dashboard.folder import DashboardError

__all__ = ["APP", "HOST", "app_args", "free_port", "serve", "streamlit_command"]

#: The Streamlit script of the app.
APP = Path(__file__).with_name("app.py")
#: The only address the app listens on.
HOST = "127.0.0.1"
#: Ports tried, in order, when none is given (Streamlit's default first).
PORTS = range(8501, 8600)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port(port: int | None = None) -> int:
    """``port`` if it is free on 127.0.0.1, else (when none is given) the first free of 8501-8599.

    Raises
    ------
    DashboardError
        The given port is in use or out of range, or no port of the range is free.
    """
    if port is not None:
        if not 1 <= port <= 65535:
            raise DashboardError(f"--port: got {port}; expected a port number from 1 to 65535 (e.g. --port 8501)")
        if not _port_free(port):
            raise DashboardError(f"--port: port {port} on {HOST} is in use; choose another with --port, or leave "
                                 "it out to take the first free port from 8501")
        return port
    for p in PORTS:
        if _port_free(p):
            return p
    raise DashboardError(f"no free port on {HOST} from {PORTS.start} to {PORTS.stop - 1}; give one with --port")


def app_args(folders: Sequence[str | Path], *, lang: str = "en", results_root: str | Path = "results") -> list[str]:
    """The app's own arguments (after Streamlit's ``--``)."""
    args = ["--lang", lang, "--results-root", str(Path(results_root).absolute())]
    for f in folders:
        args += ["--folder", str(Path(f).absolute())]
    return args


def streamlit_command(port: int, args: Sequence[str], *, open_browser: bool = True) -> list[str]:
    """``python -m streamlit run app.py`` with the local, private settings."""
    settings = {
        "server.address": HOST,
        "server.port": port,
        "browser.serverAddress": HOST,
        "browser.gatherUsageStats": "false",
        "server.headless": "false" if open_browser else "true",
        "server.showEmailPrompt": "false",
        "server.fileWatcherType": "none",
        "server.runOnSave": "false",
        "global.developmentMode": "false",
        "client.toolbarMode": "viewer",
        "theme.base": "light",
    }
    flags = [f"--{k}={v}" for k, v in settings.items()]
    return [sys.executable, "-m", "streamlit", "run", str(APP), *flags, "--", *args]


def serve(folders: Sequence[str | Path] = (), *, port: int | None = None, open_browser: bool = True,
          lang: str = "en", results_root: str | Path = "results", quiet: bool = False) -> int:
    """Check the extra, the language's font and the folders, then run the app until Ctrl-C.

    Parameters
    ----------
    folders
        Results folders to open (more can be picked in the app from ``results_root``).
    port
        Port on 127.0.0.1 (default: the first free from 8501).
    open_browser
        Open the page in the default browser once the app is up.
    lang
        ``"en"`` or ``"zh"`` (needs a CJK font, as ``povsim report --lang zh``).
    results_root
        Folder whose results folders the app's folder picker lists.

    Returns
    -------
    int
        The app's exit code (0 after Ctrl-C).

    Raises
    ------
    DashboardError
        The extra is not installed, a folder is not a results folder, or the port is taken.
    povsim.report.ReportError
        ``lang="zh"`` and no CJK font is installed.
    """
    from povsim.dashboard import require_extra
    from povsim.dashboard.kinds import open_folder
    from povsim.report import font_rc

    require_extra()
    font_rc(lang)  # same font rule as `povsim report --lang zh`: stop now, naming the fonts
    for f in folders:
        open_folder(f)  # a wrong folder is reported here, with exit code 2, not in the browser
    chosen = free_port(port)
    cmd = streamlit_command(chosen, app_args(folders, lang=lang, results_root=results_root),
                            open_browser=open_browser)
    if not quiet:
        print(f"povsim dashboard: http://{HOST}:{chosen}  (Ctrl-C to stop)", flush=True)
    proc = subprocess.Popen(cmd)
    previous = signal.getsignal(signal.SIGTERM)
    # stopped by a process manager (or a test): stop the app with it rather than orphan it
    signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    try:
        return proc.wait()
    except KeyboardInterrupt:  # the app got the same SIGINT from the terminal; let it finish
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
