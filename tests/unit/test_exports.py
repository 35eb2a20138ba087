"""Exports a spreadsheet opens as text, and charts that draw any name as it is."""

import io

from openpyxl import load_workbook

from services.analytics.exports import chart, to_csv, to_xlsx

HOSTILE = ["=1+2", "+SUM(1)", "-2+3", "@SUM(1+1)", "\tcmd", "\rcmd"]


def report():
    return {
        "month": "2026-11",
        "received": 3,
        "by_region": {name: 1 for name in HOSTILE},
        "by_cause": {"a$\\foo{$b": 2},
        "costs_by_party": {"CNY": {"a$\\foo{$b": {"amount": "10.00"}, "=1+2": {"amount": "1"}}},
        "refunds": {"CNY": "-12.50"},
    }


def test_no_cell_of_a_csv_or_xlsx_export_starts_a_formula():
    rows = to_csv(report()).splitlines()
    for name in HOSTILE:
        assert not any(row.split(",")[1].startswith(name[0]) for row in rows[1:] if name in row)
    assert "by_region,'=1+2,1" in rows
    sheet = load_workbook(io.BytesIO(to_xlsx(report())))["by_region"]
    items = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert len(items) == len(HOSTILE)
    assert all(item.startswith("'") for item in items)
    assert load_workbook(io.BytesIO(to_xlsx(report())))["refunds"]["B2"].value == -12.5


def test_a_name_with_dollars_and_backslashes_is_drawn_not_parsed():
    for name in ("causes", "costs"):
        svg = chart(name, [report()], "svg")
        assert b"<svg" in svg[:500]
