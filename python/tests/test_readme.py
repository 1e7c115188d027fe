"""The README's example, run as a doctest in a directory holding the
session it reads."""

from __future__ import annotations

import doctest
from pathlib import Path

from conftest import run_cli

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example(tmp_path, monkeypatch):
    run_cli("generate", "--out", tmp_path, "--count", "1", "--minutes", "5", "--seed", "3")
    monkeypatch.chdir(tmp_path)
    # The examples are ```python blocks of >>> lines: doctest reads them
    # from the Markdown directly.
    result = doctest.testfile(
        str(README),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        verbose=False,
    )
    assert result.attempted >= 15
    assert result.failed == 0
