"""A case's fact row folded page by page equals the fold of everything at once.

Analytics writes a case's row once per page: it folds the page's events into the row as it
stands when they sort after the row's cursor, and folds the case again from all its events
when one arrived late (another producer's topic ran behind). Whatever order the events
arrive in across producers, and however they are cut into pages, the row must be the one
the canonical fold of all the events gives: that is what a rebuild and `as_of` compute.
"""

from collections import defaultdict
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from services.analytics.domain.facts import case_fact, fold_further
from services.analytics.read_models import case_facts
from tests.support.analytics_scenario import envelopes, scenario

ZONE = ZoneInfo("Asia/Shanghai")
CASES = scenario(count=12, seed=20261202)
EVENTS = envelopes(CASES)
BY_PRODUCER = {
    producer: [e for e in EVENTS if e["producer"] == producer]
    for producer in ("intake", "routing", "settlement")
}


def stored(fact):
    """What the row keeps of a fact: its columns, nothing else."""
    return {column.name: fact.get(column.name) for column in case_facts.columns}


@st.composite
def arrivals(draw):
    """Each producer's events in its own order, interleaved at random, cut into pages."""
    queues = {p: list(events) for p, events in BY_PRODUCER.items()}
    arrived = []
    while any(queues.values()):
        producer = draw(st.sampled_from(sorted(p for p, q in queues.items() if q)))
        arrived.append(queues[producer].pop(0))
    cuts = draw(st.sets(st.integers(min_value=1, max_value=len(arrived) - 1), max_size=40))
    bounds = [0, *sorted(cuts), len(arrived)]
    return [arrived[a:b] for a, b in pairwise(bounds)]


def project(pages):
    """The projection's rule, without a database: one write per case per page."""
    rows, inbox = {}, defaultdict(list)
    for page in pages:
        by_case = defaultdict(list)
        for event in page:
            inbox[event["case_number"]].append(event)
            by_case[event["case_number"]].append(event)
        for number, new in by_case.items():
            row = rows.get(number)
            fact = fold_further(row, new, ZONE) if row is not None else None
            fact = fact or case_fact(inbox[number], ZONE)
            if fact is not None:
                rows[number] = stored(fact)
    return rows


def test_every_case_of_the_scenario_has_a_row_with_its_cursor():
    rows = project([EVENTS])
    assert set(rows) == {case.number for case in CASES}
    assert all(row["folded_at"] is not None for row in rows.values())


@settings(max_examples=150, deadline=None)
@given(arrivals())
def test_folding_page_by_page_gives_the_rows_of_one_fold_of_everything(pages):
    by_case = defaultdict(list)
    for event in EVENTS:
        by_case[event["case_number"]].append(event)
    expected = {n: stored(case_fact(events, ZONE)) for n, events in by_case.items()}

    assert project(pages) == expected


def test_an_event_sorting_before_the_cursor_asks_for_a_fold_of_everything():
    [case] = [c for c in CASES if c.ack_at is not None][:1]
    events = [e for e in EVENTS if e["case_number"] == case.number]
    late = next(e for e in events if e["type"] == "routing.CaseAssigned")
    others = [e for e in events if e is not late]
    row = stored(case_fact(others, ZONE))

    assert fold_further(row, [late], ZONE) is None
    assert case_fact(events, ZONE)["unit"] == case.unit
