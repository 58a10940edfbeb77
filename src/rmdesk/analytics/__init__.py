"""SPEC §11 analytics and reports: role dashboards with charts, the reports, Excel and PDF exports, daily
snapshots for trends."""
