package io.loupe.loadtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.grpc.GrpcService;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Runs the OTLP generator against a tiny receiver: OTLP/HTTP handlers and the real gRPC stubs of opentelemetry-proto
 * on one port. Each accepted request reports one rejected point or span, as a partial success.
 */
class OtlpLoadIT {
  static final AtomicLong points = new AtomicLong();
  static final AtomicLong spans = new AtomicLong();
  static final AtomicInteger exhaustFirst = new AtomicInteger();
  static volatile boolean invalid;
  static final AtomicInteger gzipped = new AtomicInteger();
  static final java.util.Set<com.google.protobuf.ByteString> traceIds =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.service("/v1/metrics", (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> {
        try {
          byte[] body = agg.content().array();
          if ("gzip".equals(agg.headers().get("content-encoding"))) {
            gzipped.incrementAndGet();
            body = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(body)).readAllBytes();
          }
          points.addAndGet(countPoints(ExportMetricsServiceRequest.parseFrom(body)));
        } catch (Exception e) {
          return HttpResponse.of(HttpStatus.BAD_REQUEST, MediaType.PLAIN_TEXT, e.toString());
        }
        return HttpResponse.of(HttpStatus.OK, MediaType.parse("application/x-protobuf"),
            metricsResponse().toByteArray());
      })));
      sb.service("/v1/traces", (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> {
        try {
          spans.addAndGet(countSpans(ExportTraceServiceRequest.parseFrom(agg.content().array())));
        } catch (Exception e) {
          return HttpResponse.of(HttpStatus.BAD_REQUEST, MediaType.PLAIN_TEXT, e.toString());
        }
        return HttpResponse.of(HttpStatus.OK, MediaType.parse("application/x-protobuf"),
            tracesResponse().toByteArray());
      })));
      sb.service(GrpcService.builder().addService(new MetricsServiceGrpc.MetricsServiceImplBase() {
        @Override
        public void export(ExportMetricsServiceRequest request,
            StreamObserver<ExportMetricsServiceResponse> observer) {
          if (invalid) {
            observer.onError(Status.INVALID_ARGUMENT.withDescription("bad point").asRuntimeException());
            return;
          }
          if (request.getResourceMetricsCount() > 0 && exhaustFirst.getAndDecrement() > 0) {
            observer.onError(Status.RESOURCE_EXHAUSTED.withDescription("slow down").asRuntimeException());
            return;
          }
          points.addAndGet(countPoints(request));
          observer.onNext(metricsResponse());
          observer.onCompleted();
        }
      }).addService(new TraceServiceGrpc.TraceServiceImplBase() {
        @Override
        public void export(ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> observer) {
          spans.addAndGet(countSpans(request));
          request.getResourceSpansList().forEach(rs -> rs.getScopeSpansList().forEach(ss -> ss.getSpansList()
              .forEach(sp -> traceIds.add(sp.getTraceId()))));
          observer.onNext(tracesResponse());
          observer.onCompleted();
        }
      }).build());
    }
  };

  static ExportMetricsServiceResponse metricsResponse() {
    return ExportMetricsServiceResponse.newBuilder().setPartialSuccess(ExportMetricsPartialSuccess.newBuilder()
        .setRejectedDataPoints(1).setErrorMessage("one point rejected")).build();
  }

  static ExportTraceServiceResponse tracesResponse() {
    return ExportTraceServiceResponse.newBuilder().setPartialSuccess(ExportTracePartialSuccess.newBuilder()
        .setRejectedSpans(1).setErrorMessage("one span rejected")).build();
  }

  static long countPoints(ExportMetricsServiceRequest req) {
    long n = 0;
    for (ResourceMetrics rm : req.getResourceMetricsList()) {
      for (var sm : rm.getScopeMetricsList()) {
        for (var m : sm.getMetricsList()) {
          n += m.getSum().getDataPointsCount() + m.getGauge().getDataPointsCount()
              + m.getHistogram().getDataPointsCount();
        }
      }
    }
    return n;
  }

  static long countSpans(ExportTraceServiceRequest req) {
    long n = 0;
    for (ResourceSpans rs : req.getResourceSpansList()) {
      for (var ss : rs.getScopeSpansList()) {
        n += ss.getSpansCount();
      }
    }
    return n;
  }

  @BeforeEach
  void reset() {
    points.set(0);
    spans.set(0);
    exhaustFirst.set(0);
    invalid = false;
    gzipped.set(0);
    traceIds.clear();
  }

  private static LoadReport run(String... extra) throws Exception {
    String[] base = {"--hosts", "2", "--partitions", "2", "--resources-per-request", "1", "--span", "1m",
        "--duration", "20s", "--concurrency",
        "2"};
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    return OtlpLoad.run(OtlpLoad.flags().parse(args),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
  }

  @Test
  void metricsOverHttp() throws Exception {
    LoadReport r = run("--url", server.httpUri() + "/v1/metrics");
    // 2 hosts x 3 services, one request each, 4 rounds.
    assertThat(r.accepted()).isEqualTo(24);
    assertThat(r.rejected()).isEqualTo(24);
    assertThat(r.failed()).isZero();
    assertThat(r.firstError()).isEqualTo("partial success, 1 rejected: one point rejected");
    assertThat(r.exhausted()).isTrue();
    assertThat(r.unit()).isEqualTo("samples");
    // Samples count histogram buckets, so they exceed the points the receiver saw.
    assertThat(points.get()).isPositive();
    assertThat(r.samplesAccepted()).isGreaterThan(points.get());
  }

  @Test
  void gzipBodiesOverHttpAndGrpc() throws Exception {
    LoadReport plain = run("--url", server.httpUri() + "/v1/metrics");
    long plainPoints = points.getAndSet(0);
    LoadReport http = run("--gzip", "--url", server.httpUri() + "/v1/metrics");
    assertThat(gzipped.get()).isEqualTo(26); // 24 requests and a warm-up per connection (2)
    assertThat(points.getAndSet(0)).isEqualTo(plainPoints);
    assertThat(http.accepted()).isEqualTo(24);
    assertThat(http.bytesSent()).isLessThan(plain.bytesSent() / 2);

    LoadReport grpc = run("--gzip", "--protocol", "grpc", "--url", server.httpUri() + OtlpLoad.METRICS_GRPC_PATH);
    assertThat(grpc.accepted()).isEqualTo(24);
    assertThat(grpc.failed()).isZero();
    assertThat(points.get()).isEqualTo(plainPoints);
    assertThat(grpc.bytesSent()).isLessThan(plain.bytesSent() / 2);
  }

  @Test
  void metricsOverGrpcRetryResourceExhausted() throws Exception {
    exhaustFirst.set(3);
    LoadReport r = run("--protocol", "grpc", "--url", server.httpUri() + OtlpLoad.METRICS_GRPC_PATH);
    assertThat(r.accepted()).isEqualTo(24);
    assertThat(r.throttled()).isEqualTo(3);
    assertThat(r.requests()).isEqualTo(27);
    assertThat(r.rejected()).isEqualTo(24);
    assertThat(r.failed()).isZero();
    assertThat(points.get()).isPositive();
  }

  @Test
  void tracesOverGrpcAndHttp() throws Exception {
    LoadReport grpc = run("--signal", "traces", "--protocol", "grpc", "--traces", "200", "--traces-per-request",
        "50", "--url", server.httpUri() + OtlpLoad.TRACES_GRPC_PATH);
    assertThat(grpc.accepted()).isEqualTo(4);
    assertThat(grpc.rejected()).isEqualTo(4);
    assertThat(grpc.unit()).isEqualTo("spans");
    assertThat(grpc.samplesAccepted()).isEqualTo(spans.get()).isBetween(1200L, 1600L);

    spans.set(0);
    LoadReport http = run("--signal", "traces", "--traces", "200", "--traces-per-request", "50", "--url",
        server.httpUri() + "/v1/traces");
    assertThat(http.accepted()).isEqualTo(4);
    assertThat(http.samplesAccepted()).isEqualTo(spans.get()).isEqualTo(grpc.samplesAccepted());
  }

  @Test
  void repeatedTracesGetNewIdsAndTheWarmupIsLeftOut() throws Exception {
    LoadReport r = run("--signal", "traces", "--protocol", "grpc", "--traces", "100", "--traces-per-request", "50",
        "--repeat", "--duration", "3s", "--warmup", "1s", "--url", server.httpUri() + OtlpLoad.TRACES_GRPC_PATH);
    // The pool of 100 traces went out round after round, every round with new trace ids.
    assertThat(traceIds.size()).isGreaterThan(300);
    assertThat(spans.get()).isGreaterThan(3 * 600L);
    assertThat(traceIds.size() * 5L).isLessThan(spans.get()); // spans of one trace kept their shared id
    assertThat(r.exhausted()).isFalse();
    // Only the 2 s after the warm-up are reported.
    assertThat(r.samplesAccepted()).isPositive().isLessThan(spans.get());
    assertThat(r.elapsedSeconds()).isBetween(1.5, 2.9);
    assertThat(r.workload()).contains("steady window after a 1s warm-up");
    assertThat(r.accepted()).isEqualTo(r.rejected()); // one rejected span per request of the window

    assertThatThrownBy(() -> run("--signal", "traces", "--repeat", "--gzip", "--url", server.httpUri()
        + "/v1/traces")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--repeat");
    assertThatThrownBy(() -> run("--signal", "traces", "--duration", "2s", "--warmup", "2s", "--url",
        server.httpUri() + "/v1/traces")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--warmup");
  }

  @Test
  void grpcErrorsOtherThanOverloadAreFailures() throws Exception {
    invalid = true;
    LoadReport r = run("--protocol", "grpc", "--url", server.httpUri() + OtlpLoad.METRICS_GRPC_PATH);
    assertThat(r.failed()).isEqualTo(24);
    assertThat(r.throttled()).isZero();
    assertThat(r.firstError()).isEqualTo("grpc-status 3: bad point");

    LoadReport missing = run("--protocol", "grpc", "--url", server.httpUri() + "/no.such.Service/Export");
    assertThat(missing.failed()).isEqualTo(24);
    assertThat(missing.firstError()).startsWith("no grpc-status (HTTP 404)");
  }
}
