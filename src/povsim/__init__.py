"""povsim: agent-based simulation of the intergenerational transmission of child poverty.

Public API::

    from povsim import load_scenario, PovertyModel, run_scenario
    s = load_scenario("scenarios/hubei_pilot.toml")
    m = PovertyModel(s, seed=1); m.run(); m.tables()
    result = run_scenario(s, replicates=4, seed=1)   # tidy tables across replicates
"""

from __future__ import annotations

__version__ = "0.1.0"

from povsim.scenario import Scenario, load_scenario

__all__ = ["PovertyModel", "Scenario", "__version__", "load_scenario", "run_scenario"]


def __getattr__(name: str):
    # Lazy imports keep `import povsim` light for the CLI's --help.
    if name == "PovertyModel":
        from povsim.model import PovertyModel

        return PovertyModel
    if name == "run_scenario":
        from povsim.runner import run_scenario

        return run_scenario
    raise AttributeError(name)
