"""Every way a program moves socket data is traced, on both probe backends: write/read, send/recv,
sendto/recvfrom, writev/readv, sendmsg/recvmsg and sendmmsg/recvmmsg (tests/apps/syscall_client.c),
over IPv4 and IPv6."""
import os
import subprocess
import time

import pytest

import harness
from harness import launch, sattr

# The "-many" modes send each request in 3-byte iovecs (about 30 of them): the request line
# itself spans more entries than a short walk would cover (gRPC's C core writes like this).
MODES = ("write", "send", "sendto", "writev", "sendmsg", "sendmmsg", "writev-many", "sendmsg-many")
FAST = {"OTEL_EBPF_BPF_BATCH_TIMEOUT": "100ms"}


@pytest.fixture(scope="module")
def syscall_client(build_dir):
    return launch.build_c_client(build_dir, name="obi-syscall-client", source="syscall_client.c")


def run_client(exe, mode, host, port, path, count):
    out = subprocess.run([exe, mode, host, str(port), path, str(count)], capture_output=True, text=True, timeout=30,
                         env=launch.clean_env())
    assert out.returncode == 0, "%s: %s%s" % (mode, out.stdout, out.stderr)
    return out.stdout.split()


@pytest.mark.parametrize("backend", harness.PROBE_BACKENDS)
def test_every_syscall_family(agent_factory, apps, syscall_client, backend):
    srv = apps.downstream  # not traced: only the client side is
    agent = agent_factory(env={"OTEL_EBPF_AUTO_TARGET_EXE": "*/obi-syscall-client",
                               "OTEL_EBPF_BPF_PROBE_BACKEND": backend, **FAST})
    # Warm up until the agent reports spans of the client (the probes are attached).
    deadline = time.monotonic() + 20
    warm = harness.client_span_pred(url_prefix="http://127.0.0.1:%d/hello" % srv.port)
    while not agent.spans.matching(warm) and time.monotonic() < deadline:
        run_client(syscall_client, "write", "127.0.0.1", srv.port, "/hello", 1)
        time.sleep(0.3)
    for i, mode in enumerate(MODES):
        since = agent.mark()
        path = "/users/%d" % (100 + i)
        run_client(syscall_client, mode, "127.0.0.1", srv.port, path, 3)
        url = "http://127.0.0.1:%d%s" % (srv.port, path)
        spans = agent.wait_for_exact_spans(harness.client_span_pred(url_full=url), 3, since=since,
                                           describe="%s client spans (%s)" % (mode, backend))
        for s in spans:
            assert s["type"] == "HTTPClient", mode
            assert s["name"] == "GET /users/*", mode
            assert sattr(s, "http.response.status_code") == 200, mode
            assert sattr(s, "http.response.body.size") > 0, mode


def test_ipv6_server_and_client(agent_factory, server_factory, syscall_client, work_dir):
    """A server bound to ::1 and a client connecting over IPv6: addresses are IPv6 text."""
    port = launch.free_port()
    log = open(os.path.join(work_dir, "servers", "py6-%d.log" % port), "w")
    proc = subprocess.Popen(["/usr/bin/python3", "-m", "http.server", "--bind", "::1", str(port)], cwd=work_dir,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                run_client(syscall_client, "write", "::1", port, "/", 1)
                break
            except AssertionError:
                time.sleep(0.1)
        agent = agent_factory(env={"OTEL_EBPF_OPEN_PORT": str(port), **FAST})
        pred = lambda s: s["type"] == "HTTP" and s["hostPort"] == str(port)  # noqa: E731
        deadline = time.monotonic() + 15
        while not agent.spans.matching(pred) and time.monotonic() < deadline:
            run_client(syscall_client, "sendmsg", "::1", port, "/", 1)
            time.sleep(0.3)
        span = agent.wait_for_spans(pred, 1)[0]
        assert span["peer"] == "::1" and span["host"] == "::1"
        assert sattr(span, "client.address") == "::1"
        assert sattr(span, "server.port") == port
        assert sattr(span, "http.response.status_code") == 200
        assert span["name"] == "GET /"
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
