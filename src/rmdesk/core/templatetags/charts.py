"""`{% chart spec %}` (SPEC §11 charts): an ECharts chart drawn by static/rmdesk/charts.js from JSON in the page
(no inline script), with its numbers one click away in a table. `spec` is a dict: id, title, option (the ECharts
option), columns and rows (the table view), height (px, default 280)."""

from django import template

register = template.Library()


@register.inclusion_tag("core/chart.html")
def chart(spec: dict):
    return {"spec": spec, "data_id": f"chart-{spec['id']}-option", "height": spec.get("height", 280)}
