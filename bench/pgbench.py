#!/usr/bin/env python3
"""pgbench against a real PostgreSQL 15, baseline vs the agent tracing the server (by port) or pgbench (by exe).

    sudo /usr/bin/python3 bench/pgbench.py [--seconds 10] [--clients 4] [--mode prepared] [--side server|client|both]

Prints, per side: the throughput ratio (tps with the agent / baseline tps; bar >= 0.90) and the agent's CPU time
per 10,000 SQL operations (spans: transactions x 7 statements of the TPC-B-like script), plus the spans counted.
Runs are interleaved baseline/agent to spread the machine's noise. Exit 1 when a ratio is below the bar.
"""
import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "apps"))
import harness  # noqa: E402
from http_nginx import cpu_seconds  # noqa: E402  (bench/http_nginx.py)
import launch  # noqa: E402
import sql_servers  # noqa: E402

PGBENCH = sql_servers.PG_BIN + "/pgbench"
STATEMENTS_PER_TX = 7
BAR = 0.90


def run_pgbench(port, args):
    out = subprocess.run([PGBENCH, "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-n", "-M", args.mode,
                          "-c", str(args.clients), "-j", str(min(args.clients, 2)), "-T", str(args.seconds), "shop"],
                         capture_output=True, text=True, timeout=args.seconds * 3 + 60)
    if out.returncode != 0:
        raise SystemExit("pgbench failed: %s" % out.stderr)
    tps = float(re.search(r"tps = ([0-9.]+)", out.stdout).group(1))
    txs = int(re.search(r"number of transactions actually processed: (\d+)", out.stdout).group(1))
    return tps, txs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--mode", default="prepared", choices=["simple", "extended", "prepared"])
    ap.add_argument("--side", default="both", choices=["server", "client", "both"])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--agent", default=harness.AGENT_BIN)
    args = ap.parse_args()
    work = os.path.join("/tmp", "obi-pgbench-%d" % os.getpid())  # agent logs (kept)
    os.makedirs(work, exist_ok=True)
    pg = sql_servers.Postgres(launch.free_port()).start()
    failed = False
    try:
        pg.psql("CREATE DATABASE shop")
        subprocess.run([PGBENCH, "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-i", "-q", "-s", "10", "shop"],
                       check=True, capture_output=True, timeout=300)
        sides = ["server", "client"] if args.side == "both" else [args.side]
        for side in sides:
            env = {"OTEL_EBPF_TRACE_PRINTER": "counter"}
            if side == "server":
                env["OTEL_EBPF_OPEN_PORT"] = str(pg.port)
            else:
                env["OTEL_EBPF_AUTO_TARGET_EXE"] = "*/bin/pgbench"
            base, traced, cpu, ops = [], [], 0.0, 0
            for _ in range(args.rounds):
                base.append(run_pgbench(pg.port, args)[0])
                agent = harness.Agent(work, env=env, name="pgbench-%s" % side, binary=args.agent).start()
                time.sleep(1.0)
                c0 = cpu_seconds(agent.pid)
                tps, txs = run_pgbench(pg.port, args)
                time.sleep(1.5)  # the last batch
                cpu += cpu_seconds(agent.pid) - c0
                ops += txs * STATEMENTS_PER_TX
                traced.append(tps)
                agent.stop()
            b, t = sum(base) / len(base), sum(traced) / len(traced)
            ratio = t / b
            failed |= ratio < BAR
            print("side=%s mode=%s clients=%d: baseline %.0f tps, traced %.0f tps, ratio %.3f (bar %.2f), "
                  "agent CPU %.3f s per 10,000 operations (%d operations)"
                  % (side, args.mode, args.clients, b, t, ratio, BAR, cpu * 10000 / max(ops, 1), ops))
    finally:
        pg.stop()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
