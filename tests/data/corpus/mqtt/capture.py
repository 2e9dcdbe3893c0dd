#!/usr/bin/python3
"""Captures the MQTT conversations in this folder from mosquitto 2.0 and its clients and paho-mqtt.

    /usr/bin/python3 tests/data/corpus/mqtt/capture.py [OUT_DIR]   (default: this folder)

Starts mosquitto on a free port (tests/apps/kv_servers.py), puts tests/apps/kv_capture_proxy.py in
front and runs each scenario as its own connection(s) through the proxy; writes
<scenario>.<n>.session, .c2s.bin and .s2c.bin per connection (see README.txt).
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
PROXY = os.path.join(REPO, "tests", "apps", "kv_capture_proxy.py")
sys.path.insert(0, os.path.join(REPO, "tests", "apps"))
import kv_servers  # noqa: E402
import launch  # noqa: E402


def pub(port, version, qos, topic="sensors/temp", msg="21.5"):
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-V", version, "-q", str(qos), "-t", topic,
                    "-m", msg, "-i", "obi-pub-%s-%d" % (version, qos)], check=True, timeout=10)


def scenarios(broker):
    out = []
    for version in ("mqttv311", "mqttv5", "mqttv31"):
        for qos in (0, 1, 2):
            out.append(("pub_%s_qos%d" % (version, qos), lambda p, v=version, q=qos: pub(p, v, q)))

    def sub(version):
        def run(p):
            s = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(p), "-V", version, "-q", "1",
                                  "-t", "sensors/#", "-t", "alerts/+", "-C", "3", "-i", "obi-sub-" + version],
                                 stdout=subprocess.DEVNULL)
            time.sleep(0.5)
            for q in (0, 1, 2):
                pub(broker, "mqttv311", q, "sensors/room%d" % q, "m%d" % q)
            s.wait(10)
        return run
    out.append(("sub_mqttv311", sub("mqttv311")))
    out.append(("sub_mqttv5", sub("mqttv5")))

    def paho(version_name):
        def run(p):
            import paho.mqtt.client as mqtt
            from paho.mqtt.properties import Properties
            from paho.mqtt.packettypes import PacketTypes
            proto = {"v311": mqtt.MQTTv311, "v5": mqtt.MQTTv5}[version_name]
            got = []
            c = mqtt.Client(client_id="obi-paho-" + version_name, protocol=proto)
            c.on_message = lambda cl, ud, m: got.append(m.topic)
            c.connect("127.0.0.1", p, keepalive=30)
            c.loop_start()
            c.subscribe([("orders/new", 1), ("orders/+/paid", 2)])
            time.sleep(0.3)
            for q in (0, 1, 2):
                c.publish("orders/new", b"order-%d" % q, qos=q).wait_for_publish(5)
            if version_name == "v5":  # a topic alias: the topic once, then only the alias
                props = Properties(PacketTypes.PUBLISH)
                props.TopicAlias = 3
                c.publish("metrics/cpu", b"1", qos=1, properties=props).wait_for_publish(5)
                try:
                    c.publish("", b"2", qos=1, properties=props).wait_for_publish(5)
                except ValueError:
                    pass
            deadline = time.time() + 3
            while len(got) < 3 and time.time() < deadline:
                time.sleep(0.05)
            c.disconnect()
            c.loop_stop()
        return run
    out.append(("paho_v311", paho("v311")))
    out.append(("paho_v5", paho("v5")))
    return out


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else HERE)
    tmp = tempfile.mkdtemp(prefix="obi-mqtt-capture-")
    port = launch.free_port()
    srv = kv_servers.start_mosquitto(port, tmp)
    try:
        for name, fn in scenarios(port):
            pport = launch.free_port()
            prefix = os.path.join(tmp, name)
            proxy = subprocess.Popen([sys.executable, PROXY, str(pport), str(port), prefix, "--idle-s", "1.0"],
                                     stdout=subprocess.PIPE)
            proxy.stdout.readline()
            fn(pport)
            try:
                proxy.wait(15)
            except subprocess.TimeoutExpired:
                proxy.kill()
            for src in glob.glob(prefix + ".*"):
                shutil.copy(src, os.path.join(out, os.path.basename(src)))
            print("captured", name)
    finally:
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
