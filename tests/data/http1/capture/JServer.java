// Test peer for tests/data/http1: com.sun.net.httpserver (fixed length, chunked, no body); 127.0.0.1:18915.
import com.sun.net.httpserver.*;
import java.net.InetSocketAddress;
public class JServer {
  public static void main(String[] a) throws Exception {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 18915), 0);
    s.createContext("/fixed", ex -> { byte[] b = "fixed body".getBytes(); ex.sendResponseHeaders(200, b.length); ex.getResponseBody().write(b); ex.close(); });
    s.createContext("/chunked", ex -> { ex.sendResponseHeaders(200, 0); var o = ex.getResponseBody(); o.write("java-".getBytes()); o.flush(); o.write("chunked".getBytes()); ex.close(); });
    s.createContext("/none", ex -> { ex.sendResponseHeaders(404, -1); ex.close(); });
    s.start(); System.out.println("ready");
  }
}
