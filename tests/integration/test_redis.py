"""Redis spans from a real redis-server 7 (started here on a free port) and real clients: redis-cli (traced by
executable: RedisClient spans), redis-py from this test process (traced by PID: RedisClient spans) and the
server itself (traced by its port: RedisServer spans). Pipelines, errors (WRONGTYPE), SELECT, RESP3, pub/sub
and MONITOR modes, big values, db.query.text opt-in and the db metrics. obi-compat 3.2-3.4, 4.2, example 11."""
import os
import socket
import subprocess
import time

import pytest

import otlp
from harness import launch, sattr, span_pid

import kv_servers  # tests/apps (on sys.path through harness)

redis = pytest.importorskip("redis")  # python3-redis (Debian)


@pytest.fixture(scope="module")
def server(work_dir):
    srv = kv_servers.start_redis(launch.free_port(), work_dir)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def prom_port():
    return launch.free_port()


def config(server, prom_port=None, query_text=False):
    cfg = {"trace_printer": "json",
           "discovery": {"instrument": [{"open_ports": str(server.port)}, {"exe_path": "*/redis-cli"},
                                        {"target_pids": [os.getpid()]}]}}
    if query_text:
        cfg["attributes"] = {"select": {"traces": {"include": ["db.query.text"]}}}
    if prom_port:
        cfg["prometheus_export"] = {"port": prom_port}
    return cfg


def cli(server, *args, resp3=False, timeout=20):
    argv = ["redis-cli", "-p", str(server.port)] + (["-3"] if resp3 else []) + list(args)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def warm_up(agent, server):
    """The server and redis-cli are traced once the agent saw them: PING until both sides give a span."""
    for _ in range(60):
        mark = agent.spans.mark()
        cli(server, "PING")
        try:
            agent.spans.wait_for_spans(lambda s: s.get("type") == "RedisServer" and s.get("hostPort") == str(server.port),
                                       timeout=0.5, since=mark)
            agent.spans.wait_for_spans(lambda s: s.get("type") == "RedisClient" and s.get("hostPort") == str(server.port),
                                       timeout=0.5, since=mark)
            return agent
        except AssertionError:
            continue
    raise AssertionError("no Redis spans after 60 warm-up PINGs:\n" + agent.logs())


@pytest.fixture(scope="module")
def agent(module_agent_factory, server, prom_port):
    return warm_up(module_agent_factory(config=config(server, prom_port)), server)


def of_type(agent, server, typ, since, peer_port=None, pid=None):
    return [s for s in agent.spans.matching(lambda s: s.get("type") == typ, since)
            if s.get("hostPort") == str(server.port) and (peer_port is None or s.get("peerPort") == str(peer_port))
            and (pid is None or span_pid(s) == pid)]


def local_port(client):
    conn = client.connection or client.connection_pool.get_connection("_")
    client.connection = conn
    conn.connect()
    return conn._sock.getsockname()[1]


def py_client(server, db=0):
    r = redis.Redis(host="127.0.0.1", port=server.port, db=db, single_connection_client=True)
    return r, local_port(r)


def test_cli_set_client_and_server_spans(agent, server):
    mark = agent.spans.mark()
    p = subprocess.Popen(["redis-cli", "-p", str(server.port), "SET", "beyla", "rocks"], stdout=subprocess.PIPE)
    out, _ = p.communicate(timeout=20)
    assert out.strip() == b"OK"
    client = agent.spans.wait_for_spans(lambda s: s.get("type") == "RedisClient" and span_pid(s) == p.pid
                                        and s.get("name") == "SET", since=mark)[0]
    assert client["kind"] == "SPAN_KIND_CLIENT" and client["statusCode"] == "STATUS_CODE_UNSET"
    assert sattr(client, "db.system.name") == "redis"
    assert sattr(client, "db.operation.name") == "SET"
    assert sattr(client, "db.namespace") == "0"
    assert sattr(client, "server.address") == "127.0.0.1" and sattr(client, "server.port") == server.port
    assert sattr(client, "db.query.text") is None  # opt-in only
    assert client["resource"]["service.name"] == "redis-cli"
    srv = agent.spans.wait_for_spans(lambda s: s.get("type") == "RedisServer" and s.get("peerPort") == client["peerPort"]
                                     and s.get("name") == "SET", since=mark)[0]
    assert srv["kind"] == "SPAN_KIND_SERVER"
    assert sattr(srv, "client.address") == "127.0.0.1" and sattr(srv, "server.port") == server.port
    assert srv["resource"]["service.name"] == os.path.basename(server.exe)  # Debian: redis-server -> redis-check-rdb
    assert span_pid(srv) == server.pid
    assert int(client["durationUSec"]) >= int(srv["durationUSec"]) >= 0


def test_inline_ping_on_fresh_connections(agent, server):
    """An inline PING (telnet, `echo PING | nc`, redis-benchmark's PING_INLINE) as the first bytes of a
    connection: only its +PONG reply tells Redis apart from other text protocols, and the PING is kept."""
    mark = agent.spans.mark()
    ports = []
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as c:
            ports.append(str(c.getsockname()[1]))
            c.sendall(b"PING\r\n")
            assert c.recv(64) == b"+PONG\r\n"
    for typ in ("RedisServer", "RedisClient"):
        spans = agent.spans.wait_for_exact_spans(
            lambda s, typ=typ: s.get("type") == typ and s.get("peerPort") in ports, 5, since=mark, settle=1.0,
            describe="%s spans of 5 inline PINGs" % typ)
        assert {s["name"] for s in spans} == {"PING"}
        assert {s["peerPort"] for s in spans} == set(ports)


def test_first_requests_of_a_new_client_are_kept(agent_factory, server):
    """redis-benchmark opens 50 connections and sends on all of them the moment it starts, before discovery
    has registered it (it links libssl, so its TLS probes are placed first): the kernel traces it from exec,
    and its spans wait for its identity instead of being dropped as of an unknown process."""
    cfg = {"trace_printer": "json", "discovery": {"instrument": [{"exe_path": "*/redis-benchmark"}]}}
    for _ in range(3):  # the race is short: each round is a new agent and a new process
        agent = agent_factory(config=cfg)
        mark = agent.spans.mark()
        p = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port), "-t", "ping_mbulk",
                            "-n", "2000", "-c", "50", "-q"], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        agent.spans.wait_for_exact_spans(lambda s: s.get("type") == "RedisClient" and s.get("name") == "PING",
                                         2000, since=mark, settle=1.0, describe="redis-benchmark's 2000 PINGs")
        agent.stop()


def test_wrongtype_error(agent, server):
    cli(server, "SET", "str", "x")
    mark = agent.spans.mark()
    p = subprocess.Popen(["redis-cli", "-p", str(server.port), "LPUSH", "str", "y"], stdout=subprocess.PIPE)
    out, _ = p.communicate(timeout=20)
    assert b"WRONGTYPE" in out
    for typ in ("RedisClient", "RedisServer"):
        s = agent.spans.wait_for_spans(lambda s: s.get("type") == typ and s.get("name") == "LPUSH"
                                       and s.get("hostPort") == str(server.port), since=mark)[0]
        assert s["statusCode"] == "STATUS_CODE_ERROR", s
        assert sattr(s, "error.type") == "WRONGTYPE" and sattr(s, "db.response.status_code") == "WRONGTYPE"


def test_select_sets_namespace(agent, server):
    mark = agent.spans.mark()
    p = subprocess.Popen(["redis-cli", "-p", str(server.port), "-n", "3", "SET", "k3", "v"], stdout=subprocess.PIPE)
    p.communicate(timeout=20)
    spans = agent.spans.wait_for_spans(lambda s: s.get("type") == "RedisClient" and span_pid(s) == p.pid, count=2,
                                       since=mark)
    assert [s["name"] for s in spans] == ["SELECT", "SET"]
    assert [sattr(s, "db.namespace") for s in spans] == ["3", "3"]
    srv = agent.spans.wait_for_spans(lambda s: s.get("type") == "RedisServer" and s.get("peerPort") == spans[0]["peerPort"],
                                     count=2, since=mark)
    assert [sattr(s, "db.namespace") for s in srv] == ["3", "3"]


def pool_port(r):
    """Local port of the connection a redis-py pool holds (pipelines take it from the pool)."""
    conns = r.connection_pool._available_connections + list(r.connection_pool._in_use_connections)
    assert len(conns) == 1, conns
    return conns[0]._sock.getsockname()[1]


def test_redis_py_pipeline_errors_and_select(agent, server):
    mark = agent.spans.mark()
    r = redis.Redis(host="127.0.0.1", port=server.port, db=2)  # redis-py sends SELECT 2 on connect
    r.set("beyla", "rocks")  # a string: INCR on it fails inside the pipeline
    port = pool_port(r)
    pipe = r.pipeline(transaction=False)
    for i in range(15):
        pipe.set("key:%d" % i, "value-%d" % i)
        pipe.get("key:%d" % i)
    pipe.incr("beyla")
    pipe.hgetall("nohash")
    results = pipe.execute(raise_on_error=False)
    assert isinstance(results[30], redis.ResponseError)
    with pytest.raises(redis.ResponseError):
        r.lpush("beyla", "x")
    assert pool_port(r) == port
    r.connection_pool.disconnect()
    want = ["SELECT", "SET"] + ["SET", "GET"] * 15 + ["INCRBY", "HGETALL", "LPUSH"]
    for typ, pid in (("RedisClient", os.getpid()), ("RedisServer", server.pid)):
        got = agent.spans.wait_for_exact_spans(lambda s: s.get("type") == typ and s.get("peerPort") == str(port)
                                               and s.get("hostPort") == str(server.port), count=len(want),
                                               since=mark, describe=typ)
        names = [s["name"] for s in got]
        assert names == want, (typ, names)
        assert all(span_pid(s) == pid for s in got)
        assert all(sattr(s, "db.namespace") == "2" for s in got)
        errors = [s["name"] for s in got if s["statusCode"] == "STATUS_CODE_ERROR"]
        assert errors == ["INCRBY", "LPUSH"], (typ, errors)
        assert sattr(got[-1], "error.type") == "WRONGTYPE"
        assert sattr(got[-3], "error.type") == "ERR"


def test_pipeline_beyond_the_capture_stays_in_order(agent_factory, server):
    """A 600-command pipeline (16 KB) is captured only in part (ebpf.capture_size: 2048 bytes per call): the
    captured commands get their spans, in order and paired with their own replies (every LPUSH fails with
    WRONGTYPE, every SET succeeds, so a mispairing would show); the rest are lost, never mispaired; the next
    command pairs again."""
    a = warm_up(agent_factory(config=config(server, query_text=True)), server)
    mark = a.spans.mark()
    r = redis.Redis(host="127.0.0.1", port=server.port)
    r.ping()
    port = pool_port(r)
    pipe = r.pipeline(transaction=False)
    for i in range(300):
        pipe.set("p:%03d" % i, "v")
        pipe.lpush("p:%03d" % i, "x")
    pipe.execute(raise_on_error=False)
    r.echo("after")
    r.connection_pool.disconnect()
    for typ in ("RedisClient", "RedisServer"):
        a.spans.wait_for_spans(lambda s: s.get("type") == typ and s.get("peerPort") == str(port)
                               and s.get("name") == "ECHO", since=mark, describe=typ)
        got = a.spans.matching(lambda s: s.get("type") == typ and s.get("peerPort") == str(port), mark)
        names = [s["name"] for s in got]
        assert names[0] == "PING" and names[-1] == "ECHO", (typ, names[:3], names[-3:])
        body = got[1:-1]
        assert 20 <= len(body) < 600, (typ, len(body))
        for s in body:
            assert s["name"] in ("SET", "LPUSH"), s["name"]
            want = "STATUS_CODE_ERROR" if s["name"] == "LPUSH" else "STATUS_CODE_UNSET"
            assert s["statusCode"] == want, (typ, s["name"], sattr(s, "db.query.text"))
        keys = [sattr(s, "db.query.text").split(" ")[1] for s in body]
        assert keys == sorted(keys), (typ, keys)
        assert got[-1]["statusCode"] == "STATUS_CODE_UNSET"


def test_big_values_across_the_capture(agent, server):
    mark = agent.spans.mark()
    r, port = py_client(server)
    r.set("big", b"x" * 300000)
    assert len(r.get("big")) == 300000
    r.ping()
    r.close()
    for typ in ("RedisClient", "RedisServer"):
        got = agent.spans.wait_for_exact_spans(lambda s: s.get("type") == typ and s.get("peerPort") == str(port),
                                               count=3, since=mark, describe=typ)
        assert [s["name"] for s in got] == ["SET", "GET", "PING"]
        assert all(s["statusCode"] == "STATUS_CODE_UNSET" for s in got)


def test_commands_bigger_than_the_capture(agent, server):
    """Requests far bigger than the capture (2048 bytes per call) in their arguments, not in one last value:
    an RPUSH of 2000 items, an MSET of 400 pairs, a SET with a 3000-byte key. Each gets its one span, named
    from its start and paired with its own reply, on both sides; the GET after them pairs too."""
    mark = agent.spans.mark()
    r, port = py_client(server)
    r.delete("biglist")
    assert r.rpush("biglist", *["item%d" % i for i in range(2000)]) == 2000
    assert r.mset({"mk%d" % i: "v" for i in range(400)})
    assert r.set("K" * 3000, "v")
    with pytest.raises(redis.ResponseError):  # an error reply: a mispairing would show
        r.hset("biglist", mapping={"field%d" % i: "x" * 50 for i in range(100)})
    assert r.get("mk1") == b"v"
    r.close()
    want = ["DEL", "RPUSH", "MSET", "SET", "HSET", "GET"]
    for typ in ("RedisClient", "RedisServer"):
        got = agent.spans.wait_for_exact_spans(lambda s: s.get("type") == typ and s.get("peerPort") == str(port)
                                               and s.get("hostPort") == str(server.port), count=len(want),
                                               since=mark, settle=1.0, describe=typ)
        assert [s["name"] for s in got] == want, (typ, [s["name"] for s in got])
        assert [sattr(s, "db.operation.name") for s in got] == want
        errors = [s["name"] for s in got if s["statusCode"] == "STATUS_CODE_ERROR"]
        assert errors == ["HSET"], (typ, errors)
        assert sattr(got[4], "error.type") == "WRONGTYPE"


def test_pubsub_deliveries_give_no_spans(agent, server):
    mark = agent.spans.mark()
    r, _ = py_client(server)
    ps = r.pubsub()
    ps.subscribe("news", "sport")
    ps.psubscribe("log.*")
    port = ps.connection._sock.getsockname()[1]
    pub, _ = py_client(server)
    got = 0
    deadline = time.monotonic() + 10
    while got < 20 and time.monotonic() < deadline:
        pub.publish("news", "hello %d" % got)
        pub.publish("log.app", "line")
        m = ps.get_message(timeout=0.2)
        while m:
            if m["type"] in ("message", "pmessage"):
                got += 1
            m = ps.get_message(timeout=0.05)
    assert got >= 20
    ps.ping()
    ps.unsubscribe()
    ps.punsubscribe()
    # The client spans end when the client reads the replies: read until the last confirmation.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        m = ps.get_message(timeout=0.2)
        if m and m["type"] == "punsubscribe" and m["data"] == 0:
            break
    ps.close()
    pub.close()
    r.close()
    want = ["SUBSCRIBE", "PSUBSCRIBE", "PING", "UNSUBSCRIBE", "PUNSUBSCRIBE"]
    for typ in ("RedisClient", "RedisServer"):
        spans = agent.spans.wait_for_exact_spans(lambda s: s.get("type") == typ and s.get("peerPort") == str(port),
                                                 count=len(want), since=mark, describe=typ)
        assert [s["name"] for s in spans] == want, typ
        assert all(s["statusCode"] == "STATUS_CODE_UNSET" for s in spans)


def test_monitor_mode_does_not_desync(agent, server):
    mark = agent.spans.mark()
    mon = subprocess.Popen(["redis-cli", "-p", str(server.port), "MONITOR"], stdout=subprocess.PIPE)
    agent.spans.wait_for_spans(lambda s: s.get("type") == "RedisClient" and span_pid(s) == mon.pid
                               and s.get("name") == "MONITOR", since=mark)
    r, port = py_client(server)
    for i in range(20):
        r.set("mon:%d" % i, "v")
    r.close()
    time.sleep(0.5)
    mon.terminate()
    mon.wait(10)
    agent.spans.wait_for_exact_spans(lambda s: s.get("type") == "RedisServer" and s.get("peerPort") == str(port),
                                     count=20, since=mark)
    time.sleep(1.5)
    mon_client = [s for s in agent.spans.matching(lambda s: span_pid(s) == mon.pid, mark)]
    assert [s["name"] for s in mon_client] == ["MONITOR"], [s["name"] for s in mon_client]
    peer = mon_client[0]["peerPort"]
    mon_server = of_type(agent, server, "RedisServer", mark, peer_port=peer)
    assert [s["name"] for s in mon_server] == ["MONITOR"]


def test_pipe_mode_with_inline_commands(agent, server):
    """redis-cli --pipe fed inline `SET k v` lines: one write of 50 commands, more than the bytes in which
    detection may see only words memcached shares. Each SET is a span on both sides, then the ECHO marker."""
    mark = agent.spans.mark()
    data = "".join("SET pipe:%d %d\r\n" % (i, i) for i in range(50)).encode()
    p = subprocess.run(["redis-cli", "-p", str(server.port), "--pipe"], input=data, capture_output=True, timeout=20)
    assert b"replies: 50" in p.stdout, p.stdout
    echo = agent.spans.wait_for_spans(lambda s: s.get("type") == "RedisServer" and s.get("name") == "ECHO"
                                      and s.get("hostPort") == str(server.port), since=mark)[0]
    srv = of_type(agent, server, "RedisServer", mark, peer_port=echo["peerPort"])
    assert [s["name"] for s in srv] == ["SET"] * 50 + ["ECHO"], [s["name"] for s in srv]
    assert all(s["statusCode"] == "STATUS_CODE_UNSET" for s in srv)


def test_resp3_replies(agent, server):
    """Every RESP3 reply type from the real server (DEBUG PROTOCOL <type>), incl. attribute and push, on a raw
    socket of this (traced) process; and redis-cli -3 with maps, sets, doubles, nulls and verbatim strings."""
    cli(server, "HSET", "h3", "f1", "v1")
    cli(server, "SADD", "s3", "a", "b")
    cli(server, "ZADD", "z3", "1.5", "m")
    mark = agent.spans.mark()
    types = ["string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push", "verbatim",
             "true", "false"]
    s = socket.create_connection(("127.0.0.1", server.port))
    port = s.getsockname()[1]
    s.settimeout(0.3)
    for args in [["HELLO", "3"]] + [["DEBUG", "PROTOCOL", t] for t in types] + [["PING"]]:
        s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args))
        try:
            while s.recv(65536):
                pass
        except socket.timeout:
            pass
    s.close()
    want = ["HELLO"] + ["DEBUG PROTOCOL"] * len(types) + ["PING"]
    for typ in ("RedisClient", "RedisServer"):
        got = agent.spans.wait_for_exact_spans(lambda x: x.get("type") == typ and x.get("peerPort") == str(port),
                                               count=len(want), since=mark, describe=typ)
        assert [x["name"] for x in got] == want
        assert all(x["statusCode"] == "STATUS_CODE_UNSET" for x in got)
    p = subprocess.Popen(["redis-cli", "-3", "-p", str(server.port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    p.communicate(b"HGETALL h3\nSMEMBERS s3\nZSCORE z3 m\nGET nokey\nINFO server\nPING\n", timeout=20)
    agent.spans.wait_for_spans(lambda x: x.get("type") == "RedisClient" and span_pid(x) == p.pid
                               and x.get("name") == "PING", since=mark)
    time.sleep(1.5)
    names = [x["name"] for x in agent.spans.matching(lambda x: x.get("type") == "RedisClient" and span_pid(x) == p.pid,
                                                      mark)]
    # redis-cli -3 reading commands sends HELLO 3 and COMMAND DOCS (a 170 KB reply) first.
    assert names == ["HELLO", "COMMAND DOCS", "HGETALL", "SMEMBERS", "ZSCORE", "GET", "INFO", "PING"], names


def test_metrics(agent, server, prom_port):
    for _ in range(3):
        cli(server, "SET", "m", "1")
    cli(server, "SET", "mstr", "x")
    cli(server, "LPUSH", "mstr", "y")

    def value(labels):
        status, body, _ = otlp.http_get(prom_port, "/metrics")
        assert status == 200
        total = 0.0
        for line in body.splitlines():
            if line.startswith("db_client_operation_duration_seconds_count{") and all(l in line for l in labels):
                total += float(line.rsplit(" ", 1)[1])
        return total

    deadline = time.monotonic() + 20
    ok = ['db_system_name="redis"', 'db_operation_name="SET"', 'error_type=""']
    err = ['db_system_name="redis"', 'db_operation_name="LPUSH"', 'error_type="WRONGTYPE"']
    while value(ok) < 8 or value(err) < 2:  # client (redis-cli) and server spans each
        assert time.monotonic() < deadline, "db_client_operation_duration_seconds_count did not grow"
        time.sleep(0.5)


def test_query_text_opt_in_is_sanitised(agent_factory, server):
    a = warm_up(agent_factory(config=config(server, query_text=True)), server)
    mark = a.spans.mark()
    r, port = py_client(server)
    r.set("user:1", "secret-value")
    r.set("k sp", "secret one two")  # one token per argument, whatever it holds
    r.append("k\r\nx", "secret\r\nvalue")
    r.close()
    for typ in ("RedisClient", "RedisServer"):
        got = a.spans.wait_for_spans(lambda s: s.get("type") == typ and s.get("peerPort") == str(port)
                                     and s.get("name") in ("SET", "APPEND"), count=3, since=mark)
        texts = [sattr(s, "db.query.text") for s in got]
        assert texts == ["SET user:1 ?", 'SET "k sp" ?', 'APPEND "k\\r\\nx" ?'], (typ, texts)
