"""Analytics' HTTP API: reports in JSON, CSV and XLSX, charts, the dashboard, rebuild."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import HTMLResponse, JSONResponse

from services.analytics import exports, queries, versions
from services.analytics.access import ADMIN_OPERATIONS, STAFF_READS
from services.analytics.dashboard import render
from services.analytics.dependencies import Reporting, ReportingDep
from services.analytics.domain import reports
from services.analytics.read_models import answered_requests
from services.analytics.rebuild import rebuild_in
from shared.kernel import clock
from shared.kernel.errors import Conflict, Invalid, NotFound
from shared.kernel.periods import next_month
from shared.kernel.values import PastInstant
from shared.platform.http import CommandRoute
from shared.platform.sqlviews import answer_once
from shared.platform.threads import run_sync

#: Years 2000-2999: earlier periods cannot hold complaints, and year 0 has no calendar.
MONTH = r"^2\d{3}-(0[1-9]|1[0-2])$"
Month = Annotated[str, Path(pattern=MONTH, examples=["2026-11"])]
Week = Annotated[str, Path(pattern=r"^2\d{3}-W(0[1-9]|[1-4]\d|5[0-3])$", examples=["2026-W47"])]
Format = Annotated[str, Query(pattern="^(json|csv|xlsx)$")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


router = APIRouter(tags=["reports"], dependencies=STAFF_READS)
admin = APIRouter(tags=["operations"], dependencies=ADMIN_OPERATIONS, route_class=CommandRoute)


def check_begun(month: str, reporting: Reporting, what: str) -> None:
    """A month not yet begun has nothing to show; 409, as for a week not begun."""
    start, _ = reports.month_bounds(month, reporting.zone)
    if start > clock.now():
        raise Conflict(
            f"{month} begins on {start.date()} ({reporting.zone.key}): no {what} yet",
            field="month",
            rule="month_not_begun",
        )


async def month_report(reporting: Reporting, month: str, as_of: datetime | None) -> dict[str, Any]:
    """The month's report: as of a moment, the stored final or amended version, or live."""
    engine, zone, final_day = reporting.engine, reporting.zone, reporting.final_day
    now = clock.now()
    if as_of is not None:
        facts, money = await queries.as_of(engine, as_of, zone)
        body = reports.monthly(facts, money, month, zone)
        return {"stage": "as_of", "as_of": as_of.isoformat(), "version": None, "report": body}
    stage = versions.stage(month, now, final_day, zone)
    if stage == "not_available":
        start, _ = reports.month_bounds(next_month(month), zone)
        raise Conflict(
            f"the report for {month} is available from {start.date()}",
            field="month",
            rule="available_from_next_month",
        )
    stored = await versions.stored(engine, month)
    if stage == "final" and stored:
        latest = stored[-1]
        return {
            "stage": latest["kind"],
            "version": latest["version"],
            "versions": [
                {"version": v["version"], "kind": v["kind"], "created_at": v["created_at"]}
                for v in stored
            ],
            "report": latest["body"],
        }
    return {
        "stage": "provisional",
        "version": None,
        "report": await versions.compute_month(engine, month, zone),
    }


@router.get(
    "/reports/monthly/{month}",
    summary="客户投诉案件统计表: a month's statistics",
    description="Available from the 1st of the next month; final (frozen) from the "
    "final day; later events add amended versions. `as_of` recomputes "
    "the report from the events known at that time.",
    responses={
        200: {
            "content": {
                "application/json": {},
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
async def monthly(
    reporting: ReportingDep,
    month: Month,
    format: Format = "json",
    as_of: PastInstant | None = None,
) -> Response:
    result = await month_report(reporting, month, as_of)
    if format == "csv":
        return Response(
            await run_sync(exports.to_csv, result["report"]),
            media_type="text/csv",
            headers={"Content-Disposition": f"attachment; filename={month}.csv"},
        )
    if format == "xlsx":
        return Response(
            await run_sync(exports.to_xlsx, result["report"]),
            media_type=XLSX,
            headers={"Content-Disposition": f"attachment; filename={month}.xlsx"},
        )
    return JSONResponse(_jsonable(result))


@router.get(
    "/reports/monthly/{month}/versions/{version}",
    summary="A stored version of a month's report (final or amended)",
)
async def stored_version(reporting: ReportingDep, month: Month, version: int) -> dict[str, Any]:
    for item in await versions.stored(reporting.engine, month):
        if item["version"] == version:
            return _jsonable(item)
    raise NotFound(f"no version {version} of {month}")


@router.get(
    "/reports/weekly/{week}",
    summary="A week's summary (published each Monday; live while the week runs; 409 before)",
)
async def weekly(reporting: ReportingDep, week: Week) -> dict[str, Any]:
    try:
        start = versions.week_start(week, reporting.zone)
    except ValueError:
        raise Invalid(f"{week[:4]} has no week {week[6:]}", field="week", rule="iso_week") from None
    if start > clock.now():
        raise Conflict(
            f"{week} begins on {start.date()} ({reporting.zone.key}): nothing to report yet",
            field="week",
            rule="week_not_begun",
        )
    stored = await versions.stored(reporting.engine, week)
    if stored:
        return _jsonable({"stage": "published", "report": stored[0]["body"]})
    return {
        "stage": "live",
        "report": await versions.compute_week(reporting.engine, week, reporting.zone),
    }


@router.get(
    "/reports/monthly/{month}/charts/{name}.{fmt}",
    summary="Charts: trend, causes (Pareto), costs by party; SVG or PNG",
    response_class=Response,
    responses={
        200: {
            "content": {
                "image/svg+xml": {"schema": {"type": "string"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
async def chart(
    reporting: ReportingDep,
    month: Month,
    name: Annotated[str, Path(pattern="^(trend|causes|costs)$")],
    fmt: Annotated[str, Path(pattern="^(svg|png)$")],
) -> Response:
    check_begun(month, reporting, "chart")
    months = [month]
    while len(months) < 12:
        year, number = (int(x) for x in months[0].split("-"))
        months.insert(0, f"{year - (number == 1)}-{(number - 2) % 12 + 1:02d}")
    series = [await versions.compute_month(reporting.engine, m, reporting.zone) for m in months]
    body = await run_sync(exports.chart, name, series, fmt)  # CPU work off the event loop
    return Response(body, media_type="image/svg+xml" if fmt == "svg" else "image/png")


@router.get(
    "/dashboard",
    response_class=HTMLResponse,
    tags=["dashboard"],
    summary="Read-only HTML dashboard of a month's report",
)
async def dashboard(
    reporting: ReportingDep,
    month: Annotated[str, Query(pattern=MONTH)],
) -> HTMLResponse:
    check_begun(month, reporting, "dashboard")
    try:
        result = await month_report(reporting, month, None)
    except Conflict:
        result = {
            "stage": "provisional (month not over)",
            "version": None,
            "report": await versions.compute_month(reporting.engine, month, reporting.zone),
        }
    return HTMLResponse(render(result["report"], result["stage"], result["version"]))


@admin.post(
    "/admin/rebuild",
    summary="Drop the read models and rebuild them from the inbox",
)
async def admin_rebuild(
    reporting: ReportingDep,
) -> dict[str, Any]:
    return await answer_once(
        reporting.engine, answered_requests, lambda conn: rebuild_in(conn, reporting.zone)
    )


@admin.post(
    "/admin/reports/keep",
    summary="Finalise or amend due reports now (the keeper also runs periodically)",
)
async def keep_now(
    reporting: ReportingDep,
) -> dict[str, Any]:
    return await reporting.keeper.keep()


router.include_router(admin)


def _jsonable(value: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(value)
