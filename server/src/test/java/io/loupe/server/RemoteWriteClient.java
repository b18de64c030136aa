package io.loupe.server;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.xerial.snappy.Snappy;

/** A Prometheus remote-write 1.0 client for tests: encodes {@code prometheus.WriteRequest} by hand and posts it. */
final class RemoteWriteClient {
  /** One series with its samples, as remote write carries it. */
  record Series(Map<String, String> labels, List<long[]> samples) {}

  private final HttpClient http = HttpClient.newHttpClient();
  private final URI uri;

  RemoteWriteClient(int port) {
    uri = URI.create("http://127.0.0.1:" + port + "/api/v1/write");
  }

  static byte[] encode(List<Series> series) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      CodedOutputStream w = CodedOutputStream.newInstance(out);
      for (Series s : series) {
        ByteArrayOutputStream ts = new ByteArrayOutputStream();
        CodedOutputStream t = CodedOutputStream.newInstance(ts);
        for (Map.Entry<String, String> l : new java.util.TreeMap<>(s.labels()).entrySet()) {
          ByteArrayOutputStream lb = new ByteArrayOutputStream();
          CodedOutputStream lw = CodedOutputStream.newInstance(lb);
          lw.writeString(1, l.getKey());
          lw.writeString(2, l.getValue());
          lw.flush();
          t.writeByteArray(1, lb.toByteArray());
        }
        for (long[] sample : s.samples()) { // {timestampMs, Double.doubleToLongBits(value)}
          ByteArrayOutputStream sb = new ByteArrayOutputStream();
          CodedOutputStream sw = CodedOutputStream.newInstance(sb);
          sw.writeDouble(1, Double.longBitsToDouble(sample[1]));
          sw.writeInt64(2, sample[0]);
          sw.flush();
          t.writeByteArray(2, sb.toByteArray());
        }
        t.flush();
        w.writeByteArray(1, ts.toByteArray());
      }
      w.flush();
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  HttpResponse<String> send(List<Series> series, String tenant) throws IOException, InterruptedException {
    return sendRaw(Snappy.compress(encode(series)), tenant);
  }

  HttpResponse<String> sendRaw(byte[] body, String tenant) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri)
        .header("Content-Type", "application/x-protobuf")
        .header("Content-Encoding", "snappy")
        .header("X-Prometheus-Remote-Write-Version", "0.1.0")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (tenant != null) {
      b.header("X-Scope-OrgID", tenant);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
