// Uninstrumented sample HTTP/1.1 API (com.sun.net.httpserver + HttpURLConnection) used as a tracing target.
// Usage: javac -d OUT TestServer.java && java -cp OUT TestServer [PORT]   (else env PORT, else 8080)
// Same endpoints as tests/apps/python/server.py. Prints "ready java 127.0.0.1:<port> pid=<pid>".
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

public final class TestServer {
    private static final byte[] CHUNK = "0123456789abcdef".repeat(32).getBytes(StandardCharsets.US_ASCII);
    private static final int CHUNK_COUNT = 8; // 4 KiB in total

    private TestServer() {}

    private static void send(HttpExchange ex, int status, byte[] body, String ctype) throws IOException {
        ex.getResponseHeaders().set("Content-Type", ctype == null ? "text/plain" : ctype);
        boolean noBody = status < 200 || status == 204 || status == 304;
        // length > 0: Content-Length; -1: no body. (0 would mean chunked.)
        ex.sendResponseHeaders(status, noBody || body.length == 0 ? -1 : body.length);
        if (!noBody && body.length > 0) {
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        }
        ex.close();
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        send(ex, status, body.getBytes(StandardCharsets.UTF_8), null);
    }

    private static String queryParam(URI uri, String name) {
        String q = uri.getRawQuery();
        if (q == null) return null;
        for (String kv : q.split("&")) {
            int eq = kv.indexOf('=');
            String k = eq < 0 ? kv : kv.substring(0, eq);
            if (k.equals(name)) {
                return eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /** Outgoing GET on the handler's own thread (plain HTTP/1.1, no connection reuse). */
    private static int callDownstream(String target) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(target).toURL().openConnection();
        c.setConnectTimeout(10000);
        c.setReadTimeout(10000);
        c.setUseCaches(false);
        int status = c.getResponseCode();
        try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
            if (in != null) in.readAllBytes();
        }
        c.disconnect();
        return status;
    }

    private static void handle(HttpExchange ex) throws IOException {
        try {
            URI uri = ex.getRequestURI();
            String path = uri.getPath();
            byte[] reqBody;
            try (InputStream in = ex.getRequestBody()) {
                reqBody = in.readAllBytes();
            }
            if (ex.getRequestMethod().equals("POST")) {
                if (path.equals("/echo")) send(ex, 200, reqBody, "application/octet-stream");
                else send(ex, 404, "not found\n");
                return;
            }
            if (path.equals("/hello")) {
                send(ex, 200, "hello");
            } else if (path.startsWith("/users/") && path.length() > "/users/".length()) {
                String id = path.substring("/users/".length()).replace("\"", "");
                String json = "{\"id\": \"" + id + "\", \"name\": \"user-" + id + "\"}";
                send(ex, 200, json.getBytes(StandardCharsets.UTF_8), "application/json");
            } else if (path.startsWith("/status/")) {
                int code;
                try {
                    code = Integer.parseInt(path.substring("/status/".length()));
                } catch (NumberFormatException e) {
                    code = -1;
                }
                if (code < 100 || code > 599) send(ex, 400, "bad status\n");
                else send(ex, code, "status " + code + "\n");
            } else if (path.equals("/chunked")) {
                ex.getResponseHeaders().set("Content-Type", "text/plain");
                ex.sendResponseHeaders(200, 0); // 0 = chunked transfer encoding
                try (OutputStream os = ex.getResponseBody()) {
                    for (int i = 0; i < CHUNK_COUNT; i++) {
                        os.write(CHUNK);
                        os.flush();
                    }
                }
                ex.close();
            } else if (path.equals("/call")) {
                String target = queryParam(uri, "url");
                if (target == null || target.isEmpty()) {
                    send(ex, 400, "missing url\n");
                    return;
                }
                int status;
                try {
                    status = callDownstream(target);
                } catch (IOException e) {
                    send(ex, 502, "downstream error " + e + "\n");
                    return;
                }
                send(ex, 200, "downstream status " + status + "\n");
            } else if (path.equals("/slow")) {
                String v = queryParam(uri, "ms");
                int ms = v == null ? 100 : Integer.parseInt(v);
                Thread.sleep(ms);
                send(ex, 200, "slept " + ms + "\n");
            } else {
                send(ex, 404, "not found\n");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            send(ex, 500, "error " + e + "\n");
        }
    }

    public static void main(String[] args) throws IOException {
        System.setProperty("http.keepAlive", "false"); // no pooled downstream connections
        // Headers and body are separate writes; without TCP_NODELAY each keep-alive request waits 40 ms
        // for the client's delayed ACK. Read once when the httpserver classes load, so set it first.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        String p = args.length > 0 ? args[0] : System.getenv().getOrDefault("PORT", "8080");
        int port = Integer.parseInt(p);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
        server.createContext("/", TestServer::handle);
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
        System.out.println("ready java 127.0.0.1:" + port + " pid=" + ProcessHandle.current().pid());
        System.out.flush();
    }
}
