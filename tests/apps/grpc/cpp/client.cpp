// gRPC Echo client on grpc++. Usage: client PORT [wait]: Say, Fail(5), Fail(2), Stream(3) on one
// channel; prints "done" and exits 0 when every call gave what was expected. With "wait" it
// prints "waiting" and reads a line from stdin first.
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "echo.grpc.pb.h"

int main(int argc, char** argv)
{
    if (argc < 2) return 2;
    if (argc > 2 && std::string(argv[2]) == "wait") {
        std::printf("waiting\n");
        std::fflush(stdout);
        std::string line;
        std::getline(std::cin, line);
    }
    auto channel = grpc::CreateChannel(std::string("127.0.0.1:") + argv[1], grpc::InsecureChannelCredentials());
    auto stub = obitest::Echo::NewStub(channel);
    obitest::Msg req, res;
    {
        grpc::ClientContext ctx;
        req.set_text("cpp");
        grpc::Status s = stub->Say(&ctx, req, &res);
        if (!s.ok() || res.text() != "hi cpp") return std::fprintf(stderr, "Say: %s\n", s.error_message().c_str()), 1;
    }
    for (int code : {5, 2}) {
        grpc::ClientContext ctx;
        obitest::Msg f;
        f.set_code(code);
        grpc::Status s = stub->Fail(&ctx, f, &res);
        if (s.error_code() != code) return std::fprintf(stderr, "Fail(%d): %d\n", code, s.error_code()), 1;
    }
    {
        grpc::ClientContext ctx;
        obitest::Msg m;
        m.set_n(3);
        auto reader = stub->Stream(&ctx, m);
        int n = 0;
        while (reader->Read(&res)) n++;
        grpc::Status s = reader->Finish();
        if (!s.ok() || n != 3) return std::fprintf(stderr, "Stream: %d messages\n", n), 1;
    }
    std::printf("done\n");
    return 0;
}
