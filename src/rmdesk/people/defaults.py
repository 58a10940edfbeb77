"""Seeded configuration of the people app (SPEC §9, §10), applied by migration 0002_seed_defaults
(idempotent: get_or_create, so tests can re-apply it after a flush)."""

from decimal import Decimal

#: the seeds' RM job model (seed 002: "DM为32;I M为72;S M为46;C M为57", from 10 top RMs and 4 supervisors)
JOB_MODELS = [
    {
        "code": "rm",
        "name": "客户经理",
        "d": 32,
        "i": 72,
        "s": 46,
        "c": 57,
        "note": "10 名绩优客户经理与 4 名主管填写问卷建立（种子文档 002）",
    },
]

#: a few courses of the seeds' catalogue (seed 001:1517–1575); hours, points and pass marks are bank
#: practice (the seeds give none) and editable
COURSES = [
    ("RM-QUAL", "客户经理岗位资质认证辅导", "classroom", "16", "10", "60"),
    ("RM-SALES", "银行个人业务营销技巧培训", "classroom", "12", "8", "60"),
    ("RM-CREDIT", "新信贷——银行客户经理业务培训", "classroom", "16", "10", "70"),
    ("RM-CRM", "银行客户经理客户关系管理（个人）", "online", "6", "4", None),
    ("RM-SERVICE", "银行服务意识与服务精神", "coaching", "4", "3", None),
    ("RM-COMPLAINT", "转怒为喜：银行客户抱怨投诉处理技巧", "classroom", "8", "5", "60"),
]

#: the training-points rule: 40 points within the 12 months before the appointment's renewal, reminded
#: 60 days ahead; certificates reminded 60 days before expiry (bank practice; the seeds give no figure)
POLICY = {"required_points": Decimal("40"), "window_months": 12, "remind_days": 60, "cert_warning_days": 60}


def seed(apps, schema_editor=None):
    JobModel = apps.get_model("people", "JobModel")
    Course = apps.get_model("people", "Course")
    TrainingPolicy = apps.get_model("people", "TrainingPolicy")
    for row in JOB_MODELS:
        JobModel.objects.get_or_create(code=row["code"], defaults={k: v for k, v in row.items() if k != "code"})
    for code, name, mode, hours, points, pass_score in COURSES:
        Course.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "mode": mode,
                "hours": Decimal(hours),
                "points": Decimal(points),
                "pass_score": Decimal(pass_score) if pass_score else None,
            },
        )
    TrainingPolicy.objects.get_or_create(code="default", defaults=POLICY)


def unseed(apps, schema_editor=None):
    apps.get_model("people", "JobModel").objects.filter(code__in=[r["code"] for r in JOB_MODELS]).delete()
    apps.get_model("people", "TrainingPolicy").objects.filter(code="default").delete()
