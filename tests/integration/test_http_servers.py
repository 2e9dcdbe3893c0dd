"""HTTP/1.1 server and client spans from the Python, Node, Go and Java sample servers.

One agent (default probe backend, JSON trace printer) selects all four servers by port; every test sends its
requests on its own connection and identifies its spans by the client's local port (peerPort), looking only
at spans printed after its own mark.
"""
import time

import pytest

import conftest
import harness
import keepalive_client
import raw_client
from harness import launch, sattr, rattr

LANGS = launch.LANGUAGES


@pytest.fixture(scope="module")
def agent(apps, module_agent_factory):
    ports = ",".join(str(apps.get(lang).port) for lang in LANGS)
    apps.downstream  # started before the agent, never selected
    return module_agent_factory(env={"OTEL_EBPF_OPEN_PORT": ports, "OTEL_EBPF_TRACE_PRINTER": "json"})


@pytest.fixture(scope="module", params=LANGS)
def app(request, apps, agent):
    srv = apps.get(request.param)
    agent.warm_up(srv.port)
    return srv


def request_span(agent, app, path, **kw):
    """Sends one request on a fresh connection; returns (response, its one server span)."""
    since = agent.mark()
    r = harness.http_request(app.port, path, **kw)
    spans = agent.wait_for_exact_spans(harness.server_span_pred(app.port, r.local_port), 1, since=since,
                                       describe="%s %s from :%d" % (app.lang, path, r.local_port))
    span = spans[0]
    assert sattr(span, "url.path") == path.split("?")[0], harness.brief(span)
    return r, span


def assert_server_basics(span, app, method, status, route):
    assert span["type"] == "HTTP"
    assert span["kind"] == "SPAN_KIND_SERVER"
    assert span["name"] == ("%s %s" % (method, route) if route else method)
    assert span["statusCode"] == ("STATUS_CODE_ERROR" if status >= 500 else "STATUS_CODE_UNSET")
    a = span["spanAttributes"]
    assert a["http.request.method"] == method
    assert a["http.response.status_code"] == status and type(a["http.response.status_code"]) is int
    assert a["server.port"] == app.port and type(a["server.port"]) is int
    assert a["client.address"] == "127.0.0.1"
    if route:
        assert a["http.route"] == route


def test_hello(agent, app):
    r, span = request_span(agent, app, "/hello")
    assert (r.status, r.body) == (200, b"hello")
    assert_server_basics(span, app, "GET", 200, "/hello")
    a = span["spanAttributes"]
    assert a["http.response.body.size"] == 5 and type(a["http.response.body.size"]) is int
    assert a["http.request.body.size"] == 0
    assert a["server.address"] == "127.0.0.1"
    assert a.get("url.scheme") == "http"
    assert "url.query" not in a
    # OBI's own JSON fields: all strings, consistent with the connection
    for field in harness.OBI_STRING_FIELDS:
        assert isinstance(span.get(field), str), "field %s is %r" % (field, span.get(field))
    assert (span["peer"], span["peerPort"], span["host"], span["hostPort"]) == (
        "127.0.0.1", str(r.local_port), "127.0.0.1", str(app.port))
    assert len(span["traceID"]) == 32 and int(span["traceID"], 16) != 0
    assert len(span["spanID"]) == 16 and int(span["spanID"], 16) != 0
    assert span["parentSpanID"] in harness.ZERO_SPAN_ID
    assert span["flags"] == "01"
    start, end = int(span["start"]), int(span["end"])
    assert abs(start / 1e6 - time.time()) < 120, "start is not Unix microseconds: %s" % span["start"]
    assert start <= int(span["handlerStart"]) <= end
    assert abs(int(span["durationUSec"]) - (end - start)) <= 2
    legacy = span["attributes"]
    assert (legacy["method"], legacy["status"], legacy["url"], legacy["route"], legacy["serverPort"]) == (
        "GET", "200", "/hello", "/hello", str(app.port))
    assert (legacy["contentLen"], legacy["responseLen"]) == ("0", "5")
    # resource
    res = span["resource"]
    assert res["service.name"] == conftest.service_name_of(app)
    assert res["service.instance.id"].endswith(":%d" % app.pid)
    assert res["telemetry.sdk.language"] == conftest.EXPECTED_LANGUAGE[app.lang]
    assert res["telemetry.distro.name"] == "opentelemetry-ebpf-instrumentation"
    assert res["os.type"] == "linux"
    for key in ("telemetry.sdk.name", "telemetry.sdk.version", "host.name", "host.id"):
        assert res.get(key), "resource %s missing: %s" % (key, res)
    assert "service.namespace" not in res


def test_users_route_is_heuristic(agent, app):
    r, span = request_span(agent, app, "/users/123")
    assert r.status == 200
    assert_server_basics(span, app, "GET", 200, "/users/*")
    assert span["name"] == "GET /users/*"


def test_query_string_is_not_in_path_or_route(agent, app):
    r, span = request_span(agent, app, "/users/77?sort=asc&page=2")
    assert sattr(span, "url.query") == "sort=asc&page=2"
    assert sattr(span, "http.route") == "/users/*"


def test_status_503_is_error(agent, app):
    r, span = request_span(agent, app, "/status/503")
    assert r.status == 503
    assert_server_basics(span, app, "GET", 503, "/status/*")
    assert span["statusCode"] == "STATUS_CODE_ERROR"


def test_status_404_is_unset(agent, app):
    r, span = request_span(agent, app, "/status/404")
    assert r.status == 404
    assert_server_basics(span, app, "GET", 404, "/status/*")
    assert span["statusCode"] == "STATUS_CODE_UNSET"


def test_post_echo_body_sizes(agent, app):
    r, span = request_span(agent, app, "/echo", method="POST", body=b"b" * 1000,
                           headers={"Content-Type": "application/octet-stream"})
    assert (r.status, len(r.body)) == (200, 1000)
    assert_server_basics(span, app, "POST", 200, "/echo")
    assert sattr(span, "http.request.body.size") == 1000
    assert sattr(span, "http.response.body.size") == 1000
    assert span["attributes"]["contentLen"] == "1000"


def test_chunked_response(agent, app):
    r, span = request_span(agent, app, "/chunked")
    assert r.status == 200 and r.headers.get("transfer-encoding", "").lower() == "chunked"
    assert_server_basics(span, app, "GET", 200, "/chunked")
    assert isinstance(sattr(span, "http.response.body.size"), int)


def test_slow_duration(agent, app):
    r, span = request_span(agent, app, "/slow?ms=300")
    assert_server_basics(span, app, "GET", 200, "/slow")
    assert sattr(span, "url.query") == "ms=300"
    assert 300_000 <= int(span["durationUSec"]) < 5_000_000, span["durationUSec"]
    assert int(span["end"]) - int(span["start"]) >= 300_000


@pytest.mark.parametrize("down_path,down_status", [("/hello", 200), ("/status/404", 404)])
def test_call_nests_client_span(agent, app, apps, down_path, down_status):
    down = apps.downstream
    url = "http://127.0.0.1:%d%s" % (down.port, down_path)
    since = agent.mark()
    r, server = request_span(agent, app, "/call?url=" + url)
    assert (r.status, r.body.strip()) == (200, b"downstream status %d" % down_status)
    assert_server_basics(server, app, "GET", 200, "/call")
    clients = agent.wait_for_exact_spans(harness.client_span_pred(trace_id=server["traceID"]), 1, since=since,
                                         describe="client span of %s /call" % app.lang)
    client = clients[0]
    route = "/hello" if down_path == "/hello" else "/status/*"
    assert client["kind"] == "SPAN_KIND_CLIENT"
    assert client["name"] == "GET " + route
    assert client["parentSpanID"] == server["spanID"]
    assert client["spanID"] != server["spanID"]
    a = client["spanAttributes"]
    assert a["url.full"] == url
    assert a["http.request.method"] == "GET"
    assert a["http.response.status_code"] == down_status
    assert a["server.address"] == "127.0.0.1"
    assert a["server.port"] == down.port
    assert client["statusCode"] == ("STATUS_CODE_ERROR" if down_status >= 400 else "STATUS_CODE_UNSET")
    assert rattr(client, "service.name") == rattr(server, "service.name")
    assert rattr(client, "service.instance.id") == rattr(server, "service.instance.id")
    # the client call happens inside the server request
    assert int(server["start"]) <= int(client["start"]) <= int(client["end"]) <= int(server["end"])
    # nothing for the downstream server: no agent selects it
    assert not agent.spans.matching(harness.server_span_pred(down.port), since)


def test_keepalive_1000(agent, app):
    since = agent.mark()
    res = keepalive_client.run("http://127.0.0.1:%d/hello" % app.port, 1000)
    assert res["statuses"] == {200: 1000}
    pred = harness.server_span_pred(app.port, res["local_port"])
    spans = agent.wait_for_exact_spans(pred, 1000, timeout=30, since=since, settle=3.0,
                                       describe="1000 keep-alive requests")
    assert {sattr(s, "url.path") for s in spans} == {"/hello"}
    assert {sattr(s, "http.response.status_code") for s in spans} == {200}
    assert {sattr(s, "http.response.body.size") for s in spans} == {5}
    assert len({s["spanID"] for s in spans}) == 1000
    assert len({s["traceID"] for s in spans}) == 1000


def test_pipelined_requests(agent, app):
    paths = ["/hello", "/users/7", "/status/404"]
    since = agent.mark()
    lport, resps = raw_client.pipeline(app.port, paths)
    assert [x[0] for x in resps] == [200, 200, 404]
    spans = agent.wait_for_exact_spans(harness.server_span_pred(app.port, lport), 3, since=since,
                                       describe="pipelined")
    spans.sort(key=lambda s: (int(s["end"]), int(s["start"])))
    assert [sattr(s, "url.path") for s in spans] == paths
    assert [sattr(s, "http.response.status_code") for s in spans] == [200, 200, 404]
    assert sattr(spans[0], "http.response.body.size") == 5
    assert sattr(spans[1], "http.response.body.size") == len(resps[1][2])


def test_split_request_head(agent, app):
    since = agent.mark()
    lport, resps = raw_client.split(app.port, "/users/9", pieces=4, delay_ms=50)
    assert resps[0][0] == 200
    spans = agent.wait_for_exact_spans(harness.server_span_pred(app.port, lport), 1, since=since,
                                       describe="split head")
    span = spans[0]
    assert_server_basics(span, app, "GET", 200, "/users/*")
    assert sattr(span, "url.path") == "/users/9"
    # the span starts when the first piece is seen (3 x 50 ms before the head is complete)
    assert int(span["durationUSec"]) >= 100_000, span["durationUSec"]
