"""The shape every dashboard and report figure takes (SPEC §11): tiles and tables that the pages draw as ECharts
charts (`echarts_option`), the API answers as JSON and the exports write to Excel and PDF, so a chart, its table
view, its export and the BI feed can never disagree."""

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class Tile:
    key: str
    label: str
    value: object
    unit: str = ""
    url: str = ""
    note: str = ""
    #: "" (no judgement), "ok" or "bad" (e.g. over its target): drawn as a badge with `state_label`
    state: str = ""
    state_label: str = ""


@dataclass
class Table:
    """A figure: `columns[0]` names the categories, the other columns are series; `urls` (one per row, optional)
    lead from a bar or slice to the list behind it. `kind` says how it is drawn: bar, hbar (one series, bars across:
    long names), stack, line, pie, funnel, or table (no chart)."""

    id: str
    title: str
    kind: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    note: str = ""

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "columns": self.columns,
            "rows": self.rows,
            "urls": self.urls,
            "note": self.note,
        }


def _num(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def echarts_option(table: Table) -> dict:
    """The ECharts option drawing a table (labels in the page's language come from the table itself)."""
    urls = table.urls or [""] * len(table.rows)
    if table.kind in ("pie", "funnel"):
        data = [{"name": str(r[0]), "value": _num(r[1]), "url": u} for r, u in zip(table.rows, urls, strict=False)]
        series = {"type": table.kind, "data": data, "radius": ["35%", "65%"]} if table.kind == "pie" else {}
        if table.kind == "funnel":
            series = {"type": "funnel", "data": data, "sort": "none", "label": {"formatter": "{b}: {c}"}}
        return {"tooltip": {"trigger": "item"}, "legend": {"bottom": 0, "type": "scroll"}, "series": [series]}
    categories = [str(r[0]) for r in table.rows]
    if table.kind == "hbar":  # long category names (indicators): bars across, names readable on a phone
        data = [{"value": _num(r[1]), "url": u} for r, u in zip(table.rows, urls, strict=False)]
        return {
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 8, "right": 24, "top": 8, "bottom": 8, "containLabel": True},
            "yAxis": {"type": "category", "data": categories, "inverse": True},
            "xAxis": {"type": "value"},
            "series": [
                {"name": table.columns[1], "type": "bar", "data": data, "label": {"show": True, "position": "right"}}
            ],
        }
    series = []
    for i, name in enumerate(table.columns[1:], start=1):
        data = [{"value": _num(r[i]), "url": u} for r, u in zip(table.rows, urls, strict=False)]
        kind = "line" if table.kind == "line" else "bar"
        one = {"name": name, "type": kind, "data": data}
        if table.kind == "stack":
            one["stack"] = "all"
        if kind == "line":
            one["smooth"] = True
            one["showSymbol"] = len(categories) <= 31
        series.append(one)
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0, "type": "scroll"},
        "grid": {"left": 8, "right": 16, "top": 24, "bottom": 40, "containLabel": True},
        "xAxis": {"type": "category", "data": categories, "axisLabel": {"hideOverlap": True}},
        "yAxis": {"type": "value"},
        "series": series,
    }


def chart_spec(table: Table, height: int = 280) -> dict:
    """What `{% chart %}` draws: the option and the table view."""
    return {
        "id": table.id,
        "title": table.title,
        "option": echarts_option(table),
        "columns": table.columns,
        "rows": table.rows,
        "height": height,
    }
