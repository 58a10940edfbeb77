"""Slots on the customer's 360° page that other apps fill (interactions, opportunities, complaints,
credit...) without editing the page (SPEC §2 "360° view").

An app registers a `Slot` through the kernel's hook registry in its AppConfig.ready():

    from rmdesk.core import hooks
    hooks.register(hooks.Slot(key="interactions", title=_("服务记录"), template="work/slot_interactions.html",
                              context=lambda request, customer: {"items": ...}, order=20))

The 360° page renders each slot's template with `slot` (its context dict) and `customer` in scope.
The customer passed in has already been checked against the viewer's scope.
"""

import copy
import threading
from itertools import chain

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.db.models.sql.constants import MULTI

from rmdesk.core import hooks
from rmdesk.core.hooks import Slot

from .picker import CustomerPickerField, picker_queryset, suggest  # the customer picker other apps' forms use

__all__ = [
    "CompiledQuery",
    "CustomerPickerField",
    "Row",
    "Slot",
    "compiled",
    "picker_queryset",
    "scope_key",
    "slots_for",
    "suggest",
]


class Row(dict):
    """One row of a slot's list, prepared in Python (issue 18, decision 87): its values are read in the template
    as `{{ row.key }}` (a plain dict lookup, no model, no per-row `{% url %}` or `get_FOO_display`) and in
    Python as `row.key` too, as a model instance's would be."""

    __slots__ = ()

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def slots_for(request, customer) -> list[dict]:
    out = []
    for slot in hooks.registered(Slot):
        if slot.roles is not None and not request.user.has_role(*slot.roles):
            continue
        ctx = slot.context(request, customer)
        if ctx is None:
            continue
        out.append({"key": slot.key, "title": slot.title, "template": slot.template, "context": ctx})
    return out


# Markers standing for the per-request values while a query is compiled: ids no row has (ids are positive).
_MARKS = (-987_654_301, -987_654_302, -987_654_303, -987_654_304)


class CompiledQuery:
    """A model query whose SQL is compiled once per process and database (issue 18, decision 96).

    `build(*ids)` returns the queryset; it is called once with marker ids in place of the per-request ids
    (a customer's, a viewer's), and every later call executes the SQL kept then with the real ids put where the
    markers were among the parameters. The rows come back as model instances built as Django builds them
    (`select_related` objects, deferred fields and annotations included), so the queryset's ORM building and
    SQL compilation — about 2,000–4,000 Python calls a query on the 360° page — are paid once. Only a query
    whose SQL depends on nothing but those ids may be kept so: the `key` given to `compiled` must name
    everything else the SQL is built from (a viewer's scope, for instance: `scope_key`). A `values_list()`
    query's rows come back as tuples."""

    def __init__(self, build, arity: int, using: str):
        marks = _MARKS[:arity]
        qs = build(*marks)
        self.model, self.using = qs.model, using
        compiler = qs.query.get_compiler(using=using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # e.g. a scope that sees nothing: no query at all, as Django does
            self.sql = None
            return
        self.positions = [(i, marks.index(p)) for i, p in enumerate(params) if type(p) is int and p in marks]
        found = {k for _i, k in self.positions}
        inlined = any(str(m) in sql or any(str(m) in str(p) for p in params if type(p) is not int) for m in marks)
        if len(found) != arity or inlined:
            raise ValueError(f"compiled query: each id must be a plain parameter (found {sorted(found)} of {arity})")
        self.sql, self.params, self.compiler = sql, list(params), compiler
        self.fields = [col[0] for col in compiler.select[0 : compiler.col_count]]
        if compiler.has_composite_fields(self.fields):
            raise ValueError("compiled query: composite fields are not kept")
        self.converters = (None, None)  # (connection, its converters by column), made on first use per connection
        if qs._iterable_class is ValuesListIterable:  # a values_list() query: its rows are handed back as tuples
            query = qs.query
            if list(qs._fields or ()) != [*query.extra_select, *query.values_select, *query.annotation_select]:
                raise ValueError("compiled query: a values_list() whose columns Django would reorder")
            self.model = None
            return
        if qs._iterable_class is not ModelIterable:
            raise ValueError("compiled query: model instances or values_list() tuples only")
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.span = (start, end)
        self.init_list = [f[0].target.attname for f in select[start:end]]
        self.annotations = list((compiler.annotation_col_map or {}).items())
        self.related = get_related_populators(klass_info, select, using)

    def __call__(self, *ids) -> list:
        if self.sql is None:
            return []
        params = list(self.params)
        for i, k in self.positions:
            params[i] = ids[k]
        sql = self.sql
        compiler = copy.copy(self.compiler)
        compiler.connection = connections[self.using]  # this thread's connection, not the compiling one's
        compiler.as_sql = lambda *args, **kwargs: (sql, tuple(params))
        results = compiler.execute_sql(MULTI, chunked_fetch=False)
        connection, converters = self.converters
        if connection is not compiler.connection:  # the converters are the connection's own (bound methods)
            connection, converters = self.converters = (compiler.connection, compiler.get_converters(self.fields))
        rows = chain.from_iterable(results)
        if converters:
            rows = compiler.apply_converters(rows, converters)
        if self.model is None:
            return [tuple(row) for row in rows]
        db, (start, end), related = self.using, self.span, self.related
        from_db, init_list, annotations = self.model.from_db, self.init_list, self.annotations
        out = []
        for row in rows:
            obj = from_db(db, init_list, row[start:end])
            for populator in related:
                populator.populate(row, obj)
            for name, pos in annotations:
                setattr(obj, name, row[pos])
            out.append(obj)
        return out


_compiled: dict = {}
_compiled_lock = threading.Lock()
# distinct keys kept (a key per query and viewer scope, about a dozen per viewer of the 360° page); the cache starts
# over beyond. Measured about 19 KiB a key (tracemalloc, PostgreSQL): at most ~20 MB a process.
_COMPILED_MAX = 1024


def compiled(key, build, arity: int = 1, using: str | None = None) -> CompiledQuery:
    """The `CompiledQuery` kept under `key` for database `using` (default: the one the router reads from for
    this request, as the ORM's own read would), compiled from `build` on first use."""
    if using is None:
        using = router.db_for_read(None)
    full = (key, using, arity)
    query = _compiled.get(full)
    if query is None:
        query = CompiledQuery(build, arity, using)
        with _compiled_lock:
            if len(_compiled) >= _COMPILED_MAX:
                _compiled.clear()
            _compiled[full] = query
    return query


def scope_key(user, *specs) -> tuple:
    """What a viewer's scope filters on `specs` (`rmdesk.core.scope.ScopeSpec`) are built from, for the key of a
    compiled query read through `visible(..., user, spec)`: the filters' repr names every field and value they
    hold (the viewer's id, the subtree paths and whether each is matched by prefix), so two viewers share a
    compiled query only when their filters are the same."""
    from rmdesk.core.scope import scope_q

    return tuple(repr(scope_q(user, spec)) for spec in specs)
