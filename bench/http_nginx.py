#!/usr/bin/python3
"""End-to-end overhead of ebpf-instrument on nginx: wrk at saturation, with and without the agent.

Run as root with Debian's python (needs nginx, wrk, bpftool):
    /usr/bin/python3 bench/http_nginx.py                      # 3 rounds x (baseline, agent), 10 s each
    /usr/bin/python3 bench/http_nginx.py --workers 2 --rounds 5 --duration 20 --connections 100

Each round runs wrk once without the agent and once with it (the order alternates between rounds so that
drift hits both sides equally). The agent is started fresh for each agent run with
OTEL_EBPF_OPEN_PORT=<nginx port> OTEL_EBPF_TRACE_PRINTER=counter. Printed: req/s and p99 of every run, the
median throughput ratio agent/baseline, median p99 of both, the agent's CPU time (utime+stime from
/proc/<pid>/stat, from just before wrk until 1.5 s after it, so draining is included) per 10,000 requests,
and its peak RSS (VmHWM). Bars (see bench/README.md): ratio >= 0.85, CPU <= 30 ms / 10k requests, peak RSS
<= 64 MiB. This is a measurement, not a test: the exit code is 0 unless --strict is given and a bar is missed.
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
import harness  # noqa: E402  (tests/integration/harness.py: agent process handling)
from harness import launch  # noqa: E402  (tests/apps/launch.py: nginx config and process handling)

BAR_RATIO = 0.85
BAR_CPU_MS_PER_10K = 30.0
BAR_RSS_MIB = 64.0
DRAIN_S = 1.5  # agent CPU is sampled this long after wrk ends
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of a process (all threads), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def vm_hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def run_wrk(url, threads, connections, duration):
    """Runs wrk --latency; returns {'rps', 'requests', 'p50_ms', 'p99_ms', 'errors', 'non2xx'}."""
    out = subprocess.run(["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % duration, "--latency", url],
                         capture_output=True, text=True, timeout=duration + 60)
    text = out.stdout
    if out.returncode != 0 or "Requests/sec" not in text:
        raise RuntimeError("wrk failed (%d): %s %s" % (out.returncode, text, out.stderr))
    res = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
           "requests": int(re.search(r"(\d+) requests in", text).group(1)),
           "errors": 0, "non2xx": 0, "raw": text}
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(r"^\s+%s(?:\.000)?%%\s+(\S+)" % pct, text, re.M)
        res[key] = _ms(m.group(1)) if m else float("nan")
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        res["errors"] = sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        res["non2xx"] = int(m.group(1))
    return res


def agent_run(args, url, port, work, index):
    env = {"OTEL_EBPF_OPEN_PORT": str(port), "OTEL_EBPF_TRACE_PRINTER": "counter"}
    for kv in args.agent_env:
        k, _, v = kv.partition("=")
        env[k] = v
    agent = harness.Agent(os.path.join(work, "agents"), env=env, name="agent-%d" % index, binary=args.agent_bin)
    agent.start()
    try:
        time.sleep(args.settle)  # let discovery attach to nginx
        run_wrk(url, args.threads, args.connections, 1)  # short warm-up with the agent attached
        cpu0 = cpu_seconds(agent.pid)
        res = run_wrk(url, args.threads, args.connections, args.duration)
        time.sleep(DRAIN_S)
        cpu1 = cpu_seconds(agent.pid)
        res["agent_cpu_s"] = cpu1 - cpu0
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
    out_lines = [ln for ln in agent.stdout().splitlines() if ln.strip()]
    res["agent_stdout_tail"] = out_lines[-1] if out_lines else ""
    return res


def check_bars(summary, runs, args):
    """Prints the summary against the bars, writes --json; the exit code (1: --strict and a bar missed)."""
    missed = 0
    for label, value, op, bar, spec in (
            ("throughput ratio agent/baseline (median)", summary["throughput_ratio_median"], ">=", BAR_RATIO, "%.3f"),
            ("agent CPU ms per 10k requests (median)", summary["agent_cpu_ms_per_10k_median"], "<=",
             BAR_CPU_MS_PER_10K, "%.1f"),
            ("agent peak RSS MiB (max VmHWM)", summary["agent_peak_rss_mib"], "<=", BAR_RSS_MIB, "%.1f")):
        ok = value >= bar if op == ">=" else value <= bar
        missed += not ok
        print("%-44s %10s   bar %s %s   %s" % (label, spec % value, op, spec % bar, "ok" if ok else "MISSED"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "runs": [{k: v for k, v in r.items() if k != "raw"} for r in runs],
                       "summary": summary}, f, indent=2)
    return 1 if args.strict and missed else 0


def fmt(x, spec="%.1f"):
    return "n/a" if x is None or x != x else spec % x


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    ap.add_argument("--rounds", type=int, default=3, help="baseline+agent pairs (default 3)")
    ap.add_argument("--connections", type=int, default=50, help="wrk -c (default 50)")
    ap.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    ap.add_argument("--workers", type=int, default=1, choices=(1, 2), help="nginx worker processes (default 1)")
    ap.add_argument("--path", default="/", help="URL path (default /: the small static index.html)")
    ap.add_argument("--access-log", action="store_true", help="keep nginx's access log on (default off)")
    ap.add_argument("--agent-bin", default=harness.AGENT_BIN, help="default: build/ebpf-instrument or $OBI_AGENT_BIN")
    ap.add_argument("--agent-env", action="append", default=[], metavar="K=V", help="extra agent env, repeatable")
    ap.add_argument("--settle", type=float, default=1.0, help="seconds after the agent is ready (default 1)")
    ap.add_argument("--json", metavar="FILE", help="also write all figures as JSON")
    ap.add_argument("--keep", action="store_true", help="keep the scratch dir (logs)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a bar is missed")
    args = ap.parse_args()

    if os.geteuid() != 0:
        sys.exit("run as root: the agent loads BPF programs")
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            sys.exit("%s not found: apt-get install -y %s" % (tool, "wrk" if tool == "wrk" else "nginx-light"))
    if not os.path.exists(args.agent_bin):
        sys.exit("agent binary %s not found (build it or pass --agent-bin)" % args.agent_bin)

    work = tempfile.mkdtemp(prefix="obi-bench-")
    port = launch.free_port()
    nginx = launch.start_server("nginx", port, work, work, name="nginx", workers=args.workers,
                                reuseport=args.workers > 1, access_log=args.access_log)
    url = "http://127.0.0.1:%d%s" % (port, args.path)
    runs = []
    try:
        launch.nginx_workers(nginx, args.workers)
        print("nginx %d worker(s) on %s; wrk -t%d -c%d -d%ds; %d round(s); scratch %s" % (
            args.workers, url, args.threads, args.connections, args.duration, args.rounds, work), flush=True)
        run_wrk(url, args.threads, args.connections, 2)  # warm-up, not measured
        print("%-6s %-9s %12s %10s %10s %12s %14s %10s" % ("round", "mode", "req/s", "p50 ms", "p99 ms",
                                                          "requests", "agent ms/10k", "agent MiB"))
        for rnd in range(1, args.rounds + 1):
            order = ("baseline", "agent") if rnd % 2 else ("agent", "baseline")
            for mode in order:
                if mode == "baseline":
                    res = run_wrk(url, args.threads, args.connections, args.duration)
                else:
                    res = agent_run(args, url, port, work, rnd)
                res.update(round=rnd, mode=mode)
                runs.append(res)
                print("%-6d %-9s %12.0f %10s %10s %12d %14s %10s%s" % (
                    rnd, mode, res["rps"], fmt(res["p50_ms"], "%.2f"), fmt(res["p99_ms"], "%.2f"), res["requests"],
                    fmt(res.get("agent_cpu_ms_per_10k")), fmt(res.get("agent_hwm_mib")),
                    "  (errors %d, non-2xx %d)" % (res["errors"], res["non2xx"]) if res["errors"] or res["non2xx"]
                    else ""), flush=True)
    finally:
        nginx.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    base = [r for r in runs if r["mode"] == "baseline"]
    agent = [r for r in runs if r["mode"] == "agent"]
    ratios = [a["rps"] / b["rps"] for a, b in zip(sorted(agent, key=lambda r: r["round"]),
                                                  sorted(base, key=lambda r: r["round"]))]
    summary = {
        "baseline_rps_median": statistics.median(r["rps"] for r in base),
        "agent_rps_median": statistics.median(r["rps"] for r in agent),
        "throughput_ratio_median": statistics.median(ratios),
        "throughput_ratios": ratios,
        "baseline_p99_ms_median": statistics.median(r["p99_ms"] for r in base),
        "agent_p99_ms_median": statistics.median(r["p99_ms"] for r in agent),
        "agent_cpu_ms_per_10k_median": statistics.median(r["agent_cpu_ms_per_10k"] for r in agent),
        "agent_cpu_ms_per_10k_max": max(r["agent_cpu_ms_per_10k"] for r in agent),
        "agent_peak_rss_mib": max(r["agent_hwm_mib"] for r in agent),
        "agent_stdout_tail": agent[-1].get("agent_stdout_tail", ""),
    }
    print()
    print("baseline: %.0f req/s median, p99 %.2f ms" % (summary["baseline_rps_median"],
                                                        summary["baseline_p99_ms_median"]))
    print("agent:    %.0f req/s median, p99 %.2f ms" % (summary["agent_rps_median"], summary["agent_p99_ms_median"]))
    print("per-round ratios: %s" % ", ".join("%.3f" % r for r in ratios))
    if summary["agent_stdout_tail"]:
        print("agent's last stdout line: %s" % summary["agent_stdout_tail"][:200])
    return check_bars(summary, runs, args)


if __name__ == "__main__":
    sys.exit(main())
