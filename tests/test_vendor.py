"""The vendored browser assets are the registry's files (scripts/vendor_echarts.sh): the served ECharts has the
SHA-256 recorded when it was vendored, its licence is beside it, and no page loads a script from another host."""

import hashlib
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "rmdesk"
ECHARTS = SRC / "static" / "vendor" / "echarts"


def test_echarts_is_the_vendored_file_with_its_licence():
    recorded = (ECHARTS / "SHA256SUMS").read_text().split()[0]
    assert hashlib.sha256((ECHARTS / "echarts.min.js").read_bytes()).hexdigest() == recorded
    assert "Apache License" in (ECHARTS / "LICENSE").read_text()
    assert (ECHARTS / "NOTICE").exists()


def test_no_template_loads_a_script_or_style_from_another_host():
    remote = re.compile(r"""<(script|link)[^>]+(src|href)=["'](https?:)?//""", re.I)
    offenders = [str(p.relative_to(SRC)) for p in SRC.rglob("*.html") if remote.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
