// Test peer for tests/data/http1: Go net/http client. Usage: goclient PORT get|post|postchunked
package main

import (
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	base := "http://127.0.0.1:" + os.Args[1]
	switch os.Args[2] {
	case "get":
		r, err := http.Get(base + "/v1/products/22j?api_key=secret&page=2")
		if err != nil { panic(err) }
		io.Copy(io.Discard, r.Body); r.Body.Close()
	case "post":
		r, err := http.Post(base+"/customers", "application/json", strings.NewReader("{\"name\":\"ann\"}"))
		if err != nil { panic(err) }
		io.Copy(io.Discard, r.Body); r.Body.Close()
	case "postchunked":
		pr, pw := io.Pipe()
		go func() { pw.Write([]byte("streamed-body-part-1")); pw.Write([]byte("part-2")); pw.Close() }()
		r, err := http.Post(base+"/metrics/ingest", "text/plain", pr)
		if err != nil { panic(err) }
		io.Copy(io.Discard, r.Body); r.Body.Close()
	}
}
