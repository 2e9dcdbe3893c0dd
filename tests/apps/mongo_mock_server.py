#!/usr/bin/python3
"""A MongoDB wire-protocol server for the tests: MockupDB (python3-mockupdb, MongoDB Inc.'s test server).

    /usr/bin/python3 tests/apps/mongo_mock_server.py PORT

No real MongoDB server exists in Debian; MockupDB speaks the real wire protocol (OP_MSG, OP_QUERY,
OP_REPLY) to real drivers (pymongo, the node `mongodb` driver). Answers:
  hello / isMaster               MockupDB's automatic handshake reply (maxWireVersion 17)
  find / aggregate               a cursor with one document (id 0: no getMore needed); find on
                                 collection "cursor": an open cursor (id 77) that getMore keeps open
  getMore / killCursors          one more document (cursor 77 stays open) / {cursorsKilled: [77]}
  findAndModify                  {value: {_id: 1}}
  insert                         {n: 1}; into collection "dup": a writeErrors entry (code 11000);
                                 into "wce": a writeConcernError (code 64)
  update / delete                {n: 1, nModified: 1}
  any command on collection "fail" (and the command "failCommand"): ok 0 with code 2,
                                 codeName BadValue, errmsg "obi test failure"
  anything else                  {ok: 1}
Prints `ready mongo 127.0.0.1:PORT pid=PID` once it accepts connections.
"""
import os
import sys
import time

from bson.int64 import Int64
from mockupdb import MockupDB


def handler(r):
    name = next(iter(r.doc)) if r.doc else ""
    if name.lower() in ("ismaster", "hello"):
        return False  # MockupDB's auto_ismaster answers
    coll = r.doc.get(name) if isinstance(r.doc.get(name), str) else ""
    db = r.doc.get("$db", "test")
    if coll == "fail" or name == "failCommand":
        return r.reply({"ok": 0, "errmsg": "obi test failure", "code": 2, "codeName": "BadValue"})
    if name == "find" and coll == "cursor":
        return r.ok(cursor={"id": Int64(77), "firstBatch": [{"_id": 1}], "ns": "%s.cursor" % db})
    if name == "getMore":
        return r.ok(cursor={"id": Int64(77), "nextBatch": [{"_id": 2}], "ns": "%s.%s" % (db, r.doc.get("collection"))})
    if name == "killCursors":
        return r.ok(cursorsKilled=[Int64(77)])
    if name == "findAndModify":
        return r.ok(value={"_id": 1}, lastErrorObject={"n": 1})
    if name in ("find", "aggregate"):
        return r.ok(cursor={"id": Int64(0), "firstBatch": [{"_id": 1, "x": 42}], "ns": "%s.%s" % (db, coll)})
    if name == "insert":
        if coll == "dup":
            return r.ok(n=0, writeErrors=[{"index": 0, "code": 11000,
                                           "errmsg": "E11000 duplicate key error collection: %s.dup" % db}])
        if coll == "wce":
            return r.ok(n=1, writeConcernError={"code": 64, "errmsg": "waiting for replication timed out"})
        return r.ok(n=len(r.docs[0].get("documents", [])) or 1)
    if name in ("update", "delete"):
        return r.ok(n=1, nModified=1)
    return r.ok()


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("PORT", "27017"))
    srv = MockupDB(port=port, auto_ismaster={"maxWireVersion": 17, "minWireVersion": 0}, verbose=False)
    srv.autoresponds(handler)
    srv.run()
    print("ready mongo %s pid=%d" % (srv.address_string, os.getpid()), flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
