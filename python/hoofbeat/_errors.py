"""Exceptions raised by hoofbeat, with the stable codes of the CLI and API."""

from __future__ import annotations

from typing import Any


class HoofbeatError(Exception):
    """Base class of every hoofbeat error.

    Attributes:
        code: stable machine-readable code. Decoding: ``invalid``,
            ``too_large``, ``bad_encoding`` (the API's error kinds, HTTP
            422 / 413 / 400). Analysis: ``length_mismatch``,
            ``non_increasing_time``, ``non_finite``, ``too_long``. Trend
            inputs: ``trend_input``. Input shape (columns, dtype):
            ``bad_input``.
        message: the CLI's message (without the file name).
        path: the file concerned, if any.
        line: 1-based line of a text upload (CSV, JSON syntax), if known.
        column: CSV column name, JSON path (``samples[12].t``) or binary
            header field (``crc32``), if known.
        index: 0-based sample index for analysis errors, if known.
        issues: every issue found, as dicts with ``line``, ``field`` and
            ``message`` (up to 20, as the API returns them).

    ``str(error)`` is the line the CLI prints after ``error:``.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        path: str | None = None,
        line: int | None = None,
        column: str | None = None,
        index: int | None = None,
        issues: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.path = path
        self.line = line
        self.column = column
        self.index = index
        self.issues = list(issues or [])

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r}, code={self.code!r})"

    def __reduce__(self):  # picklable (multiprocessing)
        return (
            _rebuild,
            (
                type(self),
                self.message,
                dict(
                    code=self.code,
                    path=self.path,
                    line=self.line,
                    column=self.column,
                    index=self.index,
                    issues=self.issues,
                ),
            ),
        )


def _rebuild(cls, message, kwargs):
    return cls(message, **kwargs)


class DecodeError(HoofbeatError, ValueError):
    """A session file the API would refuse (codes ``invalid``, ``too_large``,
    ``bad_encoding``), located by ``line`` / ``column`` where the format allows."""


class AnalysisError(HoofbeatError, ValueError):
    """Samples the analysis refuses (``non_increasing_time``, ``non_finite``,
    ``length_mismatch``, ``too_long``); ``index`` is the sample concerned."""


class TrendInputError(HoofbeatError, ValueError):
    """A trend input without a usable start time or a malformed stored
    analysis (code ``trend_input``)."""


class InputError(HoofbeatError, ValueError):
    """An array or DataFrame of the wrong shape, columns or dtype (code
    ``bad_input``)."""
