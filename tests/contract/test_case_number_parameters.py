"""Every case number a client writes, in a path or a body, is documented with the pattern
the services apply: what the API documents and what it accepts are one rule."""

import re

import pytest

from shared.kernel.case_number import PATTERN, CaseNumber, CaseNumberError
from tests.contract.test_openapi_examples import SERVICES, openapi


def case_number_parameters(spec):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                if parameter["name"] in {"number", "earlier", "case"}:
                    yield f"{method.upper()} {path} {parameter['name']}", parameter["schema"]


@pytest.mark.parametrize("service", SERVICES)
def test_case_number_parameters_publish_the_pattern_parse_applies(service, tmp_path):
    found = dict(case_number_parameters(openapi(service, tmp_path)))
    assert found, "every service names cases in some path"
    for where, schema in found.items():
        alternatives = schema.get("anyOf", [schema])
        assert {"type": "string", "pattern": PATTERN} in [
            {k: v for k, v in s.items() if k in {"type", "pattern"}} for s in alternatives
        ], where


@pytest.mark.parametrize(
    "text",
    [
        "2611-0042",
        "0001-000001",
        "9912-99999",
        "2611-0000",
        "2600-0001",
        "٢٦١١-٠٠٤٢",
        "2611-0042\n",
    ],
)
def test_the_published_pattern_and_the_parser_agree(text):
    published = re.fullmatch(PATTERN, text, flags=re.ASCII) is not None
    try:
        CaseNumber.parse(text)
        parsed = True
    except CaseNumberError:
        parsed = False
    assert published == parsed, text
