// Test peer for tests/data/http1: Go net/http server (chunked, 204, 304, 100-continue); 127.0.0.1:18914.
package main

import (
	"io"
	"net/http"
	"strings"
)

func main() {
	http.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("0123456789", 500)))
	})
	http.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("part one;"))
		w.(http.Flusher).Flush()
		w.Write([]byte("part two"))
	})
	http.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	http.HandleFunc("/notmod", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(304) })
	http.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/plain")
		if n > 0 {
			w.Write([]byte("received"))
		}
	})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"items":[]}`))
	})
	http.ListenAndServe("127.0.0.1:18914", nil)
}
