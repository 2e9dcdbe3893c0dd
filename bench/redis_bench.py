#!/usr/bin/env python3
"""redis-benchmark against a real redis-server 7, baseline vs the agent tracing the server (by port) or
redis-benchmark (by executable).

    sudo /usr/bin/python3 bench/redis_bench.py [--requests 200000] [--clients 50] [--pipeline 1]
                                               [--side server|client|both|none] [--rounds 2] [--pin]
                                               [--agent PATH [--agent PATH2]]

Prints, per side: the throughput ratio (requests/s with the agent / baseline, SET and GET together; bar >= 0.90)
and the agent's CPU time (utime+stime from /proc, from before redis-benchmark until 1.5 s after it, so draining
is included) per 10,000 Redis operations, and the agent's last counter line. Runs are interleaved
baseline/agent to spread the machine's noise. Exit 1 when a ratio is below the bar. Two --agent binaries are
compared in the same interleaved rounds (an A/B of a change: the machine's noise moves both alike).
--side none runs the agent tracing neither (a selector that matches nothing): what every untraced process on the
host pays for the agent's presence (each socket call still runs the kernel programs, which only look it up).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "apps"))
import harness  # noqa: E402
from http_nginx import cpu_seconds  # noqa: E402  (bench/http_nginx.py)
import kv_servers  # noqa: E402
import launch  # noqa: E402

BAR = 0.90
DRAIN_S = 1.5


def run_benchmark(port, args):
    """Requests per second of SET and GET together, and the number of operations."""
    pin = ["taskset", "-c", "1"] if args.pin else []
    out = subprocess.run(pin + ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", "set,get", "-n",
                          str(args.requests), "-c", str(args.clients), "-P", str(args.pipeline), "--csv"],
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit("redis-benchmark failed: %s" % out.stderr)
    rates = []
    for line in out.stdout.splitlines():
        cols = [c.strip('"') for c in line.split(",")]
        if cols and cols[0] in ("SET", "GET"):
            rates.append(float(cols[1]))
    if len(rates) != 2:
        raise SystemExit("unexpected redis-benchmark output:\n" + out.stdout)
    ops = 2 * args.requests
    # Time-weighted: both tests ran the same number of requests.
    rps = ops / sum(args.requests / r for r in rates)
    return rps, ops


def agent_run(args, binary, port, side, work, index):
    instrument = []
    if side in ("server", "both"):
        instrument.append({"open_ports": str(port)})
    if side in ("client", "both"):
        instrument.append({"exe_path": "*/redis-benchmark"})
    if side == "none":
        instrument.append({"exe_path": "*/obi-bench-selects-nothing"})
    cfg = {"trace_printer": "counter", "discovery": {"instrument": instrument}}
    agent = harness.Agent(os.path.join(work, "agents"), config=cfg, name="agent-%s-%d" % (side, index),
                          binary=binary)
    if args.pin:
        agent.argv = ["taskset", "-c", "0"] + agent.argv
    agent.start()
    try:
        time.sleep(1.0)
        cpu0 = cpu_seconds(agent.pid)
        rps, ops = run_benchmark(port, args)
        time.sleep(DRAIN_S)
        cpu1 = cpu_seconds(agent.pid)
        if agent.proc.poll() is not None:
            raise RuntimeError("agent exited during the run\n" + agent.logs())
    finally:
        try:
            agent.stop()
        except AssertionError as e:
            print("warning: agent shutdown: %s" % str(e).splitlines()[0], file=sys.stderr)
            agent.kill()
    lines = [ln for ln in agent.stdout().splitlines() if ln.strip()]
    return {"rps": rps, "ops": ops, "cpu_ms_per_10k": (cpu1 - cpu0) * 1000.0 / ops * 10000,
            "counter": lines[-1] if lines else ""}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200000, help="per test (SET and GET)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--pipeline", type=int, default=1)
    ap.add_argument("--side", default="both", choices=["server", "client", "both", "none"])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--agent", action="append", help="agent binary (default: the build's); twice for an A/B")
    ap.add_argument("--pin", action="store_true", help="diagnostic: redis-server and the agent on CPU 0, "
                    "redis-benchmark on CPU 1 (less noise; the agent's CPU then never competes with the traced client)")
    args = ap.parse_args()
    args.agent = [os.path.abspath(a) for a in (args.agent or [harness.AGENT_BIN])]
    work = os.path.join("/tmp", "obi-redis-bench-%d" % os.getpid())  # agent and server logs (kept)
    os.makedirs(work, exist_ok=True)
    srv = kv_servers.start_redis(launch.free_port(), work)
    if args.pin:
        subprocess.run(["taskset", "-a", "-p", "-c", "0", str(srv.proc.pid)], check=True, capture_output=True)
    sides = ["server", "client"] if args.side == "both" else [args.side]
    failed = False
    try:
        run_benchmark(srv.port, argparse.Namespace(**{**vars(args), "requests": 20000}))  # warm-up
        for side in sides:
            base, runs = [], [[] for _ in args.agent]
            for i in range(args.rounds):
                base.append(run_benchmark(srv.port, args)[0])
                for binary, out in zip(args.agent, runs):
                    out.append(agent_run(args, binary, srv.port, side, work, i))
            print("side=%s clients=%d pipeline=%d requests=%d x2" % (side, args.clients, args.pipeline, args.requests))
            print("  baseline rps: %s" % ", ".join("%.0f" % b for b in base))
            for binary, agent in zip(args.agent, runs):
                ratio = statistics.median(a["rps"] for a in agent) / statistics.median(base)
                cpu = statistics.median(a["cpu_ms_per_10k"] for a in agent)
                if len(args.agent) > 1:
                    print("  agent %s" % binary)
                print("  agent rps:    %s" % ", ".join("%.0f" % a["rps"] for a in agent))
                print("  throughput ratio (median): %.3f (bar >= %.2f) %s" % (ratio, BAR, "ok" if ratio >= BAR else "BELOW"))
                print("  agent CPU ms per 10k operations (median): %.1f" % cpu)
                print("  agent counter: %s" % agent[-1]["counter"])
                failed = failed or ratio < BAR
    finally:
        srv.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
