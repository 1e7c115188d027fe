"""hoofbeat.read: every upload format decodes as the Rust decoder does."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from conftest import STARTED_AT_CANONICAL, STARTED_AT_MS, cli_analysis

import hoofbeat

ALL = ["csv", "json", "hbs", "csv.gz", "json.gz", "hbs.gz"]


@pytest.mark.parametrize("name", ALL)
def test_read_returns_the_decoded_samples(formats, name):
    path, expected = formats[name]
    samples, meta = hoofbeat.read(path)
    assert samples.dtype == np.float64
    assert samples.shape == expected.shape
    # Bit for bit: the CSV / JSON text parsed (correctly rounded), the
    # binary frames times their scale.
    np.testing.assert_array_equal(samples, expected)
    assert samples.flags.f_contiguous
    assert meta["samples"] == len(expected)
    assert meta["format"] == name.removesuffix(".gz").replace("hbs", "binary")
    assert meta["path"] == str(path)


@pytest.mark.parametrize("name", ALL)
def test_analysis_of_read_equals_the_cli_on_the_file(formats, name):
    # The CLI decodes the file itself: equal documents mean equal samples
    # reached the analysis.
    path, _ = formats[name]
    samples, meta = hoofbeat.read(path)
    assert hoofbeat.analyze(samples, sample_rate=meta["sample_rate_hz"]) == cli_analysis(path)


def test_start_times(formats):
    assert hoofbeat.read(formats["csv"][0])[1]["started_at"] is None
    for name in ("json", "hbs", "json.gz", "hbs.gz"):
        meta = hoofbeat.read(formats[name][0])[1]
        assert meta["started_at_unix_ms"] == STARTED_AT_MS
        assert meta["started_at"] == STARTED_AT_CANONICAL


def test_sample_rates(formats):
    assert hoofbeat.read(formats["hbs"][0])[1]["sample_rate_hz"] == 50.0
    # Text formats: estimated from the median step, as the API does.
    assert hoofbeat.read(formats["csv"][0])[1]["sample_rate_hz"] == pytest.approx(50.0, rel=1e-6)


def test_gzip_is_recognised_by_its_magic_without_a_suffix(formats, tmp_path):
    path, expected = formats["csv"]
    disguised = tmp_path / "plain-name.csv"
    disguised.write_bytes(gzip.compress(path.read_bytes()))
    np.testing.assert_array_equal(hoofbeat.read(disguised)[0], expected)


def test_read_accepts_path_objects_and_strings(formats):
    path, _ = formats["csv"]
    a, _ = hoofbeat.read(path)
    b, _ = hoofbeat.read(str(path))
    np.testing.assert_array_equal(a, b)


def test_read_then_analyze_shares_memory(formats):
    # Fortran order: every column handed to the analysis is a view of the
    # array read (no copy).
    samples, _ = hoofbeat.read(formats["csv"][0])
    for col in hoofbeat._columns(samples):
        assert np.shares_memory(col, samples)
