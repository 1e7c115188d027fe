"""Writes session.csv: shared::testkit::recording(1.0, 100.0) encoded like
shared::sensor::encode_csv (header `t,ax,ay,az,gx,gy,gz`, one row a sample,
each f64 printed like Rust's `{}`: shortest round-trip digits, no exponent,
no trailing `.0`)."""
import math
import sys

import numpy as np


def rust_f64(x: float) -> str:
    # Rust's Display for f64: the shortest digits that round-trip, positional.
    return np.format_float_positional(x, unique=True, trim="-")


def recording(secs: float, rate: float):
    n = int(secs * rate)
    rows = []
    for i in range(n):
        t = i / rate
        w = 2.0 * math.pi * 2.8 * t
        rows.append((t, 0.3 * math.cos(w), 0.2 * math.sin(w / 2.0), 9.81 + 3.0 * math.sin(w),
                     5.0 * math.sin(w / 2.0), 8.0 * math.cos(w), 1.5))
    return rows


def encode_csv(rows) -> bytes:
    out = ["t,ax,ay,az,gx,gy,gz\n"]
    for r in rows:
        out.append(",".join(rust_f64(v) for v in r) + "\n")
    return "".join(out).encode()


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "session.csv"
    body = encode_csv(recording(1.0, 100.0))
    with open(path, "wb") as f:
        f.write(body)
    n = body.count(b"\n") - 1
    print(f"{path}: {len(body)} bytes, {n} samples")
