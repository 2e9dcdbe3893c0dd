"""The core HTTP checks under each probe backend (OTEL_EBPF_BPF_PROBE_BACKEND), against the Python server."""
import pytest

import harness
import keepalive_client
import raw_client
from harness import sattr


@pytest.fixture(scope="module", params=harness.PROBE_BACKENDS)
def agent(request, apps, module_agent_factory):
    srv = apps.get("python")
    a = module_agent_factory(env={"OTEL_EBPF_OPEN_PORT": str(srv.port), "OTEL_EBPF_TRACE_PRINTER": "json",
                                  "OTEL_EBPF_BPF_PROBE_BACKEND": request.param},
                             name="probe-backend-%s" % request.param)
    a.backend = request.param
    a.warm_up(srv.port)
    yield a
    module_agent_factory.stop(a)  # before the next backend's agent starts


@pytest.fixture(scope="module")
def server(apps):
    return apps.get("python")


def test_backend_reported(agent):
    line = harness.BACKEND_PATTERN.format(backend=agent.backend)
    assert line in agent.stderr(), "%r not on stderr\n%s" % (line, agent.logs())


def test_hello(agent, server):
    since = agent.mark()
    r = harness.http_request(server.port, "/hello")
    span = agent.wait_for_exact_spans(harness.server_span_pred(server.port, r.local_port), 1, since=since)[0]
    assert span["name"] == "GET /hello" and span["kind"] == "SPAN_KIND_SERVER"
    assert span["statusCode"] == "STATUS_CODE_UNSET"
    assert (sattr(span, "url.path"), sattr(span, "http.response.status_code"), sattr(span, "server.port")) == (
        "/hello", 200, server.port)
    assert sattr(span, "http.response.body.size") == 5
    assert harness.span_pid(span) == server.pid


def test_keepalive_1000(agent, server):
    since = agent.mark()
    res = keepalive_client.run("http://127.0.0.1:%d/hello" % server.port, 1000)
    assert res["statuses"] == {200: 1000}
    spans = agent.wait_for_exact_spans(harness.server_span_pred(server.port, res["local_port"]), 1000, timeout=30,
                                       since=since, settle=3.0)
    assert len({s["spanID"] for s in spans}) == 1000


def test_pipelined(agent, server):
    paths = ["/hello", "/users/7", "/status/404"]
    since = agent.mark()
    lport, resps = raw_client.pipeline(server.port, paths)
    assert [x[0] for x in resps] == [200, 200, 404]
    spans = agent.wait_for_exact_spans(harness.server_span_pred(server.port, lport), 3, since=since)
    spans.sort(key=lambda s: (int(s["end"]), int(s["start"])))
    assert [sattr(s, "url.path") for s in spans] == paths
    assert [sattr(s, "http.response.status_code") for s in spans] == [200, 200, 404]
