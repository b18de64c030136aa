package io.loupe.collector.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.client.grpc.GrpcClients;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.loupe.collector.Collector;
import io.loupe.collector.CollectorOptions;
import io.loupe.collector.otlp.OtlpJson;
import io.loupe.collector.otlp.TranslationOptions;
import io.loupe.model.AppendResult;
import io.loupe.model.Appender;
import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.SpanRecord;
import io.loupe.model.SpanWriter;
import io.loupe.model.Tenant;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The trace receivers over the network with real clients: OTLP/gRPC (plain and gzip, whose {@code Export} the
 * collector binds to raw bytes) and OTLP/HTTP protobuf and JSON, into a span writer that records what it is given.
 * The metrics gRPC service, which shares the export path, is checked alongside.
 */
class OtlpTraceReceiversIT {
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String SPAN = "00f067aa0ba902b7";
  private static final long START = 1_700_000_000_000_000_000L;

  record Written(Tenant tenant, List<SpanRecord> spans) {}

  static final List<Written> written = new CopyOnWriteArrayList<>();
  static final List<Labels> samples = new CopyOnWriteArrayList<>();

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      SpanWriter spans = (tenant, list) -> {
        written.add(new Written(tenant, List.copyOf(list)));
        return new AppendResult(list.size(), Map.of(), "");
      };
      Collector collector = new Collector(CollectorOptions.defaults(), TranslationOptions.defaults(),
          tenant -> new Appender() {
            final List<Labels> buffered = new ArrayList<>();

            @Override
            public void append(Labels labels, long timestampMs, double value) {
              buffered.add(labels);
            }

            @Override
            public void appendExemplar(Labels labels, Exemplar exemplar) {}

            @Override
            public AppendResult commit() {
              samples.addAll(buffered);
              return new AppendResult(buffered.size(), Map.of(), "");
            }

            @Override
            public void rollback() {
              buffered.clear();
            }
          }, spans, new SimpleMeterRegistry());
      sb.service(collector.grpcService());
      sb.serviceUnder("/v1/", collector.otlpHttpService());
    }
  };

  @BeforeEach
  void clear() {
    written.clear();
    samples.clear();
  }

  private static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  private static ExportTraceServiceRequest request(boolean withInvalidSpan) {
    ScopeSpans.Builder ss = ScopeSpans.newBuilder();
    ss.getScopeBuilder().setName("io.example").setVersion("1.0");
    ss.addSpans(Span.newBuilder().setTraceId(id(TRACE)).setSpanId(id(SPAN)).setName("GET /cart")
        .setKind(Span.SpanKind.SPAN_KIND_SERVER).setStartTimeUnixNano(START).setEndTimeUnixNano(START + 1_000)
        .addAttributes(kv("http.route", "/cart")));
    if (withInvalidSpan) {
      ss.addSpans(Span.newBuilder().setTraceId(id(TRACE)).setSpanId(ByteString.copyFrom(new byte[8]))
          .setName("zero").setStartTimeUnixNano(START).setEndTimeUnixNano(START));
    }
    return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(kv("service.name", "checkout"))).addScopeSpans(ss)).build();
  }

  private static ByteString id(String hex) {
    return ByteString.copyFrom(HexFormat.of().parseHex(hex));
  }

  private static void assertOneSpanWritten(Tenant tenant) {
    assertThat(written).hasSize(1);
    assertThat(written.get(0).tenant()).isEqualTo(tenant);
    SpanRecord s = written.get(0).spans().get(0);
    assertThat(written.get(0).spans()).hasSize(1);
    assertThat(s.traceId()).isEqualTo(TRACE);
    assertThat(s.spanId()).isEqualTo(SPAN);
    assertThat(s.name()).isEqualTo("GET /cart");
    assertThat(s.kind()).isEqualTo(SpanRecord.Kind.SERVER);
    assertThat(s.serviceName()).isEqualTo("checkout");
    assertThat(s.scopeName()).isEqualTo("io.example");
    assertThat(s.attributes()).isEqualTo(Map.of("http.route", "/cart"));
  }

  private static TraceServiceGrpc.TraceServiceBlockingStub traceClient(String tenant) {
    return GrpcClients.builder(server.httpUri())
        .addHeader("x-scope-orgid", tenant)
        .build(TraceServiceGrpc.TraceServiceBlockingStub.class);
  }

  @Test
  void grpcExportIsDecodedFromTheRawBytes() {
    ExportTraceServiceResponse res = traceClient("team-a").export(request(true));

    assertOneSpanWritten(new Tenant("team-a"));
    assertThat(res.getPartialSuccess().getRejectedSpans()).isEqualTo(1);
    assertThat(res.getPartialSuccess().getErrorMessage()).startsWith("invalid span: span 'zero'")
        .contains("span_id is all zeros");
  }

  @Test
  void grpcExportWithGzipCompression() {
    ExportTraceServiceResponse res = traceClient("team-b").withCompression("gzip").export(request(false));

    assertOneSpanWritten(new Tenant("team-b"));
    assertThat(res.hasPartialSuccess()).isFalse();
  }

  @Test
  void malformedGrpcMessageIsInvalidArgument() {
    // resource_spans (field 1) holding the bytes {0, 0}: a field tag 0, which no message may contain
    ExportTraceServiceRequest bad = ExportTraceServiceRequest.newBuilder().setUnknownFields(UnknownFieldSet.newBuilder()
        .addField(1, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFrom(new byte[2])).build())
        .build()).build();

    assertThatThrownBy(() -> traceClient("team-c").export(bad))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains("malformed protobuf at byte");
        });
    assertThat(written).isEmpty();
  }

  private static AggregatedHttpResponse post(String path, MediaType type, byte[] body, boolean gzip)
      throws IOException {
    RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.POST, path).contentType(type)
        .add("X-Scope-OrgID", "team-h");
    if (gzip) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (GZIPOutputStream z = new GZIPOutputStream(out)) {
        z.write(body);
      }
      body = out.toByteArray();
      h.add(HttpHeaderNames.CONTENT_ENCODING, "gzip");
    }
    return WebClient.of(server.httpUri()).execute(HttpRequest.of(h.build(),
        com.linecorp.armeria.common.HttpData.wrap(body))).aggregate().join();
  }

  @Test
  void httpProtobufAndJson() throws IOException {
    AggregatedHttpResponse proto = post("/v1/traces", MediaType.parse("application/x-protobuf"),
        request(false).toByteArray(), true);
    assertThat(proto.status().code()).isEqualTo(200);
    assertOneSpanWritten(new Tenant("team-h"));

    written.clear();
    // OTLP/JSON ids are hex; the generic printer writes base64
    String json = OtlpJson.print(request(false))
        .replace(Base64.getEncoder().encodeToString(HexFormat.of().parseHex(TRACE)), TRACE)
        .replace(Base64.getEncoder().encodeToString(HexFormat.of().parseHex(SPAN)), SPAN);
    AggregatedHttpResponse j = post("/v1/traces", MediaType.JSON, json.getBytes(java.nio.charset.StandardCharsets.UTF_8), false);
    assertThat(j.status().code()).as(j.contentUtf8()).isEqualTo(200);
    assertOneSpanWritten(new Tenant("team-h"));
  }

  @Test
  void malformedHttpProtobufIs400NamingTheByte() throws IOException {
    AggregatedHttpResponse r = post("/v1/traces", MediaType.parse("application/x-protobuf"), new byte[] {10, 50, 1},
        false);

    assertThat(r.status().code()).isEqualTo(400);
    assertThat(com.google.rpc.Status.parseFrom(r.content().array()).getMessage())
        .startsWith("request body: malformed protobuf at byte 2");
    assertThat(written).isEmpty();
  }

  @Test
  void grpcMetricsStillTranslate() {
    ExportMetricsServiceRequest req = ExportMetricsServiceRequest.newBuilder().addResourceMetrics(
        ResourceMetrics.newBuilder().setResource(Resource.newBuilder().addAttributes(kv("service.name", "svc")))
            .addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(Metric.newBuilder().setName("queue_depth")
                .setGauge(Gauge.newBuilder().addDataPoints(NumberDataPoint.newBuilder()
                    .setTimeUnixNano(START).setAsDouble(3)))))).build();

    GrpcClients.builder(server.httpUri()).build(MetricsServiceGrpc.MetricsServiceBlockingStub.class).export(req);

    assertThat(samples).extracting(Labels::metricName).contains("queue_depth");
  }
}
