"""The intervention catalogue: one module an intervention (see :mod:`.base`).

``CATALOGUE`` maps each name to its configuration model (the ``[interventions.<name>]``
table of a scenario is validated against it); ``CLASSES`` maps it to the class the model
instantiates.
"""

from __future__ import annotations

from povsim.interventions.base import (
    DELIVERY_PARAMS,
    Intervention,
    InterventionConfig,
    Plan,
    Targeting,
)
from povsim.interventions.child_service_centre import ChildServiceCentre
from povsim.interventions.conditional_cash_transfer import ConditionalCashTransfer
from povsim.interventions.dibao import Dibao
from povsim.interventions.health_services import HealthServices
from povsim.interventions.home_visits import HomeVisits
from povsim.interventions.infant_nutrition import InfantNutrition
from povsim.interventions.parent_training import ParentTraining
from povsim.interventions.school_meals import SchoolMeals
from povsim.interventions.special_needs_support import SpecialNeedsSupport
from povsim.interventions.wash_upgrade import WashUpgrade

PARAMS = DELIVERY_PARAMS

CLASSES: dict[str, type[Intervention]] = {
    cls.name: cls
    for cls in (ChildServiceCentre, ParentTraining, HomeVisits, InfantNutrition, SchoolMeals,
                SpecialNeedsSupport, ConditionalCashTransfer, Dibao, WashUpgrade, HealthServices)
}

CATALOGUE = {name: cls.Config for name, cls in CLASSES.items()}

#: Modules declaring intervention parameters (effect sizes, unit costs).
PARAMETER_MODULES = (
    "povsim.interventions",
    *(f"povsim.interventions.{name}" for name in CLASSES),
)

__all__ = ["CATALOGUE", "CLASSES", "Intervention", "InterventionConfig", "Plan", "Targeting"]
