"""hoofbeat.analyze_files: parallel, ordered, equal to the CLI, with a
progress callback, and with the GIL released while Rust works."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import pytest
from conftest import cli_analysis

import hoofbeat


@pytest.fixture(scope="module")
def files(generated, formats):
    return [*generated, formats["json.gz"][0], formats["hbs"][0]]


@pytest.mark.parametrize("threads", [None, 1, 2])
def test_results_equal_the_cli_in_order(files, threads):
    results = hoofbeat.analyze_files(files, threads=threads)
    assert [r.path for r in results] == [str(f) for f in files]
    assert results == [cli_analysis(f) for f in files]


def test_start_times_come_from_the_file(files, formats):
    by_path = {r.path: r for r in hoofbeat.analyze_files(files)}
    assert by_path[str(formats["hbs"][0])].started_at == "2026-05-01T09:30:00.000Z"
    assert by_path[str(files[0])].started_at is None


def test_progress_callback_runs_on_the_calling_thread(files):
    calls = []
    me = threading.get_ident()

    def progress(done, total):
        calls.append((done, total, threading.get_ident() == me))

    hoofbeat.analyze_files(files, threads=2, progress=progress)
    n = len(files)
    assert calls == [(i, n, True) for i in range(1, n + 1)]


def test_an_exception_in_the_callback_stops_the_run(files):
    class Stop(Exception):
        pass

    def progress(done, total):
        raise Stop

    with pytest.raises(Stop):
        hoofbeat.analyze_files(files * 3, threads=1, progress=progress)


def test_failed_files(files, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("t,ax,ay,az,gx,gy,gz\n0,0,0,9.81,0,0,0\n0.01,0,0,9.81,0,0,oops\n")
    with pytest.raises(hoofbeat.DecodeError) as e:
        hoofbeat.analyze_files([files[0], bad])
    assert e.value.line == 3 and e.value.path == str(bad)
    results = hoofbeat.analyze_files([bad, files[0]], errors="return")
    assert isinstance(results[0], hoofbeat.DecodeError)
    assert results[1] == cli_analysis(files[0])


# The GIL, proved without timing: the session file is a named pipe whose
# content is written by another Python thread of the same process. Rust
# blocks reading the pipe; if it held the GIL, the writer thread could never
# run and the call would never return (the subprocess timeout turns that
# deadlock into a failure). The same for read().
GIL_SCRIPT = textwrap.dedent(
    """
    import os, sys, threading
    import hoofbeat
    src, fifo, fn = sys.argv[1], sys.argv[2], sys.argv[3]
    os.mkfifo(fifo)
    data = open(src, "rb").read()
    def writer():
        with open(fifo, "wb") as f:  # blocks until Rust opens the pipe
            f.write(data)
    threading.Thread(target=writer, daemon=True).start()
    if fn == "analyze_files":
        done = []
        r = hoofbeat.analyze_files([fifo], progress=lambda d, t: done.append(d))
        assert done == [1], done
        print(r[0]["quality"]["samples"])
    else:
        samples, meta = hoofbeat.read(fifo)
        print(meta["samples"])
    """
)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("fn", ["analyze_files", "read"])
def test_gil_is_released(generated, tmp_path, fn):
    fifo = tmp_path / "pipe.csv"
    r = subprocess.run(
        [sys.executable, "-c", GIL_SCRIPT, str(generated[0]), str(fifo), fn],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    n = sum(1 for _ in open(generated[0])) - 1
    assert int(r.stdout.strip()) == n
