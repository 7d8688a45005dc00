"""Measure the box under load: requests per second, latency and memory, against a static server.

Starts ``eore serve`` as in production (waitress on loopback, its own process,
a fresh data folder built by a first boot, Python's compiled bytecode kept)
once a run, and measures with wrk (``--latency``, gzip accepted as phones ask):

- the bytes of the lesson page and its CSS (gzip), as bench/run.py does;
- requests per second, median and 99th percentile latency of the lesson page
  (/en/lessons/if-you-find-one) and the home page (/en/) with 1, 8 and 32
  connections at once; non-2xx answers and socket errors count as errors;
- resident memory (VmRSS) of the server idle, after the start and one request
  of each kind of page, and under load: the most seen while 32 connections
  read pages;
- the time from launching the process to the first 200 on /healthz, with a
  built data folder (and on the first boot);
- quizzes stored per second when 8 and when 32 phones send at once (each
  phone reads its forms first, as QuizTaker does); every answer must be a 200
  and the database must hold every quiz;
- the same lesson page saved as served (uncompressed HTML) and served by
  ``python -m http.server`` (its own process, as it comes: HTTP/1.0, a new
  connection for each request): the same wrk measurements, and each of our
  throughputs as a ratio to that static server's;
- with a synthetic pack 10 and 100 times larger (bench/genpack.py, checked by
  ``eore check``): launch (built data folder, and first boot), memory idle and
  under load, the lesson page with 32 connections, and each as a ratio to the
  starter pack's in the same run.

Prints one table of the median, min and max over the runs against the
budgets, with PASS or FAIL for each budget. The exit code is 0 even when a
budget fails: this is a measurement. The load generator runs on the same
machine as the server: both share its cores.

Usage: python bench/load.py [--runs 3] [--seconds 5] [--scales 1,10,100] [--json FILE]
Needs wrk (Debian's package ``wrk``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from genpack import STARTER_PACK, make_pack  # noqa: E402
from run import (  # noqa: E402  (the launcher and the phones of the page benchmark)
    EORE,
    QUIZ_PATH,
    QuizTaker,
    fetch,
    free_port,
    launch,
    page_bytes,
    resident_mb,
    stored_attempts,
)

LESSON = "/en/lessons/if-you-find-one"
HOME = "/en/"
# One request of each kind before the idle memory is read.
PAGE_KINDS = (
    HOME,
    "/en/lessons/",
    LESSON,
    LESSON + "/guide",
    QUIZ_PATH,
    "/en/curriculum",
    "/en/help",
    "/en/report",
)
CONNECTIONS = (1, 8, 32)
LOADED = 32  # connections of the loaded measurements
QUIZ_LOADS = ((8, 20), (32, 5))  # phones sending at once, quizzes each
BUDGETS = {
    "lesson_bytes": ("<=", 20 * 1024),  # DESIGN.md: a lesson page and its CSS under 20 KB
    "lesson_rps_32": (">=", 1000),
    "lesson_p99_32": ("<=", 100),
    "rss_loaded_mb": ("<=", 60),
    "launch_s": ("<=", 1.0),
    "errors_lesson": ("<=", 0),
    "errors_home": ("<=", 0),
    "quiz_errors": ("<=", 0),
}
SCALE_BUDGETS = {  # with the pack 100 times larger
    100: {
        "launch_s": ("<=", 5.0),
        "rss_loaded_mb": ("<=", 200),
        "ratio_p50": ("<=", 1.2),
        "ratio_p99": ("<=", 1.2),
        "errors": ("<=", 0),
    }
}
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def find_wrk() -> str:
    """Return the path of wrk, or stop with how to install it."""
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is missing: install Debian's wrk (sudo apt-get install wrk)")
    return found


def milliseconds(text: str) -> float:
    """Return wrk's latency text (e.g. '1.52ms', '830.00us', '1.10s') in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"not a wrk latency: {text!r}")
    return float(match[1]) * UNITS[match[2]]


def parse_wrk(output: str) -> dict:
    """Return requests/s, latency percentiles (ms) and errors from wrk --latency output."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if not rate or not total:
        raise ValueError("no 'Requests/sec' in wrk's output:\n" + output)
    latency = {
        int(match[1]): milliseconds(match[2])
        for match in re.finditer(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.M)
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = sum(int(n) for n in sockets.groups()) if sockets else 0
    return {
        "rps": float(rate[1]),
        "requests": int(total[1]),
        "p50_ms": latency.get(50, float("nan")),
        "p99_ms": latency.get(99, float("nan")),
        "non_2xx": int(non_2xx[1]) if non_2xx else 0,
        "socket_errors": socket_errors,
        "errors": (int(non_2xx[1]) if non_2xx else 0) + socket_errors,
    }


class PeakMemory:
    """Sample a process's resident memory (VmRSS) in a thread; keep the most seen."""

    def __init__(self, pid: int | None, every: float = 0.05):
        self.pid, self.every, self.peak = pid, every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            with contextlib.suppress(OSError):
                self.peak = max(self.peak, resident_mb(self.pid))
            if self._stop.wait(self.every):
                return

    def __enter__(self):
        if self.pid is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def wrk(url: str, connections: int, seconds: float, pid: int | None = None) -> dict:
    """Load ``url`` with wrk; return its figures (and the peak memory of ``pid``, if given)."""
    threads = 1 if connections == 1 else 2
    command = [
        find_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "-H",
        "Accept-Encoding: gzip",
        url,
    ]
    with PeakMemory(pid) as memory:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed on {url}:\n{done.stdout}{done.stderr}")
    figures = parse_wrk(done.stdout)
    if pid is not None:
        figures["peak_rss_mb"] = memory.peak
    return figures


def stop(process: subprocess.Popen) -> None:
    """Stop a server this benchmark started, for sure."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def box(pack: Path):
    """Serve ``pack`` from a fresh data folder built by a first boot; yield its figures.

    Yields (process, base, data, cold, warm): the running server, its address,
    its data folder and the seconds to the first 200 on the first boot and on
    the start that is measured (a built data folder, as on a box every day).
    """
    saved = os.environ.get("EORE_CONTENT")
    os.environ["EORE_CONTENT"] = str(pack)  # launch() passes the environment on
    try:
        with tempfile.TemporaryDirectory(prefix="eore-load-") as data:
            process, _base, cold = launch(data)
            stop(process)
            process, base, warm = launch(data)
            try:
                yield process, base, data, cold, warm
            finally:
                stop(process)
    finally:
        if saved is None:
            os.environ.pop("EORE_CONTENT", None)
        else:
            os.environ["EORE_CONTENT"] = saved


def visit_every_kind(base: str) -> None:
    """Ask once for each kind of page, as phones would after a start."""
    for path in PAGE_KINDS:
        status = fetch(base + path)[0]
        if status != 200:
            raise SystemExit(f"{path} answered {status}")


def quiz_throughput(base: str, data: str, phones: int, each: int) -> dict:
    """Let ``phones`` phones send ``each`` quizzes at the same moment; return quizzes/s."""
    before = stored_attempts(data)
    outcomes: list = []
    ends: list[float] = []
    started: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(phones, action=lambda: started.append(time.perf_counter()))

    def phone():
        taker = QuizTaker(base)
        try:
            forms = [taker.open_form(QUIZ_PATH) for _ in range(each)]
        except OSError:
            barrier.abort()
            raise
        barrier.wait()
        mine = []
        for fields in forms:
            try:
                mine.append(taker.send(QUIZ_PATH, fields))
            except OSError as error:
                mine.append(f"{type(error).__name__}: {error}")
        with lock:
            outcomes.extend(mine)
            ends.append(time.perf_counter())

    threads = [threading.Thread(target=phone) for _ in range(phones)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if not started or len(ends) != phones:
        raise SystemExit("a phone could not read its quiz form")
    stored = stored_attempts(data) - before
    sent = phones * each
    failed = sum(outcome != 200 for outcome in outcomes)
    return {
        "per_second": stored / (max(ends) - started[0]),
        "sent": sent,
        "stored": stored,
        "errors": failed + abs(sent - stored),
    }


@contextlib.contextmanager
def static_server(html: bytes):
    """Serve ``html`` as /lesson.html with ``python -m http.server``; yield its address."""
    with tempfile.TemporaryDirectory(prefix="eore-static-") as folder:
        Path(folder, "lesson.html").write_bytes(html)
        port = free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "http.server",
                str(port),
                "--bind",
                "127.0.0.1",
                "--directory",
                folder,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}/lesson.html"
            deadline = time.monotonic() + 15
            while True:
                try:
                    if fetch(url)[0] == 200:
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit("python -m http.server did not start") from None
                    time.sleep(0.02)
            yield url
        finally:
            stop(process)


def measure_starter(seconds: float) -> tuple[dict, bytes]:
    """Measure the starter pack's box; return its figures and the lesson's HTML as served."""
    figures: dict = {}
    with box(STARTER_PACK) as (process, base, data, cold, warm):
        figures["launch_s"], figures["cold_launch_s"] = warm, cold
        figures["lesson_bytes"] = page_bytes(base, LESSON)
        visit_every_kind(base)
        figures["rss_idle_mb"] = resident_mb(process.pid)
        peaks = []
        for name, path in (("lesson", LESSON), ("home", HOME)):
            errors = 0
            for connections in CONNECTIONS:
                loaded = connections == LOADED
                result = wrk(base + path, connections, seconds, process.pid if loaded else None)
                figures[f"{name}_rps_{connections}"] = result["rps"]
                figures[f"{name}_p50_{connections}"] = result["p50_ms"]
                figures[f"{name}_p99_{connections}"] = result["p99_ms"]
                errors += result["errors"]
                if loaded:
                    peaks.append(result["peak_rss_mb"])
            figures[f"errors_{name}"] = errors
        figures["rss_loaded_mb"] = max(peaks)
        quiz_errors = 0
        for phones, each in QUIZ_LOADS:
            result = quiz_throughput(base, data, phones, each)
            figures[f"quizzes_per_s_{phones}"] = result["per_second"]
            quiz_errors += result["errors"]
        figures["quiz_errors"] = quiz_errors
        with urllib.request.urlopen(base + LESSON, timeout=10) as response:  # no gzip asked
            html = response.read()
    return figures, html


def measure_static(html: bytes, seconds: float, figures: dict) -> None:
    """Measure the static server on the lesson's HTML; add it and our ratios to ``figures``."""
    with static_server(html) as url:
        errors = 0
        for connections in CONNECTIONS:
            result = wrk(url, connections, seconds)
            figures[f"static_rps_{connections}"] = result["rps"]
            figures[f"static_p99_{connections}"] = result["p99_ms"]
            errors += result["errors"]
            for name in ("lesson", "home"):
                figures[f"{name}_vs_static_{connections}"] = (
                    figures[f"{name}_rps_{connections}"] / result["rps"]
                )
        figures["errors_static"] = errors


def measure_scale(pack: Path, seconds: float, starter: dict) -> dict:
    """Measure a larger pack's box and its ratios to the starter pack's figures."""
    with box(pack) as (process, base, _data, cold, warm):
        visit_every_kind(base)
        idle = resident_mb(process.pid)
        result = wrk(base + LESSON, LOADED, seconds, process.pid)
    figures = {
        "launch_s": warm,
        "cold_launch_s": cold,
        "rss_idle_mb": idle,
        "rss_loaded_mb": result["peak_rss_mb"],
        "rps": result["rps"],
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
        "errors": result["errors"],
    }
    figures.update(
        ratio_launch=warm / starter["launch_s"],
        ratio_rss_idle=idle / starter["rss_idle_mb"],
        ratio_rss_loaded=result["peak_rss_mb"] / starter["rss_loaded_mb"],
        ratio_rps=result["rps"] / starter[f"lesson_rps_{LOADED}"],
        ratio_p50=result["p50_ms"] / starter[f"lesson_p50_{LOADED}"],
        ratio_p99=result["p99_ms"] / starter[f"lesson_p99_{LOADED}"],
    )
    return figures


def make_packs(scales: list[int], folder: Path) -> dict[int, Path]:
    """Write the larger packs and check each with ``eore check``; return them by scale."""
    packs = {}
    for scale in scales:
        pack = folder / f"pack-x{scale}"
        made = make_pack(scale, pack)
        checked = subprocess.run(
            [str(EORE), "check", str(pack)], capture_output=True, text=True, timeout=600
        )
        if checked.returncode != 0:
            raise SystemExit(
                f"eore check refused the x{scale} pack (exit {checked.returncode}):\n"
                + checked.stdout[-3000:]
                + checked.stderr[-3000:]
            )
        print(f"x{scale} pack: {made['lessons']} lessons, accepted by eore check", flush=True)
        packs[scale] = pack
    return packs


def rows(scales: list[int]) -> list[tuple[str, str, tuple | None]]:
    """Return the table's rows: label, key in a run's figures, budget."""
    table = [("lesson page + CSS, gzip (bytes)", "lesson_bytes")]
    for name, label in (("lesson", "lesson page"), ("home", "home page")):
        for connections in CONNECTIONS:
            at = f"{label}, {connections:2d} conn."
            table.append((f"{at}: requests/s", f"{name}_rps_{connections}"))
            if connections == LOADED:
                table.append((f"{at}: p50 (ms)", f"{name}_p50_{connections}"))
            table.append((f"{at}: p99 (ms)", f"{name}_p99_{connections}"))
        table.append((f"{label}: wrk errors (non-2xx, socket)", f"errors_{name}"))
    for connections in CONNECTIONS:
        at = f"static server, {connections:2d} conn."
        table.append((f"{at}: requests/s", f"static_rps_{connections}"))
        table.append((f"{at}: p99 (ms)", f"static_p99_{connections}"))
    table.append(("static server: wrk errors (non-2xx, socket)", "errors_static"))
    for name, label in (("lesson", "lesson page"), ("home", "home page")):
        for connections in CONNECTIONS:
            table.append(
                (
                    f"{label} / static, {connections:2d} conn. (ratio)",
                    f"{name}_vs_static_{connections}",
                )
            )
    table += [
        ("memory idle, one page of each kind (MB)", "rss_idle_mb"),
        (f"memory under load, {LOADED} conn. (MB)", "rss_loaded_mb"),
        ("launch to first 200, built data (s)", "launch_s"),
        ("launch to first 200, first boot (s)", "cold_launch_s"),
    ]
    for phones, _each in QUIZ_LOADS:
        table.append((f"quizzes stored/s, {phones} phones at once", f"quizzes_per_s_{phones}"))
    table.append(("quiz errors (not 200, or not stored)", "quiz_errors"))
    for scale in scales:
        x = f"x{scale} pack"
        table += [
            (f"{x}: launch to first 200, built data (s)", f"x{scale}.launch_s"),
            (f"{x}: launch to first 200, first boot (s)", f"x{scale}.cold_launch_s"),
            (f"{x}: memory idle (MB)", f"x{scale}.rss_idle_mb"),
            (f"{x}: memory under load (MB)", f"x{scale}.rss_loaded_mb"),
            (f"{x}: lesson, {LOADED} conn.: requests/s", f"x{scale}.rps"),
            (f"{x}: lesson, {LOADED} conn.: p50 (ms)", f"x{scale}.p50_ms"),
            (f"{x}: lesson, {LOADED} conn.: p99 (ms)", f"x{scale}.p99_ms"),
            (f"{x}: wrk errors (non-2xx, socket)", f"x{scale}.errors"),
            (f"{x} / x1: launch (ratio)", f"x{scale}.ratio_launch"),
            (f"{x} / x1: memory idle (ratio)", f"x{scale}.ratio_rss_idle"),
            (f"{x} / x1: memory under load (ratio)", f"x{scale}.ratio_rss_loaded"),
            (f"{x} / x1: requests/s (ratio)", f"x{scale}.ratio_rps"),
            (f"{x} / x1: p50 (ratio)", f"x{scale}.ratio_p50"),
            (f"{x} / x1: p99 (ratio)", f"x{scale}.ratio_p99"),
        ]
    budgets = dict(BUDGETS)
    for scale, limits in SCALE_BUDGETS.items():
        budgets.update({f"x{scale}.{key}": limit for key, limit in limits.items()})
    return [(label, key, budgets.get(key)) for label, key in table]


def shown(value: float) -> str:
    """Return a figure with as many decimals as it deserves."""
    if value != value:  # NaN: wrk gave no figure
        return "n/a"
    if isinstance(value, int) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def flatten(run: dict) -> dict:
    """Return a run's figures with the larger packs' figures as 'x10.key'."""
    flat = {key: value for key, value in run.items() if key != "scales"}
    for scale, figures in run.get("scales", {}).items():
        flat.update({f"x{scale}.{key}": value for key, value in figures.items()})
    return flat


def print_table(runs: list[dict], scales: list[int]) -> list[str]:
    """Print the medians, min and max against the budgets; return the failed budgets."""
    flat = [flatten(run) for run in runs]
    failed, checked = [], 0
    print(
        f"\n{'figure':48} {'median':>9} {'min':>9} {'max':>9} {'budget':>9}  result",
    )
    for label, key, budget in rows(scales):
        values = [run[key] for run in flat if key in run]
        if not values:
            continue
        median = statistics.median(values)
        cells = " ".join(f"{shown(v):>9}" for v in (median, min(values), max(values)))
        limit, verdict = "", ""
        if budget is not None:
            sign, bound = budget
            checked += 1
            good = median >= bound if sign == ">=" else median <= bound
            verdict = "PASS" if good else "FAIL"
            limit = f"{sign}{shown(bound)}"
            if not good:
                failed.append(f"{label}: median {shown(median)}, budget {limit}")
        print(f"{label:48} {cells} {limit:>9}  {verdict}")
    print(f"\nbudgets: {checked - len(failed)} of {checked} PASS, {len(failed)} FAIL")
    for line in failed:
        print(f"FAIL {line}")
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5, help="length of each wrk measurement")
    parser.add_argument(
        "--scales", default="1,10,100", help="pack sizes, times the starter pack (1 is always)"
    )
    parser.add_argument("--json", help="also write every run's figures to this file")
    args = parser.parse_args()
    find_wrk()
    try:
        scales = sorted({int(scale) for scale in args.scales.split(",") if scale.strip()} - {1})
    except ValueError:
        parser.error("--scales takes whole numbers separated by commas, e.g. 1,10,100")
    if args.runs < 1 or args.seconds < 1 or any(scale < 1 for scale in scales):
        parser.error("--runs, --seconds and the scales must be at least 1")
    runs = []
    with tempfile.TemporaryDirectory(prefix="eore-packs-") as folder:
        packs = make_packs(scales, Path(folder))
        for number in range(1, args.runs + 1):
            figures, html = measure_starter(args.seconds)
            measure_static(html, args.seconds, figures)
            figures["scales"] = {
                scale: measure_scale(pack, args.seconds, figures) for scale, pack in packs.items()
            }
            runs.append(figures)
            print(
                f"run {number}: lesson page {figures[f'lesson_rps_{LOADED}']:.0f} requests/s "
                f"at {LOADED} connections, p99 {figures[f'lesson_p99_{LOADED}']:.1f} ms; "
                f"static server {figures[f'static_rps_{LOADED}']:.0f} requests/s",
                flush=True,
            )
    print(
        f"\nmedians over {args.runs} runs; wrk {args.seconds:g} s each, gzip accepted; "
        f"server and load generator on this machine ({os.cpu_count()} cores)"
    )
    print_table(runs, scales)
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
