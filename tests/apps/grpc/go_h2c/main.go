// An HTTP/2 cleartext (h2c) server on Go's net/http with golang.org/x/net/http2/h2c (Debian's
// gocode, GOPATH mode): accepts both prior knowledge and the HTTP/1.1 Upgrade to h2c, which
// nghttpd does not implement. Usage: go_h2c PORT. Prints "ready go_h2c 127.0.0.1:PORT".
//
//	/            "hello"
//	/status/N    status N, body "status N"
//	/echo        the request body back
//	/big         40000 bytes (three DATA frames)
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

func main() {
	port := os.Args[1]
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello")
	})
	mux.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		if err != nil || code < 200 || code > 599 {
			code = 400
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "status %d", code)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Write(body)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("b", 40000)))
	})
	srv := &http.Server{Addr: "127.0.0.1:" + port, Handler: h2c.NewHandler(mux, &http2.Server{})}
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("ready go_h2c %s\n", srv.Addr)
	srv.Serve(ln)
}
