"""The company's settlement policy (002 §十三.2, 004): tolerance, cost items, sign-offs, fines."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

POLICY_FILE = Path(__file__).parent.parent / "settlement_policy.json"


@cache
def policy() -> dict[str, Any]:
    return json.loads(POLICY_FILE.read_text(encoding="utf-8"))
