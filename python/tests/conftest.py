"""Shared fixtures: the `hoofbeat` CLI (the reference the package must
match) and generated sessions in every upload format."""

from __future__ import annotations

import gzip
import json
import os
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = Path(os.environ.get("HOOFBEAT_CLI", REPO / "target" / "debug" / "hoofbeat"))
STARTED_AT = "2026-05-01T09:30:00Z"
STARTED_AT_MS = 1777627800000
# As the trend documents write times (hoofbeat.Analysis.started_at, meta["started_at"]).
STARTED_AT_CANONICAL = "2026-05-01T09:30:00.000Z"


def run_cli(*args: str | os.PathLike[str], ok: bool = True) -> subprocess.CompletedProcess:
    if not CLI.exists():
        pytest.fail(f"{CLI} missing: cargo build -p analysis --bin hoofbeat (or set HOOFBEAT_CLI)")
    r = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True)
    if ok and r.returncode != 0:
        pytest.fail(f"hoofbeat {args}: {r.stderr}")
    return r


def cli_analysis(path: os.PathLike[str]) -> dict:
    """The CLI's `analyze --format json` document of one file."""
    out = run_cli("analyze", "--format", "json", path).stdout
    lines = out.splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def write_json(path: Path, samples: np.ndarray, started_at: str | None = STARTED_AT) -> None:
    rows = [dict(zip(("t", "ax", "ay", "az", "gx", "gy", "gz"), map(float, r))) for r in samples]
    doc: dict = {"samples": rows}
    if started_at is not None:
        doc["started_at"] = started_at
    path.write_text(json.dumps(doc))


ACC_SCALE = np.float32(16.0 * 9.80665 / 32768.0)
GYRO_SCALE = np.float32(2000.0 / 32768.0)


def encode_hbs(samples: np.ndarray, rate: float, started_ms: int) -> tuple[bytes, np.ndarray]:
    """The binary format (shared::sensor docs) written from Python, and the
    samples a decoder must return for it (quantised values, t = i / rate)."""
    acc = np.rint(samples[:, 1:4] / np.float64(ACC_SCALE)).astype(np.int16)
    gyro = np.rint(samples[:, 4:7] / np.float64(GYRO_SCALE)).astype(np.int16)
    frames = np.ascontiguousarray(np.hstack([acc, gyro]).astype("<i2"))
    payload = frames.tobytes()
    n = len(samples)
    header = b"HBS1" + struct.pack(
        "<BBHfqffII", 1, 6, 0, rate, started_ms, ACC_SCALE, GYRO_SCALE, n, zlib.crc32(payload)
    )
    assert len(header) == 36
    rate32 = np.float64(np.float32(rate))
    expected = np.empty((n, 7))
    expected[:, 0] = np.arange(n) / rate32
    expected[:, 1:4] = acc.astype(np.float64) * np.float64(ACC_SCALE)
    expected[:, 4:7] = gyro.astype(np.float64) * np.float64(GYRO_SCALE)
    return header + payload, expected


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> list[Path]:
    """Two 5-minute generated sessions with jumps (CSV, 50 and 60 Hz)."""
    d = tmp_path_factory.mktemp("generated")
    run_cli("generate", "--out", d, "--count", "2", "--minutes", "5", "--seed", "3")
    return sorted(d.glob("*.csv"))


@pytest.fixture(scope="session")
def formats(tmp_path_factory, generated) -> dict[str, tuple[Path, np.ndarray]]:
    """One session in every upload format: name -> (file, samples a decoder
    must return)."""
    d = tmp_path_factory.mktemp("formats")
    src = generated[0]
    csv_samples = np.loadtxt(src, delimiter=",", skiprows=1)
    out: dict[str, tuple[Path, np.ndarray]] = {}
    csv = d / "s.csv"
    csv.write_bytes(src.read_bytes())
    out["csv"] = (csv, csv_samples)
    js = d / "s.json"
    write_json(js, csv_samples)
    out["json"] = (js, csv_samples)
    hbs = d / "s.hbs"
    body, expected = encode_hbs(csv_samples, 50.0, STARTED_AT_MS)
    hbs.write_bytes(body)
    out["hbs"] = (hbs, expected)
    for name in ("csv", "json", "hbs"):
        p, samples = out[name]
        gz = d / f"s.{name}.gz"
        gz.write_bytes(gzip.compress(p.read_bytes()))
        out[f"{name}.gz"] = (gz, samples)
    return out
