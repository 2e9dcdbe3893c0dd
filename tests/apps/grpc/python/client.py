#!/usr/bin/python3
"""gRPC Echo client on grpcio. Usage: client.py PORT STUB_DIR [wait].

With "wait" it prints "waiting" and reads one line from stdin before connecting (so an agent can
be started for its PID first). Then, on one channel: Say, Fail(code=5), Fail(code=2), Stream(n=3);
prints "done" and exits 0 when every call gave what was expected."""
import sys

import grpc

sys.path.insert(0, sys.argv[2])
import echo_pb2  # noqa: E402
import echo_pb2_grpc  # noqa: E402


def main():
    if len(sys.argv) > 3 and sys.argv[3] == "wait":
        print("waiting", flush=True)
        sys.stdin.readline()
    with grpc.insecure_channel("127.0.0.1:%s" % sys.argv[1]) as ch:
        stub = echo_pb2_grpc.EchoStub(ch)
        assert stub.Say(echo_pb2.Msg(text="py")).text == "hi py"
        for code, want in ((5, grpc.StatusCode.NOT_FOUND), (2, grpc.StatusCode.UNKNOWN)):
            try:
                stub.Fail(echo_pb2.Msg(code=code))
                raise SystemExit("Fail(%d) succeeded" % code)
            except grpc.RpcError as e:
                assert e.code() == want, e.code()
        assert [m.n for m in stub.Stream(echo_pb2.Msg(n=3))] == [0, 1, 2]
    print("done", flush=True)


if __name__ == "__main__":
    main()
