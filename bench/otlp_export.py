#!/usr/bin/python3
"""End-to-end OTLP trace export throughput: spans per second the agent exports, on one core, to a local receiver.

Run as root with Debian's python (needs nginx, wrk or h2load, node/npm, bpftool):
    /usr/bin/python3 bench/otlp_export.py                             # grpc and http/protobuf, 10 s each
    /usr/bin/python3 bench/otlp_export.py --protocols grpc,http/protobuf,http/json --duration 20 --rounds 3
    /usr/bin/python3 bench/otlp_export.py --load h2load --connections 50

Setup per run: nginx (1 worker) serving `--path`, the agent tracing it (OTEL_EBPF_OPEN_PORT, traces only, trace
printer off) with OTLP to the Node test receiver (tests/otlp_receiver) in "drop" mode (each export is decoded and
its spans counted, nothing is written). The agent is pinned to one CPU (--agent-cpu, default the last one) and
everything else to the others, so "per second" means "per second of one core at most".
Load: wrk (or h2load --h1) at saturation for --duration seconds. Measured: requests served, spans the receiver
accepted (from its /admin/stats) and when, the agent's CPU time (utime+stime of /proc/<pid>/stat, all threads)
and its peak RSS. Printed per run: spans exported per second (wall clock, first to last span of the run),
spans per agent CPU-second, agent CPU microseconds per span, agent CPU utilisation, and spans lost (requests -
spans, from a full queue). Not a test: it prints figures and exits 0.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
sys.path.insert(0, os.path.join(REPO_DIR, "tests", "integration"))
import harness  # noqa: E402  (agent process handling)
import otlp  # noqa: E402  (the OTLP receiver, /proc helpers)
from harness import launch  # noqa: E402  (nginx)
sys.path.insert(0, BENCH_DIR)
from http_nginx import vm_hwm_kib  # noqa: E402

DRAIN_QUIET_S = 2.0   # the run ends when no span arrived for this long after the load stopped
DRAIN_MAX_S = 30.0


def run_load(tool, url, connections, duration, threads):
    """Runs wrk or h2load --h1; returns (requests completed, seconds)."""
    if tool == "wrk":
        argv = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % duration, url]
    else:
        argv = ["h2load", "--h1", "-t%d" % threads, "-c%d" % connections, "-D%d" % duration, url]
    t0 = time.monotonic()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, preexec_fn=_load_affinity)
    took = time.monotonic() - t0
    text = out.stdout
    if out.returncode != 0:
        raise RuntimeError("%s failed (%d): %s %s" % (tool, out.returncode, text[-2000:], out.stderr[-2000:]))
    if tool == "wrk":
        m = re.search(r"(\d+) requests in", text)
    else:
        m = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded", text)
    if not m:
        raise RuntimeError("cannot read the request count from %s output:\n%s" % (tool, text[-2000:]))
    return int(m.group(1)), took


OTHER_CPUS = None


def _load_affinity():
    if OTHER_CPUS:
        os.sched_setaffinity(0, OTHER_CPUS)


def pin_all_threads(pid, cpus):
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except OSError:
            pass


def accepted_spans(rx):
    return rx.stats()["traces"]["accepted_items"]


def one_run(args, protocol, url, port, work, index):
    rx = otlp.Receiver(os.path.join(work, "rx-%d" % index), faults=[{"mode": "drop", "signal": "all"}],
                       name="rx-%d" % index)
    rx.start()
    if OTHER_CPUS:
        pin_all_threads(rx.pid, OTHER_CPUS)
    env = otlp.otlp_env(rx, protocol, metrics=False, batch_timeout=args.batch_timeout)
    env.update({"OTEL_EBPF_OPEN_PORT": str(port), "OTEL_EBPF_TRACE_PRINTER": "disabled"})
    for kv in args.agent_env:
        k, _, v = kv.partition("=")
        env[k] = v
    agent = harness.Agent(os.path.join(work, "agents"), env=env, name="agent-%d" % index, binary=args.agent_bin)
    try:
        agent.start()
        pin_all_threads(agent.pid, {args.agent_cpu})
        deadline = time.monotonic() + 30
        while accepted_spans(rx) == 0:  # warm-up: the agent sees nginx and exports
            if time.monotonic() > deadline:
                raise RuntimeError("no span reached the receiver within 30 s\n%s\n%s" % (agent.logs(), rx.summary()))
            run_load(args.load, url, 2, 1, 1)
        time.sleep(1.0)
        pin_all_threads(agent.pid, {args.agent_cpu})  # threads started late (exporter workers)
        spans0, cpu0 = accepted_spans(rx), otlp.cpu_ticks(agent.pid)
        t0 = time.monotonic()
        requests, _ = run_load(args.load, url, args.connections, args.duration, args.threads)
        last, last_change = accepted_spans(rx), time.monotonic()
        while time.monotonic() - last_change < DRAIN_QUIET_S and time.monotonic() - t0 < args.duration + DRAIN_MAX_S:
            time.sleep(0.2)
            now = accepted_spans(rx)
            if now != last:
                last, last_change = now, time.monotonic()
        wall = last_change - t0
        cpu_s = (otlp.cpu_ticks(agent.pid) - cpu0) / float(otlp.CLOCK_TICKS)
        spans = last - spans0
        if agent.proc.poll() is not None:
            raise RuntimeError("agent exited during the run\n" + agent.logs())
        st = rx.stats()["traces"]
        res = {"protocol": protocol, "round": index, "requests": requests, "spans": spans, "wall_s": wall,
               "spans_per_s": spans / wall if wall > 0 else 0.0,
               "agent_cpu_s": cpu_s, "agent_cpu_util": cpu_s / wall if wall > 0 else 0.0,
               "spans_per_cpu_s": spans / cpu_s if cpu_s > 0 else float("nan"),
               "cpu_us_per_span": cpu_s * 1e6 / spans if spans else float("nan"),
               "lost": max(0, requests - spans), "export_requests": st["requests"],
               "bytes_per_span": st["bytes"] / st["items"] if st["items"] else 0.0,
               "agent_hwm_mib": vm_hwm_kib(agent.pid) / 1024.0}
    finally:
        try:
            agent.stop()
        except AssertionError as e:
            print("warning: agent shutdown: %s" % str(e).splitlines()[0], file=sys.stderr)
            agent.kill()
        rx.stop()
    return res


def main():
    global OTHER_CPUS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--protocols", default="grpc,http/protobuf", help="comma list (default grpc,http/protobuf)")
    ap.add_argument("--duration", type=int, default=10, help="seconds of load per run (default 10)")
    ap.add_argument("--rounds", type=int, default=1, help="runs per protocol (default 1)")
    ap.add_argument("--load", choices=("wrk", "h2load"), default="wrk" if shutil.which("wrk") else "h2load")
    ap.add_argument("--connections", type=int, default=20, help="load connections (default 20)")
    ap.add_argument("--threads", type=int, default=1, help="load generator threads (default 1)")
    ap.add_argument("--path", default="/api", help="URL path on nginx (default /api: 'ok')")
    ap.add_argument("--batch-timeout", default="200ms", help="OTEL_EBPF_OTLP_TRACES_BATCH_TIMEOUT (default 200ms)")
    ap.add_argument("--agent-cpu", type=int, default=(os.cpu_count() or 1) - 1, help="CPU the agent is pinned to")
    ap.add_argument("--agent-bin", default=harness.AGENT_BIN, help="default: build/ebpf-instrument or $OBI_AGENT_BIN")
    ap.add_argument("--agent-env", action="append", default=[], metavar="K=V", help="extra agent env, repeatable")
    ap.add_argument("--json", metavar="FILE", help="also write all figures as JSON")
    ap.add_argument("--keep", action="store_true", help="keep the scratch dir (logs)")
    args = ap.parse_args()

    if os.geteuid() != 0:
        sys.exit("run as root: the agent loads BPF programs")
    for tool in (args.load, "nginx", "node"):
        if not shutil.which(tool):
            sys.exit("%s not found" % tool)
    if not os.path.exists(args.agent_bin):
        sys.exit("agent binary %s not found (build it or pass --agent-bin)" % args.agent_bin)
    OTHER_CPUS = set(range(os.cpu_count() or 1)) - {args.agent_cpu} or None
    otlp.ensure_receiver_installed()

    work = tempfile.mkdtemp(prefix="obi-otlp-bench-")
    port = launch.free_port()
    nginx = launch.start_server("nginx", port, work, work, name="nginx", workers=1, access_log=False)
    if OTHER_CPUS:
        pin_all_threads(nginx.pid, OTHER_CPUS)
        for kid in launch.nginx_workers(nginx, 1):
            pin_all_threads(kid, OTHER_CPUS)
    url = "http://127.0.0.1:%d%s" % (port, args.path)
    print("nginx on %s; %s -c%d for %ds; agent on CPU %d, the rest on %s; scratch %s" % (
        url, args.load, args.connections, args.duration, args.agent_cpu, sorted(OTHER_CPUS or []), work), flush=True)
    header = ("%-14s %5s %10s %10s %8s %12s %12s %10s %9s %9s %8s %8s" % (
        "protocol", "round", "requests", "spans", "wall s", "spans/s", "spans/cpu-s", "cpu us/sp", "agent cpu",
        "lost", "B/span", "RSS MiB"))
    runs = []
    try:
        print(header)
        index = 0
        for rnd in range(1, args.rounds + 1):
            for protocol in args.protocols.split(","):
                index += 1
                r = one_run(args, protocol.strip(), url, port, work, index)
                r["round"] = rnd
                runs.append(r)
                print("%-14s %5d %10d %10d %8.1f %12.0f %12.0f %10.2f %8.0f%% %9d %8.0f %8.1f" % (
                    r["protocol"], rnd, r["requests"], r["spans"], r["wall_s"], r["spans_per_s"], r["spans_per_cpu_s"],
                    r["cpu_us_per_span"], 100 * r["agent_cpu_util"], r["lost"], r["bytes_per_span"],
                    r["agent_hwm_mib"]), flush=True)
    finally:
        nginx.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print()
    for protocol in args.protocols.split(","):
        rs = [r for r in runs if r["protocol"] == protocol.strip()]
        if rs:
            print("%-14s median: %.0f spans/s exported, %.0f spans per agent CPU-second (%.2f us/span), "
                  "%.0f%% of one core" % (protocol, statistics.median(r["spans_per_s"] for r in rs),
                                          statistics.median(r["spans_per_cpu_s"] for r in rs),
                                          statistics.median(r["cpu_us_per_span"] for r in rs),
                                          100 * statistics.median(r["agent_cpu_util"] for r in rs)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": runs, "args": vars(args)}, f, indent=2)


if __name__ == "__main__":
    main()
