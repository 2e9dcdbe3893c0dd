"""Process selection and service identity: processes started after the agent (by port and by executable
glob), a non-interpreted HTTP client (C), and the target's OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES."""
import os
import shutil
import subprocess
import time

import pytest

import harness
from harness import launch, sattr, rattr

LATE_START_TIMEOUT_S = 15.0  # "within a few seconds" of the process starting (OBI polls every 5 s)


def poll_until_span(agent, port, path="/hello", timeout=LATE_START_TIMEOUT_S):
    """Sends requests until a server span for `port` appears; returns seconds it took."""
    since = agent.mark()
    t0 = time.monotonic()
    pred = harness.server_span_pred(port)
    while True:
        harness.http_request(port, path)
        end = time.monotonic() + 0.25
        while time.monotonic() < end:
            if agent.spans.matching(pred, since):
                return time.monotonic() - t0
            time.sleep(0.05)
        if time.monotonic() - t0 > timeout:
            raise AssertionError("no span for the late process on port %d within %.0fs\n%s" % (
                port, timeout, agent.logs()))


def test_late_start_by_port(agent_factory, server_factory):
    port = launch.free_port()
    agent = agent_factory(env={"OTEL_EBPF_OPEN_PORT": str(port), "OTEL_EBPF_TRACE_PRINTER": "json"})
    srv = server_factory("python", port=port, name="late-python")
    took = poll_until_span(agent, port)
    print("first span %.1fs after the server started" % took)
    since = agent.mark()
    r = harness.http_request(port, "/users/5")
    span = agent.wait_for_exact_spans(harness.server_span_pred(port, r.local_port), 1, since=since)[0]
    assert span["name"] == "GET /users/*"
    assert harness.span_pid(span) == srv.pid


def test_late_start_by_exe_glob(agent_factory, server_factory, apps, build_dir, c_client, work_dir):
    """OTEL_EBPF_AUTO_TARGET_EXE selects a Go server and a C client that both start after the agent."""
    late_dir = os.path.join(work_dir, "late-bin")
    os.makedirs(late_dir, exist_ok=True)
    go_exe = os.path.join(late_dir, "obi-late-goserver")
    c_exe = os.path.join(late_dir, "obi-late-client")
    shutil.copy2(launch.build_go(build_dir), go_exe)
    shutil.copy2(c_client, c_exe)
    down = apps.downstream  # a Python server: not matched by the glob
    agent = agent_factory(env={"OTEL_EBPF_AUTO_TARGET_EXE": "*/obi-late-*", "OTEL_EBPF_TRACE_PRINTER": "json"})

    srv = server_factory("go", exe=go_exe, name="late-go")
    poll_until_span(agent, srv.port)
    since = agent.mark()
    r = harness.http_request(srv.port, "/hello")
    span = agent.wait_for_exact_spans(harness.server_span_pred(srv.port, r.local_port), 1, since=since)[0]
    assert rattr(span, "service.name") == "obi-late-goserver"
    assert rattr(span, "telemetry.sdk.language") == "go"

    # C client: warm-up requests until the agent shows it sees the process, then 5 counted requests.
    log = open(os.path.join(work_dir, "servers", "late-c-client.out"), "w+")
    proc = subprocess.Popen([c_exe, "-w", "/hello", "-n", "5", "127.0.0.1", str(down.port), "/users/42"],
                            stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, text=True,
                            env=launch.clean_env())
    try:
        warm_url = "http://127.0.0.1:%d/hello" % down.port
        agent.wait_for_spans(harness.client_span_pred(url_full=warm_url), 1, timeout=LATE_START_TIMEOUT_S,
                             describe="client spans of the late C client")
        since = agent.mark()
        proc.communicate("go\n", timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.seek(0)
        out = log.read()
        log.close()
    assert proc.returncode == 0, out
    url = "http://127.0.0.1:%d/users/42" % down.port
    spans = agent.wait_for_exact_spans(harness.client_span_pred(url_full=url), 5, since=since,
                                       describe="5 keep-alive GETs of the C client")
    for s in spans:
        assert s["name"] == "GET /users/*" and s["kind"] == "SPAN_KIND_CLIENT"
        assert s["statusCode"] == "STATUS_CODE_UNSET"
        assert sattr(s, "http.response.status_code") == 200
        assert sattr(s, "server.port") == down.port
        assert s["parentSpanID"] in harness.ZERO_SPAN_ID
        assert rattr(s, "service.name") == "obi-late-client"
        assert rattr(s, "telemetry.sdk.language") == "generic"
    assert harness.span_pid(spans[0]) == proc.pid
    assert len({s["traceID"] for s in spans}) == 5
    # the downstream server itself is not selected
    assert not agent.spans.matching(harness.server_span_pred(down.port))


def test_processes_that_exit_at_once_keep_their_spans(agent_factory, apps, c_client, work_dir):
    """A CLI client selected by exe_path that exits within milliseconds (redis-cli, psql -c, dig) may be gone before
    discovery reads /proc/<pid>: it is identified from its exec event instead, so its spans are kept."""
    brief_dir = os.path.join(work_dir, "brief-bin")
    os.makedirs(brief_dir, exist_ok=True)
    exe = os.path.join(brief_dir, "obi-brief-client")
    shutil.copy2(c_client, exe)
    down = apps.downstream
    agent = agent_factory(config={"trace_printer": "json", "discovery": {"instrument": [{"exe_path": "*/obi-brief-*"}]}})
    since = agent.mark()
    runs = 25
    pids = []
    for i in range(runs):
        p = subprocess.run([exe, "127.0.0.1", str(down.port), "/brief/%d" % i], capture_output=True, text=True,
                           timeout=20, env=launch.clean_env())
        assert p.returncode == 0, p.stdout + p.stderr
    url = "http://127.0.0.1:%d/brief/" % down.port
    spans = agent.wait_for_exact_spans(harness.client_span_pred(url_prefix=url), runs, since=since,
                                       describe="one client span per short-lived process")
    assert sorted(sattr(s, "url.full") for s in spans) == sorted(url + str(i) for i in range(runs))
    for s in spans:
        assert rattr(s, "service.name") == "obi-brief-client"
    assert len({harness.span_pid(s) for s in spans}) == runs
    agent.stop()
    assert "0 dropped" in agent.stderr(), agent.stderr()[-2000:]


def test_processes_sharing_table_slots(agent_factory, server_factory, c_client, work_dir):
    """The kernel's traced-process table holds a process in the slot of its pid's low bits, and one whose slot is
    taken in a hash map beside it. With a one-slot table (a test-only setting) every traced process but one is in
    the hash map and every untraced one is looked up there: a traced server, 20 short-lived traced clients added by
    the kernel at exec and removed at exit, and an untraced client of the same server all come out right."""
    brief_dir = os.path.join(work_dir, "slots-bin")
    os.makedirs(brief_dir, exist_ok=True)
    exe = os.path.join(brief_dir, "obi-slot-client")
    shutil.copy2(c_client, exe)
    port = launch.free_port()
    agent = agent_factory(env={"OBI_TEST_PID_SLOTS": "1"}, config={
        "trace_printer": "json",
        "discovery": {"instrument": [{"exe_path": "*/obi-slot-*"}, {"open_ports": str(port)}]}})
    srv = server_factory("python", port=port, name="slots-python")
    poll_until_span(agent, port)
    since = agent.mark()
    runs = 20
    for i in range(runs):
        p = subprocess.run([exe, "127.0.0.1", str(port), "/slot/%d" % i], capture_output=True, text=True,
                           timeout=20, env=launch.clean_env())
        assert p.returncode == 0, p.stdout + p.stderr
    untraced = subprocess.run([c_client, "127.0.0.1", str(port), "/untraced"], capture_output=True, text=True,
                              timeout=20, env=launch.clean_env())
    assert untraced.returncode == 0, untraced.stdout + untraced.stderr
    url = "http://127.0.0.1:%d/slot/" % port
    clients = agent.wait_for_exact_spans(harness.client_span_pred(url_prefix=url), runs, since=since,
                                         describe="one client span per short-lived process")
    assert len({harness.span_pid(s) for s in clients}) == runs
    servers = agent.wait_for_exact_spans(harness.server_span_pred(port), runs + 1, since=since,
                                         describe="the server's spans of every request, the untraced one's too")
    assert {harness.span_pid(s) for s in servers} == {srv.pid}
    assert not agent.spans.matching(harness.client_span_pred(url_full="http://127.0.0.1:%d/untraced" % port), since)
    agent.stop()
    assert "0 dropped" in agent.stderr(), agent.stderr()[-2000:]


@pytest.fixture(scope="module")
def env_servers(apps):
    named = apps.start("python", name="env-my-svc", env={
        "OTEL_SERVICE_NAME": "my-svc", "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod"})
    attrs = apps.start("python", name="env-attrs", env={
        "OTEL_RESOURCE_ATTRIBUTES": "service.name=attr-svc,service.namespace=shop,team=core"})
    return named, attrs


@pytest.fixture(scope="module")
def env_agent(env_servers, module_agent_factory):
    ports = ",".join(str(s.port) for s in env_servers)
    agent = module_agent_factory(env={"OTEL_EBPF_OPEN_PORT": ports, "OTEL_EBPF_TRACE_PRINTER": "json"})
    for s in env_servers:
        agent.warm_up(s.port)
    return agent


def _hello_span(agent, srv):
    since = agent.mark()
    r = harness.http_request(srv.port, "/hello")
    return agent.wait_for_exact_spans(harness.server_span_pred(srv.port, r.local_port), 1, since=since)[0]


def test_service_name_and_resource_from_target_env(env_agent, env_servers):
    span = _hello_span(env_agent, env_servers[0])
    assert rattr(span, "service.name") == "my-svc"
    assert rattr(span, "deployment.environment") == "prod"
    assert rattr(span, "telemetry.sdk.language") == "python"
    assert span["name"] == "GET /hello"


def test_service_name_and_namespace_from_resource_attributes(env_agent, env_servers):
    span = _hello_span(env_agent, env_servers[1])
    assert rattr(span, "service.name") == "attr-svc"
    assert rattr(span, "service.namespace") == "shop"
    assert rattr(span, "team") == "core"
