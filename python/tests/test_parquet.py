"""`hoofbeat analyze DIR --format parquet --out OUT` (the CLI's columnar
export) read back with polars: every row equals the CLI's JSON documents
(and trends.parquet and the trend_* files the `hoofbeat trend` document); a bad file is reported
with its line, left out, and the exit code is 1."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest
from conftest import STARTED_AT, STARTED_AT_MS, run_cli

TREND_TABLES = {
    "trends",
    "trend_metrics",
    "trend_alerts",
    "trend_alert_evidence",
    "trend_workload",
    "trend_workload_weekly",
    "trend_volume",
    "trend_volume_gaits",
    "trend_jumps",
    "trend_exclusions",
}
TABLES = {"sessions", "gaits", "bouts", "jumps", "rein", "symmetry"} | TREND_TABLES


@pytest.fixture(scope="module")
def session_dir(tmp_path_factory, formats) -> Path:
    """Two generated 7-minute CSV sessions (with start-time sidecars, a day
    apart; long enough for the trend's quality figures) and the gzipped
    binary session (start in its header)."""
    gen = tmp_path_factory.mktemp("export-gen")
    run_cli("generate", "--out", gen, "--count", "2", "--minutes", "7", "--seed", "11")
    d = tmp_path_factory.mktemp("export-in")
    for k, src in enumerate(sorted(gen.glob("*.csv"))):
        dst = d / f"a{k}.csv"
        shutil.copy(src, dst)
        day = datetime.fromtimestamp(STARTED_AT_MS / 1000 + (k + 1) * 86400, timezone.utc)
        (d / f"a{k}.csv.meta.json").write_text(
            json.dumps({"started_at": day.strftime("%Y-%m-%dT%H:%M:%SZ")})
        )
    shutil.copy(formats["hbs.gz"][0], d / "b.hbs.gz")
    return d


def export(src: Path, out: Path, ok: bool = True):
    return run_cli("analyze", src, "--format", "parquet", "--out", out, ok=ok)


def docs(src: Path) -> list[dict]:
    lines = run_cli("analyze", "--format", "json", src).stdout.splitlines()
    return [json.loads(line) for line in lines]


def files(src: Path) -> list[str]:
    return [str(p) for p in sorted(src.iterdir()) if not p.name.endswith(".meta.json")]


def approx_row(row: dict, want: dict) -> None:
    for k, v in want.items():
        if isinstance(v, float):
            assert row[k] == pytest.approx(v, rel=1e-12, abs=1e-12), k
        else:
            assert row[k] == v, k


def test_tables_equal_the_json(session_dir, tmp_path):
    out = tmp_path / "tables"
    r = export(session_dir, out)
    assert {p.stem for p in out.iterdir()} == TABLES
    assert all(p.suffix == ".parquet" for p in out.iterdir())
    # stdout names each table with its rows.
    assert "sessions.parquet\t3 rows" in r.stdout
    names, documents = files(session_dir), docs(session_dir)
    assert len(names) == len(documents) == 3

    sessions = pl.read_parquet(out / "sessions.parquet")
    assert sessions.schema["started_at"] == pl.Datetime("ms", "UTC")
    assert sessions.schema["samples"] == pl.UInt64
    for row, name, doc in zip(sessions.to_dicts(), names, documents, strict=True):
        q = doc["quality"]
        assert row["file"] == name
        approx_row(
            row,
            {
                "algorithm_version": doc["algorithm_version"],
                "samples": q["samples"],
                "duration_s": q["duration_s"],
                "analysed_s": q["analysed_s"],
                "effective_rate_hz": q["effective_rate_hz"],
                "mount_tilt_deg": q["mount_tilt_deg"],
                "heading_estimated": q["heading_estimated"],
                "gaps": len(q["gaps"]),
                "bouts": len(doc["bouts"]),
                "jumps": len(doc["jumps"]),
                "transitions": doc["transitions"],
                "gait_weighted_min": doc["workload"]["gait_weighted_min"],
                "total_vedba_gs": doc["workload"]["total_vedba_gs"],
            },
        )
        for g in ("halt", "walk", "trot", "canter", "gallop"):
            want = next((x["time_s"] for x in doc["gaits"] if x["gait"] == g), 0.0)
            assert row[f"{g}_s"] == pytest.approx(want), g
        for rein in ("left", "right", "straight"):
            want = sum(
                s["end_s"] - s["start_s"] for s in doc["rein_timeline"] if s["rein"] == rein
            )
            assert row[f"{rein}_s"] == pytest.approx(want, abs=1e-3), rein
        sym = doc["symmetry"]
        assert row["symmetry_min_diff_mm"] == (sym["min_diff_mm"] if sym else None)
        assert row["symmetry_score"] == (sym["score"] if sym else None)
    by_file = dict(zip(sessions["file"], sessions.to_dicts(), strict=True))
    assert by_file[str(session_dir / "b.hbs.gz")]["format"] == "binary"
    assert by_file[str(session_dir / "b.hbs.gz")]["gzip"] is True
    assert by_file[str(session_dir / "b.hbs.gz")]["started_at"] == datetime.fromisoformat(
        STARTED_AT.replace("Z", "+00:00")
    )
    assert by_file[str(session_dir / "a0.csv")]["format"] == "csv"

    bouts = pl.read_parquet(out / "bouts.parquet").to_dicts()
    want = [(n, i, b) for n, d in zip(names, documents) for i, b in enumerate(d["bouts"])]
    assert len(bouts) == len(want) > 0
    for row, (name, i, b) in zip(bouts, want, strict=True):
        assert (row["file"], row["index"], row["gait"]) == (name, i, b["gait"])
        approx_row(
            row,
            {
                "start_s": b["start_s"],
                "end_s": b["end_s"],
                "stride_hz": b["stride_hz"],
                "cadence_spm": b["cadence_spm"],
                "strides": b["strides"],
                "rein_left": b["rein"]["left"],
                "rein_right": b["rein"]["right"],
                "dominant_rein": b["dominant_rein"],
                "lead": b["lead"],
                "lead_confidence": b["lead_confidence"],
                "counter_canter": b["counter_canter"],
            },
        )

    jumps = pl.read_parquet(out / "jumps.parquet").to_dicts()
    want = [(n, i, j) for n, d in zip(names, documents) for i, j in enumerate(d["jumps"])]
    assert len(jumps) == len(want) > 0
    for row, (name, i, j) in zip(jumps, want, strict=True):
        assert (row["file"], row["index"]) == (name, i)
        approx_row(row, {k: j[k] for k in j})

    rein = pl.read_parquet(out / "rein.parquet")
    assert len(rein) == sum(len(d["rein_timeline"]) for d in documents)

    trend = json.loads(run_cli("trend", session_dir, "--format", "json").stdout)
    points = [(m, p) for m in trend["quality"] for p in m["points"]]
    trends = pl.read_parquet(out / "trends.parquet")
    assert trends.columns == [
        "metric", "gait", "unit", "session", "value", "ci", "strides", "deviation"
    ]
    rows = trends.to_dicts()
    assert len(rows) == len(points) > 0
    for row, (m, p) in zip(rows, points, strict=True):
        approx_row(row, {"metric": m["metric"], "gait": m["gait"], "unit": m["unit"], **p})

    metrics = pl.read_parquet(out / "trend_metrics.parquet").to_dicts()
    assert len(metrics) == len(trend["quality"]) > 0
    for row, m in zip(metrics, trend["quality"], strict=True):
        want = {"metric": m["metric"], "gait": m["gait"], "points": len(m["points"])}
        for part in ("baseline", "slope", "latest"):
            for k, v in (m[part] or {}).items():
                want[f"{part}_{k}"] = v
        approx_row(row, want)
    workload = pl.read_parquet(out / "trend_workload.parquet").to_dicts()
    assert len(workload) == len(trend["workload"]["daily"]) > 0
    for row, day in zip(workload, trend["workload"]["daily"], strict=True):
        approx_row(row, day)
    volume = pl.read_parquet(out / "trend_volume.parquet")
    assert volume["resolution"].to_list() == ["day"] * len(trend["volume"]["daily"]) + [
        "week"
    ] * len(trend["volume"]["weekly"])


def test_bad_file_is_reported_and_left_out(session_dir, tmp_path):
    src = tmp_path / "in"
    shutil.copytree(session_dir, src)
    (src / "bad.csv").write_text("t,ax,ay,az,gx,gy,gz\n0,0,0,9.81,0,0,0\n0.01,0,0,9.81,0,0,x\n")
    out = tmp_path / "tables"
    r = export(src, out, ok=False)
    assert r.returncode == 1
    assert "bad.csv" in r.stderr and "line 3" in r.stderr
    assert "trends.parquet and the trend_* files not written" in r.stderr
    sessions = pl.read_parquet(out / "sessions.parquet")
    assert len(sessions) == 3
    assert not any(f.endswith("bad.csv") for f in sessions["file"])
    assert not [t for t in TREND_TABLES if (out / f"{t}.parquet").exists()]
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
