// Uninstrumented sample HTTP/1.1 API (Go net/http, stdlib only) used as a tracing target.
// Usage: goserver [PORT]   (else env PORT, else 8080); listens on 127.0.0.1.
// Same endpoints as tests/apps/python/server.py. Prints "ready go 127.0.0.1:<port> pid=<pid>".
// Build with build.sh (no module proxy needed: stdlib only).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

var chunk = bytes.Repeat([]byte("0123456789abcdef"), 32) // 512 bytes per chunk

const chunkCount = 8 // 4 KiB in total

// A client without connection reuse: each /call is one plain HTTP/1.1 connection.
var downstream = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true, ForceAttemptHTTP2: false},
}

func send(w http.ResponseWriter, status int, body []byte, ctype string) {
	if ctype == "" {
		ctype = "text/plain"
	}
	w.Header().Set("Content-Type", ctype)
	noBody := status < 200 || status == 204 || status == 304
	if !noBody {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	if !noBody {
		_, _ = w.Write(body)
	}
}

func handle(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if r.Method == http.MethodPost {
		body, _ := io.ReadAll(r.Body)
		if path == "/echo" {
			send(w, 200, body, "application/octet-stream")
		} else {
			send(w, 404, []byte("not found\n"), "")
		}
		return
	}
	switch {
	case path == "/hello":
		send(w, 200, []byte("hello"), "")
	case strings.HasPrefix(path, "/users/") && len(path) > len("/users/"):
		id := path[len("/users/"):]
		b, _ := json.Marshal(map[string]string{"id": id, "name": "user-" + id})
		send(w, 200, b, "application/json")
	case strings.HasPrefix(path, "/status/"):
		code, err := strconv.Atoi(path[len("/status/"):])
		if err != nil || code < 100 || code > 599 {
			send(w, 400, []byte("bad status\n"), "")
			return
		}
		send(w, code, []byte(fmt.Sprintf("status %d\n", code)), "")
	case path == "/chunked":
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(200)
		f, _ := w.(http.Flusher)
		for i := 0; i < chunkCount; i++ {
			_, _ = w.Write(chunk)
			if f != nil {
				f.Flush() // flushing before the end forces chunked encoding
			}
		}
	case path == "/call":
		target := r.URL.Query().Get("url")
		if target == "" {
			send(w, 400, []byte("missing url\n"), "")
			return
		}
		resp, err := downstream.Get(target)
		if err != nil {
			send(w, 502, []byte(fmt.Sprintf("downstream error %v\n", err)), "")
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		send(w, 200, []byte(fmt.Sprintf("downstream status %d\n", resp.StatusCode)), "")
	case path == "/slow":
		ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
		if err != nil {
			ms = 100
		}
		time.Sleep(time.Duration(ms) * time.Millisecond)
		send(w, 200, []byte(fmt.Sprintf("slept %d\n", ms)), "")
	default:
		send(w, 404, []byte("not found\n"), "")
	}
}

func main() {
	port := os.Getenv("PORT")
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	if port == "" {
		port = "8080"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	fmt.Printf("ready go 127.0.0.1:%s pid=%d\n", port, os.Getpid())
	srv := &http.Server{Handler: http.HandlerFunc(handle)}
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}
