"""docs/security.md names the tests that show each point: every one of them must exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REVIEW = ROOT / "docs" / "security.md"
# `file.py::test_name`, or a whole `file.py`, relative to tests/.
REFERENCE = re.compile(r"`([\w/]+\.py)(?:::(\w+))?`")


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_every_test_the_security_review_names_exists():
    references = REFERENCE.findall(REVIEW.read_text(encoding="utf-8"))
    named_tests = [(file, test) for file, test in references if Path(file).name.startswith("test_")]
    assert len(named_tests) > 40
    missing = []
    for file, test in named_tests:
        path = ROOT / "tests" / file
        if not path.exists():
            missing.append(file)
        elif test and test not in _tests_in(path):
            missing.append(f"{file}::{test}")
    assert missing == []
