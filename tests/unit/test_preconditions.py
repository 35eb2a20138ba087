"""If-Match names the versions a command may run on; anything else is said to be malformed."""

import pytest

from shared.kernel.errors import PreconditionFailed
from shared.platform.preconditions import Condition, MalformedCondition


@pytest.mark.parametrize(
    ("header", "versions"),
    [(None, None), ("*", None), (' "7" ', {7}), ('"7", "9"', {7, 9})],
)
def test_if_match_names_versions_or_any(header, versions):
    assert Condition.parse(header).versions == (None if versions is None else frozenset(versions))


@pytest.mark.parametrize("header", ["7", 'W/"7"', '"seven"', '"7",', "", '"-1"', '"1234567890123"'])
def test_anything_but_this_services_entity_tags_is_malformed(header):
    with pytest.raises(MalformedCondition):
        Condition.parse(header)


def test_a_version_not_named_fails_the_condition_and_names_both():
    Condition.parse('"7"').check(7)
    Condition.parse("*").check(12)
    with pytest.raises(PreconditionFailed) as failed:
        Condition.parse('"7", "8"').check(9)
    assert (failed.value.status, failed.value.field, failed.value.rule) == (
        412,
        "header.if-match",
        "version",
    )
    assert 'at version "9", not "7", "8"' in failed.value.detail
