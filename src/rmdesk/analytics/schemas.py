"""API schemas of the analytics app (SPEC §11, §12): the figures of a dashboard or report as a BI tool reads them."""

from datetime import date
from typing import Any

from ninja import Schema


class AnalyticsTileOut(Schema):
    key: str
    label: str
    value: Any
    unit: str = ""
    url: str = ""
    note: str = ""
    state: str = ""
    state_label: str = ""


class AnalyticsTableOut(Schema):
    id: str
    title: str
    kind: str
    columns: list[str]
    rows: list[list[Any]]
    urls: list[str]
    note: str = ""


class AnalyticsDashboardOut(Schema):
    role: str
    roles: list[str]
    title: str
    tiles: list[AnalyticsTileOut]
    tables: list[AnalyticsTableOut]


class AnalyticsReportOut(Schema):
    key: str
    title: str
    start: date
    end: date
    unit: str
    tables: list[AnalyticsTableOut]
