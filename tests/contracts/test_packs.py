"""What an industry pack sets in contracts (issue 19; contracts/packs.py; SPEC §7): the policy (expiry window,
bad-debt and collection targets) by its natural key "default", and contract templates by kind and version. The
telecom and key-account packs replace the seeded policy nobody changed; a policy an administrator changed is kept by
a newer pack version; a pack's template becomes the one new contracts are drafted from, and a template a contract
was submitted or signed on is never changed by a load; bad values are refused with their record path, writing
nothing."""

import shutil
from datetime import date
from decimal import Decimal

import pytest

from rmdesk.contracts import services
from rmdesk.contracts.models import ContractPolicy, ContractTemplate
from rmdesk.packs import services as packs
from rmdesk.packs.models import PackLoad

from .conftest import ver

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def pack_dir(tmp_path, monkeypatch, seeded):
    """A copy of the shipped packs that a test may change, as a newer release would (on the seeded defaults)."""
    target = tmp_path / "packs"
    shutil.copytree(packs.DATA_DIR, target)
    monkeypatch.setattr(packs, "DATA_DIR", target)
    packs.words_of.cache_clear()
    packs._defaults.cache_clear()
    yield target
    packs.words_of.cache_clear()
    packs._defaults.cache_clear()


def edit(pack_dir, name: str, *changes) -> None:
    path = pack_dir / f"{name}.toml"
    text = path.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


def _policy():
    p = ContractPolicy.objects.get(code="default")
    return (p.expiry_window_days, p.bad_debt_target, p.collection_target)


def test_the_seeded_policy_is_the_bank_pack_s_and_the_bank_load_adopts_it(pack_dir):
    assert ContractPolicy.objects.count() == 1 and _policy() == (30, D("2.00"), D("98.00"))
    result = packs.apply_pack("bank")
    assert 'contracts.ContractPolicy ["default"]' in result.adopted
    assert _policy() == (30, D("2.00"), D("98.00"))
    assert not packs.apply_pack("bank").changed  # a second load changes nothing


@pytest.mark.parametrize(
    "pack, policy, templates",
    [
        ("telecom", (60, D("2.00"), D("98.00")), {"service": "VIP 用户入网服务协议"}),
        (
            "key_account",
            (90, D("2.00"), D("95.00")),
            {"framework": "大客户年度合作框架协议", "sales": "大客户销售合同（框架协议项下）"},
        ),
    ],
)
def test_a_pack_replaces_the_untouched_policy_and_ships_its_templates(pack_dir, pack, policy, templates):
    result = packs.apply_pack(pack)
    assert 'contracts.ContractPolicy ["default"]' in result.updated
    assert ContractPolicy.objects.count() == 1 and _policy() == policy
    assert ContractPolicy.current().expiry_window_days == policy[0]  # what the pages and reminders read
    for kind, name in templates.items():
        current = services.active_template(kind)
        assert (current.name, current.version) == (name, 2)
        assert not ContractTemplate.objects.get(kind=kind, version=1).is_active  # the standard text retired
        assert not services.template_errors(current.body)
    assert services.active_template("credit").version == 1  # kinds the pack does not ship keep the standard text
    loads = PackLoad.objects.count()
    again = packs.apply_pack(pack)
    assert not again.changed and PackLoad.objects.count() == loads  # a second load changes nothing


def test_a_policy_changed_by_an_administrator_is_kept_by_a_newer_pack_version(pack_dir, world, make_contract):
    packs.apply_pack("telecom")
    admin = world.admin
    services.save_policy(admin, expiry_window_days=45, bad_debt_target=D("1.5"), collection_target=D("99"))
    edit(
        pack_dir,
        "telecom",
        ('version = "1.1.0"', 'version = "1.2.0"'),
        ("expiry_window_days = 60", "expiry_window_days = 30"),
        ('collection_target = "98.00"', 'collection_target = "97.00"'),
    )
    result = packs.apply_pack("telecom")
    assert 'contracts.ContractPolicy ["default"]' in result.kept
    assert _policy() == (45, D("1.50"), D("99.00"))  # the administrator's values stay


def test_a_policy_changed_before_the_pack_came_is_theirs(pack_dir, world):
    services.save_policy(world.admin, expiry_window_days=20, bad_debt_target=D("3"), collection_target=D("90"))
    result = packs.apply_pack("telecom")
    assert 'contracts.ContractPolicy ["default"]' in result.kept
    assert _policy() == (20, D("3.00"), D("90.00"))


def test_an_untouched_policy_follows_a_newer_pack_version(pack_dir):
    packs.apply_pack("telecom")
    edit(
        pack_dir,
        "telecom",
        ('version = "1.1.0"', 'version = "1.2.0"'),
        ('bad_debt_target = "2.00"', 'bad_debt_target = "1.80"'),
    )
    assert packs.apply_pack("telecom").updated == ['contracts.ContractPolicy ["default"]']
    assert _policy() == (60, D("1.80"), D("98.00"))


@pytest.mark.parametrize(
    "change, path",
    [
        (('bad_debt_target = "2.00"', 'bad_debt_target = "120"'), "contract_policy[0].bad_debt_target"),
        (("expiry_window_days = 60", "expiry_window_days = 0"), "contract_policy[0].expiry_window_days"),
        (('[[contract_policy]]\ncode = "default"', '[[contract_policy]]\ncode = "telecom"'), "contract_policy.telecom"),
        (("第一条　服务内容（标的）：{标的}", "第一条　服务内容：{套餐名称}"), "contract_templates.service v2"),
        (('kind = "service"\nversion = 2', 'kind = "lease"\nversion = 2'), "contract_templates[0].kind"),
    ],
)
def test_a_bad_policy_or_template_is_refused_with_its_path_and_writes_nothing(pack_dir, change, path):
    edit(pack_dir, "telecom", change)
    with pytest.raises(packs.PackInvalid) as exc:
        packs.apply_pack("telecom")
    assert path in exc.value.message_dict, exc.value.message_dict
    assert _policy() == (30, D("2.00"), D("98.00")) and not ContractTemplate.objects.filter(version=2).exists()
    assert not PackLoad.objects.exists()


def test_a_template_a_contract_was_submitted_on_is_never_changed_by_a_load(pack_dir, world, make_contract):
    before = make_contract(kind="service")  # drafted from the standard text before the pack came
    packs.apply_pack("telecom")
    contract = make_contract(kind="service", start_on=date(2026, 2, 1))
    assert (before.template.version, contract.template.version) == (1, 2)
    services.submit_contract(world.rm, contract.pk, version=ver(contract))
    edit(
        pack_dir,
        "telecom",
        ('version = "1.1.0"', 'version = "1.2.0"'),
        ("第八条　甲方为乙方提供 VIP 客户经理服务", "第八条　甲方为乙方提供专属客户经理服务"),
    )
    with pytest.raises(packs.PackInvalid) as exc:
        packs.apply_pack("telecom")
    assert exc.value.message_dict == {
        "contract_templates.service v2": ["该版本模板已有合同送审或签署，不能修改；请在方案中新增一个版本。"]
    }
    assert "VIP 客户经理服务" in ContractTemplate.objects.get(kind="service", version=2).body
    # the release ships the new text as version 3 instead: new contracts use it, the one under review keeps v2
    edit(pack_dir, "telecom", ('kind = "service"\nversion = 2', 'kind = "service"\nversion = 3'))
    result = packs.apply_pack("telecom")
    assert 'contracts.ContractTemplate ["service", 3]' in result.created
    assert services.active_template("service").version == 3
    assert not ContractTemplate.objects.get(kind="service", version=2).is_active
    contract.refresh_from_db()
    assert contract.template.version == 2
