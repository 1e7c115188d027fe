"""hoofbeat.analyze on a 1-hour 100 Hz session vs the Rust library.

    RAYON_NUM_THREADS=1 target/python-ci/bin/python python/benches/analyze.py [--rounds 15]

(from the repository root, after scripts/python-tests installed the wheel;
not from python/, where the source tree would shadow the installed package)

Generates the session with the CLI (`hoofbeat generate --minutes 60 --rate
100`), reads it, then in each round times, in turn: the Rust library on the
decoded Recording (`_native.bench_rust_analyze`, no Python involved), and
`hoofbeat.analyze` on a Fortran-order array, a C-order array, a pandas and a
polars DataFrame (each including the JSON document's trip to a dict).
Rounds interleave the variants so that load on a shared machine hits all
alike. Prints medians and minima of wall and process CPU time, and each
variant's overhead over Rust (RAYON_NUM_THREADS=1: one core per analysis).

Last, two analyses one after the other against two Python threads (the GIL
is released: on 2 idle cores the pair takes about the time of one). That
figure needs rayon's default pool: with RAYON_NUM_THREADS=1 both analyses
queue on its one thread.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import hoofbeat
from hoofbeat import _native


def cpu_model() -> str:
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    repo = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--cli", default=os.environ.get("HOOFBEAT_CLI", repo / "target/debug/hoofbeat"))
    args = ap.parse_args()
    import pandas as pd
    import polars as pl

    with tempfile.TemporaryDirectory() as d:
        subprocess.run([str(args.cli), "generate", "--out", d, "--count", "1", "--minutes", "60",
                        "--rate", "100", "--seed", "1"], check=True, capture_output=True)
        path = next(Path(d).glob("*.csv"))
        f_order, _ = hoofbeat.read(path)
        c_order = np.ascontiguousarray(f_order)
        pdf = pd.DataFrame(f_order, columns=list(hoofbeat.COLUMNS))
        plf = pl.DataFrame({n: f_order[:, j] for j, n in enumerate(hoofbeat.COLUMNS)})
        variants = {
            "numpy F-order": lambda: hoofbeat.analyze(f_order),
            "numpy C-order": lambda: hoofbeat.analyze(c_order),
            "pandas DataFrame": lambda: hoofbeat.analyze(pdf),
            "polars DataFrame": lambda: hoofbeat.analyze(plf),
        }
        expected = variants["numpy F-order"]()
        assert all(v() == expected for v in variants.values())
        wall: dict[str, list[float]] = {k: [] for k in ["rust library", *variants]}
        cpu: dict[str, list[float]] = {k: [] for k in wall}
        for _ in range(args.rounds):
            # bench_rust_analyze decodes the file, then times each analysis
            # (wall, in Rust). Its CPU per analysis: the difference between a
            # call with 2 analyses and one with 1 (the decode cancels out).
            c0 = time.process_time()
            [_] = _native.bench_rust_analyze(str(path), 1)
            c1 = time.process_time()
            rust_walls = _native.bench_rust_analyze(str(path), 2)
            c2 = time.process_time()
            wall["rust library"].append(statistics.median(rust_walls))
            cpu["rust library"].append((c2 - c1) - (c1 - c0))
            for name, fn in variants.items():
                c0, w0 = time.process_time(), time.perf_counter()
                fn()
                w1, c1 = time.perf_counter(), time.process_time()
                wall[name].append(w1 - w0)
                cpu[name].append(c1 - c0)
        # Two Python threads, each analysing its own copy, against the same
        # two analyses one after the other (GIL released: on 2 idle cores
        # the pair takes about the time of one).
        import threading

        copies = [f_order, np.asfortranarray(f_order.copy())]
        seq, par = [], []
        for _ in range(max(3, args.rounds // 3)):
            w0 = time.perf_counter()
            for a in copies:
                hoofbeat.analyze(a)
            seq.append(time.perf_counter() - w0)
            threads = [threading.Thread(target=hoofbeat.analyze, args=(a,)) for a in copies]
            w0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            par.append(time.perf_counter() - w0)
    n = len(f_order)
    print(f"1 h at 100 Hz ({n} samples), {args.rounds} interleaved rounds, "
          f"RAYON_NUM_THREADS={os.environ.get('RAYON_NUM_THREADS', 'unset')}")
    print(f"CPU: {cpu_model()}; load average {os.getloadavg()[0]:.1f}; "
          f"hoofbeat {hoofbeat.ALGORITHM_VERSION}, numpy {np.__version__}, "
          f"pandas {pd.__version__}, polars {pl.__version__}")
    base = statistics.median(wall["rust library"])
    print(f"{'variant':<18} {'wall median':>12} {'wall min':>9} {'CPU median':>11} {'overhead':>9}")
    for name in wall:
        med = statistics.median(wall[name])
        print(f"{name:<18} {med * 1e3:>9.1f} ms {min(wall[name]) * 1e3:>6.1f} ms "
              f"{statistics.median(cpu[name]) * 1e3:>8.1f} ms {100 * (med / base - 1):>+8.1f}%")
    cpu_base = statistics.median(cpu["rust library"])
    print("CPU overhead: " + ", ".join(
        f"{k} {100 * (statistics.median(v) / cpu_base - 1):+.1f}%"
        for k, v in cpu.items() if k != "rust library"))
    print(f"2 analyses, wall median: one after the other {statistics.median(seq) * 1e3:.1f} ms, "
          f"2 Python threads {statistics.median(par) * 1e3:.1f} ms "
          f"(ratio {statistics.median(par) / statistics.median(seq):.2f})")


if __name__ == "__main__":
    main()
