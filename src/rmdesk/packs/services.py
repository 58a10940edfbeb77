"""Loading an industry pack (SPEC: other industries by configuration; docs/decisions.md 51).

A pack is a TOML file in `packs/data/<name>.toml`: a `[pack]` header (name, version, titles, industry), the
`[words]` the UI uses for the customer, and one array of tables per section the apps declare
(`rmdesk.core.packs.registry()`). `apply_pack()` validates every record with the model's own validation and
writes them in one transaction, all or nothing:

- a record whose natural key is new is created and owned by the pack;
- a row the pack owns and nobody changed since the last load is updated to the pack's values;
- a row the pack owns that a user changed is left alone (reported as "kept");
- a row that exists but the pack does not own (seeded by a migration, or entered by users) is adopted when it
  already equals the pack's record, and otherwise left alone and reported;
- a row the pack owns that users deleted is not re-created;
- the defaults the data migrations seed are the bank pack's rows (`DEFAULTS_PACK`): loading another pack
  replaces a default nobody changed (same natural key) and retires (`is_active` off) the untouched defaults
  it does not list, so a telecom organisation is not asked for a bank's weekly plan. A default a user
  changed is theirs, and stays.

A second load of the same pack therefore changes nothing, and writes nothing: no `PackLoad` row either.
"""

import copy
import json
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError as SchemaError

from rmdesk.core import audit
from rmdesk.core.actions import business_action
from rmdesk.core.packs import PackModel, registry
from rmdesk.core.roles import RoleCode

from .models import PackInUse, PackLoad, PackRecord
from .schemas import PackHeader, PackWords

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULTS_PACK = "bank"  # the pack whose rows the data migrations seed on every new database


class PackInvalid(ValidationError):
    """The pack file or one of its records is invalid; `message_dict` maps record paths to messages."""


@dataclass(frozen=True)
class Pack:
    header: PackHeader
    words: PackWords
    sections: dict[str, list[dict]]
    path: Path

    @property
    def name(self) -> str:
        return self.header.name

    def count(self) -> int:
        return sum(len(rows) for rows in self.sections.values())


@dataclass
class LoadResult:
    pack: str
    version: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)  # owned rows users changed, or rows users entered
    deleted_by_users: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)  # untouched defaults of the bank pack this pack turned off
    load: PackLoad | None = None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.adopted or self.retired)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "adopted": self.adopted,
            "unchanged": self.unchanged,
            "kept": self.kept,
            "deleted_by_users": self.deleted_by_users,
            "retired": self.retired,
        }


def available() -> list[str]:
    """The packs shipped in the repository, by name."""
    return sorted(p.stem for p in DATA_DIR.glob("*.toml"))


def read_pack(name: str) -> Pack:
    """Parse and check a pack file's shape (header, words, known sections); records are checked on load."""
    path = DATA_DIR / f"{name}.toml"
    if name not in available():
        raise PackInvalid({"pack": [_("没有名为“%(name)s”的行业方案。") % {"name": name}]})
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PackInvalid({"pack": [_("方案文件格式错误：%(error)s") % {"error": exc}]}) from None
    errors: dict[str, list[str]] = {}
    header = words = None
    try:
        header = PackHeader.model_validate(data.pop("pack", None))
        if header.name != name:
            errors["pack.name"] = [_("方案名应与文件名一致。")]
    except SchemaError as exc:
        for err in exc.errors():
            errors[".".join(["pack", *map(str, err["loc"])])] = [err["msg"]]
    try:
        words = PackWords.model_validate(data.pop("words", {}))
    except SchemaError as exc:
        for err in exc.errors():
            errors[".".join(["words", *map(str, err["loc"])])] = [err["msg"]]
    known = registry()
    for section, rows in data.items():
        if section not in known:
            errors[section] = [_("未知的配置部分。")]
        elif not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            errors[section] = [_("应为记录列表（[[%(section)s]]）。") % {"section": section}]
    if errors:
        raise PackInvalid(errors)
    return Pack(header=header, words=words, sections=data, path=path)


def _use_words(pack: Pack) -> None:
    """Remember the loaded pack as the one the organisation runs, with its words; written only when the pack
    or its words differ from what is stored, so a second load writes nothing."""
    words = pack.words.model_dump()
    current = PackInUse.objects.order_by("pk").first()
    if current is not None and current.pack == pack.name and current.words == words:
        return
    PackInUse.objects.exclude(pk=getattr(current, "pk", None)).delete()
    if current is None:
        current = PackInUse()
    current.pack, current.version, current.words, current.loaded_at = (
        pack.name,
        pack.header.version,
        words,
        timezone.now(),
    )
    current.save()


def words_in_use() -> PackWords:
    """The words of the pack the organisation runs (the defaults, 客户 / 客户经理, before any pack is loaded)."""
    current = PackInUse.objects.order_by("pk").first()
    if current is None:
        return PackWords()
    try:
        return PackWords.model_validate(current.words)
    except SchemaError:
        return PackWords()


@cache
def words_of(name: str) -> PackWords:
    """The UI's words of a pack (cached: pack files change only with a release)."""
    return read_pack(name).words


# --- one record -------------------------------------------------------------------------------------------


def _fields(pack_model: PackModel) -> dict:
    return {f.name: f for f in pack_model.model._meta.concrete_fields if not f.primary_key}


def _natural_key(pack_model: PackModel, row: dict) -> str:
    return json.dumps([row.get(k) for k in pack_model.key], ensure_ascii=False, default=str)


def _find(section: str, value):
    """The row a reference names by its natural key (a list for a composite key); DoesNotExist if none."""
    pack_model = registry()[section]
    parts = value if isinstance(value, list) else [value]
    if len(parts) != len(pack_model.key):
        raise pack_model.model.DoesNotExist
    lookup = {}
    for key, part in zip(pack_model.key, parts, strict=True):
        lookup[key] = _find(pack_model.refs[key], part) if key in pack_model.refs else part
    return pack_model.model._default_manager.get(**lookup)


def _natural(section: str, obj):
    """A row's natural key as a pack writes it (the inverse of `_find`)."""
    pack_model = registry()[section]
    parts = [
        _natural(pack_model.refs[k], getattr(obj, k)) if k in pack_model.refs else getattr(obj, k)
        for k in pack_model.key
    ]
    return parts[0] if len(parts) == 1 else parts


def _snapshot(obj, names, refs: dict) -> dict:
    """The values a pack owns of a row, as comparable strings (a reference by the target's natural key)."""
    out = {}
    for name in names:
        if name in refs:
            target = getattr(obj, name, None)
            out[name] = None if target is None else json.dumps(_natural(refs[name], target), ensure_ascii=False)
        else:
            f = obj._meta.get_field(name)
            value = f.value_from_object(obj)
            if isinstance(f, models.DecimalField) and value is not None:
                value = Decimal(value).quantize(Decimal(1).scaleb(-f.decimal_places))  # "5000000" = "5000000.00"
                out[name] = str(value)
            else:
                out[name] = f.value_to_string(obj)
    return out


def _resolve(pack_model: PackModel, row: dict, path: str, errors: dict) -> dict:
    """The record's values with its references turned into the rows they name."""
    known = _fields(pack_model)
    values = {}
    for name, value in row.items():
        if name not in known:
            errors.setdefault(f"{path}.{name}", []).append(_("未知字段。"))
        elif name in pack_model.refs and value not in (None, ""):
            try:
                values[name] = _find(pack_model.refs[name], value)
            except ObjectDoesNotExist:
                errors.setdefault(f"{path}.{name}", []).append(_("引用的“%(value)s”不存在。") % {"value": value})
        else:
            values[name] = None if name in pack_model.refs else value
    for key in pack_model.key:
        if key not in row:
            errors.setdefault(f"{path}.{key}", []).append(_("缺少自然键字段。"))
    return values


def _lookup(pack_model: PackModel, values: dict):
    try:
        return pack_model.model._default_manager.get(**{k: values.get(k) for k in pack_model.key})
    except ObjectDoesNotExist:
        return None


def _with_values(obj, values: dict, path: str, errors: dict):
    """A validated copy of `obj` carrying `values`; validation errors land under the record's path."""
    candidate = copy.copy(obj)
    for name, value in values.items():
        setattr(candidate, name, value)
    # a nullable column the pack leaves empty is stored as NULL (e.g. a scorecard's author), not "blank"
    unset = [
        f.name
        for f in obj._meta.concrete_fields
        if f.null and f.name not in values and f.value_from_object(candidate) is None
    ]
    try:
        candidate.full_clean(exclude=unset)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            where = path if name == "__all__" else f"{path}.{name}"
            errors.setdefault(where, []).extend(messages)
    return candidate


# --- the load ---------------------------------------------------------------------------------------------


def apply_pack(name: str, *, actor=None, dry_run: bool = False) -> LoadResult:
    """Load a pack idempotently (see the module docstring). Raises PackInvalid, writing nothing, when any
    record is invalid; `dry_run` validates and reports without keeping anything."""
    pack = read_pack(name)
    result = LoadResult(pack=pack.name, version=pack.header.version)
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        for section, pack_model in registry().items():
            rows = pack.sections.get(section, [])
            changed = []
            for i, row in enumerate(rows):
                path = f"{section}[{i}]"
                obj = _load_row(pack, pack_model, row, path, errors, result)
                if obj is not None:
                    changed.append(obj)
            if pack.name != DEFAULTS_PACK:
                _retire_untouched_defaults(pack_model, rows, result)
            if changed and not errors and pack_model.after_load:
                try:
                    pack_model.after_load(changed)
                except ValidationError as exc:  # a check across the section's records (e.g. weights sum to 1)
                    for where, messages in exc.message_dict.items():
                        errors.setdefault(section if where == "__all__" else f"{section}.{where}", []).extend(messages)
        if errors:
            transaction.set_rollback(True)
            raise PackInvalid(errors)
        if not dry_run:
            _use_words(pack)
        if result.changed and not dry_run:
            result.load = PackLoad.objects.create(
                pack=pack.name,
                version=pack.header.version,
                loaded_by=actor if getattr(actor, "pk", None) else None,
                created=len(result.created),
                updated=len(result.updated),
                adopted=len(result.adopted),
                kept=len(result.kept),
                details=result.as_dict(),
            )
            audit.record(
                actor,
                "packs.load",
                result.load,
                after={"pack": pack.name, "version": pack.header.version, **result.as_dict()},
            )
        if dry_run:
            transaction.set_rollback(True)
    return result


def _load_row(pack: Pack, pack_model: PackModel, row: dict, path: str, errors: dict, result: LoadResult):
    """Create, update, adopt or keep one record; answers the object when the load wrote it."""
    values = _resolve(pack_model, row, path, errors)
    if errors.get(path) or any(k.startswith(f"{path}.") for k in errors):
        return None
    key = _natural_key(pack_model, row)
    label = f"{pack_model.label} {key}"
    owned = PackRecord.objects.filter(model_label=pack_model.label, key=key).first()
    obj = _lookup(pack_model, values)
    names = list(row)
    if obj is None:
        if owned is not None:
            result.deleted_by_users.append(label)  # users deleted a row the pack made: not re-created
            return None
        candidate = _with_values(pack_model.model(), values, path, errors)
        if any(k == path or k.startswith(f"{path}.") for k in errors):
            return None
        candidate.save()
        _own(pack, pack_model, key, candidate, names)
        result.created.append(label)
        return candidate
    current = _snapshot(obj, names, pack_model.refs)
    candidate = _with_values(obj, values, path, errors)
    if any(k == path or k.startswith(f"{path}.") for k in errors):
        return None
    wanted = _snapshot(candidate, names, pack_model.refs)
    if owned is None or owned.pack == DEFAULTS_PACK != pack.name:
        if current == wanted:
            _own(pack, pack_model, key, obj, names)
            result.adopted.append(label)
            return None
        if not _is_untouched_default(pack_model, key, obj):
            result.kept.append(label)  # a row users entered or changed before the pack came: theirs
            return None
        candidate.save()  # the seeded default nobody changed: this pack's row replaces it
        _own(pack, pack_model, key, candidate, names)
        result.updated.append(label)
        return candidate
    if current != {n: owned.values.get(n) for n in names} and set(names) <= set(owned.values):
        result.kept.append(label)  # users changed it since the pack wrote it
        return None
    if current == wanted:
        if owned.values != wanted or owned.version != pack.header.version:
            _own(pack, pack_model, key, obj, names)
        result.unchanged += 1
        return None
    candidate.save()
    _own(pack, pack_model, key, candidate, names)
    result.updated.append(label)
    return candidate


@cache
def _defaults(section: str) -> dict[str, dict]:
    """The bank pack's records of a section by natural key: what the data migrations seed."""
    pack_model = registry()[section]
    return {_natural_key(pack_model, row): row for row in read_pack(DEFAULTS_PACK).sections.get(section, [])}


def _is_untouched_default(pack_model: PackModel, key: str, obj) -> bool:
    """The row still holds the value the migrations seeded (the bank pack's record) in every field it sets."""
    row = _defaults(pack_model.section).get(key)
    if row is None:
        return False
    errors: dict = {}
    values = _resolve(pack_model, row, "", errors)
    if errors:
        return False
    seeded = _with_values(obj, values, "", errors)
    if errors:
        return False
    have, want = _snapshot(obj, list(row), pack_model.refs), _snapshot(seeded, list(row), pack_model.refs)
    # a field the migrations never seeded that still holds the model's default: nobody set it (PackModel.unseeded)
    blank = _snapshot(pack_model.model(), [n for n in pack_model.unseeded if n in row], {})
    return all(have[n] == want[n] or (n in blank and have[n] == blank[n]) for n in have)


def _retire_untouched_defaults(pack_model: PackModel, rows: list[dict], result: LoadResult) -> None:
    """Turn off the seeded defaults of this section that the pack does not list and nobody changed."""
    if "is_active" not in _fields(pack_model) or pack_model.after_load is not None:
        return  # rule sets are switched by their after_load; rows without a switch stay as they are
    listed = {_natural_key(pack_model, row) for row in rows}
    for key in sorted(_defaults(pack_model.section).keys() - listed):
        owned = PackRecord.objects.filter(model_label=pack_model.label, key=key).first()
        if owned is not None and owned.pack != DEFAULTS_PACK:
            continue
        errors: dict = {}
        obj = _lookup(pack_model, _resolve(pack_model, _defaults(pack_model.section)[key], "", errors))
        if obj is None or errors or not obj.is_active or not _is_untouched_default(pack_model, key, obj):
            continue
        obj.is_active = False
        obj.save(update_fields=["is_active"])
        result.retired.append(f"{pack_model.label} {key}")


def _own(pack: Pack, pack_model: PackModel, key: str, obj, names) -> None:
    PackRecord.objects.update_or_create(
        model_label=pack_model.label,
        key=key,
        defaults={
            "pack": pack.name,
            "object_id": str(obj.pk),
            "values": _snapshot(obj, names, pack_model.refs),
            "version": pack.header.version,
        },
    )


@business_action(roles=(RoleCode.ADMIN,))
def load_pack(actor, name: str) -> LoadResult:
    """An administrator loads (or reloads) the organisation's pack from the packs page."""
    return apply_pack(name, actor=actor)
