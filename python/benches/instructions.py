"""One variant of hoofbeat.analyze, k times, for instruction counts under
callgrind (deterministic, unlike timings on a shared machine).

    hoofbeat generate --out /tmp/cg --count 1 --minutes 60 --rate 100 --seed 1
    for k in 1 3; do
      PYTHONHASHSEED=0 RAYON_NUM_THREADS=1 valgrind --tool=callgrind \\
        --callgrind-out-file=/dev/null target/python-ci/bin/python \\
        python/benches/instructions.py VARIANT $k /tmp/cg/session-0001.csv 2>&1 | grep Collected
    done

VARIANT: rust (analysis::analyze on the decoded Recording, in Rust), F, C
(numpy orders), pandas, polars. Instructions per analysis = (I(3) - I(1)) / 2:
start-up, imports and the read cancel out.
"""

import sys

import numpy as np

import hoofbeat
from hoofbeat import _native

variant, k, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if variant == "rust":
    _native.bench_rust_analyze(path, k)
    sys.exit()
f, _ = hoofbeat.read(path)
if variant == "F":
    x = f
elif variant == "C":
    x = np.ascontiguousarray(f)
elif variant == "pandas":
    import pandas as pd

    x = pd.DataFrame(f, columns=list(hoofbeat.COLUMNS))
elif variant == "polars":
    import polars as pl

    x = pl.DataFrame({n: f[:, j] for j, n in enumerate(hoofbeat.COLUMNS)})
else:
    sys.exit(f"unknown variant {variant}")
for _ in range(k):
    hoofbeat.analyze(x)
