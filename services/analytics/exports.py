"""The monthly report as CSV and XLSX, and its charts as SVG or PNG (matplotlib, Agg).

Text in the figures comes from users (regions, units, responsible parties), so exports defuse
it: a cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage
return, as OWASP's CSV-injection advice lists) is written with a leading apostrophe, and
chart labels are drawn as plain text, never parsed as mathtext.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any


def flatten(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(section, item, value) rows: the report as a spreadsheet reads it."""
    rows: list[tuple[str, str, str]] = []

    def walk(section: str, prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(section, f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(section, f"{prefix}[{index}]", inner)
        else:
            rows.append((section, prefix, "" if value is None else str(value)))

    for section, value in report.items():
        if isinstance(value, dict | list):
            walk(section, "", value)
        else:
            rows.append(("summary", section, "" if value is None else str(value)))
    return rows


#: What makes a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defused(text: str) -> str:
    """A cell a spreadsheet shows as the text it is, never runs."""
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(report: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "item", "value"])
    writer.writerows(
        (defused(section), defused(item), value if _is_number(value) else defused(value))
        for section, item, value in flatten(report)
    )
    return buffer.getvalue()


def to_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    summary = workbook.active
    summary.title = "summary"
    summary.append(["item", "value"])
    sheets = {"summary": summary}
    for section, item, value in flatten(report):
        sheet = sheets.get(section)
        if sheet is None:
            sheet = sheets[section] = workbook.create_sheet(section[:31])
            sheet.append(["item", "value"])
        sheet.append([defused(item), _number(value)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _is_number(value: str) -> bool:
    try:
        return Decimal(value).is_finite()
    except (ArithmeticError, ValueError):
        return False


def _number(value: str) -> Any:
    """A number cell for a decimal, else the text, defused."""
    if not _is_number(value):
        return defused(value)
    number = Decimal(value)
    return int(number) if number == number.to_integral() and "." not in value else float(number)


def chart(name: str, months: list[dict[str, Any]], fmt: str) -> bytes:
    """trend: received and closed per month; causes: Pareto; costs: by responsible party."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams["text.parse_math"] = False  # "$" in a party's name is not mathtext

    report = months[-1]
    # A Figure of its own, not pyplot's global one: charts render in worker threads.
    figure = Figure(figsize=(8, 4), dpi=100)
    axis = figure.subplots()
    if name == "trend":
        labels = [m["month"] for m in months]
        axis.plot(labels, [m["received"] for m in months], marker="o", label="received")
        axis.plot(labels, [m["closed"] for m in months], marker="s", label="closed")
        axis.set_title("Complaints received and closed per month")
        axis.legend()
        axis.tick_params(axis="x", rotation=45)
    elif name == "causes":
        causes = sorted(report["by_cause"].items(), key=lambda kv: -kv[1])
        counts = [c for _, c in causes]
        total = sum(counts) or 1
        axis.bar([k for k, _ in causes], counts, color="#4a7ab7")
        cumulative, running = [], 0
        for count in counts:
            running += count
            cumulative.append(100 * running / total)
        twin = axis.twinx()
        twin.plot([k for k, _ in causes], cumulative, color="#c0392b", marker="o")
        twin.set_ylim(0, 105)
        twin.set_ylabel("cumulative %")
        axis.set_title(f"Pareto of causes, {report['month']}")
        axis.tick_params(axis="x", rotation=30)
    else:
        parties: dict[str, Decimal] = {}
        for per_party in report["costs_by_party"].values():
            for party, figures in per_party.items():
                parties[party] = parties.get(party, Decimal(0)) + Decimal(figures["amount"])
        axis.barh(list(parties), [float(v) for v in parties.values()], color="#27ae60")
        axis.set_title(f"Complaint costs by responsible party, {report['month']}")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt)
    return buffer.getvalue()
