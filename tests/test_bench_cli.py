"""The bench command end to end: ``python -m parago bench --quick`` with every
size shrunk (PARAGO_BENCH_TINY=1) prints every section in tables of at most
100 columns with right-aligned figures, writes JSON and a PNG, writes no
carriage-return frame when stderr is not a terminal, fails loudly when a
kernel fails, and on Ctrl-C stops its kernel leaving no process and no
/dev/shm segment; ``parago --version`` and ``--help``; the statistics, the
noise marks and the efficiency flag on made-up figures. Measured figures are
never asserted: only that they exist."""

from __future__ import annotations

import glob
import json
import os
import re
import signal
import subprocess
import sys
import time

import psutil
import pytest

import parago
from parago.bench import cli, plot, suite
from parago.bench.stats import Sample, paired_ratio

pytestmark = pytest.mark.timeout(240)

TITLES = {"parallelism": "Parallelism:", "concurrency": "Concurrency:",
          "switch": "Context switch:", "hop": "One-way hop latency",
          "memory": "Goroutine memory:", "throughput": "Streaming values",
          "patterns": "Go patterns on", "pool": "WorkerPool, tiny tasks"}


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARAGO_")}
    return {**env, "PARAGO_BENCH_TINY": "1", **extra}


def _bench(*args, env=None, blocked=()) -> subprocess.CompletedProcess:
    """Run the CLI in a subprocess; ``blocked`` modules import as missing."""
    code = ("import sys\n"
            f"for m in {list(blocked)!r}: sys.modules[m] = None\n"
            "from parago.__main__ import main\n"
            "sys.exit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, "bench", "--quick", *args],
                          capture_output=True, text=True, env=env or _env(), timeout=200)


def _has(module: str) -> bool:
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def _reject_constant(name):
    raise AssertionError(f"non-standard JSON constant {name}")


def _figure(f) -> bool:
    """A figure of the JSON: a sample (median and its runs) or a number."""
    if isinstance(f, dict):
        return f["min"] <= f["median"] <= f["max"] and len(f["values"]) >= 1
    return isinstance(f, int | float)


def test_every_section_is_printed_and_in_the_json(tmp_path):
    args = ["--json", str(tmp_path / "bench.json")]
    if _has("matplotlib"):
        args += ["--plot", str(tmp_path / "bench.png")]      # every panel
    proc = _bench(*args)
    assert proc.returncode == 0, proc.stderr
    for name, title in TITLES.items():
        assert title in proc.stdout, f"section {name} missing:\n{proc.stdout}"
    assert "done in" in proc.stderr
    assert "\r" not in proc.stderr                 # stderr is a pipe: no progress frames
    wide = [line for line in proc.stdout.splitlines() if len(line) > 100]
    assert not wide, f"lines over 100 columns: {wide}"
    if _has("matplotlib"):
        assert (tmp_path / "bench.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    doc = json.loads((tmp_path / "bench.json").read_text(), parse_constant=_reject_constant)
    assert doc["mode"] == "tiny" and doc["machine"]["usable_cores"] >= 1
    secs = doc["sections"]
    assert list(secs) == list(TITLES)
    for name, s in secs.items():
        assert s["title"].startswith(TITLES[name])
        assert len(s["data"]) == len(s["rows"]) > 0, name
        for row, figures in zip(s["rows"], s["data"], strict=True):
            assert len(row) == len(s["header"])
            assert any(_figure(v) for v in figures.values()), (name, figures)
    assert doc["rounds"] == 2 and len(doc["load_average"]["start"]) == 3

    pat = secs["patterns"]
    assert len(pat["data"]) == 6
    for r in pat["data"]:
        assert _figure(r["speedup"]) and _figure(r["reference_speedup"])
        assert 0 < r["off_main"]["median"] <= 1
        assert len(r["speedup"]["values"]) == pat["params"]["runs"]

    par = secs["parallelism"]
    assert [r["procs"] for r in par["data"]] == par["params"]["procs"]
    assert all(len(r["parago_s"]["values"]) == par["rounds"] == 2 for r in par["data"])
    assert all(_figure(r["speedup"]) and _figure(r["ppe_s"]) for r in par["data"])
    conc = secs["concurrency"]
    assert {(r["blocked_on"], r["m"]) for r in conc["data"]} == {
        (k, m) for k in ("sleep", "chan") for m in conc["params"]["counts"]}
    assert all(_figure(r["parago_s"]) and _figure(r["asyncio_s"]) for r in conc["data"])
    mem = secs["memory"]
    assert [r["m"] for r in mem["data"]] == mem["params"]["counts"]
    assert all(_figure(r["parago_uss"]) and _figure(r["asyncio_per"]) for r in mem["data"])
    for name in ("switch", "hop", "throughput"):
        assert all(_figure(r["per_op"]) for r in secs[name]["data"]), name
    assert {(r["chunksize"], r["impl"]) for r in secs["pool"]["data"]} == {
        (c, i) for c in (1, 100) for i in ("parago", "multiprocessing")}
    assert {r["impl"] for r in secs["hop"]["data"]} >= {"parago", "pipe", "mpqueue"}
    assert {(r["values"], r["impl"]) for r in secs["throughput"]["data"]} >= {
        (v, i) for v in ("int", "64KiB", "4MiB") for i in ("parago", "pipe", "mpqueue")}


def test_the_plot_caption_names_machine_cores_python_date_and_mode():
    run = {"mode": "full", "rounds": 5, "date": "2031-01-02T03:04:05+00:00",
           "machine": {"parago": "9.9", "usable_cores": 7, "cpu": "Some CPU",
                       "implementation": "CPython", "python": "3.99.0", "platform": "Linux-x"},
           "load_average": {"start": [1.5, 1, 1], "end": [2.5, 1, 1]}}
    text = plot.caption(run)
    for part in ("(full, 5 interleaved runs", "7 usable cores, Some CPU", "CPython 3.99.0",
                 "2031-01-02", "load average 1.50 at the start, 2.50 at the end"):
        assert part in text


def test_plot_without_matplotlib_is_a_clear_error(tmp_path):
    proc = _bench("--plot", str(tmp_path / "x.png"), blocked=["matplotlib"])
    assert proc.returncode == 2
    assert "--plot needs matplotlib" in proc.stderr
    assert not (tmp_path / "x.png").exists()


def test_plain_progress_without_tqdm():
    proc = _bench("--only", "hop", blocked=["tqdm"])
    assert proc.returncode == 0, proc.stderr
    assert "[1/8] hop: parago_hop" in proc.stderr           # 4 kernels x 2 runs
    assert TITLES["hop"] in proc.stdout and TITLES["switch"] not in proc.stdout


def test_figures_are_right_aligned_in_the_table():
    proc = _bench("--only", "hop")
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout.split(TITLES["hop"])[1].split("\n\n")[0]
    rows = [ln for ln in table.splitlines() if ln.startswith(("parago chan", "multiprocessing"))]
    assert len(rows) >= 3
    assert len({len(r) for r in rows}) == 1, rows     # the last column ends where they all do
    cells = [re.split(r"\s{2,}", r) for r in rows]          # name, hop, ratio
    hop_end = {r.index(c[1]) + len(c[1]) for r, c in zip(rows, cells, strict=True)}
    assert len(hop_end) == 1, rows                        # the hop figures end in one column


def test_version_and_help():
    for cmd in ([sys.executable, "-m", "parago", "--version"], ["parago", "--version"]):
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and done.stdout.startswith("parago " + parago.__version__)
    done = subprocess.run([sys.executable, "-m", "parago", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0
    assert "commands:" in done.stdout and "bench" in done.stdout and "--version" in done.stdout


def _section_with(results_for):
    """The parallelism section (procs 1 and 2) built from made-up results."""
    s = suite.parallelism(True, [1, 2])
    s.build(s, {k.key: results_for(k) for k in s.kernels})
    s.note_noise()
    return s


def test_efficiency_above_100_percent_is_flagged_as_noise():
    # procs=2 ran the batch in a third of procs=1's time: 150% efficiency.
    s = _section_with(lambda k: [{"seconds": 3.0 if k.kwargs["procs"] == 1 else 1.0}] * 3)
    row = s.rows[1]
    assert row[3] == "150% (noise)" and s.data[1]["efficiency_is_noise"] is True
    assert s.rows[0][3] == "100%" and s.noisy == 0 and not s.notes


def test_noisy_figures_are_marked_and_noted_with_the_load_average():
    spread = iter([1.0, 2.0, 1.5] * 100)
    s = _section_with(lambda k: [{"seconds": next(spread)} for _ in range(3)])
    assert s.noisy == s.samples > 0
    assert all(c.endswith("*") for c in s.rows[0][1::2][:1])
    assert "noisy:" in s.notes[-1] and "load average" in s.notes[-1]


def test_statistics_are_pyperf_s():
    smp = Sample.of([1.0, 2.0, 4.0])
    assert (smp.median, smp.min, smp.max) == (2.0, 1.0, 4.0)
    assert smp.spread == 1.0 and smp.noisy
    assert not Sample.of([1.0, 1.01, 0.99]).noisy
    assert Sample.of([None, None]) is None
    assert paired_ratio(Sample.of([1.0, 2.0]), Sample.of([3.0, 4.0])).values == (3.0, 2.0)


def test_statistics_without_pyperf_agree_with_pyperf(monkeypatch):
    # The bench runs without its extra: the stdlib figures stand in for pyperf's.
    values = [1.0, 2.0, 4.0, 3.5]
    monkeypatch.setitem(sys.modules, "pyperf", None)      # import pyperf -> ImportError
    fallback = Sample.of(values)
    got = (fallback.median, fallback.variation, fallback.noisy)
    monkeypatch.undo()
    pyperf = pytest.importorskip("pyperf")
    assert pyperf is not None
    want = Sample.of(values)
    assert got == pytest.approx((want.median, want.variation, want.noisy))


def test_procs_option():
    assert cli.parse(["--procs", "3"]).procs == [1, 2, 3]
    assert cli.parse(["--procs", "4,2"]).procs == [2, 4]
    proc = _bench("--only", "parallelism", "--procs", "1")
    assert proc.returncode == 0, proc.stderr
    assert "parallelism: parago_cpu" in proc.stderr and "procs=2" not in proc.stderr


def test_failing_parago_kernel_fails_the_bench():
    proc = _bench("--only", "switch", env=_env(PARAGO_BENCH_FAIL="switch:parago_handoff"))
    assert proc.returncode == 1
    assert "bench failed: parago.bench.switch:parago_handoff" in proc.stderr
    assert "injected failure" in proc.stderr


def test_failing_peer_kernel_is_noted_and_fails_the_bench():
    proc = _bench("--only", "switch", env=_env(PARAGO_BENCH_FAIL="switch:asyncio_queue"))
    assert proc.returncode == 1
    assert "note: asyncio_queue" in proc.stdout and "injected failure" in proc.stdout
    assert "bench failed: 1 peer kernel(s) failed" in proc.stderr
    assert "parago chan (procs=1)" in proc.stdout            # the rest was measured


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _segments(pid: int) -> list[str]:
    return glob.glob(f"/dev/shm/parago_{pid}_*")


@pytest.mark.parametrize("section", ["concurrency", "hop"])   # procs=1, and procs=2 (a worker)
def test_ctrl_c_stops_cleanly(section):
    # Quick sizes (not tiny): a parago kernel's runtime lives long enough to be seen.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARAGO_")}
    bench = subprocess.Popen([sys.executable, "-m", "parago", "bench", "--quick", "--only",
                              section], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
    seen: dict[int, psutil.Process] = {}
    try:
        deadline = time.monotonic() + 120
        while True:         # until a kernel is inside pg.run: its segment exists
            try:
                kids = psutil.Process(bench.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                kids = []
            seen.update((p.pid, p) for p in kids)
            if any(_segments(p.pid) for p in kids):
                break
            assert bench.poll() is None, "the bench ended before a runtime was seen"
            assert time.monotonic() < deadline, "no kernel runtime seen"
            time.sleep(0.002)
        bench.send_signal(signal.SIGINT)
        out, err = bench.communicate(timeout=60)
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.communicate()
    assert bench.returncode == 130, err
    assert "bench interrupted" in err
    deadline = time.monotonic() + 10
    while True:
        alive = [p for p in seen.values() if _alive(p)]
        left = [s for pid in seen for s in _segments(pid)]
        if not alive and not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not alive, f"processes left: {[(p.pid, p.cmdline()) for p in alive]}"
    assert not left, f"segments left: {left}"
