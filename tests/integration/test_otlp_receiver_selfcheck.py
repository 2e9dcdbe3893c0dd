"""The test peers themselves, without the agent: the Node OTLP receiver decodes what the official OpenTelemetry JS
SDK exporters send (gRPC, http/protobuf, http/json, gzip, headers), its fault injection answers as specified, and
the Prometheus fixture scrapes a static exposition file."""
import http.client
import json
import socket
import subprocess
import time

import pytest

import otlp
from harness import launch

pytestmark = pytest.mark.noagent

PROTOCOLS = ("grpc", "http/protobuf", "http/json")


@pytest.mark.parametrize("compression", ["none", "gzip"])
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_decodes_js_sdk_traces_and_metrics(otlp_receiver, protocol, compression):
    rx = otlp_receiver
    sent = otlp.run_sdk_sender(protocol, rx.endpoint(protocol), compression=compression,
                               headers={"x-obi-test": "abc"}, temporality="delta", exponential=True)
    assert sent["traces_result"] == {"code": 0, "error": None}, sent
    assert sent["metrics_result"] == {"code": 0, "error": None}, sent

    rec = rx.wait_for(lambda: rx.records("traces"), describe="a traces record")[0]
    assert rec["transport"] == ("grpc" if protocol == "grpc" else "http")
    assert rec["encoding"] == ("json" if protocol == "http/json" else "protobuf")
    assert rec["compression"] == ("gzip" if compression == "gzip" else "identity")
    assert rec["headers"]["x-obi-test"] == "abc"
    assert rec["warnings"] == [] and rec["duplicate_attribute_keys"] == []
    spans = {s["name"]: s for s in otlp.flat_spans([rec])}
    by_id = {s["span_id"]: s for s in sent["spans"]}
    assert set(by_id) == {s["span_id"] for s in spans.values()}
    server, client = spans["GET /users/*"], spans["GET"]
    for s in (server, client):
        assert s["trace_id"] == by_id[s["span_id"]]["trace_id"] and len(s["trace_id"]) == 32
        assert s["parent_span_id"] == by_id[s["span_id"]]["parent_span_id"]
        assert s["scope"]["name"] == "selfcheck-scope" and s["scope"]["version"] == "1.2.3"
        assert {k: v for k, v in s["resource"].items() if not k.startswith("telemetry.sdk.")} == {
            "service.name": "sdk-sender", "service.namespace": "selfcheck", "test.int": 7, "test.bool": True,
            "test.double": 2.5, "test.strings": ["a", "b"]}
        assert s["resource_types"]["test.int"] == "int" and s["resource_types"]["test.double"] == "double"
        assert int(s["end_time_unix_nano"]) >= int(s["start_time_unix_nano"]) > 1.6e18
    assert server["parent_span_id"] == "" and client["parent_span_id"] == server["span_id"]
    assert (server["kind"], client["kind"]) == ("SPAN_KIND_SERVER", "SPAN_KIND_CLIENT")
    assert server["status"] == {"code": "STATUS_CODE_ERROR", "message": "upstream unavailable"}
    assert client["status"]["code"] == "STATUS_CODE_UNSET"
    assert server["attrs"] == {"http.request.method": "GET", "http.response.status_code": 503, "url.path": "/users/42",
                               "server.port": 8080, "http.route": "/users/*", "test.ratio": 0.25, "test.flag": False,
                               "test.ints": [1, 2, 3]}
    assert server["attr_types"]["http.response.status_code"] == "int"
    assert server["attr_types"]["http.request.method"] == "string"
    assert server["attr_types"]["test.ratio"] == "double" and server["attr_types"]["test.flag"] == "bool"
    assert server["events"][0]["name"] == "retry" and otlp.plain(server["events"][0]["attributes"]) == {"attempt": 2}
    assert client["links"][0]["span_id"] == server["span_id"]

    mrec = rx.wait_for(lambda: rx.records("metrics"), describe="a metrics record")[0]
    assert mrec["headers"]["x-obi-test"] == "abc" and mrec["warnings"] == []
    points = otlp.metric_points([mrec], "http.server.request.duration")
    assert {m["type"] for _, m, _ in points} == {"exponential_histogram"}
    assert {m["aggregation_temporality"] for _, m, _ in points} == {"AGGREGATION_TEMPORALITY_DELTA"}
    assert points[0][1]["unit"] == "s" and points[0][1]["scope"]["name"] == "selfcheck-meter"
    assert otlp.total([mrec], "http.server.request.duration", {"http.route": "/users/*"}) == 6
    assert otlp.total([mrec], "http.server.request.duration", {"http.response.status_code": 200}) == 5
    ok = [p for _, _, p in points if p["attrs"]["http.response.status_code"] == 200][0]
    assert ok["attr_types"]["http.response.status_code"] == "int"
    assert abs(ok["sum"] - 1.823) < 1e-9 and ok["min"] == 0.001 and ok["max"] == 1.5
    assert sum(ok["positive"]["bucket_counts"]) + ok["zero_count"] == 5 and ok["scale"] <= 20
    assert otlp.total([mrec], "test.requests", {"route": "/a"}, field="value") == 42
    inflight = otlp.metric_points([mrec], "test.inflight")[0]
    assert inflight[1]["type"] == "sum" and inflight[1]["is_monotonic"] is False and inflight[2]["value"] == -3


def test_cumulative_explicit_histogram(otlp_receiver):
    rx = otlp_receiver
    otlp.run_sdk_sender("http/protobuf", rx.http_endpoint, signal="metrics")
    rec = rx.wait_for(lambda: rx.records("metrics"), describe="a metrics record")[0]
    _, meta, p = [x for x in otlp.metric_points([rec], "http.server.request.duration")
                  if x[2]["attrs"]["http.response.status_code"] == 200][0]
    assert meta["type"] == "histogram" and meta["aggregation_temporality"] == "AGGREGATION_TEMPORALITY_CUMULATIVE"
    assert p["count"] == 5 and sum(p["bucket_counts"]) == 5
    assert len(p["bucket_counts"]) == len(p["explicit_bounds"]) + 1


# ------------------------------------------------------------------------------------------- raw HTTP
def post(port, path, body, ctype="application/x-protobuf", headers=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers=dict({"Content-Type": ctype}, **(headers or {})))
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


SPAN_JSON = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "raw"}}]},
                                "scopeSpans": [{"scope": {"name": "s"}, "spans": [{
                                    "traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "eee19b7ec3c1b174",
                                    "parentSpanId": "", "name": "GET /x", "kind": 2,
                                    "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": 1700000000000001000,
                                    "attributes": [{"key": "n", "value": {"intValue": "12"}},
                                                   {"key": "n", "value": {"intValue": 13}}],
                                    "status": {"code": 2, "message": "boom"}}]}]}]}


def test_otlp_json_rules(otlp_receiver):
    rx = otlp_receiver
    status, hdrs, body = post(rx.http_port, "/v1/traces", json.dumps(SPAN_JSON), "application/json")
    assert (status, hdrs["content-type"], json.loads(body)) == (200, "application/json", {})
    s = rx.wait_for(lambda: rx.spans(), describe="the JSON span")[0]
    assert (s["trace_id"], s["span_id"], s["parent_span_id"]) == ("5b8efff798038103d269b633813fc60c",
                                                                 "eee19b7ec3c1b174", "")
    assert (s["kind"], s["status"]["code"], s["status"]["message"]) == ("SPAN_KIND_SERVER", "STATUS_CODE_ERROR", "boom")
    assert s["attrs"] == {"n": 13} and s["attr_types"] == {"n": "int"}
    assert s["end_time_unix_nano"] == "1700000000000001000"
    rec = rx.records("traces")[-1]
    assert rec["duplicate_attribute_keys"] == ["span GET /x:n"]
    assert any("upper-case hex" in w for w in rec["warnings"])

    # base64 ids (the protobuf JSON mapping, not OTLP/JSON) are refused, as are snake_case keys (silently ignored
    # by the decoder, so flagged as warnings) and enum names.
    bad = json.loads(json.dumps(SPAN_JSON))
    bad["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"] = "W47/95gDgQPSabYzgT/GDA=="
    status, _, body = post(rx.http_port, "/v1/traces", json.dumps(bad), "application/json")
    assert status == 400 and b"hex" in body
    snake = {"resource_spans": [], "resourceSpans": [{"scopeSpans": [{"spans": [{"name": "k", "kind": "SPAN_KIND_CLIENT",
                                                                              "trace_id": "00"}]}]}]}
    assert post(rx.http_port, "/v1/traces", json.dumps(snake), "application/json")[0] == 200
    rec = rx.wait_for(lambda: [r for r in rx.records("traces") if r["seq"] > rec["seq"]], describe="record")[0]
    assert "unknown field $.resource_spans" in rec["warnings"]
    assert "unknown field $.resourceSpans[0].scopeSpans[0].spans[0].trace_id" in rec["warnings"]
    assert any("enum name" in w for w in rec["warnings"])
    assert post(rx.http_port, "/v1/traces", "{not json", "application/json")[0] == 400
    assert post(rx.http_port, "/v1/traces", b"\x0a\x05garbage", "application/x-protobuf")[0] == 400
    assert post(rx.http_port, "/v1/traces", b"", "text/plain")[0] == 415
    assert post(rx.http_port, "/v1/logs", b"", "application/x-protobuf")[0] == 404
    st = rx.stats()
    assert st["traces"]["decode_errors"] == 4 and st["unknown_paths"] == {"/v1/logs": 1}


def test_http_faults(otlp_receiver):
    rx = otlp_receiver
    empty = b""  # a valid, empty ExportTraceServiceRequest
    rx.set_fault("unavailable", "traces", count=1, retry_after_s=3)
    status, hdrs, _ = post(rx.http_port, "/v1/traces", empty)
    assert (status, hdrs.get("retry-after")) == (503, "3")
    assert post(rx.http_port, "/v1/traces", empty)[0] == 200  # count=1: back to normal

    rx.set_fault("throttle", "metrics", retry_after_s=2)
    status, hdrs, _ = post(rx.http_port, "/v1/metrics", empty)
    assert (status, hdrs.get("retry-after")) == (429, "2")
    assert post(rx.http_port, "/v1/traces", empty)[0] == 200  # only metrics are throttled
    rx.clear_fault()

    rx.set_fault("bad_request", count=1, message="you sent junk")
    status, _, body = post(rx.http_port, "/v1/traces", "{}", "application/json")
    assert status == 400 and json.loads(body)["message"] == "you sent junk"

    rx.set_fault("partial", "traces", count=1, rejected=3, message="3 spans too old")
    status, _, body = post(rx.http_port, "/v1/traces", json.dumps(SPAN_JSON), "application/json")
    assert status == 200 and json.loads(body) == {"partialSuccess": {"rejectedSpans": "3",
                                                                     "errorMessage": "3 spans too old"}}
    rec = rx.wait_for(lambda: [r for r in rx.records("traces") if r.get("partial_success")], describe="partial")[0]
    assert rec["partial_success"] == {"rejected": 3, "message": "3 spans too old"}

    rx.set_fault("drop", "traces", count=1)
    n = len(rx.records("traces"))
    assert post(rx.http_port, "/v1/traces", json.dumps(SPAN_JSON), "application/json")[0] == 200
    st = rx.stats()["traces"]
    assert st["outcomes"]["drop"] == 1 and len(rx.records("traces")) == n

    rx.set_fault("delay", "traces", count=1, delay_ms=700)
    t0 = time.monotonic()
    assert post(rx.http_port, "/v1/traces", empty)[0] == 200
    assert time.monotonic() - t0 >= 0.65

    rx.set_fault("hang", "traces", count=1)
    with pytest.raises(socket.timeout):
        post(rx.http_port, "/v1/traces", empty, timeout=1.5)
    assert post(rx.http_port, "/v1/traces", empty)[0] == 200
    outcomes = [r["outcome"] for r in rx.requests()]
    assert outcomes == ["unavailable", "ok", "throttle", "ok", "bad_request", "partial", "drop", "delay", "hang", "ok"]


def test_grpc_faults_seen_by_the_sdk(receiver_factory):
    rx = receiver_factory(faults=[{"mode": "bad_request", "signal": "traces", "count": 1}])
    sent = otlp.run_sdk_sender("grpc", rx.grpc_endpoint, signal="traces")
    assert sent["traces_result"]["code"] == 1 and "INVALID_ARGUMENT" in sent["traces_result"]["error"]
    rx.set_fault("unavailable", "traces", count=1)
    sent = otlp.run_sdk_sender("grpc", rx.grpc_endpoint, signal="traces")
    assert "UNAVAILABLE" in (sent["traces_result"]["error"] or "")
    rx.set_fault("partial", "traces", count=1, rejected=1)
    sent = otlp.run_sdk_sender("grpc", rx.grpc_endpoint, signal="traces")
    assert sent["traces_result"]["code"] == 0
    assert [r["outcome"] for r in rx.requests()] == ["bad_request", "unavailable", "partial"]
    assert rx.records("traces")[-1]["partial_success"]["rejected"] == 1


def test_kill_and_restart_on_same_ports(otlp_receiver):
    rx = otlp_receiver
    ports = (rx.grpc_port, rx.http_port)
    rx.kill()
    assert not launch.port_accepts(rx.http_port) and not launch.port_accepts(rx.grpc_port)
    rx.start()
    assert (rx.grpc_port, rx.http_port) == ports
    otlp.run_sdk_sender("grpc", rx.grpc_endpoint, signal="traces")
    assert len(rx.wait_for(lambda: rx.spans(), describe="spans after restart")) == 2


# ------------------------------------------------------------------------------------------ Prometheus
EXPOSITION = """# HELP http_server_request_duration_seconds Duration of HTTP service calls from the server side, in seconds.
# TYPE http_server_request_duration_seconds histogram
http_server_request_duration_seconds_bucket{http_request_method="GET",http_response_status_code="200",http_route="/users/*",instance="h:1",job="svc",service_name="svc",service_namespace="",le="0.005"} 999
http_server_request_duration_seconds_bucket{http_request_method="GET",http_response_status_code="200",http_route="/users/*",instance="h:1",job="svc",service_name="svc",service_namespace="",le="+Inf"} 1000
http_server_request_duration_seconds_sum{http_request_method="GET",http_response_status_code="200",http_route="/users/*",instance="h:1",job="svc",service_name="svc",service_namespace=""} 1.5
http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="200",http_route="/users/*",instance="h:1",job="svc",service_name="svc",service_namespace=""} 1000
"""


def test_prometheus_fixture_scrapes_a_static_file(work_dir, prometheus_factory, tmp_path):
    text = EXPOSITION
    (tmp_path / "metrics").write_text(text)
    assert otlp.promtool_check_metrics(text) == (0, "")
    port = launch.free_port()
    srv = subprocess.Popen(["/usr/bin/python3", "-m", "http.server", str(port), "--bind", "127.0.0.1",
                            "--directory", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while not launch.port_accepts(port):
            assert time.monotonic() < deadline, "static metrics server did not start"
            time.sleep(0.05)
        prom = prometheus_factory([{"job": "static", "port": port}])
        prom.wait_target_up("static")
        prom.wait_for_value('sum(http_server_request_duration_seconds_count{http_route="/users/*"})', 1000.0,
                            settle=1.5)
        series = prom.query("http_server_request_duration_seconds_count")
        # honor_labels keeps the target's own job/instance labels
        assert series[0]["metric"]["job"] == "svc" and series[0]["metric"]["instance"] == "h:1"
        assert otlp.parse_exposition(text)[0][0] == "http_server_request_duration_seconds_bucket"
    finally:
        srv.terminate()
        srv.wait(10)


def test_promtool_flags_lint_problems():
    rc, out = otlp.promtool_check_metrics("# TYPE requests counter\nrequests 3\n")
    assert rc != 0 and "_total" in out
