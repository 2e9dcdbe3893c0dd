// Test peer for tests/data/http1: java.net.http.HttpClient. Usage: java JClient PORT get|get11|put
import java.net.URI;
import java.net.http.*;
public class JClient {
  public static void main(String[] a) throws Exception {
    HttpClient c = HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + a[0];
    if (a[1].equals("get")) {
      c.send(HttpRequest.newBuilder(URI.create(base + "/search?q=shoes&password=hunter2")).build(), HttpResponse.BodyHandlers.ofString());
    } else if (a[1].equals("get11")) {
      HttpClient c1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      c1.send(HttpRequest.newBuilder(URI.create(base + "/login")).header("traceparent","00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").build(), HttpResponse.BodyHandlers.ofString());
    } else {
      HttpClient c1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      c1.send(HttpRequest.newBuilder(URI.create(base + "/items")).PUT(HttpRequest.BodyPublishers.ofString("{\"qty\":3}")).build(), HttpResponse.BodyHandlers.ofString());
    }
  }
}
