package io.loupe.collector.otlp;

import static io.loupe.collector.otlp.Otlp.hex;
import static io.loupe.collector.otlp.Otlp.kv;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.loupe.model.AppendResult;
import io.loupe.model.RejectReason;
import io.loupe.model.SpanRecord;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OtlpSpansTest {
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String SPAN = "00f067aa0ba902b7";
  private static final String PARENT = "53995c3f42cd8ad8";
  private static final long START = 1_700_000_000_000_000_000L;

  private final AppendResult.Builder result = new AppendResult.Builder();

  private static Span.Builder span(String name) {
    return Span.newBuilder().setName(name).setTraceId(hex(TRACE)).setSpanId(hex(SPAN))
        .setStartTimeUnixNano(START).setEndTimeUnixNano(START + 1_500_000);
  }

  private static ExportTraceServiceRequest request(Span.Builder... spans) {
    ScopeSpans.Builder ss = ScopeSpans.newBuilder();
    ss.getScopeBuilder().setName("io.example.http").setVersion("2.0");
    for (Span.Builder s : spans) {
      ss.addSpans(s);
    }
    return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .setResource(Otlp.resource(kv("service.name", "checkout"), kv("host.name", "node-7")))
        .addScopeSpans(ss)).build();
  }

  @Test
  void convertsEveryField() {
    AnyValue list = AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder()
        .addValues(AnyValue.newBuilder().setStringValue("a")).addValues(AnyValue.newBuilder().setIntValue(1))).build();
    AnyValue map = AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder()
        .addValues(kv("z", "1")).addValues(kv("a", "2"))).build();
    Span.Builder s = span("GET /cart").setParentSpanId(hex(PARENT)).setKind(Span.SpanKind.SPAN_KIND_SERVER)
        .setTraceState("vendor=x").setFlags(0x301)
        .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR).setMessage("boom"))
        .addAttributes(kv("http.method", "GET"))
        .addAttributes(kv("http.status_code", AnyValue.newBuilder().setIntValue(500).build()))
        .addAttributes(kv("ratio", AnyValue.newBuilder().setDoubleValue(0.5).build()))
        .addAttributes(kv("cached", AnyValue.newBuilder().setBoolValue(false).build()))
        .addAttributes(kv("raw", AnyValue.newBuilder().setBytesValue(ByteString.copyFromUtf8("hi")).build()))
        .addAttributes(kv("list", list))
        .addAttributes(kv("map", map))
        .addAttributes(kv("unset", AnyValue.getDefaultInstance()))
        .addEvents(Span.Event.newBuilder().setName("exception").setTimeUnixNano(START + 10)
            .addAttributes(kv("exception.type", "IOException")))
        .addLinks(Span.Link.newBuilder().setTraceId(hex(TRACE)).setSpanId(hex(PARENT)).setTraceState("t=1"));

    List<SpanRecord> out = OtlpSpans.toSpanRecords(request(s), result);

    assertThat(out).hasSize(1);
    SpanRecord r = out.get(0);
    assertThat(r.traceId()).isEqualTo(TRACE);
    assertThat(r.spanId()).isEqualTo(SPAN);
    assertThat(r.parentSpanId()).isEqualTo(PARENT);
    assertThat(r.traceState()).isEqualTo("vendor=x");
    assertThat(r.name()).isEqualTo("GET /cart");
    assertThat(r.kind()).isEqualTo(SpanRecord.Kind.SERVER);
    assertThat(r.startEpochNanos()).isEqualTo(START);
    assertThat(r.durationNanos()).isEqualTo(1_500_000);
    assertThat(r.statusCode()).isEqualTo(SpanRecord.StatusCode.ERROR);
    assertThat(r.statusMessage()).isEqualTo("boom");
    assertThat(r.resourceAttributes()).isEqualTo(Map.of("service.name", "checkout", "host.name", "node-7"));
    assertThat(r.serviceName()).isEqualTo("checkout");
    assertThat(r.scopeName()).isEqualTo("io.example.http");
    assertThat(r.scopeVersion()).isEqualTo("2.0");
    assertThat(r.flags()).isEqualTo(0x301);
    Map<String, Object> a = r.attributes();
    assertThat(a.keySet()).containsExactly("http.method", "http.status_code", "ratio", "cached", "raw", "list", "map",
        "unset");
    assertThat(a.get("http.method")).isEqualTo("GET");
    assertThat(a.get("http.status_code")).isEqualTo(500L);
    assertThat(a.get("ratio")).isEqualTo(0.5);
    assertThat(a.get("cached")).isEqualTo(false);
    assertThat((byte[]) a.get("raw")).containsExactly('h', 'i');
    assertThat(a.get("list")).isEqualTo(List.of("a", 1L));
    assertThat(List.copyOf(((Map<?, ?>) a.get("map")).keySet())).isEqualTo(List.of("z", "a")); // insertion order kept
    assertThat(a.get("unset")).isEqualTo("");
    assertThat(r.events()).containsExactly(
        new SpanRecord.Event(START + 10, "exception", Map.of("exception.type", "IOException")));
    assertThat(r.links()).containsExactly(new SpanRecord.Link(TRACE, PARENT, "t=1", Map.of()));
    assertThat(result.rejectedCount()).isZero();
  }

  @Test
  void rootSpanHasEmptyParent() {
    SpanRecord r = OtlpSpans.toSpanRecords(request(span("root")), result).get(0);
    assertThat(r.isRoot()).isTrue();
    assertThat(r.kind()).isEqualTo(SpanRecord.Kind.UNSPECIFIED);
  }

  @Test
  void invalidSpansAreRejectedOneByOneAndTheRestKept() {
    List<SpanRecord> out = OtlpSpans.toSpanRecords(request(
        span("short-trace").setTraceId(hex("abcd")),
        span("zero-span").setSpanId(ByteString.copyFrom(new byte[8])),
        span("backwards").setEndTimeUnixNano(START - 1),
        span("no-start").setStartTimeUnixNano(0).setEndTimeUnixNano(0),
        span("bad-parent").setParentSpanId(hex("01")),
        span("bad-link").addLinks(Span.Link.newBuilder().setTraceId(hex(TRACE))),
        span("good")), result);

    assertThat(out).extracting(SpanRecord::name).containsExactly("good");
    AppendResult r = result.build();
    assertThat(r.rejected()).isEqualTo(Map.of(RejectReason.INVALID_SPAN, 6L));
    assertThat(r.firstErrors()).isEqualTo(
        "invalid span: span 'short-trace' (trace_id abcd, span_id " + SPAN + "): trace_id has 2 bytes (expected: 16); "
        + "invalid span: span 'zero-span' (trace_id " + TRACE + ", span_id 0000000000000000): span_id is all zeros"
        + " (expected: a non-zero id); "
        + "invalid span: span 'backwards' (trace_id " + TRACE + ", span_id " + SPAN + "): end_time_unix_nano "
        + (START - 1) + " < start_time_unix_nano " + START + " (expected: end >= start) (and 3 more)");
  }

  @Test
  void emptyRequestGivesNoSpans() {
    assertThat(OtlpSpans.toSpanRecords(ExportTraceServiceRequest.getDefaultInstance(), result)).isEmpty();
  }
}
