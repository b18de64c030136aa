package io.loupe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole node in one process, driven by real clients: the OpenTelemetry Java SDK exporters over gRPC and HTTP, and
 * a remote-write client; the data is read back through the Prometheus HTTP API and the trace API.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeEndToEndIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir
  static Path dir;
  private LoupeNode node;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void start() {
    node = LoupeNode.start(NodeConfig.forTests(dir, Map.of("traces.metrics.flush_interval", "0")));
    node.awaitReady();
  }

  @AfterAll
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private Resource resource(String service) {
    return Resource.getDefault().merge(Resource.create(Attributes.of(
        AttributeKey.stringKey("service.name"), service,
        AttributeKey.stringKey("service.instance.id"), "i-1",
        AttributeKey.stringKey("host.name"), "node-7")));
  }

  private void exportMetrics(MetricExporter exporter, String service) {
    try (SdkMeterProvider provider = SdkMeterProvider.builder().setResource(resource(service))
        .registerMetricReader(PeriodicMetricReader.builder(exporter).setInterval(Duration.ofHours(1)).build())
        .build()) {
      LongCounter counter = provider.get("e2e").counterBuilder("pipeline.records").setUnit("{record}").build();
      counter.add(42, Attributes.of(AttributeKey.stringKey("stage"), "ingest"));
      DoubleHistogram h = provider.get("e2e").histogramBuilder("stage.latency").setUnit("s").build();
      h.record(0.2);
      h.record(3);
      assertThat(provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    }
  }

  @Test
  void otlpGrpcMetricsAreQueryable() throws Exception {
    exportMetrics(OtlpGrpcMetricExporter.builder().setEndpoint("http://127.0.0.1:" + node.otlpGrpcPort()).build(),
        "grpc-svc");
    JsonNode r = query("pipeline_records_total{job=\"grpc-svc\"}");
    assertThat(r.path("resultType").asText()).isEqualTo("vector");
    assertThat(r.path("result")).hasSize(1);
    JsonNode s = r.path("result").get(0);
    assertThat(s.path("metric").path("stage").asText()).isEqualTo("ingest");
    assertThat(s.path("metric").path("instance").asText()).isEqualTo("i-1");
    assertThat(s.path("metric").path("host_name").asText()).isEqualTo("node-7");
    assertThat(s.path("value").get(1).asText()).isEqualTo("42");
    JsonNode buckets = query("stage_latency_seconds_bucket{job=\"grpc-svc\", le=\"+Inf\"}");
    assertThat(buckets.path("result").get(0).path("value").get(1).asText()).isEqualTo("2");
    JsonNode info = query("target_info{job=\"grpc-svc\"}");
    assertThat(info.path("result")).hasSize(1);
  }

  @Test
  void grpcMetadataSelectsTheTenant() throws Exception {
    exportMetrics(OtlpGrpcMetricExporter.builder().setEndpoint("http://127.0.0.1:" + node.otlpGrpcPort())
        .addHeader("X-Scope-OrgID", "team-a").build(), "tenant-svc");
    HttpResponse<String> mine = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort()
        + "/api/v1/query?query=" + enc("pipeline_records_total{job=\"tenant-svc\"}")))
        .header("X-Scope-OrgID", "team-a").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(JSON.readTree(mine.body()).path("data").path("result")).hasSize(1);
    assertThat(query("pipeline_records_total{job=\"tenant-svc\"}").path("result")).isEmpty();
  }

  @Test
  void otlpHttpMetricsAreQueryable() throws Exception {
    exportMetrics(OtlpHttpMetricExporter.builder()
        .setEndpoint("http://127.0.0.1:" + node.otlpHttpPort() + "/v1/metrics").build(), "http-svc");
    JsonNode r = query("pipeline_records_total{job=\"http-svc\"}");
    assertThat(r.path("result")).hasSize(1);
    assertThat(r.path("result").get(0).path("value").get(1).asText()).isEqualTo("42");
  }

  @Test
  void otlpJsonAndGzipBodiesAreAccepted() throws Exception {
    long nowNanos = System.currentTimeMillis() * 1_000_000L;
    String json = "{\"resourceMetrics\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":"
        + "{\"stringValue\":\"json-svc\"}}]},\"scopeMetrics\":[{\"metrics\":[{\"name\":\"json_gauge\",\"gauge\":"
        + "{\"dataPoints\":[{\"timeUnixNano\":\"" + nowNanos + "\",\"asDouble\":2.5}]}}]}]}]}";
    java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
      out.write(json.replace("2.5", "3.5").replace("json-svc", "gzip-svc").getBytes(StandardCharsets.UTF_8));
    }
    HttpResponse<String> plain = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + node.otlpHttpPort() + "/v1/metrics")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
    assertThat(plain.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("json"));
    HttpResponse<String> zipped = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + node.otlpHttpPort() + "/v1/metrics")).header("Content-Type", "application/json")
        .header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(gz.toByteArray())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(zipped.statusCode()).as(zipped.body()).isEqualTo(200);
    assertThat(query("json_gauge{job=\"json-svc\"}").path("result").get(0).path("value").get(1).asText())
        .isEqualTo("2.5");
    assertThat(query("json_gauge{job=\"gzip-svc\"}").path("result").get(0).path("value").get(1).asText())
        .isEqualTo("3.5");
  }

  @Test
  void remoteWriteIsQueryableByInstantAndRangeQueries() throws Exception {
    long now = System.currentTimeMillis() / 1000 * 1000;
    RemoteWriteClient rw = new RemoteWriteClient(node.httpPort());
    HttpResponse<String> res = rw.send(List.of(
        new RemoteWriteClient.Series(Map.of("__name__", "node_load1", "instance", "a:9100", "job", "node"),
            List.of(new long[] {now - 30_000, Double.doubleToLongBits(1.5)},
                new long[] {now - 15_000, Double.doubleToLongBits(2.5)},
                new long[] {now, Double.doubleToLongBits(3.5)})),
        new RemoteWriteClient.Series(Map.of("__name__", "node_load1", "instance", "b:9100", "job", "node"),
            List.of(new long[] {now, Double.doubleToLongBits(7)}))), null);
    assertThat(res.statusCode()).as(res.body()).isEqualTo(204);

    JsonNode instant = query("node_load1{instance=~\"a.*\"}");
    assertThat(instant.path("result")).hasSize(1);
    assertThat(instant.path("result").get(0).path("value").get(1).asText()).isEqualTo("3.5");

    JsonNode range = get("/api/v1/query_range?query=" + enc("node_load1{job=\"node\"}") + "&start="
        + (now - 30_000) / 1000.0 + "&end=" + now / 1000.0 + "&step=15");
    assertThat(range.path("data").path("resultType").asText()).isEqualTo("matrix");
    JsonNode a = range.path("data").path("result").get(0);
    assertThat(a.path("metric").path("instance").asText()).isEqualTo("a:9100");
    assertThat(a.path("values")).hasSize(3);
    assertThat(a.path("values").get(0).get(1).asText()).isEqualTo("1.5");

    // Another tenant sees none of it.
    HttpResponse<String> other = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort()
        + "/api/v1/query?query=" + enc("node_load1"))).header("X-Scope-OrgID", "other").build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(JSON.readTree(other.body()).path("data").path("result")).isEmpty();
  }

  @Test
  void spansFromBothExportersAreStoredAndReadableById() throws Exception {
    for (SpanExporter exporter : List.of(
        OtlpGrpcSpanExporter.builder().setEndpoint("http://127.0.0.1:" + node.otlpGrpcPort()).build(),
        OtlpHttpSpanExporter.builder().setEndpoint("http://127.0.0.1:" + node.otlpHttpPort() + "/v1/traces")
            .build())) {
      String traceId;
      try (SdkTracerProvider tp = SdkTracerProvider.builder().setResource(resource("checkout"))
          .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()) {
        Tracer tracer = tp.get("e2e");
        Span root = tracer.spanBuilder("GET /checkout").setSpanKind(SpanKind.SERVER).startSpan();
        traceId = root.getSpanContext().getTraceId();
        Span child = tracer.spanBuilder("kafka.produce").setSpanKind(SpanKind.PRODUCER)
            .setParent(io.opentelemetry.context.Context.current().with(root)).startSpan();
        child.end();
        root.end();
        assertThat(tp.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
      }
      HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + node.httpPort() + "/tempo/api/traces/" + traceId)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
      assertThat(res.body()).contains("GET /checkout").contains("kafka.produce").contains("checkout");
    }
    // Span metrics derived from those spans, in the same tenant's tsdb (Tempo's metrics-generator names).
    JsonNode calls = query("sum by (span_kind) (traces_spanmetrics_calls_total{service=\"checkout\"})");
    assertThat(calls.path("result")).as(calls.toString()).hasSize(2);
    JsonNode search = get("/tempo/api/search?q=" + enc("{ resource.service.name = \"checkout\" && kind = server }"));
    assertThat(search.path("traces")).as(search.toString()).hasSize(2);
  }

  @Test
  void adminFlushCutsBlocksThatStayQueryableAndStatusShowsTheHead() throws Exception {
    long now = System.currentTimeMillis() / 1000 * 1000;
    long old = now - 5 * 3_600_000L; // five hours ago: whole 2 h block ranges lie between it and now
    RemoteWriteClient rw = new RemoteWriteClient(node.httpPort());
    for (long t : new long[] {old, now}) {
      HttpResponse<String> res = rw.send(List.of(new RemoteWriteClient.Series(
          Map.of("__name__", "flush_test", "job", "admin"), List.of(new long[] {t, Double.doubleToLongBits(t)}))),
          "flush");
      assertThat(res.statusCode()).as(res.body()).isEqualTo(204);
    }
    HttpResponse<String> flush = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort()
        + "/api/v1/admin/tsdb/flush")).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(flush.statusCode()).as(flush.body()).isEqualTo(200);
    assertThat(JSON.readTree(flush.body()).path("data").path("blocksWritten").asInt()).isPositive();
    HttpResponse<String> compact = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + node.httpPort() + "/api/v1/admin/tsdb/compact")).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(compact.statusCode()).as(compact.body()).isEqualTo(200);

    HttpResponse<String> q = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort()
        + "/api/v1/query?query=" + enc("flush_test") + "&time=" + (old / 1000.0 + 1)))
        .header("X-Scope-OrgID", "flush").build(), HttpResponse.BodyHandlers.ofString());
    JsonNode result = JSON.readTree(q.body()).path("data").path("result");
    assertThat(result).as(q.body()).hasSize(1);
    assertThat(result.get(0).path("value").get(1).asDouble()).isEqualTo((double) old);

    // A snapshot for backups, as Prometheus's: the flushed block linked, the head (the sample at now) as a block.
    HttpResponse<String> snap = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort()
        + "/api/v1/admin/tsdb/snapshot")).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(snap.statusCode()).as(snap.body()).isEqualTo(200);
    String name = JSON.readTree(snap.body()).path("data").path("name").asText();
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dir)) {
      assertThat(files.filter(f -> f.toString().contains("snapshots/" + name + "/blocks/flush/")
          && f.getFileName().toString().equals("chunks"))).hasSizeGreaterThanOrEqualTo(2);
    }
    HttpResponse<String> badSnap = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort()
        + "/api/v1/admin/tsdb/snapshot?skip_head=maybe")).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(badSnap.statusCode()).isEqualTo(400);
    assertThat(badSnap.body()).contains("skip_head: maybe");

    HttpResponse<String> status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort()
        + "/api/v1/status/tsdb")).header("X-Scope-OrgID", "flush").build(), HttpResponse.BodyHandlers.ofString());
    JsonNode data = JSON.readTree(status.body()).path("data");
    assertThat(data.path("headStats").path("numSeries").asLong()).isEqualTo(1);
    assertThat(data.path("seriesCountByMetricName").get(0).path("name").asText()).isEqualTo("flush_test");
  }

  @Test
  void healthReadyAndSelfMetrics() throws Exception {
    assertThat(getText("/-/healthy").statusCode()).isEqualTo(200);
    assertThat(getText("/-/ready").statusCode()).isEqualTo(200);
    String metrics = getText("/metrics").body();
    assertThat(metrics).contains("loupe_collector_samples_accepted_total").contains("jvm_memory_used_bytes");
    // The node scrapes itself (every second in tests) into its own tsdb.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    JsonNode up;
    do {
      Thread.sleep(200);
      up = query("up{job=\"loupe\"}");
    } while (up.path("result").isEmpty() && System.nanoTime() < deadline);
    assertThat(up.path("result")).as(up.toString()).hasSize(1);
    assertThat(up.path("result").get(0).path("value").get(1).asText()).isEqualTo("1");
    assertThat(query("jvm_memory_used_bytes{job=\"loupe\"}").path("result")).isNotEmpty();
  }

  private JsonNode query(String q) throws Exception {
    JsonNode body = get("/api/v1/query?query=" + enc(q));
    assertThat(body.path("status").asText()).as(body.toString()).isEqualTo("success");
    return body.path("data");
  }

  private JsonNode get(String pathAndQuery) throws Exception {
    HttpResponse<String> res = getText(pathAndQuery);
    return JSON.readTree(res.body());
  }

  private HttpResponse<String> getText(String pathAndQuery) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + pathAndQuery))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
