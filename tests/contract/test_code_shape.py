"""The code keeps the shape a reader can follow: no function longer than a screen.

Migrations (generated, linear), tests and benchmarks are exempt.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LONGEST = 60


def test_no_function_is_longer_than_a_screen():
    long = []
    for package in ("cli", "services", "shared"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = (node.end_lineno or node.lineno) - node.lineno + 1
                    if lines > LONGEST:
                        long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} {lines}")
    assert long == []
