"""hoofbeat.analyze on numpy arrays and pandas / polars DataFrames equals
the CLI's `analyze --format json` document for the same samples."""

from __future__ import annotations

import json
import threading

import numpy as np
import pandas as pd
import polars as pl
import pytest
from conftest import cli_analysis

import hoofbeat


@pytest.fixture(scope="module")
def session(generated):
    path = generated[1]
    samples = np.loadtxt(path, delimiter=",", skiprows=1)
    return path, samples, cli_analysis(path)


def test_fortran_array(session):
    path, samples, expected = session
    assert hoofbeat.analyze(np.asfortranarray(samples)) == expected


def test_c_order_array(session):
    path, samples, expected = session
    c = np.ascontiguousarray(samples)
    assert c.flags.c_contiguous
    assert hoofbeat.analyze(c) == expected


def test_strided_views(session):
    _, samples, expected = session
    wide = np.zeros((len(samples), 9))
    wide[:, 1:8] = samples
    view = wide[:, 1:8]
    assert not (view.flags.c_contiguous or view.flags.f_contiguous)
    assert hoofbeat.analyze(view) == expected
    # Every second sample: the same as the analysis of a copy.
    assert hoofbeat.analyze(samples[::2]) == hoofbeat.analyze(samples[::2].copy())


def test_pandas_dataframe(session):
    path, samples, expected = session
    df = pd.read_csv(path)
    assert list(df.columns) == list(hoofbeat.COLUMNS)
    assert hoofbeat.analyze(df) == expected


def test_polars_dataframe(session):
    path, samples, expected = session
    df = pl.read_csv(path)
    assert hoofbeat.analyze(df) == expected


def test_mapping_of_columns(session):
    _, samples, expected = session
    cols = {name: samples[:, j].copy() for j, name in enumerate(hoofbeat.COLUMNS)}
    assert hoofbeat.analyze(cols) == expected


def test_dataframe_columns_in_any_order_and_extra_columns_ignored(session):
    _, samples, expected = session
    df = pd.DataFrame(samples, columns=list(hoofbeat.COLUMNS))
    df = df[["gz", "gy", "gx", "az", "ay", "ax", "t"]].assign(rider="anna")
    assert hoofbeat.analyze(df) == expected


def test_dataframe_columns_are_read_without_copy(session):
    _, samples, _ = session
    pdf = pd.DataFrame({n: samples[:, j].copy() for j, n in enumerate(hoofbeat.COLUMNS)})
    for name, col in zip(hoofbeat.COLUMNS, hoofbeat._columns(pdf)):
        assert np.shares_memory(col, pdf[name].to_numpy())
    plf = pl.DataFrame({n: samples[:, j] for j, n in enumerate(hoofbeat.COLUMNS)})
    for name, col in zip(hoofbeat.COLUMNS, hoofbeat._columns(plf)):
        assert np.shares_memory(col, plf.get_column(name).to_numpy())


def test_other_numeric_dtypes_are_converted(session):
    _, samples, _ = session
    f32 = samples.astype(np.float32)
    assert hoofbeat.analyze(f32) == hoofbeat.analyze(f32.astype(np.float64))


def test_result_is_a_plain_json_dict(session):
    _, samples, expected = session
    a = hoofbeat.analyze(samples)
    assert isinstance(a, dict)
    assert a["algorithm_version"] == hoofbeat.ALGORITHM_VERSION
    assert json.loads(json.dumps(a)) == expected
    assert a.started_at is None and a.path is None


@pytest.mark.parametrize(
    "value",
    ["2026-05-01T09:30:00Z", "2026-05-01T11:30:00+02:00", 1777627800000],
)
def test_started_at_is_kept(session, value):
    import datetime as dt

    _, samples, expected = session
    a = hoofbeat.analyze(samples, started_at=value)
    assert a == expected  # not part of the document
    assert a.started_at_unix_ms == 1777627800000
    assert a.started_at == "2026-05-01T09:30:00.000Z"
    aware = dt.datetime(2026, 5, 1, 9, 30, tzinfo=dt.timezone.utc)
    assert hoofbeat.analyze(samples, started_at=aware).started_at_unix_ms == 1777627800000


def test_threads_analyse_concurrently_with_identical_results(generated):
    arrays = [hoofbeat.read(p)[0] for p in generated]
    expected = [hoofbeat.analyze(a) for a in arrays]
    results: dict[int, dict] = {}

    def work(i: int) -> None:
        results[i] = hoofbeat.analyze(arrays[i % 2])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [results[i] for i in range(4)] == [expected[i % 2] for i in range(4)]
