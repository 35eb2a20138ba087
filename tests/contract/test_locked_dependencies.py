"""The locks CI and the image install from pin every dependency pyproject.toml declares.

`make lock` regenerates them (pip-compile, with hashes); this fails when a dependency was
added to pyproject.toml without regenerating, or a pin falls outside its declared range.
"""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    return {
        canonicalize_name(name): version
        for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", text, re.MULTILINE)
    }


def check(declared: list[str], locked: dict[str, str]) -> list[str]:
    wrong = []
    for line in declared:
        requirement = Requirement(line)
        version = locked.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            wrong.append(f"{requirement} locked at {version}")
    return wrong


def test_the_runtime_lock_pins_every_runtime_dependency_within_its_range():
    assert check(PROJECT["dependencies"], pins("runtime.lock")) == []


def test_the_development_lock_pins_every_dependency_within_its_range():
    declared = PROJECT["dependencies"] + PROJECT["optional-dependencies"]["dev"]
    assert check(declared, pins("dev.lock")) == []


def test_every_pin_carries_hashes():
    for lock in ("runtime.lock", "dev.lock"):
        text = (ROOT / "requirements" / lock).read_text()
        assert text.count("==") == len(re.findall(r"==\S+ \\\n\s+--hash=sha256:", text)), lock
