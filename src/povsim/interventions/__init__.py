"""The intervention catalogue: one module an intervention (see :mod:`.base`).

Intervention modules are discovered in this package: every public module except
``base`` defines one :class:`Intervention` subclass.  ``CATALOGUE`` maps each name to its
configuration model (the ``[interventions.<name>]`` table of a scenario is validated
against it); ``CLASSES`` maps it to the class the model instantiates; ``MODULES`` are
the modules (they declare the interventions' parameters).
"""

from __future__ import annotations

import inspect

from povsim.interventions.base import (
    DELIVERY_PARAMS,
    Intervention,
    InterventionConfig,
    Plan,
    Targeting,
)
from povsim.registry import discover

PARAMS = DELIVERY_PARAMS


def _discover() -> tuple[tuple, dict[str, type[Intervention]]]:
    modules, classes = [], {}
    for mod in discover(__name__):
        if mod.__name__.endswith(".base"):
            continue
        found = [c for _, c in inspect.getmembers(mod, inspect.isclass)
                 if issubclass(c, Intervention) and c is not Intervention
                 and c.__module__ == mod.__name__]
        if len(found) != 1:
            raise RuntimeError(f"{mod.__name__} must define exactly one Intervention subclass")
        modules.append(mod)
        classes[found[0].name] = found[0]
    return tuple(modules), classes


MODULES, CLASSES = _discover()

CATALOGUE = {name: cls.Config for name, cls in CLASSES.items()}

__all__ = ["CATALOGUE", "CLASSES", "MODULES", "Intervention", "InterventionConfig", "Plan",
           "Targeting"]
