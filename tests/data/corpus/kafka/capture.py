#!/usr/bin/python3
"""Re-captures the Kafka test bytes in this folder from real clients (see README.txt).

  /usr/bin/python3 tests/data/corpus/kafka/capture.py

For each scenario it starts tests/apps/kafka_broker.py with --dump on a free port, runs the client, and
copies every frame to frames/<scenario>/NNNN-c<conn>-<Api>-v<version>.req|.resp (4-byte length included),
and the first request of each API and version to <scenario>_<Api>_v<version>.c2s.bin (the classification
corpus: any request may be the first burst the agent sees of a connection opened before it started).
"""
import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
BROKER = os.path.join(REPO, "tests", "apps", "kafka_broker.py")
PY = "/usr/bin/python3"
sys.path.insert(0, os.path.join(REPO, "tests", "apps"))
from kafka_broker import RawClient  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kcat(port, *args, stdin=None):
    subprocess.run(["kcat", "-b", "127.0.0.1:%d" % port, *args], input=stdin, check=True, timeout=30,
                   capture_output=True)


def python_client(port, code):
    subprocess.run([PY, "-c", code.replace("PORT", str(port))], check=True, timeout=60, capture_output=True)


KP_PRODUCE = """
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers="127.0.0.1:PORT", client_id="kp-producer")
for i in range(3):
    p.send("events", b"value-%d" % i).get(10)
p.close()
"""
KP_CONSUME = """
from kafka import KafkaProducer, KafkaConsumer
p = KafkaProducer(bootstrap_servers="127.0.0.1:PORT")
for i in range(3):
    p.send("events", b"value-%d" % i)
p.flush(); p.close()
c = KafkaConsumer("events", bootstrap_servers="127.0.0.1:PORT", client_id="kp-consumer", group_id=GROUP,
                  auto_offset_reset="earliest", consumer_timeout_ms=5000)
n = 0
for m in c:
    n += 1
    if n == 3:
        break
if GROUP:
    c.commit()
c.close()
"""


def raw_flexible(port):
    c = RawClient(port)
    c.api_versions(3)
    _, resp = c.metadata(12, ["logging"])
    tid = c.topic_ids(12, resp)["logging"]
    c.produce(9, "logging", [b"flex-1", b"flex-2"])
    c.produce(13, "logging", [b"byid-1"], topic_id=tid)
    c.produce(9, "logging", [b"zero"], acks=0)
    c.fetch(12, "logging", 0)
    c.fetch(13, "logging", 1, topic_id=tid)
    c.fetch(16, "logging", 2, topic_id=tid)
    c.fetch(13, "logging", 4, topic_id=tid, max_wait_ms=50)  # empty
    c.close()


def scenarios():
    return {
        "kcat_produce": lambda p: kcat(p, "-P", "-t", "logging", stdin=b"hello-1\nhello-2\nhello-3\n"),
        "kcat_consume": lambda p: (kcat(p, "-P", "-t", "logging", stdin=b"hello-1\nhello-2\nhello-3\n"),
                                   kcat(p, "-C", "-t", "logging", "-o", "beginning", "-c", "3", "-e")),
        "kcat_acks0": lambda p: kcat(p, "-P", "-t", "logging", "-X", "acks=0", stdin=b"quiet-1\nquiet-2\n"),
        "kcat_group": lambda p: (kcat(p, "-P", "-t", "logging", stdin=b"g-1\ng-2\n"),
                                 kcat(p, "-G", "grp1", "logging", "-c", "2", "-e", "-X", "auto.offset.reset=earliest")),
        "kafka_python_produce": lambda p: python_client(p, KP_PRODUCE),
        "kafka_python_consume": lambda p: python_client(p, KP_CONSUME.replace("GROUP", "None")),
        "kafka_python_group": lambda p: python_client(p, KP_CONSUME.replace("GROUP", "'g1'")),
        "raw_flexible": raw_flexible,
    }


def capture(name, run):
    port = free_port()
    dump = tempfile.mkdtemp(prefix="kafka-dump-")
    broker = subprocess.Popen([PY, BROKER, str(port), "--dump", dump], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    try:
        assert b"ready kafka" in broker.stdout.readline()
        run(port)
        time.sleep(0.3)
    finally:
        broker.terminate()
        broker.wait(10)
    out = os.path.join(HERE, "frames", name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    first = {}
    for path in sorted(glob.glob(os.path.join(dump, "*.bin"))):
        m = re.match(r"(\d+)-(c\d+)-(\w+)-v(\d+)\.(c2s|s2c)\.bin$", os.path.basename(path))
        n, conn, api, ver, d = m.groups()
        shutil.copy(path, os.path.join(out, "%s-%s-%s-v%s.%s" % (n, conn, api, ver, "req" if d == "c2s" else "resp")))
        if d == "c2s" and (api, ver) not in first:
            first[(api, ver)] = (api, ver, path)
    for api, ver, path in first.values():
        shutil.copy(path, os.path.join(HERE, "%s_%s_v%s.c2s.bin" % (name, api, ver)))
    shutil.rmtree(dump)
    print("%-22s %d frames, %d request kinds" % (name, len(os.listdir(out)), len(first)))


def main():
    for old in glob.glob(os.path.join(HERE, "*.c2s.bin")):
        os.remove(old)
    for name, run in scenarios().items():
        capture(name, run)


if __name__ == "__main__":
    main()
