"""MODA on outcome indicators only, next to MODA on every indicator.

Every indicator of a MODA configuration is tagged ``kind = "outcome"`` (a child's state)
or ``kind = "service"`` (receipt of a service: check-up, insurance, Dibao; see
``src/povsim/data/moda_hubei.toml``).  A service indicator is flipped by the service
itself, so counting it as a benefit of that service is circular (UNICEF's MODA guidelines
measure deprivation of children's rights, de Neubourg et al. 2012, WP-2012-10; cost-
effectiveness needs outcomes).  :func:`outcome_view` drops the service indicators (and
the dimensions left without indicators); the model collects MODA on that view every year
beside the full MODA, as the tables ``moda_outcome`` (tidy) and ``moda_outcome_summary`` /
``moda_outcome_patterns``.  The cut-off ``k`` is kept: the outcome view counts deprivations
in fewer dimensions against the same cut-off.
"""

from __future__ import annotations

from povsim.moda import MODAConfig

#: Tables of the outcome view kept in a run's results (the other detail tables are not).
KEPT = ("summary", "patterns")


def service_indicators(config: MODAConfig) -> list[str]:
    """Names of the indicators tagged ``kind = "service"``."""
    return [ind.name for ind in config.indicators if ind.kind == "service"]


def outcome_view(config: MODAConfig) -> MODAConfig | None:
    """The configuration without its service indicators (and the dimensions they leave
    empty); ``None`` when it has no service indicator (the view would be the same)."""
    keep = [ind for ind in config.indicators if ind.kind != "service"]
    if len(keep) == len(config.indicators) or not keep:
        return None
    used = {ind.dimension for ind in keep}
    moda = config.moda.model_copy(update={"name": f"{config.moda.name}_outcome",
                                          "description": "outcome indicators only: "
                                          + config.moda.description})
    return config.model_copy(update={
        "moda": moda, "indicators": keep,
        "dimensions": {d: spec for d, spec in config.dimensions.items() if d in used}})


def collectors(main, every: int = 1) -> list:
    """The extra MODA collectors of a run (the outcome view of the run's configuration),
    or none when the run collects no MODA or its configuration has no service indicator."""
    if main is None:
        return []
    from povsim.moda.model import MODACollector

    view = outcome_view(main.config)
    return [] if view is None else [MODACollector(config=view, groups=(), every=every)]


def tables(extra: list) -> dict:
    """``moda_outcome`` (tidy headline measures) and the kept detail tables of the
    outcome view."""
    from povsim.moda.model import tidy_moda

    out = {}
    for c in extra:
        detail = c.tables()
        out["moda_outcome"] = tidy_moda(detail)
        out.update({f"moda_outcome_{k}": detail[f"moda_{k}"] for k in KEPT if f"moda_{k}" in detail})
    return out
