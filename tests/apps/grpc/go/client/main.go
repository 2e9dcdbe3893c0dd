// gRPC Echo client on grpc-go. Usage: client PORT [wait]: Say, Fail(5), Fail(2), Stream(3) on one
// connection; prints "done" and exits 0 when every call gave what was expected. With "wait" it
// prints "waiting" and reads a line from stdin first.
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "obitest/echo"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) > 2 && os.Args[2] == "wait" {
		fmt.Println("waiting")
		bufio.NewReader(os.Stdin).ReadString('\n')
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := grpc.DialContext(ctx, "127.0.0.1:"+os.Args[1], grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		fail("dial: %v", err)
	}
	defer conn.Close()
	c := pb.NewEchoClient(conn)
	r, err := c.Say(ctx, &pb.Msg{Text: "go"})
	if err != nil || r.Text != "hi go" {
		fail("Say: %v", err)
	}
	for _, code := range []codes.Code{codes.NotFound, codes.Unknown} {
		_, err := c.Fail(ctx, &pb.Msg{Code: int32(code)})
		if status.Code(err) != code {
			fail("Fail(%d): %v", code, err)
		}
	}
	s, err := c.Stream(ctx, &pb.Msg{N: 3})
	if err != nil {
		fail("Stream: %v", err)
	}
	n := 0
	for {
		_, err := s.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			fail("Stream: %v", err)
		}
		n++
	}
	if n != 3 {
		fail("Stream: %d messages", n)
	}
	fmt.Println("done")
}
