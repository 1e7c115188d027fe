"""Type stubs of the hoofbeat package (see __init__.py for the docs)."""

import datetime as _dt
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ._errors import (
    AnalysisError as AnalysisError,
    DecodeError as DecodeError,
    HoofbeatError as HoofbeatError,
    InputError as InputError,
    TrendInputError as TrendInputError,
)

__all__: list[str]

ALGORITHM_VERSION: str
COLUMNS: tuple[str, ...]

_Path = str | os.PathLike[str]
_Time = str | _dt.datetime | int

class Analysis(dict[str, Any]):
    started_at: str | None
    started_at_unix_ms: int | None
    path: str | None
    def __init__(
        self,
        document: Mapping[str, Any],
        started_at_unix_ms: int | None = ...,
        path: str | None = ...,
    ) -> None: ...

def read(path: _Path) -> tuple[npt.NDArray[np.float64], dict[str, Any]]: ...
def analyze(
    samples: npt.ArrayLike | Mapping[str, npt.ArrayLike] | Any,
    *,
    sample_rate: float | None = ...,
    started_at: _Time | None = ...,
) -> Analysis: ...
def analyze_files(
    paths: Iterable[_Path],
    threads: int | None = ...,
    progress: Callable[[int, int], Any] | None = ...,
    *,
    errors: Literal["raise", "return"] = ...,
) -> list[Analysis | HoofbeatError]: ...
def trend(
    analyses_or_files: Iterable[_Path | Analysis | Mapping[str, Any] | tuple[Mapping[str, Any], _Time]]
    | _Path,
    *,
    from_analyses: bool = ...,
    from_date: str | _dt.date | None = ...,
    to_date: str | _dt.date | None = ...,
    granularity: Literal["day", "week"] | None = ...,
    threads: int | None = ...,
) -> dict[str, Any]: ...
def bouts_frame(analysis: Mapping[str, Any]) -> Any: ...  # pandas.DataFrame
def jumps_frame(analysis: Mapping[str, Any]) -> Any: ...  # pandas.DataFrame
