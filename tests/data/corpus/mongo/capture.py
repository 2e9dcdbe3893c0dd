#!/usr/bin/python3
"""Captures the MongoDB conversations in this folder: pymongo 3.11 (Debian) against MockupDB.

    /usr/bin/python3 tests/data/corpus/mongo/capture.py [OUT_DIR]   (default: this folder)

No real MongoDB server exists here: tests/apps/mongo_mock_server.py (python3-mockupdb, the
wire-protocol test server) answers. tests/apps/kv_capture_proxy.py sits in front; every connection
pymongo opens (its monitor and its pool) is recorded as <scenario>.<n>.session, .c2s.bin, .s2c.bin.
"""
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
PROXY = os.path.join(REPO, "tests", "apps", "kv_capture_proxy.py")
SERVER = os.path.join(REPO, "tests", "apps", "mongo_mock_server.py")
sys.path.insert(0, os.path.join(REPO, "tests", "apps"))
import launch  # noqa: E402


def scenarios():
    import pymongo
    from pymongo.errors import PyMongoError

    def client(p):
        return pymongo.MongoClient("127.0.0.1", p, serverSelectionTimeoutMS=5000, connect=True)

    def py_find(p):
        c = client(p)
        list(c.shop.orders.find({"status": "open"}))
        c.close()

    def py_crud(p):
        c = client(p)
        c.shop.orders.insert_one({"_id": 7, "item": "book"})
        c.shop.orders.insert_many([{"_id": 8}, {"_id": 9}])
        c.shop.orders.update_one({"_id": 7}, {"$set": {"qty": 2}})
        c.shop.orders.delete_one({"_id": 9})
        list(c.shop.orders.aggregate([{"$match": {"qty": 2}}]))
        c.close()

    def py_errors(p):
        c = client(p)
        for f in (lambda: list(c.shop.fail.find({})), lambda: c.shop.dup.insert_one({"_id": 1})):
            try:
                f()
            except PyMongoError:
                pass
        c.close()

    return [("py_find", py_find), ("py_crud", py_crud), ("py_errors", py_errors)]


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else HERE)
    tmp = tempfile.mkdtemp(prefix="obi-mongo-capture-")
    port = launch.free_port()
    srv = subprocess.Popen([sys.executable, SERVER, str(port)], stdout=subprocess.PIPE)
    try:
        srv.stdout.readline()
        for name, fn in scenarios():
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
        srv.terminate()
        srv.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
