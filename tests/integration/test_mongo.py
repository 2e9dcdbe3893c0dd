"""MongoDB client spans from pymongo 3.11 (Debian; run in this test process, traced by PID) against MockupDB
(python3-mockupdb, MongoDB Inc.'s wire-protocol test server, tests/apps/mongo_mock_server.py). No real MongoDB
server exists in Debian or npm here, so the server side is MockupDB; the client bytes are the real driver's.
OP_QUERY handshakes, OP_MSG commands (incl. kind-1 document sequences), errors (ok: 0) and writeErrors, the db
metrics. obi-compat 3.2, 3.3 (MongoDB), 4.2."""
import os
import time

import pytest

import otlp
from harness import launch, sattr, span_pid

import kv_servers  # tests/apps (on sys.path through harness)

pymongo = pytest.importorskip("pymongo")  # python3-pymongo (Debian)


@pytest.fixture(scope="module")
def server(work_dir):
    srv = kv_servers.start_mongo_mock(launch.free_port(), work_dir)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def prom_port():
    return launch.free_port()


@pytest.fixture(scope="module")
def agent(module_agent_factory, server, prom_port):
    a = module_agent_factory(config={"trace_printer": "json", "prometheus_export": {"port": prom_port},
                                     "discovery": {"instrument": [{"target_pids": [os.getpid()]}]}})
    for _ in range(40):  # traced once the agent saw this process: ping until a span appears
        mark = a.spans.mark()
        c = client(server)
        c.admin.command("ping")
        c.close()
        try:
            a.spans.wait_for_spans(lambda s: s.get("type") == "MongoClient" and s.get("name") == "ping", timeout=1,
                                   since=mark)
            return a
        except AssertionError:
            continue
    raise AssertionError("no MongoClient span after 40 pings:\n" + a.logs())


def client(server):
    return pymongo.MongoClient("127.0.0.1", server.port, serverSelectionTimeoutMS=5000)


def mongo_spans(agent, server, since):
    return [s for s in agent.spans.matching(lambda s: s.get("type") == "MongoClient", since)
            if s.get("hostPort") == str(server.port)]


def test_crud_spans(agent, server):
    mark = agent.spans.mark()
    c = client(server)
    list(c.shop.orders.find({"status": "open"}))
    c.shop.orders.insert_one({"_id": 7, "item": "book"})
    c.shop.orders.insert_many([{"_id": 8}, {"_id": 9}])
    c.shop.orders.update_one({"_id": 7}, {"$set": {"qty": 2}})
    c.shop.orders.delete_one({"_id": 9})
    list(c.shop.orders.aggregate([{"$match": {"qty": 2}}]))
    c.close()
    want = ["find orders", "insert orders", "insert orders", "update orders", "delete orders", "aggregate orders"]
    agent.spans.wait_for_spans(lambda s: s.get("type") == "MongoClient" and s.get("name") == "aggregate orders",
                               since=mark)
    time.sleep(1.5)
    got = [s for s in mongo_spans(agent, server, mark) if s["name"].endswith(" orders")]
    assert [s["name"] for s in got] == want
    for s in got:
        assert s["kind"] == "SPAN_KIND_CLIENT" and s["statusCode"] == "STATUS_CODE_UNSET"
        assert sattr(s, "db.system.name") == "mongodb"
        assert sattr(s, "db.operation.name") == s["name"].split(" ")[0]
        assert sattr(s, "db.collection.name") == "orders"
        assert sattr(s, "db.namespace") == "shop"
        assert sattr(s, "server.address") == "127.0.0.1" and sattr(s, "server.port") == server.port
        assert span_pid(s) == os.getpid()
        assert int(s["durationUSec"]) > 0
    # pymongo's handshake is an OP_QUERY isMaster on admin.$cmd, answered with OP_REPLY.
    hs = [s for s in mongo_spans(agent, server, mark) if s["name"] == "ismaster"]
    assert hs and all(sattr(s, "db.namespace") == "admin" for s in hs)


def test_errors(agent, server):
    mark = agent.spans.mark()
    c = client(server)
    with pytest.raises(pymongo.errors.PyMongoError):
        list(c.shop.fail.find({}))
    with pytest.raises(pymongo.errors.PyMongoError):
        c.shop.dup.insert_one({"_id": 1})
    c.close()
    fail = agent.spans.wait_for_spans(lambda s: s.get("type") == "MongoClient" and s.get("name") == "find fail",
                                      since=mark)[0]
    assert fail["statusCode"] == "STATUS_CODE_ERROR"
    assert sattr(fail, "db.response.status_code") == "2" and sattr(fail, "error.type") == "2"
    dup = agent.spans.wait_for_spans(lambda s: s.get("type") == "MongoClient" and s.get("name") == "insert dup",
                                     since=mark)[0]
    assert dup["statusCode"] == "STATUS_CODE_ERROR" and sattr(dup, "error.type") == "11000"


def test_cursors_bulk_and_write_concern_errors(agent, server):
    """A cursor drained by getMore and closed by killCursors (both named after the find's collection), a
    bulk_write (one span per command), findAndModify, createIndexes, and a
    writeConcernError (ERROR with its code)."""
    mark = agent.spans.mark()
    c = client(server)
    cur = c.shop.cursor.find({}, batch_size=1)
    next(cur)
    next(cur)
    cur.close()
    c.shop.items.bulk_write([pymongo.InsertOne({"a": 1}), pymongo.UpdateOne({"a": 1}, {"$set": {"b": 2}}),
                             pymongo.DeleteOne({"a": 3})])
    c.shop.items.find_one_and_update({"a": 1}, {"$inc": {"b": 1}})
    c.shop.items.create_index("a")
    with pytest.raises(pymongo.errors.WriteConcernError):
        c.shop.wce.insert_one({"x": 1})
    c.close()
    last = agent.spans.wait_for_spans(lambda s: s.get("type") == "MongoClient" and s.get("name") == "insert wce",
                                      since=mark)[0]
    want = ["find cursor", "getMore cursor", "killCursors cursor", "insert items", "update items", "delete items",
            "findAndModify items", "createIndexes items", "insert wce"]
    got = [s for s in mongo_spans(agent, server, mark) if s["name"] in want]
    assert [s["name"] for s in got] == want
    for s in got:
        assert sattr(s, "db.system.name") == "mongodb" and sattr(s, "db.namespace") == "shop"
        assert sattr(s, "db.operation.name") + " " + sattr(s, "db.collection.name") == s["name"]
        assert s["statusCode"] == ("STATUS_CODE_ERROR" if s["name"] == "insert wce" else "STATUS_CODE_UNSET")
    assert sattr(last, "db.response.status_code") == "64"


def test_metrics(agent, server, prom_port):
    c = client(server)
    for _ in range(3):
        list(c.shop.items.find({}))
    with pytest.raises(pymongo.errors.PyMongoError):
        list(c.shop.fail.find({}))
    c.close()

    def value(labels):
        status, body, _ = otlp.http_get(prom_port, "/metrics")
        assert status == 200
        return sum(float(l.rsplit(" ", 1)[1]) for l in body.splitlines()
                   if l.startswith("db_client_operation_duration_seconds_count{") and all(x in l for x in labels))

    deadline = time.monotonic() + 20
    ok = ['db_system_name="mongodb"', 'db_operation_name="find"', 'error_type=""']
    err = ['db_system_name="mongodb"', 'db_operation_name="find"', 'error_type="2"']
    while value(ok) < 3 or value(err) < 1:
        assert time.monotonic() < deadline, "db_client_operation_duration_seconds_count did not grow"
        time.sleep(0.5)
