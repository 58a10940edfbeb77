"""DISC job fit (SPEC §9; seed 002:79–161): the match formula on hand-made profiles (exact figures),
the seeded RM model D32 I72 S46 C57, the ranking of candidates within the viewer's scope, history, and
every validation rule of recording a profile and editing a job model."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import given, settings, strategies as st

from rmdesk.core.actions import StaleVersion
from rmdesk.people import disc, services
from rmdesk.people.models import JobModel

from .conftest import scores

pytestmark = pytest.mark.django_db

MODEL = {"d": 32, "i": 72, "s": 46, "c": 57}


def _side(values):
    return dict(zip("disc", values, strict=True))


def test_the_seeded_rm_model_is_the_seeds_one(rm_model):
    assert (rm_model.name, rm_model.scores()) == ("客户经理", MODEL)


def test_match_per_factor_totals_and_overall_on_a_hand_made_profile():
    m = disc.match(_side((40, 60, 50, 57)), _side((30, 75, 46, 60)), MODEL)
    assert m.inner == {"d": 8, "i": 12, "s": 4, "c": 0}
    assert m.outer == {"d": 2, "i": 3, "s": 0, "c": 3}
    assert (m.inner_total, m.outer_total, m.overall) == (Decimal("6.00"), Decimal("2.00"), Decimal("4.00"))


def test_a_perfect_fit_is_zero_and_rounding_is_half_up():
    assert disc.match(_side((32, 72, 46, 57)), _side((32, 72, 46, 57)), MODEL).overall == 0
    m = disc.match(_side((33, 72, 46, 57)), _side((32, 72, 46, 57)), MODEL)
    assert (m.inner_total, m.outer_total, m.overall) == (Decimal("0.25"), Decimal("0.00"), Decimal("0.13"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 100), min_size=12, max_size=12))
def test_match_is_bounded_symmetric_and_zero_only_on_the_model(values):
    inner, outer, model = _side(values[:4]), _side(values[4:8]), _side(values[8:])
    m = disc.match(inner, outer, model)
    assert 0 <= m.overall <= 100 and 0 <= m.inner_total <= 100 and 0 <= m.outer_total <= 100
    assert disc.match(model, model, inner).inner_total == m.inner_total  # |x − m| is symmetric
    assert (m.overall == 0) == (inner == model and outer == model)


def test_ranking_closest_first_ties_share_a_rank_and_only_people_in_scope(world, make_profile, rm_model):
    make_profile(world.rm, (40, 60, 50, 57), (30, 75, 46, 60))  # overall 4.00
    make_profile(world.rm_b, (32, 72, 46, 57), (33, 70, 47, 55))  # 0.75
    make_profile(world.rm_t1b, (32, 72, 46, 57), (33, 70, 47, 55), by=world.manager)  # 0.75, team T1b
    make_profile(world.rm2, (32, 72, 46, 57), (32, 72, 46, 57), by=world.lead2)  # 0, another branch
    rows = services.ranking(world.manager, rm_model)
    assert [(r.rank, r.person.username, r.match.overall) for r in rows] == [
        (1, "rm_b", Decimal("0.75")),
        (1, "rm_t1b", Decimal("0.75")),
        (3, "rm", Decimal("4.00")),
    ]
    assert [r.person.username for r in services.ranking(world.lead, rm_model)] == ["rm_b", "rm"]
    assert [r.person.username for r in services.ranking(world.rm, rm_model)] == ["rm"]
    assert [r.person.username for r in services.ranking(world.lead2, rm_model)] == ["rm2"]
    assert services.ranking(world.admin, rm_model) == []


def test_the_latest_profile_counts_and_the_history_is_kept(world, make_profile, rm_model):
    today = timezone.localdate()
    make_profile(world.rm, (0, 0, 0, 0), (0, 0, 0, 0), taken_on=today - timedelta(days=400))
    latest = make_profile(world.rm, (32, 72, 46, 57), (32, 72, 46, 57), taken_on=today - timedelta(days=2))
    (row,) = services.ranking(world.lead, rm_model)
    assert row.profile == latest and row.match.overall == 0
    assert world.rm.disc_profiles.count() == 2


def test_another_job_model_ranks_differently(world, make_profile):
    model = services.create_job_model(world.admin, code="lead", name="团队长", d=60, i=60, s=40, c=50)
    make_profile(world.rm, (60, 60, 40, 50), (60, 60, 40, 50))
    make_profile(world.rm_b, (32, 72, 46, 57), (32, 72, 46, 57))
    assert [r.person.username for r in services.ranking(world.lead, model)] == ["rm", "rm_b"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"inner_d": 101}, "inner_d"),
        ({"outer_c": -1}, "outer_c"),
        ({"inner_i": "12.5"}, "inner_i"),
        ({"outer_s": None}, "outer_s"),
        ({"taken_on": None}, "taken_on"),
        ({"taken_on": "future"}, "taken_on"),
        ({"source": "长" * 101}, "source"),
    ],
)
def test_recording_a_profile_refuses_bad_input_with_the_field_named(world, change, field):
    data = {"person_id": world.rm.pk, "taken_on": timezone.localdate(), **scores((1,) * 4, (2,) * 4)}
    if change.get("taken_on") == "future":
        change = {"taken_on": timezone.localdate() + timedelta(days=1)}
    data.update(change)
    with pytest.raises(ValidationError) as exc:
        services.record_disc_profile(world.lead, **data)
    assert field in exc.value.message_dict
    assert not world.rm.disc_profiles.exists()


def test_only_supervisors_of_the_person_record_profiles(world):
    data = {"taken_on": timezone.localdate(), **scores((1,) * 4, (2,) * 4)}
    with pytest.raises(ValidationError) as exc:
        services.record_disc_profile(world.lead, person_id=world.rm2.pk, **data)  # another branch
    assert "person_id" in exc.value.message_dict
    for who in (world.rm, world.risk, world.admin):
        with pytest.raises(PermissionDenied):
            services.record_disc_profile(who, person_id=world.rm.pk, **data)


def test_job_models_are_administrators_and_versioned(world, rm_model):
    with pytest.raises(PermissionDenied):
        services.update_job_model(world.manager, rm_model.pk, version=1, name="x", d=1, i=1, s=1, c=1)
    with pytest.raises(ValidationError) as exc:
        services.update_job_model(world.admin, rm_model.pk, version=1, name="", d=101, i=1, s=1, c=1)
    assert {"name", "d"} <= set(exc.value.message_dict)
    services.update_job_model(world.admin, rm_model.pk, version=1, name="客户经理", d=30, i=70, s=46, c=57)
    with pytest.raises(StaleVersion):
        services.update_job_model(world.admin, rm_model.pk, version=1, name="客户经理", d=1, i=1, s=1, c=1)
    assert JobModel.objects.get(pk=rm_model.pk).scores() == {"d": 30, "i": 70, "s": 46, "c": 57}
    with pytest.raises(ValidationError) as exc:
        services.create_job_model(world.admin, code="rm", name="重复", d=1, i=1, s=1, c=1)
    assert "code" in exc.value.message_dict
