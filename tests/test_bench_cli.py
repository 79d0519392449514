"""The bench command end to end: ``python -m parago bench --quick`` with every
size shrunk (PARAGO_BENCH_TINY=1) prints every section, writes JSON and a
PNG, fails loudly when a kernel fails, and on Ctrl-C stops its kernel leaving
no process and no /dev/shm segment. Figures are never asserted: only that
they exist."""

from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from parago.bench import cli

pytestmark = pytest.mark.timeout(240)

TITLES = {"parallelism": "Parallelism:", "concurrency": "Concurrency:",
          "switch": "Context switch:", "hop": "One-way hop latency",
          "memory": "Goroutine memory:", "throughput": "Streaming values",
          "patterns": "Go patterns on"}


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


def test_every_section_is_printed_and_in_the_json(tmp_path):
    proc = _bench("--json", str(tmp_path / "bench.json"))
    assert proc.returncode == 0, proc.stderr
    for name, title in TITLES.items():
        assert title in proc.stdout, f"section {name} missing:\n{proc.stdout}"
    assert "done in" in proc.stderr

    doc = json.loads((tmp_path / "bench.json").read_text(), parse_constant=_reject_constant)
    assert doc["mode"] == "tiny" and doc["machine"]["usable_cores"] >= 1
    secs = doc["sections"]
    assert list(secs) == list(TITLES)
    for name, s in secs.items():
        assert s["title"].startswith(TITLES[name])
        assert len(s["data"]) == len(s["rows"]) > 0, name
        for row, figures in zip(s["rows"], s["data"], strict=True):
            assert len(row) == len(s["header"])
            assert any(isinstance(v, int | float) for v in figures.values()), (name, figures)

    pat = secs["patterns"]
    assert len(pat["data"]) == 6
    for r in pat["data"]:
        assert r["speedup"] > 0 and r["reference_speedup"] > 0 and 0 <= r["off_main"] <= 1
        assert len(r["speedups"]) == pat["params"]["runs"]

    par = secs["parallelism"]
    assert [r["procs"] for r in par["data"]] == par["params"]["procs"]
    assert all(r["parago_s"] > 0 and r["speedup"] > 0 and r["ppe_s"] > 0 for r in par["data"])
    conc = secs["concurrency"]
    assert {(r["blocked_on"], r["m"]) for r in conc["data"]} == {
        (k, m) for k in ("sleep", "chan") for m in conc["params"]["counts"]}
    assert all(r["parago_s"] > 0 and r["asyncio_s"] > 0 for r in conc["data"])
    mem = secs["memory"]
    assert [r["m"] for r in mem["data"]] == mem["params"]["counts"]
    assert all(r["parago_uss"] is not None and r["asyncio_uss"] is not None for r in mem["data"])
    for name in ("switch", "hop", "throughput"):
        assert all(r["per_op"] > 0 for r in secs[name]["data"]), name
    assert {r["impl"] for r in secs["hop"]["data"]} >= {"parago", "pipe", "mpqueue"}
    assert {(r["values"], r["impl"]) for r in secs["throughput"]["data"]} >= {
        (v, i) for v in ("int", "64KiB", "4MiB") for i in ("parago", "pipe", "mpqueue")}


def test_plot_writes_a_png(tmp_path):
    if not _has("matplotlib"):
        pytest.skip("matplotlib is not installed")
    proc = _bench("--only", "parallelism", "--only", "concurrency", "--plot",
                  str(tmp_path / "bench.png"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "bench.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_plot_without_matplotlib_is_a_clear_error(tmp_path):
    proc = _bench("--plot", str(tmp_path / "x.png"), blocked=["matplotlib"])
    assert proc.returncode == 2
    assert "--plot needs matplotlib" in proc.stderr
    assert not (tmp_path / "x.png").exists()


def test_plain_progress_without_tqdm():
    proc = _bench("--only", "hop", blocked=["tqdm"])
    assert proc.returncode == 0, proc.stderr
    assert "[1/4] hop: parago_hop" in proc.stderr
    assert TITLES["hop"] in proc.stdout and TITLES["switch"] not in proc.stdout


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
