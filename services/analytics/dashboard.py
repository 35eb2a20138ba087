"""A read-only HTML dashboard of the monthly report with its charts (no scripts, no CDN)."""

from __future__ import annotations

from html import escape
from typing import Any

SECTIONS = [
    ("by_channel", "By channel 渠道"),
    ("by_nature", "By nature 性质"),
    ("by_severity", "By severity 等级"),
    ("by_unit", "By unit 责任部门"),
    ("by_cause", "By cause 原因"),
    ("by_region", "By region 区域"),
]


def render(report: dict[str, Any], stage: str, version: int | None) -> str:
    month = escape(report["month"])

    def table(title: str, values: dict[str, Any]) -> str:
        rows = (
            "".join(
                f"<tr><td>{escape(str(k))}</td><td>{escape(_shown(v))}</td></tr>"
                for k, v in values.items()
            )
            or "<tr><td colspan=2>—</td></tr>"
        )
        return f"<section><h3>{title}</h3><table>{rows}</table></section>"

    headline = {
        "Received 受理": report["received"],
        "Closed 结案": report["closed"],
        "Open at month end 未结": report["open_at_month_end"],
        "Valid rate 成立率": report["valid_rate"],
        "Reopen rate 重开率": report["reopen_rate"],
        "Mean satisfaction 满意度": report["mean_satisfaction"],
        "Hours to acknowledge (mean / p90)": _pair(report["hours_to_acknowledge"]),
        "Hours to close (mean / p90)": _pair(report["hours_to_close"]),
    }
    money = {
        f"{kind} {currency}": amount
        for kind in ("refunds", "allowances", "compensation")
        for currency, amount in report[kind].items()
    }
    on_time = {clock: figures["rate"] for clock, figures in report["on_time_rate"].items()}
    charts = "".join(
        f'<figure><img alt="{name}" src="/reports/monthly/{month}/charts/{name}.svg"></figure>'
        for name in ("trend", "causes", "costs")
    )
    label = f"{stage}" + (f", version {version}" if version else "")
    sections = "".join(table(title, report[key]) for key, title in SECTIONS)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>客户投诉案件统计表 {month}</title>
<style>
 body {{ font-family: sans-serif; margin: 24px; color: #222; }}
 .grid {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: 16px; }}
 table {{ border-collapse: collapse; width: 100%; }}
 td {{ border-bottom: 1px solid #ddd; padding: 4px 8px; }}
 figure img {{ max-width: 100%; }}
 .badge {{ background: #eef; padding: 2px 8px; border-radius: 4px; }}
</style></head>
<body>
<h1>客户投诉案件统计表 — Complaint statistics {month}
 <span class="badge">{escape(label)}</span></h1>
<div class="grid">{table("Headline 概要", headline)}{table("Money 金额", money)}
{table("On-time rate per step 及时率", on_time)}</div>
<div class="grid">{charts}</div>
<div class="grid">{sections}</div>
</body></html>"""


def _pair(figures: dict[str, Any]) -> str:
    return f"{figures['mean']} / {figures['p90']}"


def _shown(value: Any) -> str:
    return "—" if value is None or value == "None / None" else str(value)
