"""OTLP export of traces and metrics, checked in a real OTLP receiver (tests/otlp_receiver: the official protos and
generated decoders, not our code).

Every test starts its own agent (OTEL_EBPF_OPEN_PORT = the shared Python sample server) exporting to its own
receiver, with a 1 s metrics interval and a 200 ms trace batch timeout, and the JSON trace printer on (used for
warm-up and as the reference the OTLP spans are compared with).
"""
import json
import time
import uuid

import pytest

import conftest
import harness
import otlp
from harness import launch

PROTOCOLS = ("grpc", "http/protobuf", "http/json")
N_REQUESTS = 1000


@pytest.fixture
def app(apps):
    return apps.get("python")


# --------------------------------------------------------------------------------------------- (a) counts
@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_every_request_is_counted_and_traced(agent_factory, otlp_receiver, app, protocol):
    rx = otlp_receiver
    agent = otlp.start_agent(agent_factory, app, rx, protocol)
    tag = uuid.uuid4().hex[:8]
    paths = ["/users/%s-%d" % (tag, i) for i in range(N_REQUESTS)]
    assert otlp.send_requests(app.port, paths) == [200] * N_REQUESTS

    want = {"http.route": "/users/*", "server.port": app.port}
    got = otlp.wait_total(rx, otlp.HTTP_SERVER_DURATION, want, N_REQUESTS)
    assert got == N_REQUESTS, "%s counted %s requests, sent %d" % (otlp.HTTP_SERVER_DURATION, got, N_REQUESTS)

    # every request is also one exported server span, none twice
    spans = rx.wait_for_spans(otlp.server_span_pred(app.port, path_prefix="/users/%s-" % tag), N_REQUESTS,
                              timeout=30, describe="server spans of the counted requests")
    time.sleep(1.0)
    spans = [s for s in rx.spans() if otlp.server_span_pred(app.port, path_prefix="/users/%s-" % tag)(s)]
    assert sorted(s["attrs"]["url.path"] for s in spans) == sorted(paths)
    assert len({s["span_id"] for s in spans}) == N_REQUESTS

    # the data points carry the contract's attributes (obi-compat 4.2, 4.4)
    points = [(r, m, p) for r, m, p in otlp.metric_points(rx.records("metrics"), otlp.HTTP_SERVER_DURATION)
              if otlp._matches(p["attrs"], want)]
    res, meta, p = points[-1]
    assert meta["type"] == "histogram" and meta["unit"] == "s"
    assert meta["aggregation_temporality"] == "AGGREGATION_TEMPORALITY_CUMULATIVE"
    assert p["explicit_bounds"] == otlp.DURATION_BUCKETS
    assert len(p["bucket_counts"]) == len(p["explicit_bounds"]) + 1 and sum(p["bucket_counts"]) == p["count"]
    assert 0 < p["sum"] < N_REQUESTS * 1.0
    svc = conftest.service_name_of(app)
    assert p["attrs"]["http.request.method"] == "GET"
    assert p["attrs"]["http.response.status_code"] == 200 and p["attr_types"]["http.response.status_code"] == "int"
    assert p["attrs"]["server.port"] == app.port and p["attr_types"]["server.port"] == "int"
    assert p["attrs"]["server.address"] == "127.0.0.1"
    assert p["attrs"]["service.name"] == svc
    assert res["service.name"] == svc
    assert res["service.instance.id"].endswith(":%d" % app.pid)
    assert res["telemetry.sdk.language"] == "python"
    assert "url.path" not in p["attrs"] and "client.address" not in p["attrs"]  # opt-in only
    assert agent.proc.poll() is None


# ---------------------------------------------------------------------------- (b) traces == the printer's
def _type_of(v):
    return {bool: "bool", int: "int", float: "double", str: "string", list: "array", dict: "kvlist"}[type(v)]


def compare_with_printer(printed, exported):
    """Field-by-field: what the JSON trace printer shows must be in the OTLP span, with the same value and type."""
    problems = []

    def check(what, want, got):
        if want != got:
            problems.append("%s: printer %r, OTLP %r" % (what, want, got))

    check("trace id", printed["traceID"], exported["trace_id"])
    check("span id", printed["spanID"], exported["span_id"])
    check("parent span id", "" if printed["parentSpanID"] in harness.ZERO_SPAN_ID else printed["parentSpanID"],
          exported["parent_span_id"])
    check("name", printed["name"], exported["name"])
    check("kind", printed["kind"], exported["kind"])
    check("status", printed["statusCode"], exported["status"]["code"])
    check("start (us)", int(printed["start"]), int(exported["start_time_unix_nano"]) // 1000)
    check("end (us)", int(printed["end"]), int(exported["end_time_unix_nano"]) // 1000)
    check("scope", otlp.TRACES_SCOPE_NAME, exported["scope"]["name"])
    for k, v in printed["spanAttributes"].items():
        check("attribute %s" % k, v, exported["attrs"].get(k, "<missing>"))
        if k in exported["attr_types"]:
            check("type of attribute %s" % k, _type_of(v), exported["attr_types"][k])
    for k, v in printed["resource"].items():
        check("resource %s" % k, v, exported["resource"].get(k, "<missing>"))
        if k in exported["resource_types"]:
            check("type of resource %s" % k, _type_of(v), exported["resource_types"][k])
    return problems


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_traces_match_the_json_printer(agent_factory, otlp_receiver, apps, app, protocol):
    rx = otlp_receiver
    down = apps.downstream
    agent = otlp.start_agent(agent_factory, app, rx, protocol)
    call_url = "http://127.0.0.1:%d/hello" % down.port
    requests = [("GET", "/hello", None), ("GET", "/users/7?sort=asc&page=2", None), ("GET", "/status/503", None),
                ("GET", "/status/404", None), ("POST", "/echo", b"x" * 300), ("GET", "/call?url=" + call_url, None)]
    printed = []
    for method, path, body in requests:
        since = agent.mark()
        r = harness.http_request(app.port, path, method=method, body=body)
        printed += agent.wait_for_exact_spans(harness.server_span_pred(app.port, r.local_port), 1, since=since,
                                              describe="%s %s" % (method, path))
        if path.startswith("/call"):
            printed += agent.wait_for_spans(harness.client_span_pred(url_full=call_url), 1, since=since)
    ids = {p["spanID"]: p for p in printed}
    exported = rx.wait_for(lambda: (lambda got: got if len(got) >= len(ids) else None)(
        {s["span_id"]: s for s in rx.spans() if s["span_id"] in ids}), timeout=30,
        describe="the %d printed spans over OTLP" % len(ids))
    problems = []
    for sid, p in ids.items():
        problems += ["%s %s: %s" % (p["name"], sid, x) for x in compare_with_printer(p, exported[sid])]
    assert not problems, "\n".join(problems)

    client = [p for p in printed if p["type"] == "HTTPClient"][0]
    server = [p for p in printed if p["type"] == "HTTP" and "/call" in p["spanAttributes"]["url.path"]][0]
    assert exported[client["spanID"]]["parent_span_id"] == server["spanID"]
    assert exported[client["spanID"]]["kind"] == "SPAN_KIND_CLIENT"
    err = [s for s in exported.values() if s["attrs"].get("http.response.status_code") == 503][0]
    assert err["status"]["code"] == "STATUS_CODE_ERROR"
    for rec in rx.records("traces"):
        assert rec["warnings"] == [] and rec["duplicate_attribute_keys"] == [], rec["warnings"]
        assert rec["encoding"] == ("json" if protocol == "http/json" else "protobuf")
        assert rec["transport"] == ("grpc" if protocol == "grpc" else "http")
    for rec in rx.records("metrics"):
        assert rec["warnings"] == [] and rec["duplicate_attribute_keys"] == [], rec["warnings"]
    # resource: obi-compat 2.2
    res = exported[server["spanID"]]["resource"]
    assert res["service.name"] == conftest.service_name_of(app)
    assert res["service.instance.id"].endswith(":%d" % app.pid)
    assert res["telemetry.distro.name"] == "opentelemetry-ebpf-instrumentation" and res["os.type"] == "linux"
    for key in ("telemetry.sdk.name", "telemetry.sdk.version", "telemetry.sdk.language", "host.name", "host.id"):
        assert res.get(key), "resource %s missing: %s" % (key, res)
    assert agent.proc.poll() is None


# ------------------------------------------------------------------- (c) json, gzip, headers, endpoints
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_gzip_compression(agent_factory, otlp_receiver, app, protocol):
    rx = otlp_receiver
    otlp.start_agent(agent_factory, app, rx, protocol, extra={"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"})
    otlp.send_requests(app.port, ["/users/gz-%d" % i for i in range(20)])
    rx.wait_for_spans(otlp.server_span_pred(app.port, path_prefix="/users/gz-"), 20, describe="gzip spans")
    rx.wait_for(lambda: rx.records("metrics"), describe="a metrics export")
    for rec in rx.records("traces") + rx.records("metrics"):
        assert rec["compression"] == "gzip", "%s export %d was %s" % (rec["signal"], rec["seq"], rec["compression"])
    if protocol != "grpc":
        assert all(r["wire_bytes"] < r["bytes"] for r in rx.records("traces") if r["bytes"] > 1000)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_headers_reach_the_collector(agent_factory, otlp_receiver, app, protocol):
    rx = otlp_receiver
    otlp.start_agent(agent_factory, app, rx, protocol, extra={
        "OTEL_EXPORTER_OTLP_HEADERS": "x-obi-test=common,authorization=Bearer%20s3cr3t,x-obi-other=o=k",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-obi-test=traces"})
    otlp.send_requests(app.port, ["/users/h-1"])
    rx.wait_for_spans(otlp.server_span_pred(app.port, path="/users/h-1"), 1)
    rx.wait_for(lambda: rx.records("metrics"), describe="a metrics export")
    for rec in rx.records("traces"):
        h = rec["headers"]
        assert (h.get("x-obi-test"), h.get("authorization"), h.get("x-obi-other")) == ("traces", "Bearer s3cr3t",
                                                                                      "o=k"), h
    for rec in rx.records("metrics"):
        h = rec["headers"]
        assert (h.get("x-obi-test"), h.get("authorization")) == ("common", "Bearer s3cr3t"), h


def test_endpoint_paths(agent_factory, receiver_factory, app):
    """Common endpoint: /v1/traces and /v1/metrics appended without doubling '/'. Per-signal: used verbatim."""
    rx = receiver_factory()
    otlp.start_agent(agent_factory, app, rx, "http/protobuf", extra={"OTEL_EXPORTER_OTLP_ENDPOINT": rx.http_endpoint + "/"})
    otlp.send_requests(app.port, ["/users/p-1"])
    rx.wait_for_spans(otlp.server_span_pred(app.port, path="/users/p-1"), 1)
    rx.wait_for(lambda: rx.records("metrics"), describe="a metrics export")
    assert {r["path"] for r in rx.records("traces")} == {"/v1/traces"}
    assert {r["path"] for r in rx.records("metrics")} == {"/v1/metrics"}
    assert rx.stats()["unknown_paths"] == {}

    rx2 = receiver_factory(routes={"/custom/t": "traces", "/custom/m": "metrics"})
    env = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rx2.http_endpoint + "/custom/t",
           "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": rx2.http_endpoint + "/custom/m",
           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EBPF_METRICS_INTERVAL": "1s",
           "OTEL_EBPF_OTLP_TRACES_BATCH_TIMEOUT": "200ms", "OTEL_EBPF_OPEN_PORT": str(app.port)}
    agent = agent_factory(env=env)
    agent.warm_up(app.port)
    otlp.send_requests(app.port, ["/users/p-2"])
    rx2.wait_for_spans(otlp.server_span_pred(app.port, path="/users/p-2"), 1)
    rx2.wait_for(lambda: rx2.records("metrics"), describe="a metrics export")
    assert {r["path"] for r in rx2.records("traces")} == {"/custom/t"}
    assert {r["path"] for r in rx2.records("metrics")} == {"/custom/m"}
    assert rx2.stats()["unknown_paths"] == {}


def _port_ending_in(suffix):
    for p in range(10000 + int(suffix), 65536, 10000):
        if not launch.port_accepts(p):
            return p
    pytest.fail("no free port ending in %s" % suffix)


def test_protocol_guessed_from_port(agent_factory, receiver_factory, app):
    """No protocol set: an endpoint port ending in 4317 means gRPC (obi-compat 5.3)."""
    rx = receiver_factory(grpc_port=_port_ending_in("4317"))
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": rx.grpc_endpoint, "OTEL_EBPF_OTLP_TRACES_BATCH_TIMEOUT": "200ms",
           "OTEL_EBPF_METRICS_INTERVAL": "1s", "OTEL_EBPF_OPEN_PORT": str(app.port)}
    agent = agent_factory(env=env)
    agent.warm_up(app.port)
    otlp.send_requests(app.port, ["/users/g-1"])
    rx.wait_for_spans(otlp.server_span_pred(app.port, path="/users/g-1"), 1)
    assert {r["transport"] for r in rx.records("traces")} == {"grpc"}


def test_resource_attributes_of_the_target(agent_factory, otlp_receiver, server_factory):
    """The target's OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES reach the OTLP resource (obi-compat 2.1, 2.2, ex. 15)."""
    rx = otlp_receiver
    srv = server_factory("python", env={"OTEL_SERVICE_NAME": "my-svc",
                                        "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod,service.namespace=shop"})
    otlp.start_agent(agent_factory, srv, rx, "grpc")
    otlp.send_requests(srv.port, ["/users/r-1"])
    s = rx.wait_for_spans(otlp.server_span_pred(srv.port, path="/users/r-1"), 1)[0]
    assert (s["resource"]["service.name"], s["resource"]["service.namespace"]) == ("my-svc", "shop")
    assert s["resource"]["deployment.environment"] == "prod"
    p = rx.wait_for(lambda: [p for r, m, p in otlp.metric_points(rx.records("metrics"), otlp.HTTP_SERVER_DURATION)
                             if p["attrs"].get("server.port") == srv.port], describe="a duration point")[-1]
    assert (p["attrs"]["service.name"], p["attrs"]["service.namespace"]) == ("my-svc", "shop")


def test_only_traces_configured(agent_factory, otlp_receiver, app):
    """A traces endpoint alone exports no metrics (obi-compat 5.1: metrics need an endpoint)."""
    rx = otlp_receiver
    otlp.start_agent(agent_factory, app, rx, "grpc", metrics=False)
    otlp.send_requests(app.port, ["/users/t-1"])
    rx.wait_for_spans(otlp.server_span_pred(app.port, path="/users/t-1"), 1)
    time.sleep(2.5)
    assert rx.records("metrics") == [] and rx.stats()["metrics"]["requests"] == 0


def test_json_printer_output_is_unchanged_by_otlp(agent_factory, otlp_receiver, app):
    """Enabling OTLP next to the printer leaves the printer's JSON valid (one array per line, nothing else)."""
    rx = otlp_receiver
    agent = otlp.start_agent(agent_factory, app, rx, "grpc")
    otlp.send_requests(app.port, ["/users/j-%d" % i for i in range(50)])
    rx.wait_for_spans(otlp.server_span_pred(app.port, path_prefix="/users/j-"), 50)
    agent.spans.poll()
    assert agent.spans.other_lines == [] and agent.spans.bad_lines == []
    for line in agent.stdout().splitlines():
        assert isinstance(json.loads(line), list)
