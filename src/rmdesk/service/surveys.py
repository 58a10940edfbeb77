"""Satisfaction surveys (SPEC §5): templates, rounds sent to a customer segment, answers recorded by
RMs or imported from Excel, and the satisfaction index per RM, team and unit.

Score of one answered questionnaire: the weighted mean of its score questions mapped linearly from
1–5 to 0–100 ((s − 1) / 4 · 100). Index of a group: the mean score of its answered questionnaires.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg, Count
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core import audit
from rmdesk.core.actions import business_action, check_version
from rmdesk.core.roles import SUPERVISORS, WORKERS
from rmdesk.customers.models import Stage
from rmdesk.customers.scope import visible_customers
from rmdesk.org.models import OrgUnit, RoleCode, User

from .models import QuestionKind, SurveyAnswer, SurveyQuestion, SurveyResponse, SurveyRound, SurveyTemplate
from .scope import get_response_or_404, get_round_or_404, visible_responses

#: who starts a satisfaction-survey round (docs/roles.md: read-only roles do not)
ROUND_ROLES = SUPERVISORS


def response_score(answers: dict, questions) -> Decimal | None:
    """Weighted mean of the score answers on a 0–100 scale (None when no score question was answered)."""
    total_w, acc = Decimal(0), Decimal(0)
    for q in questions:
        if q.kind != QuestionKind.SCORE:
            continue
        value = answers.get(q.pk)
        if value in (None, ""):
            continue
        total_w += q.weight
        acc += q.weight * (Decimal(int(value)) - 1) / 4 * 100
    if not total_w:
        return None
    return (acc / total_w).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@business_action(roles=(RoleCode.ADMIN, *SUPERVISORS))
def create_template(user, *, name, questions: list[dict], description="") -> SurveyTemplate:
    """A new questionnaire: questions as [{"text", "kind": "score"|"text", "weight"}]."""
    if not (user.is_superuser or user.has_role(RoleCode.ADMIN, *ROUND_ROLES)):
        raise PermissionDenied(_("您无权维护调查问卷。"))
    if not name or not name.strip():
        raise ValidationError({"name": [_("此项为必填项。")]})
    if not questions:
        raise ValidationError({"questions": [_("问卷至少需要一道题目。")]})
    tpl = SurveyTemplate.objects.create(name=name.strip(), description=description or "")
    for i, q in enumerate(questions, 1):
        if not (q.get("text") or "").strip():
            raise ValidationError({f"questions.{i - 1}.text": [_("题目不能为空。")]})
        kind = q.get("kind") or QuestionKind.SCORE
        if kind not in QuestionKind.values:
            raise ValidationError({f"questions.{i - 1}.kind": [_("题型无效。")]})
        SurveyQuestion.objects.create(
            template=tpl, order=i, text=q["text"].strip(), kind=kind, weight=Decimal(str(q.get("weight") or 1))
        )
    audit.record(user, "service.survey_template", tpl, after={"name": tpl.name, "questions": len(questions)})
    return tpl


def segment_customers(user, segment: dict):
    """The customers of a segment inside the user's scope: tiers, stages, unit subtree; never the lost."""
    qs = visible_customers(user).exclude(stage=Stage.LOST)
    if segment.get("tier_ids"):
        qs = qs.filter(tier_id__in=segment["tier_ids"])
    if segment.get("stages"):
        qs = qs.filter(stage__in=segment["stages"])
    if segment.get("unit_id"):
        unit = OrgUnit.objects.filter(pk=segment["unit_id"]).first()
        if unit is not None:
            qs = qs.filter(org_path__startswith=unit.path)
    return qs


@business_action(roles=SUPERVISORS)
def start_round(user, *, template_id, name, segment: dict | None = None, due_on=None) -> SurveyRound:
    """发起调查: send a round of a questionnaire to a customer segment in the user's scope (SPEC §5)."""
    if not user.has_role(*ROUND_ROLES):
        raise PermissionDenied(_("只有团队长或分管行长可以发起满意度调查。"))
    tpl = SurveyTemplate.objects.filter(pk=template_id, is_active=True).first()
    if tpl is None:
        raise ValidationError({"template_id": [_("问卷不存在。")]})
    if not name or not name.strip():
        raise ValidationError({"name": [_("此项为必填项。")]})
    segment = segment or {}
    unit = user.team or user.unit
    rnd = SurveyRound.objects.create(
        template=tpl, name=name.strip(), segment=segment, unit=unit, org_path=unit.path, created_by=user, due_on=due_on
    )
    customers = segment_customers(user, segment).select_related("a_rm", "org_unit")
    rows = [
        SurveyResponse(
            round=rnd, customer=c, rm=c.a_rm, team=c.a_rm.team if c.a_rm else None, unit=c.org_unit, org_path=c.org_path
        )
        for c in customers.iterator(chunk_size=1000)
    ]
    if not rows:
        raise ValidationError({"segment": [_("该客户范围内没有客户。")]})
    SurveyResponse.objects.bulk_create(rows, batch_size=1000)
    audit.record(
        user, "service.survey_round", rnd, after={"name": rnd.name, "customers": len(rows), "segment": segment}
    )
    return rnd


def _save_answers(resp: SurveyResponse, answers: dict, comment: str, user, source: str, now=None):
    questions = list(resp.round.template.questions.all())
    by_id = {q.pk: q for q in questions}
    clean = {}
    for qid, value in answers.items():
        q = by_id.get(int(qid))
        if q is None:
            raise ValidationError({f"answers.{qid}": [_("题目不属于该问卷。")]})
        if q.kind == QuestionKind.SCORE and value not in (None, ""):
            try:
                v = int(value)
            except (TypeError, ValueError):
                v = 0
            if not 1 <= v <= 5:
                raise ValidationError({f"answers.{qid}": [_("评分须为 1–5 分。")]})
            clean[q.pk] = v
        else:
            clean[q.pk] = value
    score = response_score(clean, questions)
    if score is None:
        raise ValidationError({"answers": [_("至少需要回答一道评分题。")]})
    SurveyAnswer.objects.filter(response=resp).delete()
    SurveyAnswer.objects.bulk_create(
        [
            SurveyAnswer(
                response=resp,
                question=by_id[qid],
                score=v if by_id[qid].kind == QuestionKind.SCORE else None,
                text="" if by_id[qid].kind == QuestionKind.SCORE else str(v or ""),
            )
            for qid, v in clean.items()
        ]
    )
    resp.score, resp.comment = score, comment or ""
    resp.answered_at, resp.recorded_by, resp.source = now or timezone.now(), user, source
    resp.version += 1
    resp.save()
    return resp


@business_action(roles=WORKERS, subject=get_response_or_404)
def record_answers(user, response_id, *, answers: dict, version, comment="", now=None) -> SurveyResponse:
    """The RM records a customer's answers (by phone or visit); recording them again replaces the
    earlier ones, so the version the RM saw is required (a stale one is refused, SPEC §1)."""
    resp = (
        visible_responses(user, write=True)
        .select_related("round__template")
        .select_for_update()
        .filter(pk=response_id)
        .first()
    )
    if resp is None:
        if visible_responses(user).filter(pk=response_id).exists():
            raise PermissionDenied(_("您对该答卷只有查看权限。"))
        from django.http import Http404

        raise Http404
    if resp.round.is_closed:
        raise ValidationError({"answers": [_("该轮调查已结束。")]})
    check_version(resp, version)
    _save_answers(resp, answers, comment, user, "rm", now)
    audit.record(user, "service.survey_answer", resp, after={"score": str(resp.score)})
    return resp


@business_action(roles=WORKERS, subject=get_round_or_404)
def import_answers(user, round_id, fileobj) -> int:
    """Import answers from an Excel sheet: column A 客户号, then one column per question in order, last
    column optional 意见. Row by row validation; nothing is saved when any row is wrong."""
    from openpyxl import load_workbook

    rnd = SurveyRound.objects.filter(pk=round_id).first()
    if rnd is None or not visible_responses(user, write=True).filter(round=rnd).exists():
        from django.http import Http404

        raise Http404
    questions = list(rnd.template.questions.all())
    try:
        ws = load_workbook(fileobj, read_only=True, data_only=True).active
    except Exception as exc:  # noqa: BLE001 - any unreadable upload
        raise ValidationError({"file": [_("无法读取 Excel 文件：%(e)s") % {"e": exc}]}) from exc
    responses = {
        r.customer.customer_no: r
        for r in visible_responses(user, write=True).filter(round=rnd).select_related("customer", "round__template")
    }
    errors, count = [], 0
    for i, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if not row or row[0] in (None, ""):
            continue
        resp = responses.get(str(row[0]).strip())
        if resp is None:
            errors.append(_("第 %(n)s 行：客户号 %(c)s 不在本轮调查范围内。") % {"n": i, "c": row[0]})
            continue
        answers = {q.pk: (row[j + 1] if j + 1 < len(row) else None) for j, q in enumerate(questions)}
        comment = row[len(questions) + 1] if len(row) > len(questions) + 1 else ""
        try:
            _save_answers(resp, answers, str(comment or ""), user, "import")
            count += 1
        except ValidationError as exc:
            errors.append(_("第 %(n)s 行：%(e)s") % {"n": i, "e": "；".join(exc.messages)})
    if errors:
        transaction.set_rollback(True)
        raise ValidationError({"file": errors})
    audit.record(user, "service.survey_import", rnd, after={"rows": count})
    return count


def satisfaction_index(user, *, group="rm", round_id=None, start=None, end=None) -> list[dict]:
    """满意度指数 per RM, team or unit: mean score (0–100) of answered questionnaires in the user's scope."""
    qs = visible_responses(user).filter(answered_at__isnull=False, score__isnull=False)
    if round_id:
        qs = qs.filter(round_id=round_id)
    if start:
        qs = qs.filter(answered_at__gte=start)
    if end:
        qs = qs.filter(answered_at__lt=end)
    key = {"rm": "rm", "team": "team", "unit": "unit"}.get(group, "rm")
    rows = list(qs.values(key).annotate(n=Count("id"), index=Avg("score")).order_by(key))
    ids = [r[key] for r in rows if r[key]]
    names = (
        {u.pk: u.display_name for u in User.objects.filter(pk__in=ids)}
        if key == "rm"
        else {u.pk: u.name for u in OrgUnit.objects.filter(pk__in=ids)}
    )
    out = [
        {
            "key": r[key],
            "name": names.get(r[key], _("（未归属）")),
            "responses": r["n"],
            "index": Decimal(str(r["index"])).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        }
        for r in rows
    ]
    return sorted(out, key=lambda r: -r["index"])
