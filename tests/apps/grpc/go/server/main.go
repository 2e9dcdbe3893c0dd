// gRPC Echo server on grpc-go (Debian golang-google-grpc-dev 1.33, GOPATH mode; stubs generated
// by build.py into obitest/echo). Usage: server PORT. Prints "ready grpc-go 127.0.0.1:PORT".
package main

import (
	"context"
	"fmt"
	"net"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "obitest/echo"
)

type echo struct {
	pb.UnimplementedEchoServer
}

func (echo) Say(_ context.Context, m *pb.Msg) (*pb.Msg, error) {
	return &pb.Msg{Text: "hi " + m.Text}, nil
}

func (echo) Fail(_ context.Context, m *pb.Msg) (*pb.Msg, error) {
	return nil, status.Error(codes.Code(m.Code), "failed on purpose")
}

func (echo) Stream(m *pb.Msg, s pb.Echo_StreamServer) error {
	for i := int32(0); i < m.N; i++ {
		if err := s.Send(&pb.Msg{Text: "part", N: i}); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	addr := "127.0.0.1:" + os.Args[1]
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := grpc.NewServer()
	pb.RegisterEchoServer(srv, echo{})
	fmt.Printf("ready grpc-go %s\n", addr)
	srv.Serve(ln)
}
