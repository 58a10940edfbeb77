"""The promotional materials' stock ledger (宣传促销品台账, SPEC §4): per material every movement in date
order — opening and receipts (+), hand-outs and write-offs (−) — with the stock after each one, who
moved it and for which customer and campaign; filters by material, period and kind. One filter check
shared by the page, the Excel export and the API (422 with field paths).

Scope: whoever may see the materials page (the sellers and the read-only overseers, and the administrator
who keeps the stock) reads the ledger. Receipts and write-offs are the bank's and shown to all of them; a
hand-out line names the customer, the RM and the campaign only to those who see the hand-out under the
sales scope (sales/scope.MOVEMENT_HANDOUT_SCOPE, the hand-out's own rule); to everyone else it shows as
范围外发放 with its date, quantity and balance, so the running balance still adds up without revealing
whose customer it was."""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, ExpressionWrapper, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core.bounds import MAX_DAY, MAX_ID, MIN_DAY
from rmdesk.core.roles import READ_ONLY_OVERSEERS, WORKERS, RoleCode
from rmdesk.core.scope import scope_q

from .models import Material, MaterialMovement, MovementKind
from .scope import MOVEMENT_HANDOUT_SCOPE

#: who reads the ledger: those who see the materials page, and the administrator who keeps the stock
LEDGER_ROLES = (*WORKERS, *READ_ONLY_OVERSEERS, RoleCode.ADMIN)
MAX_DAYS = 3660


def may_read(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.has_role(*LEDGER_ROLES)))


@dataclass
class LedgerFilter:
    material: Material | None = None
    start: date | None = None
    end: date | None = None
    kind: str = ""

    def as_dict(self) -> dict:
        return {
            "material_id": self.material.pk if self.material else "",
            "start": self.start.isoformat() if self.start else "",
            "end": self.end.isoformat() if self.end else "",
            "kind": self.kind,
        }


def _day(errors, data, field):
    raw = data.get(field)
    if raw in (None, ""):
        return None
    if isinstance(raw, date):
        raw = raw.isoformat()
    try:
        day = date.fromisoformat(str(raw).strip())
    except ValueError:
        errors[field] = [_("请输入有效的日期（如 2026-01-31）。")]
        return None
    if not MIN_DAY <= day <= MAX_DAY:
        errors[field] = [_("日期须在 %(lo)s 至 %(hi)s 之间。") % {"lo": MIN_DAY, "hi": MAX_DAY}]
        return None
    return day


def clean_filter(data) -> LedgerFilter:
    """The ledger's filters from a query (page, export, API): `material_id`, `start`, `end` (inclusive
    days) and `kind`; a wrong one is a field error, nothing is guessed."""
    errors = {}
    material = None
    raw = data.get("material_id")
    if raw not in (None, ""):
        try:
            pk = int(str(raw).strip())
        except ValueError:
            pk = 0
        material = Material.objects.filter(pk=pk).first() if 1 <= pk <= MAX_ID else None
        if material is None:
            errors["material_id"] = [_("促销品不存在。")]
    start, end = _day(errors, data, "start"), _day(errors, data, "end")
    if start and end:
        if end < start:
            errors["end"] = [_("结束日期不能早于开始日期。")]
        elif (end - start).days > MAX_DAYS:
            errors["end"] = [_("查询期间不能超过十年。")]
    kind = data.get("kind") or ""
    if kind and kind not in MovementKind.values:
        errors["kind"] = [_("无效的选项。")]
    if errors:
        raise ValidationError(errors)
    return LedgerFilter(material=material, start=start, end=end, kind=kind)


def _bound(day: date, *, end: bool) -> datetime:
    moment = datetime.combine(day, time.max if end else time.min)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def lines(user, f: LedgerFilter):
    """The movements the filter selects, in ledger order, each annotated `shown` (whether the viewer sees
    the customer, RM and campaign of a hand-out line)."""
    qs = MaterialMovement.objects.select_related("material", "customer", "campaign", "by")
    if f.material:
        qs = qs.filter(material=f.material)
    if f.start:
        qs = qs.filter(at__gte=_bound(f.start, end=False))
    if f.end:
        qs = qs.filter(at__lte=_bound(f.end, end=True))
    if f.kind:
        qs = qs.filter(kind=f.kind)
    handout_q = scope_q(user, MOVEMENT_HANDOUT_SCOPE)
    shown = ~Q(kind=MovementKind.HANDOUT)
    if handout_q is not None:
        shown |= handout_q
    qs = qs.annotate(shown=ExpressionWrapper(shown, output_field=BooleanField()))
    return qs.order_by("material__name", "material_id", "at", "id")


def _opening(material, start: date | None) -> int:
    """The stock before the period: the balance after the last earlier movement; with none, the stock
    before the first movement (materials created before the ledger); with no movement at all, the stock."""
    before = MaterialMovement.objects.filter(material=material)
    if start:
        last = before.filter(at__lt=_bound(start, end=False)).order_by("-at", "-id").first()
        if last is not None:
            return last.balance
    first = before.order_by("at", "id").first()
    if first is not None:
        return first.balance - first.quantity
    return material.stock


def summary(f: LedgerFilter) -> list[dict]:
    """Per material: the opening balance, receipts (期初 and 入库), hand-outs and write-offs in the period,
    and the closing balance; closing = opening + receipts − hand-outs − write-offs."""
    materials = [f.material] if f.material else list(Material.objects.order_by("name", "pk"))
    period = MaterialMovement.objects.all()
    if f.start:
        period = period.filter(at__gte=_bound(f.start, end=False))
    if f.end:
        period = period.filter(at__lte=_bound(f.end, end=True))
    totals = {
        (row["material_id"], row["kind"]): row["n"]
        for row in period.values("material_id", "kind").annotate(n=Sum("quantity"))
    }
    out = []
    for m in materials:
        opening = _opening(m, f.start)
        receipts = totals.get((m.pk, MovementKind.OPENING), 0) + totals.get((m.pk, MovementKind.RECEIPT), 0)
        handouts = -totals.get((m.pk, MovementKind.HANDOUT), 0)
        writeoffs = -totals.get((m.pk, MovementKind.WRITEOFF), 0)
        out.append(
            {
                "material": m,
                "opening": opening,
                "receipts": receipts,
                "handouts": handouts,
                "writeoffs": writeoffs,
                "closing": opening + receipts - handouts - writeoffs,
            }
        )
    return out


def kind_labels() -> dict:
    """The kinds' labels in the current language, plus the masked hand-out's (looked up once per list:
    a per-line get_kind_display() translates every choice again and dominated a 20k-line export)."""
    return {**{k: str(v) for k, v in MovementKind.choices}, "": _("范围外发放")}


def line_dict(line, labels: dict | None = None) -> dict:
    """One ledger line as the page, the export and the API show it (hand-out details only when shown)."""
    labels = labels or kind_labels()
    shown = bool(line.shown)
    customer = line.customer if shown else None
    return {
        "id": line.pk,
        "material_id": line.material_id,
        "material_name": line.material.name,
        "unit_name": line.material.unit_name,
        "at": line.at,
        "kind": line.kind,
        "kind_label": labels[line.kind] if shown else labels[""],
        "quantity": line.quantity,
        "balance": line.balance,
        "by_name": (line.by.display_name if line.by else "") if shown else "",
        "customer_id": customer.pk if customer else None,
        "customer_no": customer.customer_no if customer else "",
        "customer_name": customer.name if customer else "",
        "campaign_id": line.campaign_id if shown else None,
        "campaign_name": (line.campaign.name if line.campaign else "") if shown else "",
        "handout_id": line.handout_id if shown else None,
        "note": line.note if shown else "",
        "shown": shown,
    }


def export_rows(user, f: LedgerFilter):
    """The export's rows (material, time, kind, quantity, balance, unit, by, customer no., customer,
    campaign, note) as tuples straight from the database, masked like `line_dict` (no model instances:
    a 20k-line export spent most of its time building them)."""
    labels = kind_labels()
    rows = (
        lines(user, f)
        .values_list(
            "material__name",
            "at",
            "kind",
            "quantity",
            "balance",
            "material__unit_name",
            "by__full_name",
            "by__username",
            "customer__customer_no",
            "customer__name",
            "campaign__name",
            "note",
            "shown",
        )
        .iterator(chunk_size=5000)
    )
    for name, at, kind, qty, balance, unit, full, username, no, customer, campaign, note, shown in rows:
        if shown:
            yield (name, at, labels[kind], qty, balance, unit, full or username or "", no, customer, campaign, note)
        else:
            yield (name, at, labels[""], qty, balance, unit, "", "", "", "", "")
