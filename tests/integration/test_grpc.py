"""gRPC over h2c on the real kernel: Echo servers and clients (tests/apps/grpc) in Python (grpcio), Node
(@grpc/grpc-js), Go (grpc-go) and C++ (grpc++).

Each client makes four calls on one channel: Say (unary, OK), Fail(5) (NOT_FOUND), Fail(2) (UNKNOWN) and
Stream(3) (server streaming). Server spans: one module agent selects the four servers by port (and serves
Prometheus metrics); each server is called by the client of the next stack, so every stack is seen as server
and as client. Client spans: an agent started for the client's PID (the client waits on stdin until the agent
is ready), against the Python server. Status rules (obi-compat.md 3.1): server ERROR only for codes 2, 4, 12,
13, 14, 15; client ERROR for every code but 0.
"""
import os
import subprocess
import sys
import time

import pytest

import harness
import otlp
from harness import launch, sattr, rattr

sys.path.insert(0, os.path.join(launch.APPS_DIR, "grpc"))
import grpc_apps  # noqa: E402  (tests/apps/grpc/grpc_apps.py)

LANGS = grpc_apps.LANGS
SERVICE_NAME = {"python": "python3.11", "node": "node", "go": "obi_grpc_go_server", "cpp": "obi_grpc_cpp_server"}
CLIENT_SERVICE_NAME = {"python": "python3.11", "node": "node", "go": "obi_grpc_go_client", "cpp": "obi_grpc_cpp_client"}
LANGUAGE = {"python": "python", "node": "nodejs", "go": "go", "cpp": "cpp"}
# (rpc.method, rpc.response.status_code, server span status, client span status) of the four calls.
CALLS = [
    ("/obitest.Echo/Say", "OK", "STATUS_CODE_UNSET", "STATUS_CODE_UNSET"),
    ("/obitest.Echo/Fail", "NOT_FOUND", "STATUS_CODE_UNSET", "STATUS_CODE_ERROR"),
    ("/obitest.Echo/Fail", "UNKNOWN", "STATUS_CODE_ERROR", "STATUS_CODE_ERROR"),
    ("/obitest.Echo/Stream", "OK", "STATUS_CODE_UNSET", "STATUS_CODE_UNSET"),
]


@pytest.fixture(scope="module")
def stacks(build_dir):
    apps = grpc_apps.GrpcApps(build_dir)
    for lang in LANGS:
        apps.build(lang)
    return apps


@pytest.fixture(scope="module")
def servers(stacks, work_dir):
    started = {}
    try:
        for lang in LANGS:
            port = launch.free_port()
            started[lang] = launch.ServerProcess("grpc-%s-%d" % (lang, port), stacks.server_argv(lang, port), port,
                                                 os.path.join(work_dir, "servers"),
                                                 ready_text="ready grpc-%s" % lang).wait_ready()
        yield started
    finally:
        for srv in started.values():
            srv.stop()


@pytest.fixture(scope="module")
def prom_port():
    return launch.free_port()


@pytest.fixture(scope="module")
def agent(servers, prom_port, module_agent_factory):
    return module_agent_factory(env={"OTEL_EBPF_OPEN_PORT": ",".join(str(s.port) for s in servers.values()),
                                     "OTEL_EBPF_PROMETHEUS_PORT": str(prom_port)})


def run_client(stacks, lang, port, timeout=60):
    out = subprocess.run(stacks.client_argv(lang, port), capture_output=True, text=True, timeout=timeout,
                         env=launch.clean_env())
    assert out.returncode == 0 and out.stdout.strip().endswith("done"), "%s client: %s %s" % (
        lang, out.stdout[-500:], out.stderr[-1500:])


def grpc_pred(type_, port):
    return lambda s: s.get("type") == type_ and str(s.get("hostPort")) == str(port)


def call_key(span):
    return (sattr(span, "rpc.method"), sattr(span, "rpc.response.status_code"))


def check_spans(spans, port, server):
    """The four calls' spans, field by field."""
    got = sorted(spans, key=call_key)
    want = sorted(CALLS, key=lambda c: (c[0], c[1]))
    assert [call_key(s) for s in got] == [(c[0], c[1]) for c in want], [harness.brief(s) for s in spans]
    for span, (method, code, server_status, client_status) in zip(got, want):
        a = span["spanAttributes"]
        assert span["type"] == ("GRPC" if server else "GRPCClient")
        assert span["name"] == method
        assert span["kind"] == ("SPAN_KIND_SERVER" if server else "SPAN_KIND_CLIENT")
        assert span["statusCode"] == (server_status if server else client_status), harness.brief(span)
        assert a["rpc.method"] == method
        assert a["rpc.system.name"] == "grpc"
        assert a["rpc.response.status_code"] == code
        assert "rpc.system" not in a and "rpc.grpc.status_code" not in a  # pre-v0.10 names
        assert a["server.address"] == "127.0.0.1"
        assert a["server.port"] == port and type(a["server.port"]) is int
        if server:
            assert a["client.address"] == "127.0.0.1"
        else:
            assert "client.address" not in a
        assert span["attributes"]["method"] == "POST"
        assert span["attributes"]["url"] == method
        assert int(span["end"]) >= int(span["start"])


def warm_up(agent, stacks, client, port, timeout=30.0):
    """Runs the client until the agent prints spans for `port` (discovery is done), then until no more of that
    run's spans come, so the test's own run is counted alone."""
    since = agent.mark()
    deadline = time.monotonic() + timeout
    while not agent.spans.matching(grpc_pred("GRPC", port), since):
        assert time.monotonic() < deadline, "no gRPC span for port %d\n%s" % (port, agent.logs())
        run_client(stacks, client, port)
        time.sleep(0.5)
    while True:
        n = len(agent.spans.matching(grpc_pred("GRPC", port), since))
        time.sleep(harness.SETTLE_S)
        if len(agent.spans.matching(grpc_pred("GRPC", port), since)) == n:
            return


@pytest.mark.parametrize("lang", LANGS)
def test_server_spans(agent, stacks, servers, lang):
    srv = servers[lang]
    client = LANGS[(LANGS.index(lang) + 1) % len(LANGS)]
    warm_up(agent, stacks, client, srv.port)
    since = agent.mark()
    run_client(stacks, client, srv.port)
    spans = agent.wait_for_exact_spans(grpc_pred("GRPC", srv.port), 4, since=since,
                                       describe="%s server called by the %s client" % (lang, client))
    check_spans(spans, srv.port, server=True)
    assert {harness.span_pid(s) for s in spans} == {srv.pid}
    assert rattr(spans[0], "service.name") == SERVICE_NAME[lang]
    assert rattr(spans[0], "telemetry.sdk.language") == LANGUAGE[lang]
    stream = [s for s in spans if sattr(s, "rpc.method") == "/obitest.Echo/Stream"][0]
    assert int(stream["attributes"]["responseLen"]) >= 3 * 5  # three length-prefixed messages


@pytest.mark.parametrize("lang", LANGS)
def test_client_spans(stacks, servers, agent_factory, lang):
    srv = servers["python"]
    p = subprocess.Popen(stacks.client_argv(lang, srv.port, wait=True), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=launch.clean_env())
    try:
        assert p.stdout.readline().strip() == "waiting"
        a = agent_factory(env={"OTEL_EBPF_TARGET_PID": str(p.pid)})
        time.sleep(0.5)
        since = a.mark()
        p.stdin.write("go\n")
        p.stdin.flush()
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0 and out.strip().endswith("done"), err[-1500:]
        spans = a.wait_for_exact_spans(lambda s: s.get("type") == "GRPCClient" and harness.span_pid(s) == p.pid, 4,
                                       since=since, describe="%s client" % lang)
        check_spans(spans, srv.port, server=False)
        assert rattr(spans[0], "service.name") == CLIENT_SERVICE_NAME[lang]
        assert all(s["peerPort"] != str(srv.port) and s["hostPort"] == str(srv.port) for s in spans)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(5)


def test_rpc_metrics(agent, stacks, servers, prom_port):
    """rpc.server.call.duration under OBI v0.10's name and labels (obi-compat.md section 4.2)."""
    srv = servers["go"]
    since = agent.mark()
    run_client(stacks, "python", srv.port)
    agent.wait_for_spans(grpc_pred("GRPC", srv.port), 4, since=since)
    deadline = time.monotonic() + 15
    while True:
        status, text, _ = otlp.http_get(prom_port, "/metrics")
        samples = [(n, l, v) for n, l, v in otlp.parse_exposition(text)
                   if n == "rpc_server_call_duration_seconds_count" and l.get("service_name") == SERVICE_NAME["go"]]
        codes = {l.get("rpc_response_status_code") for _, l, _ in samples}
        if {"OK", "NOT_FOUND", "UNKNOWN"} <= codes or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == 200
    assert {"OK", "NOT_FOUND", "UNKNOWN"} <= codes, samples
    for _, labels, value in samples:
        assert labels["rpc_system_name"] == "grpc"
        assert labels["rpc_method"].startswith("/obitest.Echo/")
        assert labels["server_port"] == str(srv.port)
        assert "rpc_grpc_status_code" not in labels
        assert value >= 1
    assert not [n for n, _, _ in otlp.parse_exposition(text) if n.startswith("rpc_server_duration_seconds")]
