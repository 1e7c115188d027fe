"""hoofbeat.trend equals `hoofbeat trend --format json` (the worker's
document) from files, stored analyses and in-memory analyses."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli

import hoofbeat


@pytest.fixture(scope="module")
def horse(tmp_path_factory):
    d = tmp_path_factory.mktemp("history")
    run_cli("generate-history", "--out", d, "--horses", "1", "--weeks", "2",
            "--minutes", "3..4", "--seed", "5")
    h = d / "horse-01"
    return h, sorted(h.glob("*.csv"))


def cli_trend(*args) -> dict:
    return json.loads(run_cli("trend", "--format", "json", *args).stdout)


@pytest.fixture(scope="module")
def expected(horse):
    h, _ = horse
    return cli_trend(h)


def test_from_a_directory(horse, expected):
    h, files = horse
    doc = hoofbeat.trend(h)
    assert doc == expected
    assert doc["sessions"] == len(files)


def test_from_files_in_any_order(horse, expected):
    _, files = horse
    assert hoofbeat.trend(list(reversed(files)), threads=1) == expected


def test_from_analyze_files_results(horse, expected):
    _, files = horse
    analyses = hoofbeat.analyze_files(files)
    assert all(a.started_at for a in analyses)  # from the sidecars
    assert hoofbeat.trend(analyses) == expected


def test_from_arrays_with_start_times(horse, expected):
    _, files = horse
    items = []
    for f in files:
        samples, _ = hoofbeat.read(f)
        started = json.loads(f.with_name(f.name + ".meta.json").read_text())["started_at"]
        items.append((hoofbeat.analyze(samples), started))
    assert hoofbeat.trend(items) == expected
    # analyze(..., started_at=...) carries it too.
    assert hoofbeat.trend([hoofbeat.analyze(hoofbeat.read(f)[0], started_at=s)
                           for f, (_, s) in zip(files, items)]) == expected


def test_from_stored_analysis_files(horse, expected, tmp_path):
    _, files = horse
    for a in hoofbeat.analyze_files(files):
        env = {"started_at": a.started_at, "result": dict(a)}
        (tmp_path / (a.path.rsplit("/", 1)[-1] + ".analysis.json")).write_text(json.dumps(env))
    assert cli_trend("--from-analyses", tmp_path) == expected
    assert hoofbeat.trend(tmp_path, from_analyses=True) == expected
    envelopes = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("*.json"))]
    assert hoofbeat.trend(envelopes) == expected


def test_window_and_granularity(horse):
    h, _ = horse
    full = hoofbeat.trend(h)
    start = full["first_session"][:10]
    args = ["--from", start, "--to", start, "--granularity", "week"]
    import datetime as dt

    assert hoofbeat.trend(h, from_date=start, to_date=dt.date.fromisoformat(start),
                          granularity="week") == cli_trend(*args, h)
    with pytest.raises(ValueError):
        hoofbeat.trend(h, granularity="month")


def test_csv_without_start_time(generated):
    with pytest.raises(hoofbeat.TrendInputError) as e:
        hoofbeat.trend([generated[0]])
    assert e.value.code == "trend_input"
    assert ".meta.json" in str(e.value)
    r = run_cli("trend", generated[0], ok=False)
    assert r.returncode != 0 and "no start time" in r.stderr


def test_analysis_without_start_time(generated):
    a = hoofbeat.analyze(hoofbeat.read(generated[0])[0])
    with pytest.raises(hoofbeat.TrendInputError):
        hoofbeat.trend([a])
