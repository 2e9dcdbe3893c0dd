#!/usr/bin/python3
"""Captures the Redis conversations in this folder from the real peers on this machine.

    /usr/bin/python3 tests/data/corpus/redis/capture.py [OUT_DIR]   (default: this folder)

Starts redis-server 7 on a free port (DEBUG enabled, so `DEBUG PROTOCOL <type>` returns every RESP3
type), puts tests/apps/kv_capture_proxy.py in front of it and runs each scenario below as its own
connection through the proxy; writes <scenario>.session (every read of either side, in order),
<scenario>.c2s.bin and <scenario>.s2c.bin (the first burst of each side). See README.txt.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
PROXY = os.path.join(REPO, "tests", "apps", "kv_capture_proxy.py")
sys.path.insert(0, os.path.join(REPO, "tests", "apps"))
import launch  # noqa: E402


def wait_port(port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("port %d not open" % port)


def cli(port, *args, stdin=None, resp3=False):
    argv = ["redis-cli", "-p", str(port)] + (["-3"] if resp3 else []) + list(args)
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=20)


def raw(port, data, wait=0.3):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(data)
    time.sleep(wait)
    s.settimeout(0.5)
    try:
        while s.recv(65536):
            pass
    except socket.timeout:
        pass
    s.close()


def scenarios(redis_port):
    import redis  # python3-redis (Debian)

    def py(port):
        return redis.Redis(host="127.0.0.1", port=port)

    def cli_set(p): cli(p, "SET", "beyla", "rocks")
    def cli_get_missing(p): cli(p, "GET", "nokey")
    def cli_wrongtype(p): cli(p, "LPUSH", "beyla", "x")
    def cli_select(p): cli(p, "-n", "2", "SET", "k2", "v2")
    def cli_client_setname(p): cli(p, "CLIENT", "SETNAME", "obi-test")
    def cli_resp3_hgetall(p):
        cli(redis_port, "HSET", "h", "f1", "v1", "f2", "v2")
        cli(p, "HGETALL", "h", resp3=True)
    def raw_resp3_types(p):  # one command at a time on a raw socket, every reply read before the next
        types = ["string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push",
                 "verbatim", "true", "false"]
        s = socket.create_connection(("127.0.0.1", p))
        s.settimeout(0.3)
        for args in [["HELLO", "3"]] + [["DEBUG", "PROTOCOL", t] for t in types]:
            s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args))
            try:
                while s.recv(65536):
                    pass
            except socket.timeout:
                pass
        s.close()
    def cli_resp3_smembers_zscore(p):
        cli(redis_port, "SADD", "s", "a", "b")
        cli(redis_port, "ZADD", "z", "1.5", "m")
        cli(p, stdin=b"SMEMBERS s\nZSCORE z m\nGET nokey\nINFO server\n", resp3=True)
    def cli_pipe(p):
        buf = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n" % (len(k), k)
                       for k in (b"pk%d" % i for i in range(20)))
        cli(p, "--pipe", stdin=buf)
    def py_pipeline(p):
        r = py(p)
        pipe = r.pipeline(transaction=False)
        for i in range(10):
            pipe.set("key:%d" % i, "value-%d" % i)
            pipe.get("key:%d" % i)
        pipe.incr("beyla")  # a string that is not a number: an error reply in the pipeline
        pipe.execute(raise_on_error=False)
        r.connection_pool.disconnect()
    def py_transaction(p):
        r = py(p)
        pipe = r.pipeline(transaction=True)
        pipe.set("tx", "1").incr("tx").get("tx")
        pipe.execute()
        r.connection_pool.disconnect()
    def py_errors(p):
        r = py(p)
        for f in (lambda: r.lpush("beyla", "x"), lambda: r.execute_command("NOSUCHCMD", "a"),
                  lambda: r.execute_command("SET", "onlykey")):
            try:
                f()
            except redis.RedisError:
                pass
        r.connection_pool.disconnect()
    def py_pubsub(p):
        r = py(p)
        ps = r.pubsub()
        ps.subscribe("news", "sport")
        ps.psubscribe("log.*")
        deadline = time.time() + 3
        got = 0
        pub = redis.Redis(host="127.0.0.1", port=redis_port)
        while time.time() < deadline and got < 3:
            pub.publish("news", "hello")
            pub.publish("log.app", "line")
            m = ps.get_message(timeout=0.2)
            if m and m["type"] in ("message", "pmessage"):
                got += 1
        ps.ping()
        ps.get_message(timeout=0.5)
        ps.unsubscribe()
        ps.punsubscribe()
        time.sleep(0.2)
        ps.close()
        pub.connection_pool.disconnect()
        r.connection_pool.disconnect()
    def cli_monitor(p):
        mon = subprocess.Popen(["redis-cli", "-p", str(p), "MONITOR"], stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        for i in range(3):
            cli(redis_port, "SET", "mon%d" % i, "x" * 10)
        time.sleep(0.5)
        mon.terminate()
        mon.wait(5)
    def inline(p): raw(p, b"PING\r\nSET inl value\r\nGET inl\r\nECHO \"two words\"\r\n")
    def big_value(p):
        r = py(p)
        r.set("big", b"x" * 100000)
        r.get("big")
        r.connection_pool.disconnect()
    def cli_resp3_subscribe(p):
        sub = subprocess.Popen(["redis-cli", "-3", "-p", str(p), "SUBSCRIBE", "ch3"], stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        cli(redis_port, "PUBLISH", "ch3", "pushed")
        time.sleep(0.3)
        sub.terminate()
        sub.wait(5)
    return [(name, fn) for name, fn in locals().items() if callable(fn) and name not in ("py",)]


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else HERE)
    tmp = tempfile.mkdtemp(prefix="obi-redis-capture-")
    port = launch.free_port()
    srv = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                            "--appendonly", "no", "--dir", tmp, "--enable-debug-command", "yes"],
                           stdout=subprocess.DEVNULL)
    try:
        wait_port(port)
        for name, fn in scenarios(port):
            pport = launch.free_port()
            prefix = os.path.join(tmp, name)
            proxy = subprocess.Popen([sys.executable, PROXY, str(pport), str(port), prefix, "--max-conns", "1"],
                                     stdout=subprocess.PIPE)
            proxy.stdout.readline()
            fn(pport)
            try:
                proxy.wait(10)
            except subprocess.TimeoutExpired:
                proxy.kill()
            for ext in ("session", "c2s.bin", "s2c.bin"):
                src = "%s.1.%s" % (prefix, ext)
                if os.path.exists(src):
                    shutil.copy(src, os.path.join(out, "%s.%s" % (name, ext)))
            print("captured", name)
    finally:
        srv.terminate()
        srv.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
