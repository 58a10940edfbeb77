"""Assessment records for the schemathesis run (tests/test_schemathesis.py): made through the services so
the generated requests with these ids reach the success paths of the performance API (SPEC §9, §12)."""


def seed_assessment(world) -> dict:
    from datetime import date

    from rmdesk.performance import services
    from rmdesk.performance.models import IndicatorSetting, LevelAdvice, PayRule, PromotionRule

    services.sync_library()
    indicator = IndicatorSetting.objects.get(code="customers.new_customers")
    card = services.save_scorecard(
        world.lead,
        name="接口测试方案",
        year=2026,
        period_type="monthly",
        unit_id=world.t1.pk,
        items=[
            {"kind": "quantitative", "indicator_id": indicator.pk, "weight": "0.8", "x_low": "0", "x_high": "10"},
            {"kind": "qualitative", "indicator_id": None, "label": "工作态度", "weight": "0.2"},
        ],
    )
    run = services.compute_run(world.lead, card.pk, unit_id=world.t1.pk, year=2026, number=3)
    run = services.review_run(world.lead, run.pk, version=run.version)
    run = services.publish_run(world.lead, run.pk, version=run.version)
    letter = services.propose_letter(
        world.lead, rm_id=world.rm.pk, year=2026, targets=[{"indicator_id": indicator.pk, "annual": "120"}]
    )
    advice = LevelAdvice.objects.create(
        rm=world.rm, org_path=world.t1.path, move="up", from_level=world.rm.rm_level, to_level="1", basis="两年优秀"
    )
    assert run.period_start == date(2026, 3, 1)
    manual = services.save_indicator(world.lead, code="m.api_check", name="专项检查", unit="分")
    value = services.enter_manual_value(
        world.lead, manual.pk, rm_id=world.rm.pk, period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
        value="80", note="季度检查",
    )  # fmt: skip
    rule = _rule_with_a_shared_id(PayRule, PromotionRule)
    return {
        "indicator_id": indicator.pk,
        "scorecard_id": card.pk,
        "run_id": run.pk,
        "result_id": run.results.get(rm=world.rm).pk,
        "group_id": run.groups.get(unit=world.t1).pk,
        "letter_id": letter.pk,
        "advice_id": advice.pk,
        "manual_value_id": value.pk,
        "rule_id": rule.pk,  # a promotion rule whose id is a pay rule's too (both routes use {rule_id})
    }


def _rule_with_a_shared_id(PayRule, PromotionRule):
    """A promotion rule whose id is a pay rule's too (both routes take {rule_id}). The migrations seed such
    pairs, but a transactional test run before this one may have emptied the tables: then switched-off rules
    are added to both until their ids meet (no explicit ids, so neither table's sequence is overtaken)."""
    rule = PromotionRule.objects.filter(pk__in=PayRule.objects.values("pk")).order_by("pk").first()
    while rule is None:
        pay = PayRule.objects.create(kind=PayRule.Kind.POST, rm_level="3", amount="1000", is_active=False)
        promotion = PromotionRule.objects.create(move="up", grade="excellent", is_active=False)
        while promotion.pk < pay.pk:
            promotion = PromotionRule.objects.create(move="up", grade="excellent", is_active=False)
        while pay.pk < promotion.pk:
            pay = PayRule.objects.create(kind=PayRule.Kind.POST, rm_level="3", amount="1000", is_active=False)
        rule = promotion
    return rule
