#!/usr/bin/python3
"""End-to-end overhead of ebpf-instrument on nginx over HTTPS (TLS plaintext from the libssl uprobes).

Run as root with Debian's python (needs nginx, wrk, openssl, bpftool):
    /usr/bin/python3 bench/https_nginx.py                        # 3 rounds x (baseline, agent), 10 s each
    /usr/bin/python3 bench/https_nginx.py --rounds 5 --connections 100 --path /api

The method is bench/http_nginx.py's over TLS: nginx (1 worker, `listen ... ssl`, a self-signed P-256
certificate, TLS 1.3, access log off) serves the sample pages; wrk keeps its connections alive, so the cost
measured is the per-request one (SSL_read/SSL_write uprobes and uretprobes, the hidden ciphertext calls), not
handshakes. Each round runs wrk once without the agent and once with a freshly started agent
(OTEL_EBPF_OPEN_PORT=<nginx port> OTEL_EBPF_TRACE_PRINTER=counter), the order alternating between rounds.
Printed: req/s and p99 of every run, the median throughput ratio agent/baseline, the agent's CPU time
(utime+stime, from just before wrk until 1.5 s after it) per 10,000 requests, its peak RSS, and the spans the
agent counted per request wrk completed (about 1: every request seen once, the ciphertext never). Bars
(bench/README.md): ratio >= 0.85, CPU <= 30 ms / 10k requests, peak RSS <= 64 MiB. A measurement, not a test:
exit code 0 unless --strict is given and a bar is missed. --floor adds a run with bare uprobes and uretprobes
on nginx's SSL_read/SSL_write (perf probe, no BPF program, no agent): the cost of the uprobe mechanism itself.
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
from http_nginx import DRAIN_S, check_bars, cpu_seconds, fmt, run_wrk, vm_hwm_kib  # noqa: E402


def start_nginx_tls(work, port):
    """nginx from the shared template with its listener switched to TLS."""
    scratch = os.path.join(work, "nginx")
    conf = launch.render_nginx(scratch, port, access_log=False)
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=localhost"], check=True,
                   capture_output=True)
    with open(conf) as f:
        text = f.read()
    listen = "listen 127.0.0.1:%d ;" % port
    if listen not in text or "http {" not in text:
        sys.exit("tests/apps/nginx/nginx.conf.template changed: %r not found" % listen)
    text = text.replace(listen, "listen 127.0.0.1:%d ssl;" % port)
    text = text.replace("http {", "http {\n  ssl_certificate %s;\n  ssl_certificate_key %s;" % (cert, key), 1)
    with open(conf, "w") as f:
        f.write(text)
    srv = launch.ServerProcess("nginx-tls", ["nginx", "-c", conf, "-p", scratch], port, work).wait_ready()
    launch.nginx_workers(srv, 1)
    return srv


def spans_counted(agent):
    """The counter printer's last "Processed N requests"."""
    found = re.findall(r"Processed (\d+) requests", agent.stdout())
    return int(found[-1]) if found else 0


def agent_run(args, url, port, work, index):
    env = {"OTEL_EBPF_OPEN_PORT": str(port), "OTEL_EBPF_TRACE_PRINTER": "counter"}
    for kv in args.agent_env:
        k, _, v = kv.partition("=")
        env[k] = v
    agent = harness.Agent(os.path.join(work, "agents"), env=env, name="agent-%d" % index, binary=args.agent_bin)
    agent.start()
    try:
        time.sleep(args.settle)  # discovery attaches to nginx and to its libssl
        run_wrk(url, args.threads, args.connections, 1)  # warm-up with the agent attached
        counted0 = spans_counted(agent)
        cpu0 = cpu_seconds(agent.pid)
        res = run_wrk(url, args.threads, args.connections, args.duration)
        time.sleep(DRAIN_S)
        cpu1 = cpu_seconds(agent.pid)
        res["spans"] = spans_counted(agent) - counted0
        res["agent_cpu_ms_per_10k"] = (cpu1 - cpu0) * 1000.0 / res["requests"] * 10000 if res["requests"] else 0
        res["agent_hwm_mib"] = vm_hwm_kib(agent.pid) / 1024.0
        if agent.proc.poll() is not None:
            raise RuntimeError("agent exited during the run\n" + agent.logs())
        if "TLS: probing" not in agent.stderr():
            raise RuntimeError("the agent did not probe nginx's libssl\n" + agent.logs())
    finally:
        try:
            agent.stop()
        except AssertionError as e:
            print("warning: agent shutdown: %s" % str(e).splitlines()[0], file=sys.stderr)
            agent.kill()
    return res


LIBSSL = "/usr/lib/x86_64-linux-gnu/libssl.so.3"
FLOOR_EVENTS = ("obi_floor_r", "obi_floor_w", "obi_floor_rr", "obi_floor_wr")


def floor_run(args, url, nginx):
    """wrk with plain uprobes + uretprobes on nginx's SSL_read/SSL_write (perf probe, no BPF program): the cost
    of the uprobe mechanism alone, which no BPF code can go below."""
    specs = ["obi_floor_r=SSL_read", "obi_floor_w=SSL_write", "obi_floor_rr=SSL_read%return",
             "obi_floor_wr=SSL_write%return"]
    subprocess.run(["perf", "probe", "-q", "-x", LIBSSL] + [x for spec in specs for x in ("-a", spec)], check=True,
                   capture_output=True)
    try:
        events = ",".join("probe_libssl:%s%s" % (e, "__return" if e.endswith(("rr", "wr")) else "")
                          for e in FLOOR_EVENTS)
        worker = nginx.children()[0]
        stat = subprocess.Popen(["perf", "stat", "-x,", "-e", events, "-p", str(worker), "--", "sleep",
                                 str(args.duration + 2)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        res = run_wrk(url, args.threads, args.connections, args.duration)
        _, err = stat.communicate(timeout=30)
        hits = sum(int(line.split(",")[0]) for line in err.splitlines() if line.split(",")[0].isdigit())
        res["probe_hits_per_request"] = hits / res["requests"] if res["requests"] else 0
        return res
    finally:
        subprocess.run(["perf", "probe", "-q", "-d", "probe_libssl:obi_floor_*"], capture_output=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    ap.add_argument("--rounds", type=int, default=3, help="baseline+agent pairs (default 3)")
    ap.add_argument("--connections", type=int, default=50, help="wrk -c (default 50)")
    ap.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    ap.add_argument("--path", default="/", help="URL path (default /: the small static index.html)")
    ap.add_argument("--agent-bin", default=harness.AGENT_BIN, help="default: build/ebpf-instrument or $OBI_AGENT_BIN")
    ap.add_argument("--agent-env", action="append", default=[], metavar="K=V", help="extra agent env, repeatable")
    ap.add_argument("--settle", type=float, default=1.0, help="seconds after the agent is ready (default 1)")
    ap.add_argument("--json", metavar="FILE", help="also write all figures as JSON")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a bar is missed")
    ap.add_argument("--floor", action="store_true",
                    help="also run wrk with bare perf uprobes on SSL_read/SSL_write (no agent): the mechanism's cost")
    args = ap.parse_args()

    if os.geteuid() != 0:
        sys.exit("run as root: the agent loads BPF programs")
    for tool, pkg in (("wrk", "wrk"), ("nginx", "nginx-light"), ("openssl", "openssl")):
        if not shutil.which(tool):
            sys.exit("%s not found: apt-get install -y %s" % (tool, pkg))
    if not os.path.exists(args.agent_bin):
        sys.exit("agent binary %s not found (build it or pass --agent-bin)" % args.agent_bin)

    work = tempfile.mkdtemp(prefix="obi-bench-tls-")
    port = launch.free_port()
    nginx = start_nginx_tls(work, port)
    url = "https://127.0.0.1:%d%s" % (port, args.path)
    runs = []
    try:
        print("nginx TLS on %s; wrk -t%d -c%d -d%ds (keep-alive); %d round(s)" % (
            url, args.threads, args.connections, args.duration, args.rounds), flush=True)
        run_wrk(url, args.threads, args.connections, 2)  # warm-up, not measured
        print("%-6s %-9s %12s %10s %10s %12s %10s %14s %10s" % ("round", "mode", "req/s", "p50 ms", "p99 ms",
                                                              "requests", "spans", "agent ms/10k", "agent MiB"))
        for rnd in range(1, args.rounds + 1):
            for mode in (("baseline", "agent") if rnd % 2 else ("agent", "baseline")):
                res = (run_wrk(url, args.threads, args.connections, args.duration) if mode == "baseline"
                       else agent_run(args, url, port, work, rnd))
                res.update(round=rnd, mode=mode)
                runs.append(res)
                print("%-6d %-9s %12.0f %10s %10s %12d %10s %14s %10s%s" % (
                    rnd, mode, res["rps"], fmt(res["p50_ms"], "%.2f"), fmt(res["p99_ms"], "%.2f"), res["requests"],
                    res.get("spans", "-"), fmt(res.get("agent_cpu_ms_per_10k")), fmt(res.get("agent_hwm_mib")),
                    "  (errors %d, non-2xx %d)" % (res["errors"], res["non2xx"]) if res["errors"] or res["non2xx"]
                    else ""), flush=True)
        if args.floor:
            res = floor_run(args, url, nginx)
            res.update(round=0, mode="floor")
            runs.append(res)
            print("%-6s %-9s %12.0f %10s %10s %12d   (%.2f uprobe+uretprobe hits per request)" % (
                "-", "floor", res["rps"], fmt(res["p50_ms"], "%.2f"), fmt(res["p99_ms"], "%.2f"), res["requests"],
                res["probe_hits_per_request"] / 2), flush=True)
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
        "baseline_p99_ms_median": statistics.median(r["p99_ms"] for r in base),
        "agent_p99_ms_median": statistics.median(r["p99_ms"] for r in agent),
        "agent_cpu_ms_per_10k_median": statistics.median(r["agent_cpu_ms_per_10k"] for r in agent),
        "agent_peak_rss_mib": max(r["agent_hwm_mib"] for r in agent),
        "spans_per_request": [r["spans"] / r["requests"] if r["requests"] else 0 for r in agent],
    }
    print()
    print("baseline: %.0f req/s median, p99 %.2f ms; agent: %.0f req/s median, p99 %.2f ms" % (
        summary["baseline_rps_median"], summary["baseline_p99_ms_median"], summary["agent_rps_median"],
        summary["agent_p99_ms_median"]))
    print("per-round ratios: %s" % ", ".join("%.3f" % r for r in ratios))
    floor = [r for r in runs if r["mode"] == "floor"]
    if floor:
        summary["floor_ratio"] = floor[0]["rps"] / summary["baseline_rps_median"]
        print("bare uprobes, no agent (--floor): %.0f req/s, ratio %.3f to the baseline median" % (
            floor[0]["rps"], summary["floor_ratio"]))
    print("spans counted per completed request: %s (the measured run includes 1.5 s of draining)" % ", ".join(
        "%.4f" % x for x in summary["spans_per_request"]))
    return check_bars(summary, runs, args)


if __name__ == "__main__":
    sys.exit(main())
