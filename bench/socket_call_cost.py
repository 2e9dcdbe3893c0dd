#!/usr/bin/python3
"""Cost of tracing one socket call: a process ping-pongs a small Redis command and reply over one loopback TCP
connection (bench/apps/pingpong.c: 4 socket calls per iteration), untraced and traced by the agent.

Run as root with Debian's python (needs gcc and bpftool):
    /usr/bin/python3 bench/socket_call_cost.py                       # 5 rounds of 300,000 iterations
    /usr/bin/python3 bench/socket_call_cost.py --agent-bin /tmp/a/ebpf-instrument --agent-bin build/ebpf-instrument

Each round runs the loop once without the agent and once per agent binary (interleaved, so a drift of the machine
touches every variant alike), with the loop pinned to CPU 1 and the agent to CPU 0. Printed per variant, medians
over the rounds: wall ns per iteration, the wall time tracing adds per socket call, and the time the kernel
programs ran per traced call (kernel.bpf_stats_enabled: run_time_ns / run_cnt of the socket programs; the
statistics themselves add a few tens of ns). Redis framing on both ends makes the agent parse every call and emit a
client and a server span per iteration, so this is the full data path: kernel capture, ring buffer, user-space
parsing. A measurement, not a test: it always exits 0.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
sys.path.insert(0, os.path.join(REPO_DIR, "tests", "integration"))
import harness  # noqa: E402  (agent process handling)

CALLS_PER_ITERATION = 4
# Programs that handle a socket call: the socket tracepoints, or the syscall tracepoints (enter + exit, counted
# once per exit).
CALL_PROGRAMS = ("obi_sock_send", "obi_sock_recv", "obi_exit_")
ENTRY_PROGRAMS = ("obi_enter_",)


def build_pingpong(work):
    exe = os.path.join(work, "obi-pingpong")
    subprocess.run(["gcc", "-O2", "-o", exe, os.path.join(BENCH_DIR, "apps", "pingpong.c")], check=True)
    return exe


def prog_stats():
    """(run_cnt, run_time_ns) summed over our socket programs."""
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True, check=True).stdout
    cnt = ns = 0
    for p in json.loads(out):
        name = p.get("name", "")
        if name.startswith(CALL_PROGRAMS):
            cnt += p.get("run_cnt", 0)
        if name.startswith(CALL_PROGRAMS + ENTRY_PROGRAMS):
            ns += p.get("run_time_ns", 0)
    return cnt, ns


def run_loop(exe, iterations, agent_bin=None, work=None, agent_env=()):
    """ns per iteration, and BPF ns per traced call (None without an agent)."""
    argv = ["taskset", "-c", "1", exe, str(iterations)]
    if agent_bin is None:
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        return float(out.split()[0]), None
    loop = subprocess.Popen(argv + ["wait"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert loop.stdout.readline().strip() == "connected"
    env = {"OTEL_EBPF_AUTO_TARGET_EXE": "*/obi-pingpong", "OTEL_EBPF_TRACE_PRINTER": "counter"}
    env.update(kv.split("=", 1) for kv in agent_env)
    agent = harness.Agent(work, env=env, binary=agent_bin, args=())
    agent.argv = ["taskset", "-c", "0"] + agent.argv
    agent.start()
    try:
        subprocess.run(["sysctl", "-q", "kernel.bpf_stats_enabled=1"], check=True)
        c0, t0 = prog_stats()
        loop.stdin.write("go\n")
        loop.stdin.flush()
        out = loop.stdout.read()
        loop.wait(timeout=600)
        c1, t1 = prog_stats()
    finally:
        subprocess.run(["sysctl", "-q", "kernel.bpf_stats_enabled=0"])
        agent.stop()
    return float(out.split()[0]), (t1 - t0) / max(c1 - c0, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    ap.add_argument("--iterations", type=int, default=300000, help="ping-pongs per run (default 300000)")
    ap.add_argument("--agent-bin", action="append", default=[], help="agent binary; repeat to compare (default: "
                    "build/ebpf-instrument)")
    ap.add_argument("--agent-env", action="append", default=[], metavar="K=V", help="extra agent env, repeatable")
    args = ap.parse_args()
    agents = [os.path.abspath(a) for a in args.agent_bin] or [harness.AGENT_BIN]
    work = tempfile.mkdtemp(prefix="obi-call-cost.")
    exe = build_pingpong(work)
    wall = {None: []}
    bpf = {}
    for a in agents:
        wall[a], bpf[a] = [], []
    for r in range(args.rounds):
        wall[None].append(run_loop(exe, args.iterations)[0])
        for a in agents:
            ns, per_call = run_loop(exe, args.iterations, a, work, args.agent_env)
            wall[a].append(ns)
            bpf[a].append(per_call)
        print("round %d: baseline %.0f ns/iteration; %s" % (r + 1, wall[None][-1], "; ".join(
            "agent %d %.0f ns/iteration, BPF %.0f ns/call" % (i + 1, wall[a][-1], bpf[a][-1])
            for i, a in enumerate(agents))))
    base = statistics.median(wall[None])
    print("\nmedians over %d rounds of %d iterations (%d socket calls each):" % (args.rounds, args.iterations,
                                                                                 CALLS_PER_ITERATION))
    print("  untraced: %.0f ns per iteration" % base)
    for i, a in enumerate(agents):
        w = statistics.median(wall[a])
        print("  agent %d (%s): %.0f ns per iteration, +%.0f ns wall per traced socket call, BPF %.0f ns per call"
              % (i + 1, a, w, (w - base) / CALLS_PER_ITERATION, statistics.median(bpf[a])))


if __name__ == "__main__":
    main()
