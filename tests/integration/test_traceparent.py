"""An incoming W3C traceparent header is honoured: same trace id, its span id becomes the parent.

OBI reads the header of non-Go servers only with ebpf.track_request_headers, so this module's agent sets
OTEL_EBPF_BPF_TRACK_REQUEST_HEADERS=true (Go servers honour it either way).
"""
import pytest

import harness
from harness import launch, sattr

TARGETS = launch.LANGUAGES + ("nginx",)


@pytest.fixture(scope="module")
def agent(apps, module_agent_factory):
    ports = ",".join(str(apps.get(t).port) for t in TARGETS)
    apps.downstream
    return module_agent_factory(env={"OTEL_EBPF_OPEN_PORT": ports, "OTEL_EBPF_TRACE_PRINTER": "json",
                                     "OTEL_EBPF_BPF_TRACK_REQUEST_HEADERS": "true"})


@pytest.fixture(scope="module", params=TARGETS)
def target(request, apps, agent):
    srv = apps.get(request.param)
    agent.warm_up(srv.port)
    return srv


def test_incoming_traceparent(agent, target):
    trace_id, parent_id = harness.new_trace_ids()
    since = agent.mark()
    r = harness.http_request(target.port, "/hello", headers={"traceparent": "00-%s-%s-01" % (trace_id, parent_id)})
    assert r.status == 200
    span = agent.wait_for_exact_spans(harness.server_span_pred(target.port, r.local_port), 1, since=since)[0]
    assert span["traceID"] == trace_id
    assert span["parentSpanID"] == parent_id
    assert span["spanID"] not in (parent_id, "0" * 16)
    assert span["flags"] == "01"
    assert span["name"] == "GET /hello"


def test_no_traceparent_means_new_trace(agent, target):
    since = agent.mark()
    r = harness.http_request(target.port, "/hello")
    span = agent.wait_for_exact_spans(harness.server_span_pred(target.port, r.local_port), 1, since=since)[0]
    assert span["parentSpanID"] in harness.ZERO_SPAN_ID
    assert int(span["traceID"], 16) != 0


@pytest.mark.parametrize("lang", launch.LANGUAGES)  # the nginx sample has no /call
def test_traceparent_flows_to_client_span(agent, apps, lang):
    target = apps.get(lang)
    agent.warm_up(target.port)
    trace_id, parent_id = harness.new_trace_ids()
    url = "http://127.0.0.1:%d/hello" % apps.downstream.port
    since = agent.mark()
    r = harness.http_request(target.port, "/call?url=" + url,
                             headers={"traceparent": "00-%s-%s-01" % (trace_id, parent_id)})
    assert r.status == 200
    server = agent.wait_for_exact_spans(harness.server_span_pred(target.port, r.local_port), 1, since=since)[0]
    client = agent.wait_for_exact_spans(harness.client_span_pred(url_full=url, trace_id=trace_id), 1, since=since)[0]
    assert server["traceID"] == trace_id and server["parentSpanID"] == parent_id
    assert client["parentSpanID"] == server["spanID"]
    assert sattr(client, "http.response.status_code") == 200
