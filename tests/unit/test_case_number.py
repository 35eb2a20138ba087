"""Case numbers are YYMM-NNNN in the business's local month, and derive stable ids."""

from datetime import UTC, datetime

import pytest

from shared.kernel.case_number import CaseNumber, CaseNumberError, aggregate_id, numbering_period


def test_parse_and_format_round_trip():
    number = CaseNumber.parse("2611-0042")
    assert (number.year, number.month, number.serial) == (26, 11, 42)
    assert str(number) == "2611-0042"


@pytest.mark.parametrize("text", ["", "2613-0001", "261-0001", "2611-0000", "2611_0001", "x"])
def test_malformed_numbers_name_the_field(text):
    with pytest.raises(CaseNumberError) as refused:
        CaseNumber.parse(text)
    assert refused.value.field == "number"


def test_the_month_is_the_business_month_not_utc():
    late_on_the_31st = datetime(2026, 10, 31, 17, 30, tzinfo=UTC)  # 01:30 on 1 Nov in Shanghai
    assert numbering_period(late_on_the_31st, "Asia/Shanghai") == "2611"
    assert numbering_period(late_on_the_31st, "UTC") == "2610"


def test_each_service_derives_its_own_stable_id_from_the_case_number():
    assert aggregate_id("routing.case", "2611-0001") == aggregate_id("routing.case", "2611-0001")
    assert aggregate_id("routing.case", "2611-0001") != aggregate_id(
        "intake.complaint", "2611-0001"
    )
