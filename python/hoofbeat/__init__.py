"""Hoofbeat: offline analysis of girth IMU riding sessions, from Python.

The same Rust code the Hoofbeat worker and the ``hoofbeat`` CLI run:

- :func:`read` a session file (CSV, JSON, binary ``.hbs``, each optionally
  gzip) into an n x 7 float64 array (t, ax, ay, az, gx, gy, gz) and metadata;
- :func:`analyze` samples held in a numpy array or a pandas / polars
  DataFrame (the analysis document, equal to ``hoofbeat analyze --format
  json``);
- :func:`analyze_files` in parallel (rayon, GIL released, optional progress
  callback);
- :func:`trend` of a horse's sessions (equal to ``hoofbeat trend --format
  json`` and to the worker's document);
- :func:`bouts_frame` / :func:`jumps_frame`: pandas DataFrames of a result.

Errors are :class:`HoofbeatError` subclasses carrying the CLI's stable
``code`` and, where known, ``line`` / ``column`` / ``index``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from . import _native
from ._errors import (
    AnalysisError,
    DecodeError,
    HoofbeatError,
    InputError,
    TrendInputError,
)

__all__ = [
    "ALGORITHM_VERSION",
    "COLUMNS",
    "Analysis",
    "AnalysisError",
    "DecodeError",
    "HoofbeatError",
    "InputError",
    "TrendInputError",
    "analyze",
    "analyze_files",
    "bouts_frame",
    "jumps_frame",
    "read",
    "trend",
]

#: Version of the analysis algorithms (the documents' ``algorithm_version``).
ALGORITHM_VERSION: str = _native.ALGORITHM_VERSION

#: The sample columns, in array order: time (s from the session start),
#: specific force (m/s², sensor x/y/z) and angular rate (deg/s).
COLUMNS: tuple[str, ...] = ("t", "ax", "ay", "az", "gx", "gy", "gz")


class Analysis(dict):
    """An analysis document: a plain ``dict`` equal to the CLI's JSON, plus
    where it came from.

    Attributes:
        started_at: session start as RFC 3339 text (UTC), or None.
        started_at_unix_ms: the same in Unix milliseconds, or None.
        path: the file analysed, or None.
    """

    __slots__ = ("path", "started_at", "started_at_unix_ms")

    def __init__(
        self,
        document: Mapping[str, Any],
        started_at_unix_ms: int | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(document)
        self.started_at_unix_ms = started_at_unix_ms
        self.started_at = (
            None if started_at_unix_ms is None else _native.format_time(started_at_unix_ms)
        )
        self.path = path

    def __reduce__(self):
        return (Analysis, (dict(self), self.started_at_unix_ms, self.path))


def _bad_input(message: str) -> InputError:
    return InputError(message, code="bad_input")


def _time_ms(value: Any, what: str = "started_at") -> int | None:
    """A start time (RFC 3339 text, aware datetime, Unix ms) as Unix ms."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise _bad_input(f"{what}: expected a time, not {value!r}")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise _bad_input(f"{what}: a naive datetime is ambiguous; give it a time zone")
        value = value.isoformat()
    if isinstance(value, str):
        try:
            return _native.parse_time(value)
        except ValueError as e:
            raise _bad_input(f"{what}: {e}") from None
    raise _bad_input(f"{what}: expected RFC 3339 text, an aware datetime or Unix ms, not {type(value).__name__}")


def read(path: str | os.PathLike[str]) -> tuple[np.ndarray, dict[str, Any]]:
    """Reads a session file with the decoder the API uses.

    Every upload format is accepted: ``.csv``, ``.json``, ``.hbs`` (binary),
    each optionally gzip-compressed (``.gz`` suffix or gzip magic).

    Returns ``(samples, meta)``: ``samples`` is an n x 7 float64 array in
    Fortran order (columns :data:`COLUMNS`, each contiguous, so
    :func:`analyze` reads it without a copy); ``meta`` holds ``format``,
    ``sample_rate_hz``, ``samples``, ``duration_s``, ``started_at`` (RFC 3339
    or None: binary headers and JSON ``started_at`` carry one, CSV never),
    ``started_at_unix_ms`` and ``path``.

    Raises :class:`DecodeError` (``code``, ``line``, ``column``) for a file
    the API would refuse.
    """
    path = os.fspath(path)
    samples, meta = _native.read(path)
    ms = meta["started_at_unix_ms"]
    meta["started_at"] = None if ms is None else _native.format_time(ms)
    meta["path"] = path
    return samples, meta


def _column(values: Any, name: str) -> np.ndarray:
    if hasattr(values, "to_numpy"):  # pandas / polars Series: a view when float64
        values = values.to_numpy()
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise _bad_input(f"column {name}: expected one dimension, got shape {arr.shape}")
    if arr.dtype != np.float64:
        if arr.dtype.kind not in "fiub":
            raise _bad_input(f"column {name}: expected numbers, got dtype {arr.dtype}")
        arr = arr.astype(np.float64)
    return np.ascontiguousarray(arr)


def _columns(samples: Any) -> list[np.ndarray]:
    """The seven columns as contiguous float64 arrays, without copying where
    the layout allows (Fortran-order arrays, float64 DataFrame columns)."""
    if isinstance(samples, np.ndarray):
        if samples.ndim != 2 or samples.shape[1] != len(COLUMNS):
            raise _bad_input(
                f"expected an n x 7 array (columns {', '.join(COLUMNS)}), got shape {samples.shape}"
            )
        return [_column(samples[:, j], name) for j, name in enumerate(COLUMNS)]
    names = getattr(samples, "columns", None)
    if names is None and isinstance(samples, Mapping):
        names = list(samples.keys())
    if names is None:
        raise _bad_input(
            "expected an n x 7 numpy array or a DataFrame / mapping with columns "
            + ", ".join(COLUMNS)
            + f", not {type(samples).__name__}"
        )
    names = [str(c) for c in names]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise _bad_input(f"missing column(s) {', '.join(missing)} (have {', '.join(names)})")
    return [_column(samples[c], c) for c in COLUMNS]


def analyze(
    samples: Any,
    *,
    sample_rate: float | None = None,
    started_at: str | _dt.datetime | int | None = None,
) -> Analysis:
    """Analyses one session's samples.

    Args:
        samples: an n x 7 numpy array (columns :data:`COLUMNS`; Fortran
            order, as :func:`read` returns, is read without a copy) or a
            pandas / polars DataFrame (or a mapping of arrays) with columns
            ``t, ax, ay, az, gx, gy, gz`` (float64 columns are read without
            a copy; other numeric dtypes are converted; extra columns are
            ignored). A C-order array is split into columns in one pass
            (one copy). ``t`` is in seconds, strictly increasing; accelerations
            in m/s², angular rates in deg/s, sensor frame.
        sample_rate: nominal rate in Hz (metadata: the analysis works from
            ``t`` and gives the same document with or without it).
        started_at: session start (RFC 3339 text, aware datetime or Unix
            ms), kept on the result for :func:`trend`.

    Returns:
        The analysis document (:class:`Analysis`, a dict) equal to
        ``hoofbeat analyze --format json`` on the same samples.

    Raises:
        AnalysisError: non-increasing time, non-finite value (``index`` is
            the sample), session over 4 hours.
        InputError: wrong shape, missing column or non-numeric dtype.
    """
    ms = _time_ms(started_at)
    if (
        isinstance(samples, np.ndarray)
        and samples.ndim == 2
        and samples.shape[1] == len(COLUMNS)
        and samples.dtype == np.float64
        and (samples.flags.f_contiguous or samples.flags.c_contiguous)
    ):
        # One contiguous block: handed over whole (Fortran order read in
        # place; C order split into columns in one pass, in Rust).
        doc = _native.analyze_array(samples, sample_rate_hz=sample_rate)
        return Analysis(json.loads(doc), ms)
    cols = _columns(samples)
    lengths = {len(c) for c in cols}
    if len(lengths) != 1:
        raise AnalysisError(
            "the time and sensor columns have different lengths", code="length_mismatch"
        )
    doc = _native.analyze_columns(*cols, sample_rate_hz=sample_rate)
    return Analysis(json.loads(doc), ms)


def analyze_files(
    paths: Iterable[str | os.PathLike[str]],
    threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
    *,
    errors: str = "raise",
) -> list[Analysis | HoofbeatError]:
    """Reads and analyses session files in parallel (rayon), releasing the GIL.

    Args:
        paths: session files (any format :func:`read` accepts).
        threads: worker threads (default: one per core).
        progress: called as ``progress(done, total)`` on the calling thread
            after each file; an exception raised there (or Ctrl-C) stops the
            run: files not yet started are skipped and the exception is
            raised.
        errors: ``"raise"`` raises the first failing file's error (in the
            order of ``paths``) once all are done; ``"return"`` puts the
            exception in that file's place.

    Returns:
        One :class:`Analysis` per path, in order, with ``path`` and
        ``started_at`` (the ``FILE.meta.json`` sidecar's, else the file's
        own) set.
    """
    if errors not in ("raise", "return"):
        raise ValueError("errors must be 'raise' or 'return'")
    paths = [os.fspath(p) for p in paths]
    items = _native.analyze_files(paths, threads, progress)
    out: list[Analysis | HoofbeatError] = []
    for path, item in zip(paths, items):
        if isinstance(item, BaseException):
            if errors == "raise":
                raise item
            out.append(item)
        else:
            doc, ms = item
            out.append(Analysis(json.loads(doc), ms, path))
    return out


def _analysis_item(item: Any, i: int) -> tuple[str, int]:
    """(document JSON, start ms) of an in-memory trend input."""
    started: Any = None
    doc: Any
    if isinstance(item, tuple):
        if len(item) != 2:
            raise _bad_input(f"trend input {i}: expected (analysis, started_at)")
        doc, started = item
    elif isinstance(item, Analysis):
        doc, started = item, item.started_at_unix_ms
    elif isinstance(item, Mapping) and "started_at" in item and (
        "result" in item or "analysis" in item
    ):
        doc = item.get("result", item.get("analysis"))
        started = item["started_at"]
    elif isinstance(item, Mapping):
        doc = item
    else:
        raise _bad_input(
            f"trend input {i}: expected a path, an analysis or (analysis, started_at), "
            f"not {type(item).__name__}"
        )
    ms = _time_ms(started, f"trend input {i}: started_at")
    if ms is None:
        raise TrendInputError(
            f"trend input {i}: no start time: pass (analysis, started_at), "
            "an envelope {'started_at': ..., 'result': ...} or analyze(..., started_at=...)",
            code="trend_input",
        )
    return json.dumps(dict(doc)), ms


def trend(
    analyses_or_files: Iterable[Any] | str | os.PathLike[str],
    *,
    from_analyses: bool = False,
    from_date: str | _dt.date | None = None,
    to_date: str | _dt.date | None = None,
    granularity: str | None = None,
    threads: int | None = None,
) -> dict[str, Any]:
    """A horse's trend document, as the worker stores it and ``hoofbeat
    trend --format json`` prints it.

    Args:
        analyses_or_files: any mix of
            - session files or directories of them (a CSV needs a
              ``FILE.meta.json`` sidecar with ``started_at``); with
              ``from_analyses=True``, stored analysis files instead (an
              envelope ``{"started_at", "result"}`` or a bare document with
              a sidecar), as ``hoofbeat trend --from-analyses``;
            - :class:`Analysis` results with a start time (from
              :func:`analyze_files`, or :func:`analyze` with ``started_at``);
            - ``(analysis, started_at)`` pairs or envelope dicts.
        from_date, to_date: window (``YYYY-MM-DD`` or dates, UTC days).
        granularity: ``"day"`` or ``"week"`` keeps one series.
        threads: worker threads for the files (default: one per core).
    """
    if isinstance(analyses_or_files, (str, os.PathLike)):
        analyses_or_files = [analyses_or_files]
    paths: list[str] = []
    analyses: list[tuple[str, int]] = []
    for i, item in enumerate(analyses_or_files):
        if isinstance(item, (str, os.PathLike)):
            paths.append(os.fspath(item))
        else:
            analyses.append(_analysis_item(item, i))
    if not paths and not analyses:
        raise TrendInputError("no sessions given", code="trend_input")

    def day(d: Any) -> str | None:
        return d.isoformat() if isinstance(d, _dt.date) else d

    doc = _native.trend_document(
        paths,
        analyses,
        from_analyses=from_analyses,
        from_date=day(from_date),
        to_date=day(to_date),
        granularity=granularity,
        threads=threads,
    )
    return json.loads(doc)


def _flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        if isinstance(v, Mapping):
            out.update(_flatten(v, f"{prefix}{k}_"))
        else:
            out[f"{prefix}{k}"] = v
    return out


_BOUT_COLUMNS = [
    "start_s", "end_s", "gait", "stride_hz", "cadence_spm", "strides", "regularity",
    "rein_left", "rein_right", "rein_straight", "dominant_rein", "lead",
    "lead_confidence", "counter_canter", "elevation_cm", "symmetry_min_diff_mm",
    "symmetry_max_diff_mm", "symmetry_symmetry_index", "symmetry_score",
    "symmetry_strides",
]
_JUMP_COLUMNS = [
    "time_s", "flight_s", "rise_cm", "approach_cadence_spm", "strides_from_previous",
]


def _frame(rows: list[Mapping[str, Any]], columns: list[str]):
    try:
        import pandas as pd
    except ImportError as e:  # pragma: no cover - pandas is optional
        raise ImportError("bouts_frame / jumps_frame need pandas: pip install pandas") from e
    flat = [_flatten(r) for r in rows]
    extra = [k for r in flat for k in r if k not in columns]
    cols = columns + list(dict.fromkeys(extra))
    return pd.DataFrame.from_records(flat, columns=cols)


def bouts_frame(analysis: Mapping[str, Any]):
    """The bouts of an analysis as a pandas DataFrame, one row per bout.

    Nested fields are flattened with ``_`` (``rein_left``,
    ``symmetry_min_diff_mm``; missing symmetry gives NaN). Needs pandas.
    """
    return _frame(list(analysis["bouts"]), _BOUT_COLUMNS)


def jumps_frame(analysis: Mapping[str, Any]):
    """The jumps of an analysis as a pandas DataFrame, one row per jump
    (``time_s``, ``flight_s``, ``rise_cm``, ``approach_cadence_spm``,
    ``strides_from_previous``). Needs pandas."""
    return _frame(list(analysis["jumps"]), _JUMP_COLUMNS)
