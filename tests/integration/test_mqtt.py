"""MQTT spans from a real mosquitto 2.0 broker (started here on a free port, traced by its port: MQTTServer spans)
and real clients: mosquitto_pub / mosquitto_sub with -V mqttv311 and mqttv5 (traced by executable) and paho-mqtt
1.6 in this test process (traced by PID): MQTTClient spans. QoS 0/1/2 publishes end at the right packet,
subscriptions, deliveries without spans, the messaging metrics. obi-compat 3.1-3.3, 4.2."""
import os
import subprocess
import time

import pytest

import otlp
from harness import launch, sattr, span_pid

import kv_servers  # tests/apps (on sys.path through harness)

mqtt = pytest.importorskip("paho.mqtt.client")  # python3-paho-mqtt (Debian)


@pytest.fixture(scope="module")
def broker(work_dir):
    srv = kv_servers.start_mosquitto(launch.free_port(), work_dir)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def prom_port():
    return launch.free_port()


def pub(broker, version, qos, topic, msg="21.5", client_id=None):
    p = subprocess.Popen(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-V", version, "-q", str(qos),
                          "-t", topic, "-m", msg, "-i", client_id or "obi-%s-%d" % (version, qos)])
    assert p.wait(15) == 0
    return p.pid


@pytest.fixture(scope="module")
def agent(module_agent_factory, broker, prom_port):
    a = module_agent_factory(config={"trace_printer": "json", "prometheus_export": {"port": prom_port},
                                     "discovery": {"instrument": [{"open_ports": str(broker.port)},
                                                                  {"exe_path": "*/mosquitto_pub"},
                                                                  {"exe_path": "*/mosquitto_sub"}]}})
    for _ in range(40):
        mark = a.spans.mark()
        pid = pub(broker, "mqttv311", 0, "warmup")
        try:
            a.spans.wait_for_spans(lambda s: s.get("type") == "MQTTClient" and span_pid(s) == pid, timeout=1, since=mark)
            a.spans.wait_for_spans(lambda s: s.get("type") == "MQTTServer" and s.get("name") == "publish warmup",
                                   timeout=1, since=mark)
            return a
        except AssertionError:
            continue
    raise AssertionError("no MQTT spans after 40 warm-up publishes:\n" + a.logs())


@pytest.mark.parametrize("version", ["mqttv311", "mqttv5"])
@pytest.mark.parametrize("qos", [0, 1, 2])
def test_mosquitto_pub(agent, broker, version, qos):
    mark = agent.spans.mark()
    topic = "sensors/%s/q%d" % (version, qos)
    cid = "obi-pub-%s-%d" % (version, qos)
    pid = pub(broker, version, qos, topic, client_id=cid)
    spans = agent.wait_for_exact_spans(lambda s: s.get("type") == "MQTTClient" and span_pid(s) == pid, count=1,
                                       since=mark)
    c = spans[0]
    assert c["name"] == "publish " + topic
    assert c["kind"] == "SPAN_KIND_PRODUCER" and c["statusCode"] == "STATUS_CODE_UNSET"
    assert sattr(c, "messaging.system") == "mqtt"
    assert sattr(c, "messaging.operation.type") == "publish"
    assert sattr(c, "messaging.destination.name") == topic
    assert sattr(c, "messaging.client.id") == cid
    assert sattr(c, "server.address") == "127.0.0.1" and sattr(c, "server.port") == broker.port
    assert c["resource"]["service.name"] == "mosquitto_pub"
    s = agent.wait_for_spans(lambda s: s.get("type") == "MQTTServer" and s.get("peerPort") == c["peerPort"], since=mark)[0]
    assert s["name"] == "publish " + topic and s["kind"] == "SPAN_KIND_SERVER"
    assert sattr(s, "messaging.client.id") == cid and sattr(s, "client.address") == "127.0.0.1"
    assert span_pid(s) == broker.pid
    # QoS 1/2 wait for PUBACK / PUBCOMP: the client span covers the broker's.
    if qos:
        assert int(c["durationUSec"]) >= int(s["durationUSec"])


@pytest.mark.parametrize("version", ["mqttv311", "mqttv5"])
def test_mosquitto_sub_deliveries_give_no_spans(agent, broker, version):
    mark = agent.spans.mark()
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-V", version, "-q", "1",
                            "-t", "alerts/%s/#" % version, "-t", "other/+", "-C", "3", "-i", "obi-sub-" + version],
                           stdout=subprocess.PIPE)
    agent.wait_for_spans(lambda s: s.get("type") == "MQTTClient" and span_pid(s) == sub.pid, since=mark)
    for q in (0, 1, 2):
        pub(broker, "mqttv311", q, "alerts/%s/room%d" % (version, q), client_id="obi-alerter-%d" % q)
    out, _ = sub.communicate(timeout=15)
    assert out.count(b"21.5") == 3
    spans = agent.wait_for_exact_spans(lambda s: s.get("type") == "MQTTClient" and span_pid(s) == sub.pid, count=1,
                                       since=mark)
    s = spans[0]
    assert s["name"] == "subscribe alerts/%s/#" % version  # the first topic filter (obi-compat 3.2)
    assert s["kind"] == "SPAN_KIND_CONSUMER"
    assert sattr(s, "messaging.operation.type") == "subscribe"
    assert sattr(s, "messaging.client.id") == "obi-sub-" + version
    server = [x for x in agent.spans.matching(lambda x: x.get("type") == "MQTTServer", mark)
              if x.get("peerPort") == s["peerPort"]]
    assert [x["name"] for x in server] == ["subscribe alerts/%s/#" % version]


@pytest.fixture(scope="module")
def paho_agent(module_agent_factory, broker, prom_port, agent):
    """This test process traced by PID, in an agent of its own: the mosquitto_pub/sub processes it forks
    are then only selected by the other agent's exe_path (see the report on forks of PID-selected processes)."""
    a = module_agent_factory(config={"trace_printer": "json", "prometheus_export": {"port": launch.free_port()},
                                     "discovery": {"instrument": [{"target_pids": [os.getpid()]}]}})
    for _ in range(40):
        mark = a.spans.mark()
        c = mqtt.Client(client_id="obi-paho-warmup")
        c.connect("127.0.0.1", broker.port, keepalive=30)
        c.loop_start()
        c.publish("warmup/paho", b"w", qos=1).wait_for_publish(5)
        c.disconnect()
        c.loop_stop()
        try:
            a.spans.wait_for_spans(lambda s: s.get("type") == "MQTTClient" and s.get("name") == "publish warmup/paho",
                                   timeout=1, since=mark)
            return a
        except AssertionError:
            continue
    raise AssertionError("no paho spans after 40 warm-up publishes:\n" + a.logs())


@pytest.mark.parametrize("proto", ["v311", "v5"])
def test_paho_qos_flows(agent, paho_agent, broker, proto):
    mark = agent.spans.mark()
    pmark = paho_agent.spans.mark()
    got = []
    c = mqtt.Client(client_id="obi-paho-" + proto, protocol=mqtt.MQTTv311 if proto == "v311" else mqtt.MQTTv5)
    c.on_message = lambda cl, ud, m: got.append(m.topic)
    c.connect("127.0.0.1", broker.port, keepalive=30)
    c.loop_start()
    try:
        c.subscribe("orders/%s/#" % proto, qos=2)
        time.sleep(0.3)
        for q in (0, 1, 2):
            c.publish("orders/%s/new" % proto, b"order-%d" % q, qos=q).wait_for_publish(5)
        deadline = time.monotonic() + 5
        while len(got) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        c.disconnect()
        c.loop_stop()
    assert len(got) == 3
    want = ["subscribe orders/%s/#" % proto] + ["publish orders/%s/new" % proto] * 3
    for typ, a, m in (("MQTTClient", paho_agent, pmark), ("MQTTServer", agent, mark)):
        spans = a.wait_for_exact_spans(lambda s: s.get("type") == typ and sattr(s, "messaging.client.id") == "obi-paho-" + proto,
                                       count=4, since=m, describe=typ)
        assert [s["name"] for s in spans] == want, typ
        if typ == "MQTTClient":
            assert [s["kind"] for s in spans] == ["SPAN_KIND_CONSUMER"] + ["SPAN_KIND_PRODUCER"] * 3
            assert all(span_pid(s) == os.getpid() for s in spans)


def test_metrics(agent, paho_agent, broker, prom_port):
    """messaging_client_operation_duration_seconds of the broker's spans for this process's paho publishes
    (a short-lived mosquitto_pub's series go away with the process)."""
    c = mqtt.Client(client_id="obi-metrics")
    c.connect("127.0.0.1", broker.port, keepalive=30)
    c.loop_start()
    try:
        for q in (0, 1):
            c.publish("metrics/topic", b"m", qos=q).wait_for_publish(5)
        time.sleep(0.3)
    finally:
        c.disconnect()
        c.loop_stop()

    def value(labels):
        status, body, _ = otlp.http_get(prom_port, "/metrics")
        assert status == 200
        return sum(float(l.rsplit(" ", 1)[1]) for l in body.splitlines()
                   if l.startswith("messaging_client_operation_duration_seconds_count{") and all(x in l for x in labels))

    deadline = time.monotonic() + 20
    labels = ['messaging_system="mqtt"', 'messaging_destination_name="metrics/topic"']
    while value(labels + ['service_name="mosquitto"']) < 2:
        assert time.monotonic() < deadline, "messaging_client_operation_duration_seconds_count did not grow"
        time.sleep(0.5)
