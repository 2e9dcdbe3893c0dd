#!/usr/bin/python3
"""gRPC Echo server on grpcio (Debian python3-grpcio). Usage: server.py PORT STUB_DIR.
Prints "ready grpc-python 127.0.0.1:PORT" once serving."""
import concurrent.futures
import sys

import grpc

sys.path.insert(0, sys.argv[2])
import echo_pb2  # noqa: E402
import echo_pb2_grpc  # noqa: E402


class Echo(echo_pb2_grpc.EchoServicer):
    def Say(self, req, ctx):
        return echo_pb2.Msg(text="hi " + req.text)

    def Fail(self, req, ctx):
        ctx.abort(next(c for c in grpc.StatusCode if c.value[0] == req.code), "failed on purpose")

    def Stream(self, req, ctx):
        for i in range(req.n):
            yield echo_pb2.Msg(text="part", n=i)


def main():
    srv = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=4))
    echo_pb2_grpc.add_EchoServicer_to_server(Echo(), srv)
    srv.add_insecure_port("127.0.0.1:%s" % sys.argv[1])
    srv.start()
    print("ready grpc-python 127.0.0.1:%s" % sys.argv[1], flush=True)
    srv.wait_for_termination()


if __name__ == "__main__":
    main()
