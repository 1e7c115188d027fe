"""The compiled half of hoofbeat (private: use the hoofbeat module)."""

from typing import Any

import numpy as np
import numpy.typing as npt

ALGORITHM_VERSION: str
MAX_FILE_BYTES: int

def read(path: str) -> tuple[npt.NDArray[np.float64], dict[str, Any]]: ...
def analyze_columns(
    t: npt.NDArray[np.float64],
    ax: npt.NDArray[np.float64],
    ay: npt.NDArray[np.float64],
    az: npt.NDArray[np.float64],
    gx: npt.NDArray[np.float64],
    gy: npt.NDArray[np.float64],
    gz: npt.NDArray[np.float64],
    sample_rate_hz: float | None = ...,
) -> str: ...
def analyze_array(
    samples: npt.NDArray[np.float64], sample_rate_hz: float | None = ...
) -> str: ...
def analyze_files(
    paths: list[str], threads: int | None = ..., progress: Any = ...
) -> list[tuple[str, int | None] | BaseException]: ...
def trend_document(
    paths: list[str],
    analyses: list[tuple[str, int]],
    from_analyses: bool = ...,
    from_date: str | None = ...,
    to_date: str | None = ...,
    granularity: str | None = ...,
    threads: int | None = ...,
) -> str: ...
def parse_time(s: str) -> int: ...
def format_time(ms: int) -> str: ...
def bench_rust_analyze(path: str, repeats: int) -> list[float]: ...
