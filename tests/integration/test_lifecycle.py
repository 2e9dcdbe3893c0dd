"""Agent and process lifecycle on the real kernel path: a new process is traced within 1 s,
connections opened before the agent started, exited processes leave no trace in the kernel maps,
SIGTERM, curl as a traced client, a YAML configuration file with routes, and the text printer."""
import json
import os
import re
import signal
import socket
import subprocess
import time

import harness
from harness import launch, rattr, sattr

FAST = {"OTEL_EBPF_BPF_BATCH_TIMEOUT": "100ms"}  # spans reach stdout quickly: tests run faster


def bpf_map_keys(name):
    """Keys (as ints) of one of our BPF maps, read with bpftool (empty when the map does not exist)."""
    maps = harness._bpftool_json("map", "show") or []
    keys = []
    for m in maps:
        if m.get("name") != name:
            continue
        for entry in harness._bpftool_json("map", "dump", "id", str(m["id"])) or []:
            key = entry.get("key")
            if isinstance(key, list):  # raw bytes as hex strings, little endian
                keys.append(int.from_bytes(bytes(int(b, 16) for b in key), "little"))
            elif isinstance(key, int):
                keys.append(key)
    return keys


def _value_bytes(value):
    """A map value dumped by bpftool: raw hex bytes, or BTF-formatted fields of struct obi_pid_info."""
    if isinstance(value, list):
        return bytes(int(b, 16) for b in value)
    return int(value["flags"]).to_bytes(4, "little") + int(value["tgid"]).to_bytes(4, "little")


def traced_pids():
    """The processes the kernel traces: the owners of the slots of obi_pid_slots (bpf/lib/pids.h; the high bit of
    an owner marks a shared slot) and the keys of obi_pid_filter, the processes whose slot another one holds."""
    pids = set(bpf_map_keys("obi_pid_filter"))
    for m in harness._bpftool_json("map", "show") or []:
        if m.get("name") != "obi_pid_slots":
            continue
        for entry in harness._bpftool_json("map", "dump", "id", str(m["id"])) or []:
            value = entry.get("value")
            if value is None and isinstance(entry.get("formatted"), dict):
                value = entry["formatted"].get("value")
            if value is None:
                continue
            owner = int.from_bytes(_value_bytes(value)[4:8], "little") & 0x7FFFFFFF
            if owner:
                pids.add(owner)
    return pids


def test_new_process_traced_within_one_second(agent_factory, server_factory):
    """The first request one second after the process started already produces a span (port and exe)."""
    port = launch.free_port()
    agent = agent_factory(env={"OTEL_EBPF_OPEN_PORT": str(port), **FAST})
    t0 = time.monotonic()
    srv = server_factory("python", port=port, name="within-1s")  # returns once the port accepts
    time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
    since = agent.mark()
    r = harness.http_request(port, "/hello")
    spans = agent.wait_for_exact_spans(harness.server_span_pred(port, r.local_port), 1, since=since,
                                       describe="first request 1 s after start")
    assert harness.span_pid(spans[0]) == srv.pid


def test_connection_opened_before_the_agent(agent_factory, apps):
    """A keep-alive connection that existed before the agent: its later requests are traced, and the
    bytes in flight at attach time do not produce garbage."""
    srv = apps.get("python")
    sock = socket.create_connection(("127.0.0.1", srv.port))
    local_port = sock.getsockname()[1]

    def roundtrip(path):
        sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        while len(body) < length:
            body += sock.recv(65536)

    try:
        roundtrip("/hello")  # before the agent
        agent = agent_factory(env={"OTEL_EBPF_OPEN_PORT": str(srv.port), **FAST})
        agent.warm_up(srv.port)
        since = agent.mark()
        for i in range(5):
            roundtrip("/users/%d" % i)
        spans = agent.wait_for_exact_spans(harness.server_span_pred(srv.port, local_port), 5, since=since)
        assert [sattr(s, "url.path") for s in spans] == ["/users/%d" % i for i in range(5)]
        assert all(s["name"] == "GET /users/*" for s in spans)
    finally:
        sock.close()


def test_exited_process_is_removed_from_kernel_maps(agent_factory, server_factory):
    port = launch.free_port()
    agent = agent_factory(env={"OTEL_EBPF_OPEN_PORT": str(port), **FAST})
    srv = server_factory("python", port=port, name="exits")
    agent.warm_up(port)
    assert srv.pid in traced_pids()
    srv.stop()
    deadline = time.monotonic() + 5
    while srv.pid in traced_pids() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert srv.pid not in traced_pids()
    assert srv.pid not in bpf_map_keys("obi_proc_ctx")


def test_sigterm_detaches_everything(agent_factory, apps):
    srv = apps.get("python")
    agent = agent_factory(env={"OTEL_EBPF_OPEN_PORT": str(srv.port), **FAST})
    agent.warm_up(srv.port)
    before = agent.bpf_before
    agent.proc.send_signal(signal.SIGTERM)
    assert agent.proc.wait(10) == 0, agent.logs()
    harness.assert_no_new_bpf_objects(before)
    assert "stopped:" in agent.stderr()


def test_curl_is_a_traced_client(agent_factory, apps, work_dir):
    """curl (a C program linked against libcurl) selected by its executable: HTTPClient spans."""
    srv = apps.downstream
    agent = agent_factory(env={"OTEL_EBPF_AUTO_TARGET_EXE": "*/curl", **FAST})
    url = "http://127.0.0.1:%d/status/404" % srv.port
    deadline = time.monotonic() + 10
    pred = harness.client_span_pred(url_full=url)
    since = agent.mark()
    while not agent.spans.matching(pred, since) and time.monotonic() < deadline:
        subprocess.run(["curl", "-s", "-o", "/dev/null", url], check=True, timeout=10)
        time.sleep(0.3)
    span = agent.wait_for_spans(pred, 1, since=since)[0]
    assert span["type"] == "HTTPClient" and span["kind"] == "SPAN_KIND_CLIENT"
    assert span["statusCode"] == "STATUS_CODE_ERROR"  # client: >= 400
    assert sattr(span, "http.response.status_code") == 404
    assert sattr(span, "server.port") == srv.port
    assert sattr(span, "http.request.method") == "GET"
    assert rattr(span, "service.name") == "curl"
    assert rattr(span, "telemetry.sdk.language") == "generic"


def test_config_file_with_routes_and_expansion(agent_factory, apps, work_dir):
    """YAML from OTEL_EBPF_CONFIG_PATH: ${VAR:-default} expansion, routes.patterns, trace printer."""
    srv = apps.get("python")
    path = os.path.join(work_dir, "routes-config.yaml")
    with open(path, "w") as f:
        f.write("trace_printer: ${OBI_TEST_PRINTER:-json}\n"
                "discovery:\n  instrument:\n    - open_ports: ${OBI_TEST_PORT}\n"
                "routes:\n  patterns: ['/users/{id}', '/status/:code']\n  unmatched: path\n")
    agent = agent_factory(env={"OTEL_EBPF_CONFIG_PATH": path, "OBI_TEST_PORT": str(srv.port), **FAST})
    agent.warm_up(srv.port)
    since = agent.mark()
    r1 = harness.http_request(srv.port, "/users/7")
    r2 = harness.http_request(srv.port, "/status/404")
    r3 = harness.http_request(srv.port, "/hello?x=1&token=secret")
    s1 = agent.wait_for_exact_spans(harness.server_span_pred(srv.port, r1.local_port), 1, since=since)[0]
    s2 = agent.wait_for_exact_spans(harness.server_span_pred(srv.port, r2.local_port), 1, since=since)[0]
    s3 = agent.wait_for_exact_spans(harness.server_span_pred(srv.port, r3.local_port), 1, since=since)[0]
    assert (s1["name"], sattr(s1, "http.route")) == ("GET /users/{id}", "/users/{id}")
    assert (s2["name"], sattr(s2, "http.route")) == ("GET /status/:code", "/status/:code")
    assert (s3["name"], sattr(s3, "http.route")) == ("GET /hello", "/hello")  # unmatched: path
    assert sattr(s3, "url.query") == "x=1&token=REDACTED"  # sensitive parameters never leave the host


def test_text_printer_line(agent_factory, apps):
    srv = apps.get("python")
    agent = agent_factory(env={"OTEL_EBPF_OPEN_PORT": str(srv.port), "OTEL_EBPF_TRACE_PRINTER": "text", **FAST})
    deadline = time.monotonic() + 15
    line_re = re.compile(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{5} \(\S+\[\S+\]\) HTTP 200 GET /users/42 "
        r"\[127\.0\.0\.1 as 127\.0\.0\.1:(\d+)\]->\[127\.0\.0\.1 as 127\.0\.0\.1:%d\] "
        r"contentLen:0B responseLen:\d+B svc=\[python3\.\d+ python\] "
        r"traceparent=\[00-[0-9a-f]{32}-[0-9a-f]{16}\[0{16}\]-01\]$" % srv.port, re.M)
    found = None
    while found is None and time.monotonic() < deadline:
        harness.http_request(srv.port, "/users/42")
        time.sleep(0.3)
        found = line_re.search(agent.stdout())
    assert found, agent.logs()
