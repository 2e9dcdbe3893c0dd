"""MySQL/MariaDB spans from a real MariaDB 10.11 server (started here with mariadb-install-db + mariadbd on a free
port) and real clients: the mariadb CLI (text protocol), pymysql, node mysql2 (prepared statements: the binary
protocol), mysqlclient (python3-mysqldb; skipped when not installed). The agent traces the server by its port
(SQLServer spans) and the CLI by executable (SQLClient spans).
obi-compat 3.2-3.4, 4.2."""
import json
import os
import socket
import subprocess
import time

import pytest

import otlp
from harness import launch, rattr, sattr, span_pid

import sql_servers  # tests/apps (on sys.path through harness)


@pytest.fixture(scope="module")
def maria():
    srv = sql_servers.MariaDB(launch.free_port()).start()
    try:
        srv.cli("CREATE DATABASE shop; CREATE USER 'app'@'%' IDENTIFIED BY 'secret';"
                "CREATE USER 'app'@'localhost' IDENTIFIED BY 'secret'; GRANT ALL ON shop.* TO 'app'@'%';"
                "GRANT ALL ON shop.* TO 'app'@'localhost'; USE shop;"
                "CREATE TABLE contacts(id int primary key, name varchar(64)); INSERT INTO contacts VALUES (1,'Ann'),(2,'Bob');"
                "CREATE TABLE items(id int auto_increment primary key, label varchar(64), qty int);"
                "INSERT INTO items(label, qty) SELECT concat('item-', seq), seq FROM seq_1_to_3000", user="root",
                password=None)
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def prom_port():
    return launch.free_port()


def agent_config(maria, prom_port=None, query_text=False):
    cfg = {"trace_printer": "json",
           "discovery": {"instrument": [{"open_ports": str(maria.port)}, {"exe_path": "*/bin/mariadb"}]}}
    if query_text:
        cfg["attributes"] = {"select": {"traces": {"include": ["db.query.text"]}}}
    if prom_port:
        cfg["prometheus_export"] = {"port": prom_port}
    return cfg


@pytest.fixture(scope="module")
def agent(module_agent_factory, maria, prom_port):
    a = module_agent_factory(config=agent_config(maria, prom_port))
    for _ in range(50):
        mark = a.spans.mark()
        maria.cli("SELECT 1", db="shop")
        try:
            a.spans.wait_for_spans(lambda s: s.get("type") == "SQLServer" and s.get("hostPort") == str(maria.port),
                                   timeout=0.5, since=mark)
            return a
        except AssertionError:
            continue
    raise AssertionError("no SQLServer span after 50 warm-up queries:\n" + a.logs())


def server_spans(agent, maria, since, peer_port=None):
    return [s for s in agent.spans.matching(lambda s: s.get("type") == "SQLServer", since)
            if s.get("hostPort") == str(maria.port) and (peer_port is None or s.get("peerPort") == str(peer_port))]


def check_db_attrs(span, maria, op, table, server_side):
    a = span["spanAttributes"]
    assert a["db.system.name"] == "mysql"
    assert a["db.operation.name"] == op
    assert a.get("db.collection.name") == table
    assert a["db.namespace"] == "shop"
    assert a["server.address"] == "127.0.0.1" and a["server.port"] == maria.port
    assert "db.query.text" not in a, "db.query.text is opt-in"
    assert span["kind"] == ("SPAN_KIND_SERVER" if server_side else "SPAN_KIND_CLIENT")
    assert int(span["end"]) >= int(span["start"])


def test_cli_query_client_and_server(agent, maria):
    mark = agent.spans.mark()
    proc = subprocess.Popen(["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", str(maria.port), "-uapp", "-psecret",
                             "shop", "-e", "SELECT * FROM contacts WHERE id=1"], stdout=subprocess.DEVNULL)
    assert proc.wait(60) == 0
    client = agent.spans.wait_for_spans(lambda s: s.get("type") == "SQLClient" and s.get("name") == "SELECT contacts"
                                        and span_pid(s) == proc.pid, since=mark)
    c = client[0]
    check_db_attrs(c, maria, "SELECT", "contacts", server_side=False)
    assert rattr(c, "service.name") == "mariadb"
    server = agent.spans.wait_for_spans(lambda s: s.get("type") == "SQLServer" and s.get("peerPort") == c["peerPort"]
                                        and s.get("name") == "SELECT contacts", since=mark)
    check_db_attrs(server[0], maria, "SELECT", "contacts", server_side=True)
    assert server[0]["spanAttributes"]["client.address"] == "127.0.0.1"


def test_cli_error(agent, maria):
    mark = agent.spans.mark()
    maria.cli("SELECT * FROM nosuchtable", db="shop", check=False)
    for kind in ("SQLClient", "SQLServer"):
        s = agent.spans.wait_for_spans(lambda s: s.get("type") == kind and s.get("name") == "SELECT nosuchtable",
                                       since=mark)[0]
        assert s["statusCode"] == "STATUS_CODE_ERROR"
        # the server's error number, and the SQLSTATE as the error type (OBI, obi-compat.md 3.3)
        assert sattr(s, "db.response.status_code") == "1146" and sattr(s, "error.type") == "42S02"


def test_pymysql(agent, maria):
    import pymysql
    conn = pymysql.connect(host="127.0.0.1", port=maria.port, user="app", password="secret", database="shop")
    local_port = conn._sock.getsockname()[1]
    mark = agent.spans.mark()
    cur = conn.cursor()
    cur.execute("SELECT name FROM contacts WHERE id = %s AND name <> %s", (2, "O'Brien"))
    assert cur.fetchall() == (("Bob",),)
    cur.execute("SELECT id, label, qty FROM items")  # 3000 rows: a result set across uncaptured bytes
    assert len(cur.fetchall()) == 3000
    with pytest.raises(pymysql.MySQLError):
        cur.execute("INSERT INTO nosuch(a) VALUES (1)")
    cur.execute("UPDATE items SET qty = qty + 1 WHERE id = 3")
    conn.commit()
    conn.close()
    agent.spans.wait_for_spans(lambda s: s.get("type") == "SQLServer" and s.get("peerPort") == str(local_port)
                               and s.get("name") == "COMMIT", since=mark)
    # pymysql's own SET AUTOCOMMIT at connect time may be printed after the mark
    got = [s for s in server_spans(agent, maria, mark, local_port) if s["name"] != "SET"]
    assert [s["name"] for s in got] == ["SELECT contacts", "SELECT items", "INSERT nosuch", "UPDATE items", "COMMIT"]
    check_db_attrs(got[1], maria, "SELECT", "items", server_side=True)
    assert got[2]["statusCode"] == "STATUS_CODE_ERROR" and sattr(got[2], "error.type") == "42S02"


def test_node_mysql2_prepared(agent, maria):
    sql_servers.ensure_node_clients()
    mark = agent.spans.mark()
    out = subprocess.run(["node", os.path.join(sql_servers.NODE_DIR, "mysql_client.js"), str(maria.port), "shop", "app",
                          "secret", "prepared", "error", "rows"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.rstrip().endswith("done"), out.stdout + out.stderr
    lines = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
    port = lines[0]["localPort"]
    assert lines[2]["errno"] == 1146 and lines[3]["rows"] == 3000
    agent.spans.wait_for_spans(lambda s: s.get("type") == "SQLServer" and s.get("peerPort") == str(port)
                               and s.get("name") == "SELECT items", since=mark, timeout=15)
    got = server_spans(agent, maria, mark, port)
    assert [s["name"] for s in got] == ["SELECT contacts"] * 3 + ["SELECT missing_table", "SELECT items"]
    for s in got[:3]:  # COM_STMT_EXECUTE resolved to the COM_STMT_PREPARE text
        check_db_attrs(s, maria, "SELECT", "contacts", server_side=True)
    assert got[3]["statusCode"] == "STATUS_CODE_ERROR" and sattr(got[3], "db.response.status_code") == "1146"


def test_metrics_count_operations(agent, maria, prom_port):
    for _ in range(5):
        maria.cli("SELECT id FROM items WHERE id = 7", db="shop")

    def value(labels):
        status, body, _ = otlp.http_get(prom_port, "/metrics")
        assert status == 200
        return sum(float(l.rsplit(" ", 1)[1]) for l in body.splitlines()
                   if l.startswith("db_client_operation_duration_seconds_count{") and all(x in l for x in labels))

    deadline = time.monotonic() + 20
    while value(['db_operation_name="SELECT"', 'db_system_name="mysql"']) < 10:
        assert time.monotonic() < deadline, "db_client_operation_duration_seconds_count did not grow"
        time.sleep(0.5)


def test_query_text_opt_in_is_sanitised(agent_factory, maria):
    a = agent_factory(config=agent_config(maria, query_text=True))
    spans = None
    for _ in range(50):
        mark = a.spans.mark()
        maria.cli("SELECT * FROM contacts WHERE id=1 AND name <> \"O'Brien\"", db="shop")
        try:
            spans = a.spans.wait_for_spans(lambda s: s.get("type") == "SQLServer" and s.get("name") == "SELECT contacts",
                                           since=mark, timeout=2)
            break
        except AssertionError:
            continue
    assert spans, "no span with the agent that includes db.query.text"
    assert sattr(spans[0], "db.query.text") == "SELECT * FROM contacts WHERE id=? AND name <> ?"


def test_error_after_many_rows(agent, maria):
    """An ERR after 50, 300 and 1000 rows (the answer of the last two is larger than the 2048-byte capture): every
    span is an error with its SQL state (the ERR ends the call: the tail holds it)."""
    import pymysql
    conn = pymysql.connect(host="127.0.0.1", port=maria.port, user="app", password="secret", database="shop",
                           autocommit=True)
    local_port = conn._sock.getsockname()[1]
    mark = agent.spans.mark()
    cur = conn.cursor()
    for n in (50, 300, 1000):
        with pytest.raises(pymysql.MySQLError) as e:
            cur.execute("SELECT id, IF(id <= %d, id, (SELECT a FROM (SELECT 1 a UNION SELECT 2) x)) FROM items "
                        "ORDER BY id" % n)
            cur.fetchall()
        assert e.value.args[0] == 1242
    cur.execute("SELECT id FROM contacts WHERE id = 1")
    conn.close()
    agent.spans.wait_for_spans(lambda s: s.get("type") == "SQLServer" and s.get("peerPort") == str(local_port)
                               and s.get("name") == "SELECT contacts", since=mark, timeout=15)
    got = server_spans(agent, maria, mark, local_port)
    assert [s["name"] for s in got] == ["SELECT items"] * 3 + ["SELECT contacts"]
    for s in got[:3]:  # the ERR (45 bytes) lies in the captured head or in the tail of the call it ends
        assert s["statusCode"] == "STATUS_CODE_ERROR", s
        assert sattr(s, "error.type") == "21000", s
    assert got[3]["statusCode"] != "STATUS_CODE_ERROR"


def test_use_statement_sets_namespace(agent, maria):
    """`USE db` sent as a COM_QUERY (pymysql, mysqlclient; the CLI sends COM_INIT_DB) changes db.namespace once
    the server answers OK."""
    import pymysql
    conn = pymysql.connect(host="127.0.0.1", port=maria.port, user="app", password="secret", database="shop",
                           autocommit=True)
    local_port = conn._sock.getsockname()[1]
    mark = agent.spans.mark()
    cur = conn.cursor()
    cur.execute("SELECT id FROM contacts WHERE id = 1")
    cur.execute("USE information_schema")
    cur.execute("SELECT count(*) FROM tables")
    with pytest.raises(pymysql.MySQLError):
        cur.execute("USE nosuchdb")
    cur.execute("SELECT count(*) FROM columns")
    conn.close()
    agent.spans.wait_for_spans(lambda s: s.get("type") == "SQLServer" and s.get("peerPort") == str(local_port)
                               and s.get("name") == "SELECT columns", since=mark)
    got = [(s["name"], sattr(s, "db.namespace")) for s in server_spans(agent, maria, mark, local_port)]
    assert got == [("SELECT contacts", "shop"), ("USE", "information_schema"), ("SELECT tables", "information_schema"),
                   ("USE", "information_schema"), ("SELECT columns", "information_schema")]


def test_mysqlclient_multi_statements_callproc_executemany(agent, maria):
    """mysqlclient (libmariadb, python3-mysqldb): a multi-statement COM_QUERY is one span named by its first
    statement; callproc is SET + CALL; executemany is one multi-row INSERT."""
    MySQLdb = pytest.importorskip("MySQLdb")
    from MySQLdb.constants import CLIENT
    conn = MySQLdb.connect(host="127.0.0.1", port=maria.port, user="app", password="secret", database="shop",
                           client_flag=CLIENT.MULTI_STATEMENTS, autocommit=True)
    cur = conn.cursor()
    cur.execute("DROP PROCEDURE IF EXISTS one_contact")
    cur.execute("CREATE PROCEDURE one_contact(IN x INT) BEGIN SELECT * FROM contacts WHERE id = x; END")
    mark = agent.spans.mark()
    cur.execute("SELECT 1 FROM contacts; UPDATE items SET qty = qty WHERE id = 1")
    while cur.nextset():
        pass
    cur.callproc("one_contact", (1,))
    while cur.nextset():
        pass
    cur.executemany("INSERT INTO items(label, qty) VALUES (%s, %s)", [("m1", 1), ("m2", 2)])
    with pytest.raises(MySQLdb.MySQLError):
        cur.execute("SELECT * FROM nosuch")
    cur.execute("SELECT id FROM items WHERE id = 2")
    cur.fetchall()
    conn.close()
    agent.spans.wait_for_spans(lambda s: s.get("type") == "SQLServer" and s.get("name") == "SELECT items",
                               since=mark, timeout=15)
    got = [s for s in server_spans(agent, maria, mark) if s["name"] in
           ("SELECT contacts", "SET", "CALL", "INSERT items", "SELECT nosuch", "SELECT items")]
    assert [s["name"] for s in got] == ["SELECT contacts", "SET", "CALL", "INSERT items", "SELECT nosuch",
                                        "SELECT items"], [s["name"] for s in got]
    assert got[4]["statusCode"] == "STATUS_CODE_ERROR" and sattr(got[4], "error.type") == "42S02"
    assert all(sattr(s, "db.namespace") == "shop" for s in got)


CHANGE_USER_JS = """
const mysql = require('mysql2/promise');
const [port] = process.argv.slice(2);
(async () => {
  const opts = { host: '127.0.0.1', port: Number(port), user: 'app', password: 'secret' };
  const c = await mysql.createConnection({ ...opts, database: 'shop' });
  console.log(JSON.stringify({ localPort: c.connection.stream.localPort }));
  await c.query('SELECT id FROM contacts WHERE id = 1');
  await c.changeUser({ ...opts, database: 'information_schema' });
  await c.query('SELECT count(*) FROM tables');
  await c.end();
  console.log('done');
})().catch((e) => { console.error(e); process.exit(1); });
"""


def test_change_user_sets_namespace(agent, maria, tmp_path):
    """COM_CHANGE_USER with a database (node mysql2 connection.changeUser) changes db.namespace once the server
    answers OK."""
    sql_servers.ensure_node_clients()
    script = tmp_path / "change_user.js"
    script.write_text(CHANGE_USER_JS)
    mark = agent.spans.mark()
    out = subprocess.run(["node", str(script), str(maria.port)], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, NODE_PATH=os.path.join(sql_servers.NODE_DIR, "node_modules")))
    assert out.returncode == 0 and out.stdout.rstrip().endswith("done"), out.stdout + out.stderr
    port = json.loads(out.stdout.splitlines()[0])["localPort"]
    agent.spans.wait_for_spans(lambda s: s.get("type") == "SQLServer" and s.get("peerPort") == str(port)
                               and s.get("name") == "SELECT tables", since=mark, timeout=15)
    got = [(s["name"], sattr(s, "db.namespace")) for s in server_spans(agent, maria, mark, port)]
    assert got == [("SELECT contacts", "shop"), ("SELECT tables", "information_schema")], got
