#!/usr/bin/python3
"""End-to-end overhead of ebpf-instrument on nginx over h2c: h2load at saturation, with and without the agent.

Run as root with Debian's python (needs nginx, h2load from nghttp2-client, bpftool):
    /usr/bin/python3 bench/http2_nginx.py                        # 3 rounds x (baseline, agent), 10 s each
    /usr/bin/python3 bench/http2_nginx.py --rounds 5 --clients 20 --streams 20

The method is bench/http_nginx.py's with h2load in place of wrk: nginx (1 worker, `listen ... http2`, access log
off) serves /hello; each round runs `h2load -D <duration> -c <clients> -m <streams>` once without the agent and
once with a freshly started agent (OTEL_EBPF_OPEN_PORT=<nginx port> OTEL_EBPF_TRACE_PRINTER=counter), the order
alternating between rounds. Printed: req/s and mean request time of every run, the median throughput ratio
agent/baseline, the agent's CPU time (utime+stime, from just before h2load until 1.5 s after it) per 10,000
requests, its peak RSS, and how many spans the agent counted against how many requests h2load completed.
Bars (bench/README.md): ratio >= 0.85, CPU <= 30 ms / 10k requests, peak RSS <= 64 MiB. A measurement, not a
test: exit code 0 unless --strict is given and a bar is missed.
"""
import argparse
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
sys.path.insert(0, BENCH_DIR)
import harness  # noqa: E402  (tests/integration/harness.py: agent process handling)
from harness import launch  # noqa: E402  (tests/apps/launch.py: nginx config and process handling)
from http_nginx import DRAIN_S, check_bars, cpu_seconds, vm_hwm_kib  # noqa: E402

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def start_nginx_h2c(work, port):
    scratch = os.path.join(work, "nginx")
    conf = launch.render_nginx(scratch, port, access_log=False)
    with open(conf) as f:
        text = f.read()
    listen = "listen 127.0.0.1:%d ;" % port
    if listen not in text:
        sys.exit("tests/apps/nginx/nginx.conf.template changed: %r not found" % listen)
    with open(conf, "w") as f:
        f.write(text.replace(listen, "listen 127.0.0.1:%d http2;" % port))
    srv = launch.ServerProcess("nginx-h2c", ["nginx", "-c", conf, "-p", scratch], port, work).wait_ready()
    launch.nginx_workers(srv, 1)
    return srv


def run_h2load(url, clients, streams, threads, duration):
    """Runs h2load for `duration` s; returns {'rps', 'requests', 'mean_ms', 'failed'}."""
    out = subprocess.run(["h2load", "-D", str(duration), "-c", str(clients), "-m", str(streams), "-t", str(threads),
                          url], capture_output=True, text=True, timeout=duration + 60)
    text = out.stdout
    m = re.search(r"finished in [\d.]+\w*, ([\d.]+) req/s", text)
    r = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", text)
    if out.returncode != 0 or not m or not r:
        raise RuntimeError("h2load failed (%d): %s %s" % (out.returncode, text[-2000:], out.stderr[-1000:]))
    t = re.search(r"time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", text)
    return {"rps": float(m.group(1)), "requests": int(r.group(2)), "failed": int(r.group(3)) + int(r.group(4)),
            "mean_ms": float(t.group(1)) * _UNITS[t.group(2)] if t else float("nan")}


def agent_run(args, url, port, work, index):
    env = {"OTEL_EBPF_OPEN_PORT": str(port), "OTEL_EBPF_TRACE_PRINTER": "counter"}
    for kv in args.agent_env:
        k, _, v = kv.partition("=")
        env[k] = v
    agent = harness.Agent(os.path.join(work, "agents"), env=env, name="agent-%d" % index, binary=args.agent_bin)
    agent.start()
    try:
        time.sleep(args.settle)
        run_h2load(url, args.clients, args.streams, args.threads, 1)  # warm-up with the agent attached
        counted0 = spans_counted(agent)
        cpu0 = cpu_seconds(agent.pid)
        res = run_h2load(url, args.clients, args.streams, args.threads, args.duration)
        time.sleep(DRAIN_S)
        cpu1 = cpu_seconds(agent.pid)
        res["spans"] = spans_counted(agent) - counted0
        res["agent_cpu_ms_per_10k"] = (cpu1 - cpu0) * 1000.0 / res["requests"] * 10000 if res["requests"] else 0
        res["agent_hwm_mib"] = vm_hwm_kib(agent.pid) / 1024.0
        if agent.proc.poll() is not None:
            raise RuntimeError("agent exited during the run\n" + agent.logs())
    finally:
        try:
            agent.stop()
        except AssertionError as e:
            print("warning: agent shutdown: %s" % str(e).splitlines()[0], file=sys.stderr)
            agent.kill()
    return res


def spans_counted(agent):
    """The counter printer's last "Processed N requests"."""
    found = re.findall(r"Processed (\d+) requests", agent.stdout())
    return int(found[-1]) if found else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--duration", type=int, default=10, help="seconds per h2load run (default 10)")
    ap.add_argument("--rounds", type=int, default=3, help="baseline+agent pairs (default 3)")
    ap.add_argument("--clients", type=int, default=10, help="h2load -c: connections (default 10)")
    ap.add_argument("--streams", type=int, default=10, help="h2load -m: concurrent streams per connection (default 10)")
    ap.add_argument("--threads", type=int, default=1, help="h2load -t (default 1)")
    ap.add_argument("--path", default="/hello", help="URL path (default /hello: 5 bytes)")
    ap.add_argument("--agent-bin", default=harness.AGENT_BIN, help="default: build/ebpf-instrument or $OBI_AGENT_BIN")
    ap.add_argument("--agent-env", action="append", default=[], metavar="K=V", help="extra agent env, repeatable")
    ap.add_argument("--settle", type=float, default=1.0, help="seconds after the agent is ready (default 1)")
    ap.add_argument("--json", metavar="FILE", help="also write all figures as JSON")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a bar is missed")
    args = ap.parse_args()

    if os.geteuid() != 0:
        sys.exit("run as root: the agent loads BPF programs")
    for tool, pkg in (("h2load", "nghttp2-client"), ("nginx", "nginx-light")):
        if not shutil.which(tool):
            sys.exit("%s not found: apt-get install -y %s" % (tool, pkg))
    if not os.path.exists(args.agent_bin):
        sys.exit("agent binary %s not found (build it or pass --agent-bin)" % args.agent_bin)

    work = tempfile.mkdtemp(prefix="obi-bench-h2-")
    port = launch.free_port()
    nginx = start_nginx_h2c(work, port)
    url = "http://127.0.0.1:%d%s" % (port, args.path)
    runs = []
    try:
        print("nginx h2c on %s; h2load -c%d -m%d -t%d -D%d; %d round(s)" % (
            url, args.clients, args.streams, args.threads, args.duration, args.rounds), flush=True)
        run_h2load(url, args.clients, args.streams, args.threads, 2)  # warm-up, not measured
        print("%-6s %-9s %12s %10s %12s %12s %14s %10s" % ("round", "mode", "req/s", "mean ms", "requests", "spans",
                                                          "agent ms/10k", "agent MiB"))
        for rnd in range(1, args.rounds + 1):
            for mode in (("baseline", "agent") if rnd % 2 else ("agent", "baseline")):
                if mode == "baseline":
                    res = run_h2load(url, args.clients, args.streams, args.threads, args.duration)
                else:
                    res = agent_run(args, url, port, work, rnd)
                res.update(round=rnd, mode=mode)
                runs.append(res)
                print("%-6d %-9s %12.0f %10.2f %12d %12s %14s %10s%s" % (
                    rnd, mode, res["rps"], res["mean_ms"], res["requests"], res.get("spans", "-"),
                    "%.1f" % res["agent_cpu_ms_per_10k"] if "agent_cpu_ms_per_10k" in res else "-",
                    "%.1f" % res["agent_hwm_mib"] if "agent_hwm_mib" in res else "-",
                    "  (failed %d)" % res["failed"] if res["failed"] else ""), flush=True)
    finally:
        nginx.stop()
        shutil.rmtree(work, ignore_errors=True)

    base = sorted((r for r in runs if r["mode"] == "baseline"), key=lambda r: r["round"])
    agent = sorted((r for r in runs if r["mode"] == "agent"), key=lambda r: r["round"])
    ratios = [a["rps"] / b["rps"] for a, b in zip(agent, base)]
    summary = {
        "baseline_rps_median": statistics.median(r["rps"] for r in base),
        "agent_rps_median": statistics.median(r["rps"] for r in agent),
        "throughput_ratio_median": statistics.median(ratios),
        "throughput_ratios": ratios,
        "agent_cpu_ms_per_10k_median": statistics.median(r["agent_cpu_ms_per_10k"] for r in agent),
        "agent_peak_rss_mib": max(r["agent_hwm_mib"] for r in agent),
        "spans_per_request": [r["spans"] / r["requests"] if r["requests"] else 0 for r in agent],
    }
    print()
    print("baseline: %.0f req/s median; agent: %.0f req/s median; per-round ratios %s" % (
        summary["baseline_rps_median"], summary["agent_rps_median"], ", ".join("%.3f" % r for r in ratios)))
    print("spans counted per completed request: %s (the measured run includes 1.5 s of draining)" % ", ".join(
        "%.4f" % x for x in summary["spans_per_request"]))
    return check_bars(summary, runs, args)


if __name__ == "__main__":
    sys.exit(main())
