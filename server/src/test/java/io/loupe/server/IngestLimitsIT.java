package io.loupe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.grpc.GrpcClients;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gets a clear 4xx naming the problem; oversize gets 413; overload gets 429 with Retry-After. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IngestLimitsIT {
  private static final int MAX_REQUEST = 1 << 20;
  @TempDir
  static Path dir;
  private LoupeNode node;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void start() {
    node = LoupeNode.start(NodeConfig.forTests(dir, Map.of(
        "ingest.max_request_bytes", MAX_REQUEST,
        "ingest.max_inflight_bytes", 2 * MAX_REQUEST,
        "ingest.max_inflight_bytes_per_tenant", MAX_REQUEST)));
    node.awaitReady();
  }

  @AfterAll
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private HttpResponse<String> post(int port, String path, String contentType, byte[] body, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Metric gauge(String name, long tsNanos, double v) {
    return Metric.newBuilder().setName(name).setGauge(Gauge.newBuilder().addDataPoints(
        NumberDataPoint.newBuilder().setTimeUnixNano(tsNanos).setAsDouble(v))).build();
  }

  private static ExportMetricsServiceRequest request(Metric... metrics) {
    return ExportMetricsServiceRequest.newBuilder().addResourceMetrics(ResourceMetrics.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(KeyValue.newBuilder().setKey("service.name")
            .setValue(AnyValue.newBuilder().setStringValue("limits"))))
        .addScopeMetrics(ScopeMetrics.newBuilder().addAllMetrics(List.of(metrics)))).build();
  }

  @Test
  void malformedProtobufIs400NamingTheBody() throws Exception {
    HttpResponse<String> r = post(node.otlpHttpPort(), "/v1/metrics", "application/x-protobuf",
        new byte[] {0x0a, (byte) 0xff, 0x01, 0x02});
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("protobuf");
  }

  @Test
  void malformedJsonIs400() throws Exception {
    HttpResponse<String> r = post(node.otlpHttpPort(), "/v1/metrics", "application/json",
        "{\"resourceMetrics\": [".getBytes());
    assertThat(r.statusCode()).isEqualTo(400);
  }

  @Test
  void wrongContentTypeIs415() throws Exception {
    HttpResponse<String> r = post(node.otlpHttpPort(), "/v1/metrics", "text/plain", "hello".getBytes());
    assertThat(r.statusCode()).isEqualTo(415);
    assertThat(r.body()).contains("text/plain");
  }

  @Test
  void logsAreNotSupported() throws Exception {
    HttpResponse<String> r = post(node.otlpHttpPort(), "/v1/logs", "application/x-protobuf", new byte[0]);
    assertThat(r.statusCode()).isEqualTo(501);
    assertThat(r.body()).contains("logs are not supported");
    LogsServiceGrpc.LogsServiceBlockingStub logs = GrpcClients.newClient(
        "http://127.0.0.1:" + node.otlpGrpcPort(), LogsServiceGrpc.LogsServiceBlockingStub.class);
    StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> logs.export(ExportLogsServiceRequest.getDefaultInstance()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
    assertThat(e.getStatus().getDescription()).contains("logs are not supported");
  }

  @Test
  void oversizeBodyIs413() throws Exception {
    byte[] big = new byte[MAX_REQUEST + 1024];
    // HTTP/1.1 with "Expect: 100-continue": the node answers 413 from the declared length, before the body is sent,
    // so the answer does not race the client's upload (over h2c the JDK client can see the stream reset first).
    HttpClient h1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> r = h1.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.otlpHttpPort()
        + "/v1/metrics")).header("Content-Type", "application/x-protobuf").expectContinue(true)
        .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(413);
  }

  @Test
  void gzipBombIs413() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 64; i++) { // 64 MiB of zeros, about 64 KiB compressed
        gz.write(zeros);
      }
    }
    assertThat(bytes.size()).isLessThan(MAX_REQUEST);
    HttpResponse<String> r = post(node.otlpHttpPort(), "/v1/metrics", "application/x-protobuf",
        bytes.toByteArray(), "Content-Encoding", "gzip");
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(r.body()).contains("decompression");
  }

  @Test
  void exponentialHistogramIsRejectedPerPointAndTheRestKept() throws Exception {
    long now = System.currentTimeMillis() * 1_000_000;
    Metric exp = Metric.newBuilder().setName("latency_exp").setExponentialHistogram(ExponentialHistogram
        .newBuilder().addDataPoints(ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(now).setCount(1)))
        .build();
    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + node.otlpHttpPort() + "/v1/metrics")).header("Content-Type", "application/x-protobuf")
        .POST(HttpRequest.BodyPublishers.ofByteArray(request(gauge("kept_gauge", now, 1), exp).toByteArray()))
        .build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    ExportMetricsServiceResponse res = ExportMetricsServiceResponse.parseFrom(r.body());
    assertThat(res.getPartialSuccess().getRejectedDataPoints()).isEqualTo(1);
    assertThat(res.getPartialSuccess().getErrorMessage()).contains("latency_exp").contains("exponential");
  }

  @Test
  void invalidLabelNameInRemoteWriteIs400NamingIt() throws Exception {
    RemoteWriteClient rw = new RemoteWriteClient(node.httpPort());
    HttpResponse<String> r = rw.send(List.of(new RemoteWriteClient.Series(
        Map.of("__name__", "ok_metric", "bad-label", "x"),
        List.of(new long[] {System.currentTimeMillis(), Double.doubleToLongBits(1)}))), null);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("bad-label");
  }

  @Test
  void invalidTenantIs400() throws Exception {
    RemoteWriteClient rw = new RemoteWriteClient(node.httpPort());
    HttpResponse<String> r = rw.send(List.of(), "../etc");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("tenant");
  }

  @Test
  void floodGets429WithRetryAfterAndNeverFails() throws Exception {
    // ~900 KiB requests against a 1 MiB per-tenant budget: concurrent ones cannot all fit.
    long now = System.currentTimeMillis() * 1_000_000;
    List<Metric> metrics = new ArrayList<>();
    int i = 0;
    while (request(metrics.toArray(Metric[]::new)).getSerializedSize() < 900 * 1024) {
      metrics.add(gauge("flood_metric_" + (i++ % 5000), now, i));
    }
    byte[] body = request(metrics.toArray(Metric[]::new)).toByteArray();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Future<HttpResponse<String>>> results = new ArrayList<>();
    for (int n = 0; n < 64; n++) {
      results.add(pool.submit(() -> post(node.otlpHttpPort(), "/v1/metrics", "application/x-protobuf", body,
          "X-Scope-OrgID", "flood")));
    }
    int ok = 0;
    int throttled = 0;
    for (Future<HttpResponse<String>> f : results) {
      HttpResponse<String> r = f.get();
      if (r.statusCode() == 200) {
        ok++;
      } else {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        throttled++;
      }
    }
    pool.shutdown();
    assertThat(ok).isPositive();
    assertThat(throttled).isPositive();
  }
}
