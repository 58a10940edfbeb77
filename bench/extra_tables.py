"""Generator steps for tables owned by apps built in parallel (holdings, interactions, cadence).

Each step returns None (and records why in MISSING) when its model does not exist yet, so the
harness keeps working while the apps grow.
"""

from datetime import timedelta

from django.utils import timezone

from bench.generate import Table, _dt_db, find_model, money, poisson_like

MISSING: dict[str, str] = {}

PURPOSES = [
    "例行维护回访",
    "理财产品到期提醒",
    "生日问候",
    "新产品推介",
    "资产配置建议",
    "贷款需求了解",
    "投诉回访",
    "账户信息核实",
    "节日问候",
    "大额资金变动关注",
]
CONTENTS = [
    "客户对现有产品收益满意，计划续作。",
    "客户有子女教育资金规划需求，约定下周面谈。",
    "介绍了稳盈理财90天，客户表示考虑。",
    "客户近期资金需求较大，关注流动性。",
    "客户反映手机银行转账限额问题，已协助处理。",
    "",
    "客户暂无新需求。",
]
PLACES = ["客户单位", "客户家中", "网点贵宾室", "电话", "微信", "咖啡厅"]


def holdings(ds):
    from django.db.models import Q  # noqa: F401

    Holding = find_model("customers", "Holding")
    Product = find_model("customers", "Product")
    if Holding is None or Product is None:
        MISSING["holdings"] = "customers.Holding"
        return None
    table = Table(Holding, ["customer_id", "product_id", "account_no", "balance", "opened_on", "updated_at"])
    if not table.is_empty():
        return None
    products = {}
    for pk, category in Product.objects.values_list("pk", "category"):
        products.setdefault(category, []).append(pk)
    if not products:
        MISSING["holdings"] = "products (customers.Product is empty)"
        return None
    rng = ds.rng
    mean_extra = max(0.0, ds.size.holdings_per_customer - 1.0)
    asset_cats = [c for c in ("deposit", "wealth", "fund", "insurance") if c in products]
    today = timezone.localdate()
    now = _dt_db(timezone.now())

    def rows():
        acct = 0
        for cid, _rm, _path, aum, loans, _kind in ds.customers():
            n = 1 + min(9, poisson_like(rng, mean_extra))
            cats = ["deposit" if "deposit" in products else asset_cats[0]]
            cats += [rng.choice(asset_cats) for _ in range(n - 1)]
            if loans > 0 and "loan" in products:
                cats[-1] = "loan"
            weights = [rng.random() + 0.1 for c in cats if c != "loan"]
            total_w = sum(weights) or 1.0
            wi = 0
            for c in cats:
                acct += 1
                if c == "loan":
                    bal = loans
                else:
                    bal = aum * weights[wi] / total_w
                    wi += 1
                opened = today - timedelta(days=rng.randint(10, 3650))
                yield (cid, rng.choice(products[c]), f"6222{acct:012d}", money(bal), opened.isoformat(), now)

    n = table.write(rows(), big=ds.big)
    ds.counts["holdings"] = n
    return f"{n:,} holdings"


def interactions(ds):
    Interaction = find_model("work", "Interaction")
    if Interaction is None:
        MISSING["interactions"] = "work.Interaction"
        return None
    table = Table(
        Interaction,
        [
            "customer_id",
            "kind",
            "occurred_at",
            "occurred_on",
            "place",
            "door_to_door",
            "recorded_by_id",
            "purpose",
            "content",
            "created_at",
        ],
    )
    if not table.is_empty():
        return None
    rng = ds.rng
    mean = ds.size.interactions_per_customer
    now = timezone.now()
    kinds = ["visit", "phone", "wechat", "branch", "special"]
    kind_w = (20, 40, 25, 14, 1)

    def rows():
        for cid, rm, _path, aum, _loans, _kind in ds.customers():
            # richer customers are contacted more often
            m = mean / 0.76 * (0.6 if aum < 500_000 else 1.5 if aum < 2_000_000 else 3.0)
            for _ in range(min(60, poisson_like(rng, m))):
                at = now - timedelta(days=rng.randint(0, 420), seconds=rng.randint(9 * 3600, 18 * 3600))
                k = rng.choices(kinds, kind_w)[0]
                local = timezone.localtime(at)
                yield (
                    cid,
                    k,
                    _dt_db(at),
                    local.date().isoformat(),
                    rng.choice(PLACES),
                    k == "visit",
                    rm,
                    rng.choice(PURPOSES),
                    rng.choice(CONTENTS),
                    _dt_db(at),
                )

    n = table.write(rows(), big=ds.big)
    ds.counts["interactions"] = n
    return f"{n:,} interactions"


def cadence(ds):
    """Fill the per-customer cadence state with the work app's own full recomputation."""
    ContactStatus = find_model("work", "ContactStatus")
    if ContactStatus is None:
        MISSING["cadence"] = "work.ContactStatus"
        return None
    if ContactStatus.objects.exists():
        return None
    try:
        from rmdesk.work import cadence as cad
    except ImportError:
        MISSING["cadence"] = "rmdesk.work.cadence"
        return None
    fn = getattr(cad, "recompute_all", None)
    if fn is None:
        MISSING["cadence"] = "rmdesk.work.cadence.recompute_all"
        return None
    fn()
    n = ContactStatus.objects.count()
    ds.counts["cadence states"] = n
    return f"{n:,} contact states (recompute_all)"
