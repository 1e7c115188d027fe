"""bouts_frame / jumps_frame: pandas DataFrames of an analysis."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import cli_analysis

import hoofbeat


@pytest.fixture(scope="module")
def analysis(generated):
    a = cli_analysis(generated[0])
    assert a["jumps"] and a["bouts"]
    return a


def test_bouts_frame(analysis):
    df = hoofbeat.bouts_frame(analysis)
    bouts = analysis["bouts"]
    assert isinstance(df, pd.DataFrame) and len(df) == len(bouts)
    assert list(df.columns[:3]) == ["start_s", "end_s", "gait"]
    assert df["gait"].tolist() == [b["gait"] for b in bouts]
    assert df["rein_left"].tolist() == [b["rein"]["left"] for b in bouts]
    assert (df["end_s"] > df["start_s"]).all()
    sym = [b["symmetry"]["min_diff_mm"] if b["symmetry"] else np.nan for b in bouts]
    np.testing.assert_array_equal(df["symmetry_min_diff_mm"].to_numpy(dtype=float), sym)
    # Time per gait from the frame equals the document's summary.
    per_gait = (df["end_s"] - df["start_s"]).groupby(df["gait"]).sum()
    for g in analysis["gaits"]:
        assert per_gait[g["gait"]] == pytest.approx(g["time_s"], abs=0.01)


def test_jumps_frame(analysis):
    df = hoofbeat.jumps_frame(analysis)
    assert len(df) == len(analysis["jumps"])
    assert list(df.columns) == ["time_s", "flight_s", "rise_cm", "approach_cadence_spm",
                                "strides_from_previous"]
    assert df["flight_s"].tolist() == [j["flight_s"] for j in analysis["jumps"]]


def test_empty_frames_keep_their_columns(analysis):
    empty = dict(analysis, jumps=[], bouts=[])
    assert list(hoofbeat.jumps_frame(empty).columns)[0] == "time_s"
    assert len(hoofbeat.bouts_frame(empty)) == 0 and "gait" in hoofbeat.bouts_frame(empty)


def test_stubs_cover_the_public_api():
    import hoofbeat as pkg

    stub = Path(pkg.__file__).with_name("__init__.pyi")
    assert Path(pkg.__file__).with_name("py.typed").exists()
    tree = ast.parse(stub.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names)
    assert set(pkg.__all__) <= names, set(pkg.__all__) - names
    for name in pkg.__all__:
        obj = getattr(pkg, name)
        if callable(obj) and not isinstance(obj, type):
            assert obj.__doc__, name
