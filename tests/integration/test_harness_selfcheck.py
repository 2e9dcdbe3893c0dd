"""Checks of the harness itself and of the sample apps; none of these runs the agent (marker: noagent)."""
import os
import subprocess
import time

import pytest

import harness
from harness import launch

pytestmark = pytest.mark.noagent

SPAN = ('{"type":"HTTP","kind":"SPAN_KIND_SERVER","hostPort":"8080","peerPort":"%d","traceID":"%s",'
        '"spanID":"00f067aa0ba902b7","parentSpanID":"0000000000000000","name":"GET /users/*",'
        '"spanAttributes":{"url.path":"/users/%d","http.response.status_code":200},'
        '"resource":{"service.name":"python3.11","service.instance.id":"host1:4242"}}')


def span_json(i):
    return SPAN % (40000 + i, "4bf92f3577b34da6a3ce929d0e0e%04x" % i, i)


def test_span_reader_incremental(tmp_path):
    path = tmp_path / "stdout"
    reader = harness.SpanReader(str(path))
    assert reader.poll() == 0  # file does not exist yet
    line1 = "[%s,%s]\n" % (span_json(1), span_json(2))
    line2 = "[%s]\n" % span_json(3)
    with open(path, "w") as f:
        f.write("time=x level=INFO msg=\"a log line on stdout\"\n")
        f.write(line1)
        f.write(line2[:25])  # a partially written line
    assert reader.poll() == 2
    assert [s["peerPort"] for s in reader.spans] == ["40001", "40002"]
    assert reader.other_lines == ['time=x level=INFO msg="a log line on stdout"']
    mark = reader.mark()
    with open(path, "a") as f:
        f.write(line2[25:])
        f.write("[]\n")
    assert reader.poll() == 1
    found = reader.wait_for_spans(harness.server_span_pred(8080, path="/users/3"), 1, timeout=1, since=mark)
    assert found[0]["spanAttributes"]["http.response.status_code"] == 200
    assert harness.span_pid(found[0]) == 4242
    assert not reader.bad_lines and not reader.pending


def test_span_reader_json_indent_and_garbage():
    indented = "[\n  {\n    \"type\": \"HTTPClient\",\n    \"spanAttributes\": {\"url.full\": \"http://a:1/x\"}\n  }\n]"
    text = "%s\n[{\"broken\": \n[%s]\n" % (indented, span_json(7))
    spans = harness.parse_span_stream(text)
    assert [s["type"] for s in spans] == ["HTTPClient", "HTTP"]
    assert harness.client_span_pred(url_full="http://a:1/x")(spans[0])


def test_wait_for_spans_times_out_with_summary(tmp_path):
    path = tmp_path / "stdout"
    path.write_text("[%s]\n" % span_json(1))
    reader = harness.SpanReader(str(path))
    t0 = time.monotonic()
    with pytest.raises(AssertionError) as e:
        reader.wait_for_spans(harness.server_span_pred(9999), 1, timeout=0.3)
    assert time.monotonic() - t0 < 2
    assert "1 span(s) printed" in str(e.value) and "GET /users/*" in str(e.value)
    with open(path, "a") as f:
        f.write("[%s]\n" % span_json(2))
    with pytest.raises(AssertionError, match="expected exactly 1 span.*got 2"):
        reader.wait_for_exact_spans(harness.server_span_pred(8080), 1, timeout=0.2, settle=0)


def test_bpftool_listing_works():
    objs = harness.our_bpf_objects()
    assert set(objs) == {"progs", "links"}


def _check_endpoints(srv, downstream):
    p = srv.port
    r = harness.http_request(p, "/hello")
    assert (r.status, r.body, r.headers.get("content-length")) == (200, b"hello", "5")
    r = harness.http_request(p, "/users/123")
    assert r.status == 200 and b'"123"' in r.body
    assert harness.http_request(p, "/status/503").status == 503
    assert harness.http_request(p, "/status/404").status == 404
    r = harness.http_request(p, "/echo", method="POST", body=b"z" * 1000)
    assert (r.status, r.body) == (200, b"z" * 1000)
    r = harness.http_request(p, "/chunked")
    assert r.status == 200 and len(r.body) >= 2048 and r.headers.get("transfer-encoding", "").lower() == "chunked"
    r = harness.http_request(p, "/call?url=http://127.0.0.1:%d/status/404" % downstream.port)
    assert (r.status, r.body.strip()) == (200, b"downstream status 404")
    t0 = time.monotonic()
    assert harness.http_request(p, "/slow?ms=200").status == 200
    assert time.monotonic() - t0 >= 0.2


@pytest.mark.parametrize("lang", launch.LANGUAGES)
def test_app_endpoints_and_clients(apps, lang, c_client):
    import keepalive_client
    import raw_client
    srv = apps.get(lang)
    assert srv.proc.poll() is None
    _check_endpoints(srv, apps.downstream)
    lport, resps = raw_client.pipeline(srv.port, ["/hello", "/users/7", "/status/404"])
    assert [r[0] for r in resps] == [200, 200, 404] and resps[0][2] == b"hello"
    _, resps = raw_client.split(srv.port, "/hello", pieces=4, delay_ms=20)
    assert resps[0][:1] == (200,) and resps[0][2] == b"hello"
    res = keepalive_client.run("http://127.0.0.1:%d/hello" % srv.port, 300)
    assert res["statuses"] == {200: 300}
    out = subprocess.run([c_client, "-n", "3", "127.0.0.1", str(srv.port), "/users/5"], capture_output=True,
                         text=True, timeout=10)
    assert out.returncode == 0 and out.stdout.count("status=200") == 3, out.stdout + out.stderr


def test_service_names_are_exe_basenames(apps):
    import conftest
    names = {lang: conftest.service_name_of(apps.get(lang)) for lang in launch.LANGUAGES + ("nginx",)}
    assert names["python"].startswith("python3")
    assert names["node"] == "node" and names["go"] == "goserver" and names["java"] == "java"
    assert names["nginx"] == "nginx"


def test_nginx_one_and_two_workers(apps, server_factory):
    import raw_client
    one = apps.get("nginx")
    assert len(launch.nginx_workers(one, 1)) == 1
    r = harness.http_request(one.port, "/api")
    assert (r.status, r.body) == (200, b"ok\n")
    r = harness.http_request(one.port, "/")
    assert r.status == 200 and b"obi-cpp test page" in r.body
    _, resps = raw_client.pipeline(one.port, ["/hello", "/api", "/status/404"])
    assert [x[0] for x in resps] == [200, 200, 404]
    two = server_factory("nginx", workers=2, reuseport=True, name="nginx-2w-selfcheck")
    assert len(launch.nginx_workers(two, 2)) == 2
    assert harness.http_request(two.port, "/hello").body == b"hello"


def test_c_client_warm_mode(apps, c_client):
    down = apps.downstream
    proc = subprocess.Popen([c_client, "-w", "/hello?warm=1", "-n", "2", "127.0.0.1", str(down.port), "/users/42"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        out, _ = proc.communicate("go\n", timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out
    assert "warm=" in out and out.count("status=200 body=") >= 3 and "done n=2 ok=2" in out


def test_go_build_script(build_dir):
    out = subprocess.run(["sh", os.path.join(launch.APPS_DIR, "go", "build.sh"), build_dir, "goserver-copy"],
                         capture_output=True, text=True, timeout=300, env=launch.clean_env())
    assert out.returncode == 0, out.stderr
    assert os.access(os.path.join(build_dir, "goserver-copy"), os.X_OK)
