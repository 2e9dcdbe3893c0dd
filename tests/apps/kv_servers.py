"""Starts the real Redis, MQTT and MongoDB-protocol servers of the key-value/messaging tests on loopback.

Used by tests/integration/test_{redis,mongo,mqtt}.py, bench/redis_bench.py and the capture scripts in
tests/data/corpus/{redis,mongo,mqtt}. Every function returns a started `Server` (stop it with .stop();
it is stopped by PID). Nothing here knows about the agent.
"""
import os
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def wait_port(port, timeout=15.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("server exited with %s before listening on %d" % (proc.returncode, port))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on 127.0.0.1:%d after %.0fs" % (port, timeout))


class Server:
    def __init__(self, name, port, proc, exe, log_path):
        self.name, self.port, self.proc, self.exe, self.log_path = name, port, proc, exe, log_path

    @property
    def pid(self):
        return self.proc.pid

    def logs(self, limit=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-limit:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def _popen(argv, log_path, **kw):
    log = open(log_path, "wb")
    try:
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kw)
    finally:
        log.close()


def start_redis(port, work_dir, extra=()):
    """redis-server 7 in the foreground (no persistence, DEBUG allowed), its PID is the server's."""
    d = os.path.join(work_dir, "redis-%d" % port)
    os.makedirs(d, exist_ok=True)
    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    argv = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", d,
            "--daemonize", "no", "--enable-debug-command", "yes", *extra]
    proc = _popen(argv, os.path.join(d, "redis.log"))
    wait_port(port, proc=proc)
    return Server("redis", port, proc, os.path.realpath(exe), os.path.join(d, "redis.log"))


def start_mosquitto(port, work_dir):
    """mosquitto 2 in the foreground with an anonymous listener on 127.0.0.1:port. No pid_file: mosquitto
    writes it only as user `mosquitto` into a directory it owns (test-peers.md), and we stop it by PID."""
    d = os.path.join(work_dir, "mosquitto-%d" % port)
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stdout\n" % port)
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    proc = _popen([exe, "-c", conf], os.path.join(d, "mosquitto.log"))
    wait_port(port, proc=proc)
    return Server("mosquitto", port, proc, os.path.realpath(exe), os.path.join(d, "mosquitto.log"))


def start_mongo_mock(port, work_dir):
    """tests/apps/mongo_mock_server.py (MockupDB) under Debian's python."""
    d = os.path.join(work_dir, "mongo-%d" % port)
    os.makedirs(d, exist_ok=True)
    argv = ["/usr/bin/python3", os.path.join(HERE, "mongo_mock_server.py"), str(port)]
    proc = _popen(argv, os.path.join(d, "mongo.log"))
    wait_port(port, proc=proc)
    return Server("mongo", port, proc, os.path.realpath("/usr/bin/python3"), os.path.join(d, "mongo.log"))


if __name__ == "__main__":  # manual use: kv_servers.py redis|mosquitto|mongo PORT DIR
    kind, port, wd = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    srv = {"redis": start_redis, "mosquitto": start_mosquitto, "mongo": start_mongo_mock}[kind](port, wd)
    print("ready %s 127.0.0.1:%d pid=%d" % (kind, port, srv.pid), flush=True)
    try:
        srv.proc.wait()
    except KeyboardInterrupt:
        srv.stop()
