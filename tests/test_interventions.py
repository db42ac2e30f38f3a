"""Interventions: placebo (zero effects), direction and size of effects, targeting,
capacity, budget, costs, and configuration errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povsim.errors import ScenarioErrors
from povsim.interventions import CLASSES
from povsim.model import PovertyModel
from povsim.scenario import scenario_from_dict

POP = {"persons": 6000, "pilot_villages": 4, "comparison_villages": 4, "townships": 8}

#: parameter values under which every intervention has no effect (but is still targeted,
#: rationed and costed)
NULL_EFFECTS = {
    "home_visit_parenting": 0.0,
    "yyb_haz_effect": 0.0, "yyb_hb_effect": 0.0, "school_meals_hb_effect": 0.0,
    "school_meals_incentive_share": 0.0, "dropout_incentive": 0.0, "cct_income_share": 0.0,
    "special_needs_nonentry_rr": 1.0, "special_needs_dropout_rr": 1.0,
    "dibao_programme_exclusion_error": 1.0, "wash_effectiveness": 0.0,
    "health_services_effectiveness": 0.0, "parent_training_effect_home": 0.0,
    "parent_training_effect_centre": 0.0, "home_visit_stimulation": 0.0,
    "centre_stimulation_0_5": 0.0, "centre_stimulation_6_17": 0.0, "centre_supervision": 0.0,
    "centre_information": 0.0,
}

ALL = {name: {"start_year": 2014} for name in CLASSES}


def scenario(interventions=None, parameters=None, years=3, budget=None, population=None):
    data = {"scenario": {"name": "t"}, "population": {**POP, **(population or {})},
            "time": {"start_year": 2014, "years": years},
            "interventions": interventions or {}, "parameters": parameters or {}}
    if budget:
        data["budget"] = budget
    return scenario_from_dict(data)


def run(s, seed=5):
    m = PovertyModel(s, seed=seed)
    m.run()
    return m


def outcome_tables(m):
    t = m.tables()
    return {k: v for k, v in t.items() if k not in ("costs", "reach", "budget", "programme")}


def test_zero_effect_interventions_are_bit_identical_to_baseline():
    base = run(scenario(parameters=NULL_EFFECTS, years=4))
    alt = run(scenario(ALL, NULL_EFFECTS, years=4))
    tb, ta = outcome_tables(base), outcome_tables(alt)
    assert set(tb) == set(ta)
    for k in tb:
        pd.testing.assert_frame_equal(tb[k], ta[k], check_exact=True, obj=k)
    # ...while the programme was targeted, rationed and costed as usual
    prog = alt.tables()["programme"]
    total = prog[(prog.measure == "cost_rmb") & (prog.intervention == "all")].value.iloc[0]
    assert total > 0
    reached = prog[prog.measure == "children_reached"].set_index("intervention").value
    assert (reached.drop("all") > 0).all()


def test_default_effects_change_outcomes():
    base = run(scenario(years=3))
    alt = run(scenario(ALL, years=3))
    b, a = base.tables()["moda"], alt.tables()["moda"]
    m = "moda_headcount_rate_0_5"
    hb = b[(b.measure == m) & (b.by == "arm") & (b.group == "pilot") & (b.year == 2017)].value.iloc[0]
    ha = a[(a.measure == m) & (a.by == "arm") & (a.group == "pilot") & (a.year == 2017)].value.iloc[0]
    assert ha < hb


def _stepped(iv, params=None, years=1, seed=5, population=None):
    s = scenario(iv, params, years=years, population=population)
    m = PovertyModel(s, seed=seed)
    for _ in range(years):
        m.step()
    return m


def test_infant_nutrition_raises_haz_target_and_haemoglobin_by_declared_amounts():
    pop = {"persons": 30000, "pilot_villages": 8, "comparison_villages": 0}
    base = _stepped({}, population=pop)
    alt = _stepped({"infant_nutrition": {"fidelity": 0.8}}, population=pop)
    iv = alt.interventions[0]
    rows = np.flatnonzero(iv.reached)
    assert len(rows) > 300
    p = alt.params
    a = alt.world.age()[rows]
    assert (a <= 1).all()
    # haemoglobin: + fidelity x effect, exactly (float32 column)
    dhb = alt.world.P.hb[rows].astype(float) - base.world.P.hb[rows].astype(float)
    np.testing.assert_allclose(dhb, 0.8 * p.yyb_hb_effect, atol=1e-4)
    # height: the target moves by fidelity x effect, HAZ by the year's share of the gap
    k = np.where(a == 0, 1.0, p.haz_adjust_early)
    dhaz = alt.world.P.haz[rows].astype(float) - base.world.P.haz[rows].astype(float)
    np.testing.assert_allclose(dhaz, k * 0.8 * p.yyb_haz_effect, atol=2e-6)
    # others untouched; anaemia and stunting only fall among the reached
    others = np.setdiff1d(np.flatnonzero(alt.world.age() < 18), rows)
    np.testing.assert_array_equal(alt.world.P.hb[others], base.world.P.hb[others])
    assert not (alt.world.P.anaemic[rows] & ~base.world.P.anaemic[rows]).any()
    assert not (alt.world.P.stunted[rows] & ~base.world.P.stunted[rows]).any()


def test_school_meals_raise_pupils_haemoglobin_by_declared_amount():
    base = _stepped({}, population={"persons": 30000})
    alt = _stepped({"school_meals": {"fidelity": 1.0}}, population={"persons": 30000})
    iv = alt.interventions[0]
    rows = np.flatnonzero(iv.reached)
    d = alt.world.P.hb[rows].astype(float) - base.world.P.hb[rows].astype(float)
    np.testing.assert_allclose(d, alt.params.school_meals_hb_effect, atol=1e-4)
    nb = int(base.world.P.anaemic[rows].sum())
    na = int(alt.world.P.anaemic[rows].sum())
    assert nb > 100 and na < nb


def test_home_visits_skill_gain_is_exact_with_crn():
    base = _stepped({})
    alt = _stepped({"home_visits": {"fidelity": 1.0}})
    iv = alt.interventions[0]
    rows = np.flatnonzero(iv.reached)
    assert len(rows) > 0
    # each village visits at most what its volunteers can
    villages = alt.world.H.village[alt.world.P.hh[rows]]
    caps = np.array([iv.village_capacity(v) for v in alt.villages.agents])
    assert (np.bincount(villages, minlength=len(caps)) <= caps).all()
    p = alt.params
    a = alt.world.age()[rows]
    # one year of the technology with extra stimulation dose x home_visit_stimulation:
    # skill moves by (1 - rho) w shift max(1 + phi skill_before, 0), where skill_before is
    # the initial skill (0 for a newborn) -- common random numbers do the rest
    init = PovertyModel(scenario({}), seed=5).world.P
    before = pd.Series(init.skill, index=init.id).reindex(alt.world.P.id[rows]).fillna(0.0)
    prev = np.where(a == 0, 0.0, before.to_numpy(dtype=float))
    rho = np.select([a == 0, a <= 2], [p.skill_persistence_0, p.skill_persistence_1_2],
                    p.skill_persistence_3_5)
    w = np.where(a <= 2, p.skill_stimulation_0_2, p.skill_stimulation_3_5)
    phi = np.where(a <= 2, p.skill_complementarity_0_2, p.skill_complementarity_3_17)
    shift = iv.dose() * p.home_visit_stimulation
    assert iv.dose() == pytest.approx(iv.cfg.visits_per_child / 50.0)
    expected = (1 - rho) * w * shift * np.maximum(1 + phi * prev, 0.0)
    got = alt.world.P.skill[rows].astype(float) - base.world.P.skill[rows].astype(float)
    np.testing.assert_allclose(got, expected, atol=2e-5)  # float32 skill
    # only children 0-3 in pilot villages
    assert (a <= 3).all()
    assert alt.world.geo.pilot[alt.world.H.village[alt.world.P.hh[rows]]].all()


def test_parent_training_raises_parenting_by_effect():
    base = _stepped({})
    alt = _stepped({"parent_training": {"delivery": "home", "fidelity": 1.0}})
    iv = alt.interventions[0]
    hh = np.flatnonzero(iv.reached)
    diff = alt.world.H.parenting[hh] - base.world.H.parenting[hh]
    np.testing.assert_allclose(diff, alt.params.parent_training_effect_home, atol=1e-5)


def test_cct_reaches_only_poor_junior_high_students_and_cuts_dropout():
    pop = {"persons": 40000}
    base = _stepped({}, years=3, population=pop)
    alt = _stepped({"conditional_cash_transfer": {"fidelity": 1.0,
                                                  "targeting": {"villages": "all",
                                                                "income_poor": True}}},
                   years=3, population=pop)
    jb = base.tables()["enrolment"]
    ja = alt.tables()["enrolment"]
    sel = lambda t: t[(t.measure == "junior_high_dropout_rate") & (t.by == "all")]  # noqa: E731
    assert sel(ja).numerator.sum() < sel(jb).numerator.sum()


def test_capacity_never_exceeded_and_budget_respected():
    cap = 150_000.0
    s = scenario({"home_visits": {"volunteers": 2, "priority": 1},
                  "school_meals": {"priority": 2}, "infant_nutrition": {"priority": 3}},
                 years=3, budget={"cap_rmb": cap})
    m = run(s)
    t = m.tables()
    reach = t["reach"]
    hv = m.interventions[0]
    assert hv.name == "home_visits"
    cap_hv = 2 * hv.cfg.visits_per_volunteer // hv.cfg.visits_per_child
    assert (reach[reach.intervention == "home_visits"].units_reached <= cap_hv).all()
    b = t["budget"]
    assert (b.groupby("year").funded_rmb.sum() <= cap + 1e-6).all()
    assert b.cut_rmb.sum() > 0  # the cap binds and the cut is reported
    # lower priority is cut first
    cut = b.groupby("intervention").cut_rmb.sum()
    assert cut["home_visits"] == 0
    costs = t["costs"]
    assert (costs.groupby("year").cost_rmb.sum() <= cap + 1e-6).all()


def test_costs_by_intervention_village_funder_and_discounting():
    s = scenario({"child_service_centre": {"end_year": 2016}}, years=3,
                 budget={"funders": {"gov": 0.75, "ngo": 0.25}})
    m = run(s)
    c = m.tables()["costs"]
    assert set(c.funder) == {"gov", "ngo"}
    assert set(c.arm) == {"pilot"}
    by_f = c.groupby("funder").cost_rmb.sum()
    assert by_f["gov"] == pytest.approx(3 * by_f["ngo"])
    p = m.params
    n = 4  # pilot villages
    yearly = p.centre_operating_cost + 20 * p.centre_activity_cost  # 20 activities (default)
    mg = 1 + p.programme_management_share  # management booked as a share of direct costs
    assert c.cost_rmb.sum() == pytest.approx(mg * n * (p.centre_setup_cost + 2 * yearly))
    direct = c[c.item != "management"].cost_rmb.sum()
    assert c[c.item == "management"].cost_rmb.sum() == pytest.approx(direct * p.programme_management_share)
    assert set(c.item) == {"set-up", "running", "management"}
    prog = m.tables()["programme"]
    disc = prog[(prog.measure == "cost_discounted_rmb") & (prog.intervention == "all")].value.iloc[0]
    expected = mg * (n * (p.centre_setup_cost + yearly) / 1.03 + n * yearly / 1.03**2)
    assert disc == pytest.approx(expected)


def test_wash_upgrade_reaches_target():
    s = scenario({"wash_upgrade": {"water_target": 0.9, "years_to_target": 3}},
                 parameters={"wash_effectiveness": 1.0}, years=4)
    m = run(s)
    lc = m.tables()["living_conditions"]
    v = lc[(lc.measure == "no_safe_water_share") & (lc.by == "arm") & (lc.group == "pilot")]
    first, last = v[v.year == 2014].value.iloc[0], v[v.year == 2017].value.iloc[0]
    assert first > 0.3 and last < 0.2


@pytest.mark.parametrize("table,key,value,expect", [
    ("nonexistent_programme", None, None, "known intervention"),
    ("home_visits", "coverage", 1.5, "expected <= 1"),
    ("home_visits", "targeting", {"villagez": "all"}, "villagez"),
    ("infant_nutrition", "end_year", 2010, "end_year >= start_year"),
])
def test_bad_intervention_configuration(tmp_path, table, key, value, expect):
    cfg = {} if key is None else {key: value}
    if table == "infant_nutrition":
        cfg = {"start_year": 2015, "end_year": 2010}
    f = tmp_path / "bad.toml"
    from povsim.scenario import dumps_toml, load_scenario

    f.write_text(dumps_toml({"scenario": {"name": "bad"}, "interventions": {table: cfg}}))
    with pytest.raises(ScenarioErrors) as info:
        load_scenario(f)
    msg = str(info.value)
    assert "bad.toml" in msg and f"interventions.{table}" in msg
    assert expect in msg


def test_shipped_scenarios_validate():
    from pathlib import Path

    from povsim.scenario import validate_files

    files = sorted(Path(__file__).resolve().parents[1].glob("scenarios/*.toml"))
    names = {f.stem for f in files}
    assert {"baseline", "hubei_pilot", "hubei_pilot_continued", "centres_only", "nutrition_only",
            "parent_training_only", "home_visits_only", "cash_transfer", "wash_only",
            "full_package", "province_scale_up"} <= names
    assert validate_files(files) == []


def test_centres_supervise_stimulate_and_inform():
    pop = {"persons": 20000, "pilot_villages": 8, "comparison_villages": 0}
    base = _stepped({}, years=2, population=pop)
    alt = _stepped({"child_service_centre": {"fidelity": 1.0}}, years=2, population=pop)
    iv = alt.interventions[0]
    rows = np.flatnonzero(iv.reached)
    assert len(rows) > 0 and len(alt.villages.centres()) == 8
    # attendees gain skill relative to the same children without centres
    gain = alt.world.P.skill[rows].astype(float) - base.world.P.skill[rows].astype(float)
    assert (gain > 0).mean() > 0.95
    # fewer unsupervised children, more households with information access
    lb_b, lb_a = base.tables()["left_behind"], alt.tables()["left_behind"]
    u = lambda t: t[(t.measure == "unsupervised_share") & (t.by == "all")].numerator.sum()  # noqa: E731
    assert u(lb_a) < u(lb_b)
    lc_b, lc_a = base.tables()["living_conditions"], alt.tables()["living_conditions"]
    i = lambda t: t[(t.measure == "no_info_access_share") & (t.by == "all")  # noqa: E731
                    & (t.year == 2016)].value.iloc[0]
    assert i(lc_a) < i(lc_b)


def test_special_needs_support_raises_enrolment_of_disabled_children():
    pop = {"persons": 60000, "pilot_villages": 8, "comparison_villages": 0}
    p = {"disability_at_birth": 0.05}
    base = _stepped({}, p, years=3, population=pop)
    alt = _stepped({"special_needs_support": {"fidelity": 1.0}}, p, years=3, population=pop)
    def enrolled_disabled(m):
        P, a = m.world.P, m.world.age()
        sel = P.disabled & (a >= 6) & (a <= 14)
        return P.enrolled[sel].mean(), sel.sum()
    (eb, nb), (ea, na) = enrolled_disabled(base), enrolled_disabled(alt)
    assert nb == na and nb > 100
    assert ea > eb  # with CRN the supported children can only gain


def test_dibao_and_health_services_move_their_outcomes():
    pop = {"persons": 20000}
    base = _stepped({}, years=2, population=pop)
    alt = _stepped({"dibao": {"fidelity": 1.0, "targeting": {"villages": "all"}},
                    "health_services": {"fidelity": 1.0, "targeting": {"villages": "all"}}},
                   years=2, population=pop)
    ib, ia = base.tables()["income_poverty"], alt.tables()["income_poverty"]
    d = lambda t, m: t[(t.measure == m) & (t.by == "all") & (t.year == 2016)].value.iloc[0]  # noqa: E731
    assert d(ia, "dibao_share") > d(ib, "dibao_share")
    assert d(ia, "income_poverty_rate") < d(ib, "income_poverty_rate")
    hb, ha = base.tables()["health"], alt.tables()["health"]
    assert d(ha, "checkup_rate_children") == pytest.approx(0.9, abs=0.03)  # the target
    assert d(hb, "checkup_rate_children") < 0.6
    assert d(ha, "uninsured_share_children") < d(hb, "uninsured_share_children")
    # Dibao transfers paid because of the programme are costed
    c = alt.tables()["costs"]
    assert (c[c.intervention == "dibao"].item == "transfers").any()


def test_home_visits_raise_adult_earnings_of_visited_children_through_skill():
    # children visited in 2015-2016 are adults by 2040; compare their earnings with CRN:
    # the gain comes through skill and schooling only (no direct earnings effect)
    pop = {"persons": 8000, "pilot_villages": 8, "comparison_villages": 0}
    iv = {"home_visits": {"fidelity": 1.0, "end_year": 2016, "volunteers": 400}}
    base = run(scenario({}, years=30, population=pop))
    alt = run(scenario(iv, years=30, population=pop))
    ever = alt.interventions[0].reached_unique()
    P = alt.world.P
    rows = np.flatnonzero(np.isin(P.id, ever) & (P.earnings > 0))
    bp = base.world.P
    brow = np.flatnonzero(np.isin(bp.id, P.id[rows]) & (bp.earnings > 0))
    common = np.intersect1d(P.id[rows], bp.id[brow])
    assert len(common) > 50
    ea = pd.Series(P.earnings[rows], index=P.id[rows]).loc[common]
    eb = pd.Series(bp.earnings[brow], index=bp.id[brow]).loc[common]
    sa = pd.Series(P.skill[rows], index=P.id[rows]).loc[common]
    sb = pd.Series(bp.skill[brow], index=bp.id[brow]).loc[common]
    d = np.log(ea.to_numpy()) - np.log(eb.to_numpy())
    assert (sa > sb).mean() > 0.9  # the visited are more skilled as adults
    assert np.median(d) > 0.0 and d.mean() > 0.0


@pytest.mark.parametrize("name, targeting", [
    ("home_visits", {"villages": "all", "left_behind": True, "income_poor": True}),
    ("school_meals", {"villages": "all", "special_needs": True, "max_age": 13}),
    ("child_service_centre", {"villages": "all", "moda_deprived": True, "poorest_share": 0.4,
                              "min_age": 2}),
    ("wash_upgrade", {"villages": "comparison", "poorest_share": 0.3, "income_poor": True}),
])
def test_eligible_rows_follow_every_targeting_rule(name, targeting):
    """The compiled eligibility pass equals the rules written out one by one."""
    from povsim.moda.model import child_deprivation

    m = PovertyModel(scenario({name: {"start_year": 2014, "targeting": targeting}}, years=2),
                     seed=3)
    m.run()
    iv, w = m.interventions[0], m.world
    P, H, t = w.P, w.H, iv.cfg.targeting
    rows = iv.eligible_default(w)
    person = iv.unit != "household"
    hh = P.hh[rows] if person else rows
    vmask = iv._village_mask()
    keep = vmask[H.village[hh]]
    if person:
        lo = iv.ages[0] if t.min_age is None else t.min_age
        hi = iv.ages[1] if t.max_age is None else t.max_age
        keep &= (w.age()[rows] >= lo) & (w.age()[rows] <= hi)
    if t.income_poor:
        keep &= H.income_poor[hh]
    if t.poorest_share is not None:
        keep &= H.income_pc[hh] <= np.quantile(H.income_pc[vmask[H.village]], t.poorest_share)
    if t.left_behind:
        keep &= P.left_behind[rows]
    if t.special_needs:
        keep &= P.disabled[rows]
    if t.moda_deprived:
        kids, _, poor = child_deprivation(w, m.moda_config())
        deprived = np.zeros(P.n, dtype=bool)
        deprived[kids] = poor
        keep &= deprived[rows]
    expected = rows[keep]
    assert len(expected) > 0
    assert np.array_equal(iv.eligible(w), expected)
