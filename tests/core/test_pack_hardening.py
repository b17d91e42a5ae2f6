"""Issue #11 on the pack side: hostile or broken packs and zips are refused with a report.

Regex flags cannot make grading backtrack, YAML aliases cannot blow up, numbers and times are
bounded by what the database and the clock hold, and a damaged zip is a `name:0:` report.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scoreboard import packs

ROOT = Path(__file__).resolve().parents[2]
GOOD = "name: Good\nvalue: 100\nflags: ['DRILL{good}']\n"


def problems_of(path: Path) -> list[str]:
    with pytest.raises(packs.PackError) as info:
        with packs.opened(path) as root:
            packs.read_folder(root)
    return info.value.problems


def one(make_pack: Any, challenge: str, **files: str) -> list[str]:
    return problems_of(make_pack({}, files={"c/challenge.yml": challenge, **files}))


# --- regular expressions --------------------------------------------------------------------


def test_catastrophic_regex_is_graded_in_linear_time() -> None:
    """`(a+)+b` against a long run of a's backtracks for ages in Python's re; RE2 answers at once.

    Run apart so a regression shows as a clear failure instead of a frozen test run.
    """
    code = ("from scoreboard.grading import check\n"
            "print(check('regex', '(a+)+b', 'a' * 1000 + 'c'), check('regex', '(a+)+b', 'aaab'))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["False", "True"], result.stderr


@pytest.mark.parametrize("pattern, construct", [
    (r"(DRILL)\\1", "backreference \\\\1"), ("(?=DRILL)DRILL.*", "lookahead"),
    ("(?<=x)DRILL", "lookbehind"), ("(?P<w>a)(?P=w)", "named backreference"),
])
def test_regex_that_re2_cannot_run_is_refused_naming_the_construct(make_pack: Any, pattern: str,
                                                                    construct: str) -> None:
    found = one(make_pack, f"name: R\nvalue: 1\nflags:\n  - type: regex\n    content: \"{pattern}\"\n")
    assert len(found) == 1 and found[0].startswith("c/challenge.yml:4: regex flag: bad regular expression: ")
    assert construct.replace("\\\\", "\\") in found[0] and "not supported" in found[0], found
