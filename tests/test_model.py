"""PovertyModel as a whole: invariants, lineage, determinism and common random numbers.

The common-random-numbers (CRN) property (shared/notes/common-random-numbers.md): a
scenario whose modifiers have zero effect -- but which still run and consume their own
random streams -- gives results bit-identical to the baseline; a non-zero effect changes
only what it touches.  Replay: the same seed gives the same run whatever the number of
worker processes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povsim.errors import RunError
from povsim.model import PovertyModel
from povsim.rng import NEWBORN_ID_BASE
from povsim.runner import replicate_seed, run_scenario
from povsim.state import VALUE_NAMES

HOUSEHOLD_VALUES = {"household.transfer_pc", "dibao.takeup", "water.upgrade_rate",
                    "sanitation.upgrade_rate", "info.gain_rate", "insurance.probability",
                    "parenting.practice"}


def assert_tables_identical(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


def assert_persons_identical(w1, w2, columns=("id", "sex", "birth_year", "hh", "mother",
                                              "generation", "stunted", "skill", "earnings",
                                              "school_years", "migrant", "enrolled")) -> None:
    assert w1.P.n == w2.P.n and w1.H.n == w2.H.n
    for col in columns:
        np.testing.assert_array_equal(w1.P[col], w2.P[col], err_msg=col)
    np.testing.assert_array_equal(w1.H.income_pc, w2.H.income_pc)


# ======================================================================== invariants


def test_invariants_hold_every_year(model_factory):
    m = model_factory(5000, 15, 1)
    w = m.world
    w.check_invariants()
    seen_dead: set[int] = set()
    births_total = 0
    for _ in range(15):
        prev = pd.Series(w.age().astype(int), index=w.P.id.copy())
        prev_ids = set(w.P.id.tolist())
        m.step()
        P, H = w.P, w.H
        w.check_invariants()
        # every living person in exactly one existing household; sizes consistent
        assert ((P.hh >= 0) & (P.hh < H.n)).all()
        np.testing.assert_array_equal(H.size, np.bincount(P.hh, minlength=H.n))
        assert P.alive.all()
        assert len(np.unique(H.id)) == H.n
        # no negative incomes or earnings, no NaN
        assert (H.income_pc >= 0).all() and np.isfinite(H.income_pc).all()
        assert (P.earnings >= 0).all() and np.isfinite(P.earnings).all()
        assert np.isfinite(P.skill).all()
        # ages advance by one for everyone present in both years
        now = pd.Series(w.age().astype(int), index=P.id)
        both = prev.index.intersection(now.index)
        assert len(both) > 0.9 * len(prev)
        assert ((now[both] - prev[both]) == 1).all()
        # newborns (age 0) are exactly the new ids
        new_ids = set(P.id.tolist()) - prev_ids
        assert new_ids == set(P.id[w.age() == 0].tolist())
        assert all(i >= NEWBORN_ID_BASE for i in new_ids)
        births_total += len(new_ids)
        # the dead never come back
        arc = w.archived()
        dead_now = set(arc["id"].tolist())
        assert not (dead_now & set(P.id.tolist()))
        assert seen_dead <= dead_now
        seen_dead = dead_now
        # partners are of opposite sex
        pr = P.partner_row
        has = pr >= 0
        assert (P.sex[has] != P.sex[pr[has]]).all()
    assert births_total > 100


def test_check_invariants_detects_corruption(model_factory):
    cases = {
        "household": lambda w: w.P.hh.__setitem__(0, w.H.n),
        "duplicate": lambda w: w.P.id.__setitem__(1, w.P.id[0]),
        "partner": lambda w: w.P.partner_row.__setitem__(
            int(np.flatnonzero(w.P.partner_row >= 0)[0]), -1),
        "income": lambda w: w.H.income_pc.__setitem__(0, -1.0),
        "mother": lambda w: w.P.mother.__setitem__(
            int(np.flatnonzero(w.P.mother_row >= 0)[0]), 10**12),
    }
    for name, corrupt in cases.items():
        w = model_factory(2000, 1, 1).world
        w.check_invariants()
        corrupt(w)
        with pytest.raises(RunError):
            w.check_invariants()
        assert name


# ======================================================================== lineage


def test_newborn_lineage(model_factory):
    m = model_factory(5000, 10, 2)
    w = m.world
    n_new = 0
    for _ in range(10):
        m.step()
        P = w.P
        new = np.flatnonzero(w.age() == 0)
        n_new += len(new)
        mrow, frow = P.mother_row[new], P.father_row[new]
        # a newborn's mother is alive, female and in the same household (mortality comes
        # first in the year, so she survived the year of birth) -- unless she left for
        # migrant work and the baby went to a grandparent's household
        assert (mrow >= 0).all()
        assert (P.id[mrow] == P.mother[new]).all()
        assert (P.sex[mrow] == 0).all()
        moved = P.hh[new] != P.hh[mrow]
        assert P.migrant[mrow[moved]].all()
        assert moved.mean() < 0.2
        # father is male, the mother's partner at birth, recorded by id
        assert (P.father[new] >= 0).all()
        ok = frow >= 0
        assert (P.sex[frow[ok]] == 1).all()
        assert (P.id[frow[ok]] == P.father[new][ok]).all()
        # generation = parents' generation + 1 (the later of the two parents' generations)
        gen = P.generation[new].astype(int)
        assert (gen >= P.generation[mrow].astype(int) + 1).all()
        assert (gen[ok] == np.maximum(P.generation[mrow[ok]], P.generation[frow[ok]]) + 1).all()
        # mothers are of childbearing age
        m_age = w.age()[mrow]
        assert (m_age >= 18).all() and (m_age <= 49).all()
    assert n_new > 100


def test_initial_population_generation_is_consistent_with_lineage(model_factory):
    # generation = 1 + the older-generation (larger) of the known parents' generations,
    # 0 without a known parent: the rule of the initial population and of every birth
    P = model_factory(5000, 1, 1).world.P
    gm = np.where(P.mother_row >= 0, P.generation[np.maximum(P.mother_row, 0)].astype(int) + 1, 0)
    gf = np.where(P.father_row >= 0, P.generation[np.maximum(P.father_row, 0)].astype(int) + 1, 0)
    np.testing.assert_array_equal(P.generation.astype(int), np.maximum(gm, gf))
    assert P.generation.max() == 2  # grandparents -> stem-family husband -> his children


def test_sixty_year_run_has_three_generations_by_lineage(cached_run):
    run = cached_run(3000, 60, 1)
    w = run.model.world
    assert w.year == w.start_year + 60
    w.check_invariants()
    assert w.P.n > 500  # the population persists
    arc = w.archived()
    ids = np.concatenate([w.P.id, arc["id"]])
    mothers = np.concatenate([w.P.mother, arc["mother"]])
    gens = np.concatenate([w.P.generation, arc["generation"]]).astype(int)
    assert len(np.unique(ids)) == len(ids)  # nobody both alive and archived, no reuse
    mother_of = dict(zip(ids.tolist(), mothers.tolist(), strict=True))
    # every recorded mother of someone born in the run is a known person
    born_in_run = np.concatenate([w.P.birth_year, arc["birth_year"]]) > w.start_year
    assert np.isin(mothers[born_in_run], ids).all()

    def depth(i: int) -> int:
        d = 1
        while mother_of.get(i, -1) in mother_of:
            i = mother_of[i]
            d += 1
        return d

    depths = np.array([depth(i) for i in w.P.id[w.P.birth_year > w.start_year + 30].tolist()])
    # great-grandmother -> grandmother -> mother -> child chains appear within 60 years
    assert depths.max() >= 3, depths.max()
    assert (depths >= 3).mean() > 0.1
    assert gens.max() >= 3
    # generations in the tables too
    g = run.tables["generations"]
    assert g[g["year"] == w.year]["group"].astype(int).max() >= 3


# ======================================================================== determinism


def test_same_seed_gives_bit_identical_tables(model_factory):
    a = model_factory(3000, 8, 5)
    b = model_factory(3000, 8, 5)
    a.run()
    b.run()
    assert_tables_identical(a.tables(), b.tables())
    assert_persons_identical(a.world, b.world)


def test_different_seeds_differ(cached_run):
    a = cached_run(5000, 10, 1).tables
    b = cached_run(5000, 10, 2).tables
    pa = a["population"]
    pb = b["population"]
    assert not pa["value"].equals(pb["value"])
    assert not a["stunting"]["value"].equals(b["stunting"]["value"])


# ======================================================================== CRN


def _placebo(model: PovertyModel, name: str):
    """A modifier that consumes its own random stream and returns the value unchanged."""
    stream = "placebo." + name
    household = name in HOUSEHOLD_VALUES

    def modifier(world, rows, value):
        ids = (world.H.id if household else world.P.id)[rows]
        u = model.streams.uniform(stream, world.year, ids)
        assert u.shape == np.shape(rows) or np.ndim(rows) == 0
        v = np.asarray(value, dtype=np.float64)
        if name.endswith(("stimulation", "transfer_pc", "practice", "haz_input", "shift",
                          "incentive")):
            return v + 0.0 * u  # additive quantities: add zero
        return v * 1.0  # ratios and probabilities: multiply by one

    return modifier


@pytest.mark.parametrize("names", [
    ("growth.haz_input", "school.dropout_rr", "household.transfer_pc", "skill.stimulation"),
    tuple(VALUE_NAMES),
], ids=["four", "all"])
def test_placebo_modifiers_leave_results_bit_identical(model_factory, cached_run, names):
    base = cached_run(5000, 10, 3)
    m = model_factory(5000, 10, 3)
    for name in names:
        m.world.values.register(name, _placebo(m, name))
    m.run()
    assert set(m.world.values.active()) == set(names)
    assert any(s.startswith("placebo.") for s in m.streams.names)  # the streams were used
    assert_tables_identical(base.tables, m.tables())
    assert_persons_identical(base.model.world, m.world)


def test_nonzero_modifier_changes_its_outcome_only_where_it_should(model_factory, cached_run):
    base = cached_run(5000, 10, 3)
    m = model_factory(5000, 10, 3)
    w0 = m.world
    initial = {c: w0.P[c].copy() for c in ("id", "birth_year", "stunted_ever", "school_years")}
    m.world.values.register("growth.haz_input", lambda world, rows, v: v + 0.4)
    m.run()
    t0, t1 = base.tables, m.tables()
    start = w0.start_year
    # start-year rows of every yearly table are identical (before any effect)
    for name, df in t0.items():
        if "year" in df and (df["year"] == start).any() and name in t1:
            pd.testing.assert_frame_equal(df[df["year"] == start].reset_index(drop=True),
                                          t1[name][t1[name]["year"] == start].reset_index(
                                              drop=True), check_exact=True, obj=name)
    s0 = base.series("stunting", "stunting_prevalence")
    st = t1["stunting"]
    s1 = st[(st["by"] == "all") & (st["measure"] == "stunting_prevalence")].set_index(
        "year")["value"]
    assert (s1.iloc[1:] <= s0.iloc[1:]).all()
    # +0.4 SD on every child's target HAZ: under-5 stunting ~0.12 -> ~0.07
    assert (s0 - s1).iloc[3:].mean() > 0.02
    # persons past age 2 at the start keep their stunting record (at age 2); adults
    # keep their schooling: compare those alive at the end of both runs
    wb, wm = base.model.world, m.world
    both, ib, im = np.intersect1d(wb.P.id, wm.P.id, return_indices=True)
    assert len(both) > 0.8 * wm.P.n
    old = (wm.start_year - wm.P.birth_year[im]) >= 3
    np.testing.assert_array_equal(wb.P.stunted_ever[ib][old], wm.P.stunted_ever[im][old])
    adult = (wm.start_year - wm.P.birth_year[im]) >= 25
    np.testing.assert_array_equal(wb.P.school_years[ib][adult], wm.P.school_years[im][adult])
    # stunting history present at the start is never erased
    _, i0, i1 = np.intersect1d(initial["id"], wm.P.id, return_indices=True)
    assert (wm.P.stunted_ever[i1] | ~initial["stunted_ever"][i0]).all()
    # births and marriages of the first year do not depend on stunting
    p0 = base.tables["population"]
    p1 = t1["population"]
    for ev in ("births", "marriages", "deaths"):
        a = p0[(p0["measure"] == ev) & (p0["year"] == start + 1)]["value"].to_numpy()
        b = p1[(p1["measure"] == ev) & (p1["year"] == start + 1)]["value"].to_numpy()
        np.testing.assert_array_equal(a, b, err_msg=ev)
    # school dropout and water access are untouched in the first simulated year
    for table, measure in (("living_conditions", "no_safe_water_share"),
                           ("enrolment", "enrolment_rate_12_14")):
        a, b = t0[table], t1[table]
        sa = a[(a["measure"] == measure) & (a["year"] == start + 1)]["value"].to_numpy()
        sb = b[(b["measure"] == measure) & (b["year"] == start + 1)]["value"].to_numpy()
        np.testing.assert_array_equal(sa, sb, err_msg=measure)


def test_parameter_change_keeps_initial_population_and_unaffected_streams(model_factory):
    a = model_factory(5000, 2, 4)
    # neither parameter enters the initial population (haz_poverty: income poverty is not
    # known when the growth histories are spun up)
    b = model_factory(5000, 2, 4, haz_poverty=-0.4, dropout_junior=0.05)
    assert_persons_identical(a.world, b.world)
    a.step()
    b.step()
    # demography and migration run before growth and schooling: identical in year 1
    for col in ("id", "birth_year", "hh", "migrant", "partner_row", "alive"):
        np.testing.assert_array_equal(a.world.P[col], b.world.P[col], err_msg=col)


# ======================================================================== replay


def test_run_scenario_identical_with_one_or_two_workers(scenario_factory):
    s = scenario_factory(3000, 4)
    r1 = run_scenario(s, replicates=2, seed=7, workers=1)
    r2 = run_scenario(s, replicates=2, seed=7, workers=2)
    assert r1.seeds == r2.seeds == [replicate_seed(7, 0), replicate_seed(7, 1)]
    assert r1.seeds[0] != r1.seeds[1]
    assert_tables_identical(r1.tables, r2.tables)
    assert r1.person_years == r2.person_years
    pop = r1.tables["population"]
    assert sorted(pop["replicate"].unique().tolist()) == [0, 1]
    # replicate r is the model run with replicate_seed(seed, r)
    m = PovertyModel(s, seed=r1.seeds[1])
    m.run()
    rep1 = pop[pop["replicate"] == 1].drop(columns="replicate").reset_index(drop=True)
    pd.testing.assert_frame_equal(rep1, m.tables()["population"], check_exact=True)
    # the two replicates differ
    a = pop[pop["replicate"] == 0]["value"].to_numpy()
    b = pop[pop["replicate"] == 1]["value"].to_numpy()
    assert not np.array_equal(a, b)


def test_run_stops_at_end_year(model_factory):
    m = model_factory(2000, 3, 1)
    m.run()
    assert m.world.year == m.end_year == m.world.start_year + 3
    assert m.running is False
    years = sorted(m.tables()["population"]["year"].unique().tolist())
    assert years == list(range(m.world.start_year, m.end_year + 1))


def test_household_sort_moves_persons_without_changing_them(model_factory):
    """Re-sorting person rows into household order only relabels rows: the same persons
    with the same attributes and relations (by id), up to round-off in row-order sums."""
    sorted_m, plain = model_factory(3000, 7, 2), model_factory(3000, 7, 2)
    sorted_m.world.sort_every, plain.world.sort_every = 1, 0
    for _ in range(7):
        sorted_m.step()
        plain.step()
        sorted_m.world.check_invariants()
    P1, P2 = sorted_m.world.P, plain.world.P
    hh = P1.hh
    # persons are in household order after the year's compaction, apart from the rows
    # appended or moved later in the year
    assert (np.diff(hh) >= 0).mean() > 0.8
    o1, o2 = np.argsort(P1.id), np.argsort(P2.id)
    np.testing.assert_array_equal(P1.id[o1], P2.id[o2])
    # household rows of new households follow the person rows that found them: compare ids
    H1, H2 = sorted_m.world.H, plain.world.H
    np.testing.assert_array_equal(H1.id[P1.hh[o1]], H2.id[P2.hh[o2]])
    for col in ("sex", "birth_year", "school_years", "migrant", "stunted", "parity"):
        np.testing.assert_array_equal(P1[col][o1], P2[col][o2], err_msg=col)
    for col in ("mother_row", "father_row", "partner_row"):
        r1, r2 = P1[col][o1], P2[col][o2]
        np.testing.assert_array_equal(r1 >= 0, r2 >= 0, err_msg=col)
        np.testing.assert_array_equal(P1.id[r1[r1 >= 0]], P2.id[r2[r2 >= 0]], err_msg=col)
    np.testing.assert_allclose(P1.earnings[o1], P2.earnings[o2], rtol=1e-5)
    h1, h2 = np.argsort(H1.id), np.argsort(H2.id)
    np.testing.assert_allclose(H1.income_pc[h1], H2.income_pc[h2], rtol=1e-9)
