"""PostgreSQL spans from a real PostgreSQL 15 server (started here with initdb + pg_ctl on a free port) and real
clients: psql, psycopg2 (simple protocol), node pg (extended protocol, named and unnamed statements), pgbench
(prepared, simple and pipelined). The agent traces the server by its port (SQLServer spans) and psql/pgbench by
executable (SQLClient spans). obi-compat 3.2-3.4, 4.2 and acceptance example 9."""
import json
import os
import socket
import subprocess

import pytest

import otlp
from harness import launch, rattr, sattr, span_pid

import sql_servers  # tests/apps (on sys.path through harness)

PSQL = sql_servers.PG_BIN + "/psql"
PGBENCH = sql_servers.PG_BIN + "/pgbench"
TPCB = {"BEGIN", "UPDATE pgbench_accounts", "SELECT pgbench_accounts", "UPDATE pgbench_tellers",
        "UPDATE pgbench_branches", "INSERT pgbench_history", "END"}


@pytest.fixture(scope="module")
def pg(work_dir):
    srv = sql_servers.Postgres(launch.free_port()).start()
    try:
        srv.psql("CREATE DATABASE shop")
        srv.psql("CREATE SCHEMA accounting; CREATE TABLE accounting.contacts(id int primary key, name text);"
                 "INSERT INTO accounting.contacts VALUES (1, 'Ann'), (2, 'Bob');"
                 "CREATE TABLE items(id serial primary key, label text, qty int);"
                 "INSERT INTO items(label, qty) SELECT 'item-' || g, g FROM generate_series(1, 3000) g", db="shop")
        subprocess.run([PGBENCH, "-h", "127.0.0.1", "-p", str(srv.port), "-U", "postgres", "-i", "-q", "shop"],
                       check=True, capture_output=True, timeout=120)
        yield srv
    finally:
        srv.stop()


def agent_config(pg, prom_port=None, query_text=False):
    cfg = {"trace_printer": "json",
           "discovery": {"instrument": [{"open_ports": str(pg.port)}, {"exe_path": "*/bin/psql"},
                                        {"exe_path": "*/bin/pgbench"}]}}
    if query_text:
        cfg["attributes"] = {"select": {"traces": {"include": ["db.query.text"]}}}
    if prom_port:
        cfg["prometheus_export"] = {"port": prom_port}
    return cfg


@pytest.fixture(scope="module")
def prom_port():
    return launch.free_port()


@pytest.fixture(scope="module")
def agent(module_agent_factory, pg, prom_port):
    a = module_agent_factory(config=agent_config(pg, prom_port))
    # The server is traced once the agent saw it listening: wait until a query gives a span.
    for _ in range(50):
        mark = a.spans.mark()
        pg.psql("SELECT 1", db="shop")
        try:
            a.spans.wait_for_spans(lambda s: s.get("type") == "SQLServer" and s.get("hostPort") == str(pg.port),
                                   timeout=0.5, since=mark)
            return a
        except AssertionError:
            continue
    raise AssertionError("no SQLServer span after 50 warm-up queries:\n" + a.logs())


def server_spans(agent, pg, since, peer_port=None):
    return [s for s in agent.spans.matching(lambda s: s.get("type") == "SQLServer", since)
            if s.get("hostPort") == str(pg.port) and (peer_port is None or s.get("peerPort") == str(peer_port))]


def run_psql(pg, sql, expect_ok=True):
    p = subprocess.run([PSQL, "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d", "shop", "-X", "-q",
                        "-c", sql], capture_output=True, text=True, timeout=60)
    assert (p.returncode == 0) == expect_ok, p.stderr
    return p


def psql_pid_spans(agent, since, name):
    return agent.spans.wait_for_spans(lambda s: s.get("type") == "SQLClient" and s.get("name") == name, since=since)


def check_db_attrs(span, pg, op, table, server_side):
    a = span["spanAttributes"]
    assert a["db.system.name"] == "postgresql"
    assert a["db.operation.name"] == op
    if table:
        assert a["db.collection.name"] == table
    else:
        assert "db.collection.name" not in a
    assert a["db.namespace"] == "shop"
    assert a["server.address"] == "127.0.0.1"
    assert a["server.port"] == pg.port
    assert "db.query.text" not in a, "db.query.text is opt-in"
    assert span["kind"] == ("SPAN_KIND_SERVER" if server_side else "SPAN_KIND_CLIENT")
    assert span["hostPort"] == str(pg.port)
    assert int(span["end"]) >= int(span["start"])
    if server_side:
        assert a["client.address"] == "127.0.0.1"


def test_psql_query_client_and_server_spans(agent, pg):
    mark = agent.spans.mark()
    proc = subprocess.Popen([PSQL, "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d", "shop", "-X", "-q",
                             "-c", "SELECT * from accounting.contacts WHERE id=1"], stdout=subprocess.DEVNULL)
    assert proc.wait(60) == 0
    client = [s for s in psql_pid_spans(agent, mark, "SELECT accounting.contacts") if span_pid(s) == proc.pid]
    assert len(client) == 1, client
    c = client[0]
    check_db_attrs(c, pg, "SELECT", "accounting.contacts", server_side=False)
    assert c["statusCode"] == "STATUS_CODE_UNSET"
    assert rattr(c, "service.name") == "psql"
    server = agent.spans.wait_for_spans(
        lambda s: s.get("type") == "SQLServer" and s.get("peerPort") == c["peerPort"], since=mark)
    assert len(server) == 1, server
    check_db_attrs(server[0], pg, "SELECT", "accounting.contacts", server_side=True)
    assert server[0]["name"] == "SELECT accounting.contacts"
    assert rattr(server[0], "service.name") == "postgres"
    assert span_pid(server[0]) != pg.pid()  # a backend process forked by the postmaster
    # the client span contains the server span
    assert int(c["start"]) <= int(server[0]["start"]) and int(server[0]["end"]) <= int(c["end"])


def test_error_gives_sqlstate(agent, pg):
    mark = agent.spans.mark()
    run_psql(pg, "SELECT * FROM nosuchtable WHERE id = 1", expect_ok=False)
    for kind in ("SQLClient", "SQLServer"):
        spans = agent.spans.wait_for_spans(lambda s: s.get("type") == kind and s.get("name") == "SELECT nosuchtable",
                                           since=mark)
        s = spans[0]
        assert s["statusCode"] == "STATUS_CODE_ERROR"
        assert sattr(s, "db.response.status_code") == "42P01"
        assert sattr(s, "error.type") == "42P01"


def test_psycopg2_simple_protocol(agent, pg):
    import psycopg2
    conn = psycopg2.connect(host="127.0.0.1", port=pg.port, user="postgres", dbname="shop")
    local_port = socket.fromfd(conn.fileno(), socket.AF_INET, socket.SOCK_STREAM).getsockname()[1]
    mark = agent.spans.mark()
    cur = conn.cursor()
    cur.execute("SELECT name FROM accounting.contacts WHERE id = %s AND name <> %s", (2, "O'Brien"))
    assert cur.fetchall() == [("Bob",)]
    cur.execute("UPDATE items SET qty = qty + 1 WHERE id = %s", (5,))
    conn.commit()
    with pytest.raises(psycopg2.Error):
        cur.execute("INSERT INTO nosuch(a) VALUES (1)")
    conn.rollback()
    conn.close()
    want = ["BEGIN", "SELECT accounting.contacts", "UPDATE items", "COMMIT", "BEGIN", "INSERT nosuch", "ROLLBACK"]
    agent.spans.wait_for_spans(lambda s: s.get("type") == "SQLServer" and s.get("peerPort") == str(local_port)
                               and s.get("name") == "ROLLBACK", since=mark)
    got = server_spans(agent, pg, mark, local_port)
    assert [s["name"] for s in got] == want
    assert got[5]["statusCode"] == "STATUS_CODE_ERROR" and sattr(got[5], "error.type") == "42P01"
    assert all(s["statusCode"] == "STATUS_CODE_UNSET" for i, s in enumerate(got) if i != 5)


def run_node_pg(pg, *scenarios):
    sql_servers.ensure_node_clients()
    out = subprocess.run(["node", os.path.join(sql_servers.NODE_DIR, "pg_client.js"), str(pg.port), "shop", *scenarios],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.rstrip().endswith("done"), out.stdout + out.stderr
    lines = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
    return lines[0]["localPort"], lines[1:]


def test_node_pg_extended_protocol(agent, pg):
    mark = agent.spans.mark()
    port, results = run_node_pg(pg, "named", "unnamed", "error", "rows")
    assert results[2]["code"] == "42P01" and results[3]["rows"] == 3000
    agent.spans.wait_for_spans(lambda s: s.get("type") == "SQLServer" and s.get("peerPort") == str(port)
                               and s.get("name") == "SELECT items", since=mark, timeout=15)
    got = server_spans(agent, pg, mark, port)
    assert [s["name"] for s in got] == ["SELECT accounting.contacts"] * 3 + ["UPDATE items", "SELECT missing_table",
                                                                             "SELECT items"]
    for s in got[:3]:  # one Parse, three Bind/Execute of the named statement
        check_db_attrs(s, pg, "SELECT", "accounting.contacts", server_side=True)
    assert got[4]["statusCode"] == "STATUS_CODE_ERROR" and sattr(got[4], "db.response.status_code") == "42P01"
    # the 3000-row result spans many reads with uncaptured bytes: its span still ends at the response end
    assert int(got[5]["end"]) > int(got[5]["start"])


@pytest.mark.parametrize("mode", ["prepared", "simple"])
def test_pgbench_span_counts(agent, pg, mode):
    clients, txs = 2, 50
    mark = agent.spans.mark()
    proc = subprocess.run([PGBENCH, "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-n", "-M", mode,
                           "-c", str(clients), "-t", str(txs), "shop"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    want = clients * txs * len(TPCB)
    for kind in ("SQLClient", "SQLServer"):
        # A backend is a fresh fork of the postmaster: if its very first bursts (the Parse messages of the first
        # transaction, with -M prepared) are seen late, those executions are spans without text ("SQL").
        names = TPCB | {"SQL"} if kind == "SQLServer" else TPCB
        pred = (lambda k, n: lambda s: s.get("type") == k and s.get("name") in n
                and s.get("hostPort") == str(pg.port))(kind, names)
        agent.spans.wait_for_exact_spans(pred, want, since=mark, timeout=30, describe="%s %s" % (kind, mode))


def test_pgbench_pipeline(agent, pg, work_dir):
    script = os.path.join(work_dir, "pipeline.sql")
    with open(script, "w") as f:
        f.write("\\set aid random(1, 100000)\n\\startpipeline\n"
                "SELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n"
                "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;\n"
                "SELECT 1;\n\\endpipeline\n")
    os.chmod(script, 0o644)
    mark = agent.spans.mark()
    proc = subprocess.run([PGBENCH, "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-n", "-M", "extended",
                           "-c", "1", "-t", "20", "-f", script, "shop"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    names = {"SELECT pgbench_accounts", "UPDATE pgbench_accounts", "SELECT"}
    pred = lambda s: s.get("type") == "SQLServer" and s.get("name") in names and s.get("hostPort") == str(pg.port)
    spans = agent.spans.wait_for_exact_spans(pred, 60, since=mark, timeout=30)
    assert sum(1 for s in spans if s["name"] == "UPDATE pgbench_accounts") == 20


def test_metrics_count_operations(agent, pg, prom_port):
    for _ in range(5):
        run_psql(pg, "SELECT id FROM items WHERE id = 7")
    run_psql(pg, "SELECT * FROM nosuchtable", expect_ok=False)

    def value(labels):
        status, body, _ = otlp.http_get(prom_port, "/metrics")
        assert status == 200
        total = 0.0
        for line in body.splitlines():
            if line.startswith("db_client_operation_duration_seconds_count{") and all(l in line for l in labels):
                total += float(line.rsplit(" ", 1)[1])
        return total

    ok = ['db_operation_name="SELECT"', 'db_system_name="postgresql"']
    deadline = __import__("time").monotonic() + 20
    while value(ok + ['error_type="42P01"']) < 2 or value(ok) < 10:  # client + server span each
        assert __import__("time").monotonic() < deadline, "db_client_operation_duration_seconds_count did not grow"
        __import__("time").sleep(0.5)


def test_query_text_opt_in_is_sanitised(agent_factory, pg):
    a = agent_factory(config=agent_config(pg, query_text=True))
    a.wait_ready()
    for _ in range(50):  # the agent sees psql as soon as it execs
        mark = a.spans.mark()
        run_psql(pg, "SELECT * from accounting.contacts WHERE id=1 AND name <> 'O''Brien'")
        try:
            spans = a.spans.wait_for_spans(lambda s: s.get("type") == "SQLClient"
                                           and s.get("name") == "SELECT accounting.contacts", since=mark, timeout=2)
            break
        except AssertionError:
            continue
    text = sattr(spans[0], "db.query.text")
    assert text == "SELECT * from accounting.contacts WHERE id=? AND name <> ?", text


def psycopg2_conn(pg):
    import psycopg2
    conn = psycopg2.connect(host="127.0.0.1", port=pg.port, user="postgres", dbname="shop")
    conn.autocommit = True
    return conn, socket.fromfd(conn.fileno(), socket.AF_INET, socket.SOCK_STREAM).getsockname()[1]


def test_error_after_many_rows(agent, pg):
    # 2000 DataRows (~40 KB, far beyond the 2048 bytes captured per call), then ErrorResponse 22012 and
    # ReadyForQuery: the end of the response is seen only through the last bytes (tail) of the server's calls.
    import psycopg2
    conn, local_port = psycopg2_conn(pg)
    mark = agent.spans.mark()
    cur = conn.cursor()
    with pytest.raises(psycopg2.Error) as err:
        cur.execute("SELECT 2000 AS n, 1/(id-2001) FROM items ORDER BY id")
        cur.fetchall()
    assert err.value.pgcode == "22012"
    cur.execute("SELECT 1")
    conn.close()
    agent.spans.wait_for_spans(lambda s: s.get("type") == "SQLServer" and s.get("peerPort") == str(local_port)
                               and s.get("name") == "SELECT", since=mark)
    got = server_spans(agent, pg, mark, local_port)
    assert [s["name"] for s in got] == ["SELECT items", "SELECT"]
    assert got[0]["statusCode"] == "STATUS_CODE_ERROR", got[0]
    # The SQLSTATE field lies 54 bytes before the end of the server's last call: in its tail.
    assert sattr(got[0], "db.response.status_code") == "22012", got[0]
    assert got[1]["statusCode"] == "STATUS_CODE_UNSET"


def test_terminate_backend_fatal_error(agent, pg):
    # FATAL 57P01, then the server closes the connection: no ReadyForQuery ends the statement.
    import psycopg2
    conn, local_port = psycopg2_conn(pg)
    mark = agent.spans.mark()
    with pytest.raises(psycopg2.OperationalError):
        conn.cursor().execute("SELECT pg_terminate_backend(pg_backend_pid())")
    conn.close()
    spans = agent.spans.wait_for_spans(lambda s: s.get("type") == "SQLServer" and s.get("peerPort") == str(local_port),
                                       since=mark)
    assert [s["name"] for s in spans] == ["SELECT"]
    assert spans[0]["statusCode"] == "STATUS_CODE_ERROR"
    assert sattr(spans[0], "db.response.status_code") == "57P01"
    # psql's own span (client side) ends the same way.
    run_psql(pg, "SELECT pg_terminate_backend(pg_backend_pid())", expect_ok=False)
    client = psql_pid_spans(agent, mark, "SELECT")
    assert client[0]["statusCode"] == "STATUS_CODE_ERROR"
    assert sattr(client[0], "error.type") == "57P01"


def test_asyncpg_prepared_statements_and_prepare_error(agent, pg):
    # asyncpg (python3-asyncpg): named statements prepared with Parse+Describe+Flush, then
    # Bind/Execute/Sync; executemany; a transaction; a failing prepare (the ErrorResponse comes
    # before the Sync) must still give its ERROR span; binary COPY.
    import asyncio
    import asyncpg

    async def scenario():
        c = await asyncpg.connect(host="127.0.0.1", port=pg.port, user="postgres", database="shop")
        port = c._transport.get_extra_info("sockname")[1]
        await c.execute("CREATE TEMP TABLE apg(id int primary key, v text)")
        await c.execute("INSERT INTO apg VALUES ($1, $2)", 1, "a")
        assert await c.fetchval("SELECT v FROM apg WHERE id = $1", 1) == "a"
        await c.executemany("INSERT INTO apg VALUES ($1, $2)", [(2, "b"), (3, "c")])
        async with c.transaction():
            await c.execute("UPDATE apg SET v = 'z' WHERE id = 2")
        with pytest.raises(asyncpg.PostgresError):
            await c.fetch("SELECT * FROM apg_missing")
        with pytest.raises(asyncpg.UniqueViolationError):
            await c.execute("INSERT INTO apg VALUES ($1, $2)", 1, "dup")
        await c.copy_records_to_table("apg", records=[(10, "x")])
        await c.execute("DELETE FROM apg")
        await c.close()
        return port

    mark = agent.spans.mark()
    port = asyncio.run(scenario())
    want = ["CREATE apg", "INSERT apg", "SELECT apg", "INSERT apg", "INSERT apg", "BEGIN", "UPDATE apg", "COMMIT",
            "SELECT apg_missing", "INSERT apg", "COPY apg", "DELETE apg"]
    agent.spans.wait_for_spans(lambda s: s.get("type") == "SQLServer" and s.get("peerPort") == str(port)
                               and s.get("name") == "DELETE apg", since=mark)
    got = server_spans(agent, pg, mark, port)
    assert [s["name"] for s in got] == want
    errors = {i: sattr(s, "db.response.status_code") for i, s in enumerate(got) if s["statusCode"] == "STATUS_CODE_ERROR"}
    assert errors == {8: "42P01", 9: "23505"}


def test_psycopg3_prepare_and_pipeline(agent, pg):
    # psycopg 3 (python3-psycopg): server-side prepared statements (prepare=True), pipeline mode,
    # an error inside a pipeline (the statements after it are skipped by the server: no span).
    import psycopg

    conn = psycopg.connect(host="127.0.0.1", port=pg.port, user="postgres", dbname="shop", autocommit=True)
    local_port = socket.fromfd(conn.fileno(), socket.AF_INET, socket.SOCK_STREAM).getsockname()[1]
    mark = agent.spans.mark()
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE pg3(id int primary key, v text)")
    for _ in range(2):
        cur.execute("SELECT name FROM accounting.contacts WHERE id = %s", (1,), prepare=True)
        assert cur.fetchall() == [("Ann",)]
    cur.executemany("INSERT INTO pg3 VALUES (%s, %s)", [(1, "a"), (2, "b")])
    with conn.pipeline():
        cur.execute("UPDATE pg3 SET v = 'q' WHERE id = %s", (1,))
        cur.execute("SELECT count(*) FROM pg3")
    with pytest.raises(psycopg.Error):
        with conn.pipeline():
            cur.execute("UPDATE pg3 SET v = 'r' WHERE id = %s", (2,))
            cur.execute("SELECT * FROM pg3_missing")
            cur.execute("DELETE FROM pg3 WHERE id = %s", (2,))
    cur.execute("DELETE FROM pg3")
    conn.close()
    want = ["CREATE pg3", "SELECT accounting.contacts", "SELECT accounting.contacts", "INSERT pg3", "INSERT pg3",
            "UPDATE pg3", "SELECT pg3", "UPDATE pg3", "SELECT pg3_missing", "DELETE pg3"]
    agent.spans.wait_for_spans(lambda s: s.get("type") == "SQLServer" and s.get("peerPort") == str(local_port)
                               and s.get("name") == "DELETE pg3", since=mark)
    got = server_spans(agent, pg, mark, local_port)
    assert [s["name"] for s in got] == want
    errors = {i: sattr(s, "db.response.status_code") for i, s in enumerate(got) if s["statusCode"] == "STATUS_CODE_ERROR"}
    assert errors == {8: "42P01"}
    assert got[-1]["statusCode"] == "STATUS_CODE_UNSET"
