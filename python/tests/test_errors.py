"""Bad input raises HoofbeatError subclasses with the CLI's stable codes and
line / column information; str(error) is the CLI's error line."""

from __future__ import annotations

import gzip
import pickle

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

import hoofbeat

HEADER = "t,ax,ay,az,gx,gy,gz\n"


def cli_error(path) -> str:
    r = run_cli("analyze", path, ok=False)
    assert r.returncode != 0
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith("error: ")
    return line.removeprefix("error: ")


def test_csv_value_error_has_code_line_and_column(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(HEADER + "0,0,0,9.81,0,0,0\n0.01,0,0,9.81,0,0,oops\n")
    with pytest.raises(hoofbeat.DecodeError) as e:
        hoofbeat.read(p)
    err = e.value
    assert err.code == "invalid"
    assert (err.line, err.column) == (3, "gz")
    assert err.path == str(p)
    assert str(err) == cli_error(p)
    assert err.issues[0]["line"] == 3
    assert isinstance(err, hoofbeat.HoofbeatError) and isinstance(err, ValueError)


def test_csv_bad_header(tmp_path):
    p = tmp_path / "header.csv"
    p.write_text("t,ax,ay,az,gx,gy\n0,0,0,9.81,0,0\n")
    with pytest.raises(hoofbeat.DecodeError) as e:
        hoofbeat.read(p)
    assert e.value.code == "invalid" and e.value.line == 1
    assert str(e.value) == cli_error(p)


def test_several_issues_are_all_reported(tmp_path):
    p = tmp_path / "many.csv"
    p.write_text(HEADER + "0,0,0,9.81,0,0,0\n0.01,x,0,9.81,0,0,0\n0.02,0,0,9.81,0,y,0\n")
    with pytest.raises(hoofbeat.DecodeError) as e:
        hoofbeat.read(p)
    assert [(i["line"], i["field"]) for i in e.value.issues] == [(3, "ax"), (4, "gy")]


def test_json_syntax_error_is_bad_encoding_with_line(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('{"samples": [\n{"t": 0,\n}')
    with pytest.raises(hoofbeat.DecodeError) as e:
        hoofbeat.read(p)
    assert e.value.code == "bad_encoding"
    assert e.value.line == 3
    assert str(e.value) == cli_error(p)


def test_json_validation_error_names_the_path(tmp_path):
    p = tmp_path / "bad.json"
    s = '{"t": %s, "ax": 0, "ay": 0, "az": 9.81, "gx": 0, "gy": 0, "gz": 0}'
    p.write_text('{"samples": [%s, %s]}' % (s % "0", s % "0"))
    with pytest.raises(hoofbeat.DecodeError) as e:
        hoofbeat.read(p)
    assert e.value.code == "invalid"
    assert e.value.column.startswith("samples[1]")
    assert str(e.value) == cli_error(p)


def test_binary_checksum(formats, tmp_path):
    body = bytearray(formats["hbs"][0].read_bytes())
    body[-1] ^= 0xFF
    p = tmp_path / "bad.hbs"
    p.write_bytes(bytes(body))
    with pytest.raises(hoofbeat.DecodeError) as e:
        hoofbeat.read(p)
    assert e.value.column == "crc32"
    assert e.value.code in ("invalid", "bad_encoding")
    assert str(e.value) == cli_error(p)


def test_corrupt_gzip(tmp_path):
    p = tmp_path / "bad.csv.gz"
    p.write_bytes(gzip.compress(HEADER.encode())[:12])
    with pytest.raises(hoofbeat.DecodeError) as e:
        hoofbeat.read(p)
    assert e.value.code == "bad_encoding"
    assert str(e.value) == cli_error(p)


def test_unknown_extension_and_missing_file(tmp_path):
    with pytest.raises(hoofbeat.DecodeError) as e:
        hoofbeat.read(tmp_path / "notes.txt")
    assert (e.value.code, e.value.column) == ("invalid", "path")
    with pytest.raises(hoofbeat.DecodeError) as e:
        hoofbeat.read(tmp_path / "missing.csv")
    assert (e.value.code, e.value.column) == ("invalid", "path")


def _samples(n: int = 200) -> np.ndarray:
    s = np.zeros((n, 7))
    s[:, 0] = np.arange(n) / 50.0
    s[:, 3] = 9.81
    return s


def test_non_increasing_time_gives_the_index():
    s = _samples()
    s[120, 0] = s[119, 0]
    with pytest.raises(hoofbeat.AnalysisError) as e:
        hoofbeat.analyze(s)
    assert (e.value.code, e.value.index) == ("non_increasing_time", 120)
    assert str(e.value) == "timestamps are not strictly increasing at sample 120"


def test_non_finite_value_gives_the_index():
    s = _samples()
    s[77, 5] = np.nan
    with pytest.raises(hoofbeat.AnalysisError) as e:
        hoofbeat.analyze(pd.DataFrame(s, columns=list(hoofbeat.COLUMNS)))
    assert (e.value.code, e.value.index) == ("non_finite", 77)


def test_too_long():
    s = _samples(3)
    s[:, 0] = [0.0, 1.0, 5 * 3600.0]
    with pytest.raises(hoofbeat.AnalysisError) as e:
        hoofbeat.analyze(s)
    assert e.value.code == "too_long"


def test_columns_of_different_lengths():
    s = _samples()
    cols = {n: s[:, j] for j, n in enumerate(hoofbeat.COLUMNS)}
    cols["gz"] = cols["gz"][:-1]
    with pytest.raises(hoofbeat.AnalysisError) as e:
        hoofbeat.analyze(cols)
    assert e.value.code == "length_mismatch"


@pytest.mark.parametrize(
    "bad",
    [np.zeros((10, 6)), np.zeros(10), pd.DataFrame({"t": [0.0, 1.0]}), "not samples",
     np.array([["a"] * 7] * 3)],
)
def test_wrong_shapes_and_columns(bad):
    with pytest.raises(hoofbeat.InputError) as e:
        hoofbeat.analyze(bad)
    assert e.value.code == "bad_input"


def test_naive_datetime_is_refused():
    import datetime as dt

    with pytest.raises(hoofbeat.InputError):
        hoofbeat.analyze(_samples(), started_at=dt.datetime(2026, 5, 1, 9, 30))


def test_errors_pickle(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(HEADER + "0,0,0,9.81,0,0,0\n0.01,0,0,9.81,0,0,oops\n")
    with pytest.raises(hoofbeat.DecodeError) as e:
        hoofbeat.read(p)
    back = pickle.loads(pickle.dumps(e.value))
    assert type(back) is hoofbeat.DecodeError
    assert (back.code, back.line, back.column, str(back)) == ("invalid", 3, "gz", str(e.value))
