"""Forms of the customer archive pages (validation of substance is in services.clean_customer_data;
limits shared with the API are the services' validators)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .models import (
    ContactAttitude,
    ContactInfluence,
    ContactRole,
    Customer,
    CustomerKind,
    DocumentKind,
    IdType,
    KeyDateKind,
    Product,
    ProductCategory,
    RelationKind,
)
from .protection import SENSITIVE_FIELDS, mask

# field order as on a bank's account-opening form (issue 10): name first (the kind is chosen above the
# form), then the ID (type + number, or the credit code), contact, address, then the rest
INDIVIDUAL_FIELDS = [
    "name",
    "id_type",
    "id_number",
    "gender",
    "birth_date",
    "mobile",
    "email",
    "address",
    "occupation",
    "employer",
    "annual_income",
    "risk_tolerance",
    "family",
    "hobbies",
    "preferences",
]
CORPORATE_FIELDS = [
    "name",
    "credit_code",
    "legal_rep",
    "mobile",
    "email",
    "address",
    "industry",
    "registered_capital",
    "founded_on",
    "is_key_account",
    "ka_volume",
    "ka_margin",
    "ka_growth",
    "ka_wallet_share",
    "ka_credit_standing",
    "ka_payment_days",
]
OUTLET_FIELDS = ["name", "credit_code", "legal_rep", "mobile", "address", "industry", "founded_on"]
COMMON_FIELDS = ["source", "stage"]
FIELDS_BY_KIND = {
    CustomerKind.INDIVIDUAL: INDIVIDUAL_FIELDS + COMMON_FIELDS,
    CustomerKind.CORPORATE: CORPORATE_FIELDS + COMMON_FIELDS,
    CustomerKind.OUTLET: OUTLET_FIELDS + COMMON_FIELDS,
}


class CustomerForm(forms.ModelForm):
    """Renders the archive fields of one kind; the service validates IDs, codes and amounts."""

    tags = forms.CharField(label=_("标签"), required=False, help_text=_("多个标签用逗号分隔"))
    # the version the edit was made on (optimistic locking): required when editing, unused when creating
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        required=False,
        error_messages={"required": _("缺少版本号，请刷新后重试。"), "invalid": _("版本号无效。")},
    )

    class Meta:
        model = Customer
        fields = sorted(set(INDIVIDUAL_FIELDS + CORPORATE_FIELDS + OUTLET_FIELDS + COMMON_FIELDS))
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "founded_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, kind=CustomerKind.INDIVIDUAL, **kwargs):
        super().__init__(*args, **kwargs)
        keep = set(FIELDS_BY_KIND[kind]) | {"tags", "version"}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        for name in ("id_number", "mobile", "credit_code", "annual_income", "registered_capital", "address"):
            if name in self.fields:
                self.fields[name] = forms.CharField(label=self.fields[name].label, required=False)
        if "id_type" in self.fields:
            # a choice with labels (居民身份证, 护照, …); corporates carry their 统一社会信用代码 in credit_code
            self.fields["id_type"] = forms.ChoiceField(
                label=self.fields["id_type"].label,
                choices=[c for c in IdType.choices if c[0] != IdType.CREDIT_CODE]
                + ([(IdType.CREDIT_CODE.value, IdType.CREDIT_CODE.label)] if self._has_credit_id() else []),
                initial=IdType.RESIDENT_ID,
                required=False,
            )
        self.order_fields([*FIELDS_BY_KIND[kind], "tags"])
        self.editing = bool(self.instance and self.instance.pk)
        if self.editing:
            self.fields["version"].required = True
            self.initial["tags"] = ", ".join(self.instance.tags.values_list("name", flat=True))
            self.initial["version"] = self.instance.version
            for name in ("credit_code", "registered_capital"):
                if name in self.fields:
                    value = getattr(self.instance, name)
                    self.initial[name] = "" if value is None else str(value)
            for name in SENSITIVE_FIELDS:
                if name in self.fields:
                    self._write_only(name)
        self.kind = kind

    @property
    def kind_label(self):
        return CustomerKind(self.kind).label

    def _has_credit_id(self) -> bool:
        """An archive already stored with 统一社会信用代码 as its ID type keeps it as a choice."""
        return bool(self.instance and self.instance.pk and self.instance.id_type == IdType.CREDIT_CODE)

    def _write_only(self, name):
        """A sensitive field is write-only when editing (SPEC §2 protection): the input starts empty,
        the masked current value is its placeholder; a value typed replaces it, an empty one keeps it.
        Its clear value is read only through the audited reveal of the 360° page."""
        self.initial.pop(name, None)
        field = self.fields[name]
        current = mask(name, getattr(self.instance, name))
        field.widget.attrs.update({"placeholder": current or _("（未填写）"), "autocomplete": "off"})
        field.help_text = _("留空则不修改")

    def _post_clean(self):
        """No model validation here: the service validates and writes (nothing half-written)."""

    def service_data(self):
        """The archive values for the service; when editing, a sensitive field left empty is left out
        (kept as stored: write-only inputs)."""
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("tags", "version")}
        if self.editing:
            for name in SENSITIVE_FIELDS:
                if name in data and data[name] in (None, ""):
                    del data[name]
        data["kind"] = self.kind
        return data


class RevealForm(forms.Form):
    field = forms.CharField()
    reason = forms.CharField(label=_("查看事由"), max_length=200)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("备注"), widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("备注")}))


def _ph(text):
    return {"placeholder": text}


class NeedForm(forms.Form):
    category = forms.ChoiceField(
        label=_("需求类别"), choices=[("", "—")] + list(ProductCategory.choices), required=False
    )
    text = forms.CharField(label=_("需求内容"), max_length=300, widget=forms.TextInput(attrs=_ph(_("需求内容"))))


class ContactForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50, widget=forms.TextInput(attrs=_ph(_("姓名"))))
    title = forms.CharField(
        label=_("职务"), max_length=50, required=False, widget=forms.TextInput(attrs=_ph(_("职务")))
    )
    role = forms.ChoiceField(label=_("角色"), choices=ContactRole.choices)
    mobile = forms.CharField(
        label=_("手机号码"), max_length=20, required=False, widget=forms.TextInput(attrs=_ph(_("手机号码")))
    )
    # the stakeholder map (seed 002): where the contact stands and how much they weigh in the decision
    attitude = forms.ChoiceField(
        label=_("态度"), choices=ContactAttitude.choices, initial=ContactAttitude.NEUTRAL, required=False
    )
    influence = forms.ChoiceField(
        label=_("影响力"), choices=ContactInfluence.choices, initial=ContactInfluence.MEDIUM, required=False
    )


class KeyDateForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=KeyDateKind.choices)
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    label = forms.CharField(
        label=_("说明"), max_length=60, required=False, widget=forms.TextInput(attrs=_ph(_("说明")))
    )


class ImportForm(forms.Form):
    """The upload; its limits (type, size) are the ones the API and services.start_import apply."""

    kind = forms.ChoiceField(label=_("导入内容"), choices=[("customers", _("客户")), ("holdings", _("持仓"))])
    file = forms.FileField(label=_("文件（.xlsx 或 .csv）"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        services.validate_import_file(f)
        return f


class IdListField(forms.Field):
    """Several ids under one name (checkboxes), as a list of ints."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("所选客户无效。")}

    def to_python(self, value):
        if not value:
            return []
        try:
            return [int(v) for v in value]
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class HandoverForm(forms.Form):
    """The handover page's submission; the size limit is the one the API and the service apply."""

    from_rm = forms.IntegerField(label=_("移交人"))
    to_rm = forms.IntegerField(label=_("接收人"))
    customer_ids = IdListField(label=_("客户"), error_messages={"required": _("请选择客户。")})
    reason = forms.CharField(label=_("移交原因"), required=False, max_length=200)

    def clean_customer_ids(self):
        ids = self.cleaned_data["customer_ids"]
        services.validate_handover_size(len(set(ids)))
        return ids


class HoldingForm(forms.Form):
    product = forms.ModelChoiceField(label=_("产品"), queryset=Product.objects.filter(is_active=True))
    account_no = forms.CharField(
        label=_("账号"), max_length=40, required=False, widget=forms.TextInput(attrs=_ph(_("账号")))
    )
    balance = forms.CharField(label=_("余额"), widget=forms.TextInput(attrs=_ph(_("余额"))))
    closed_on = forms.DateField(label=_("销户日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    matures_on = forms.DateField(
        label=_("到期日"), required=False, widget=forms.DateInput(attrs={"type": "date", "title": _("到期日")})
    )


class FinancialYearForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), widget=forms.NumberInput(attrs=_ph(_("年度"))))
    revenue = forms.CharField(label=_("营业收入"), widget=forms.TextInput(attrs=_ph(_("营业收入"))))
    assets = forms.CharField(label=_("资产总额"), widget=forms.TextInput(attrs=_ph(_("资产总额"))))
    liabilities = forms.CharField(label=_("负债总额"), widget=forms.TextInput(attrs=_ph(_("负债总额"))))


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("资料类型"), choices=DocumentKind.choices)
    file = forms.FileField(label=_("文件"))


class RelatedForm(forms.Form):
    related_no = forms.CharField(
        label=_("关联客户号"), max_length=32, widget=forms.TextInput(attrs=_ph(_("关联客户号")))
    )
    kind = forms.ChoiceField(label=_("关联关系"), choices=RelationKind.choices)
