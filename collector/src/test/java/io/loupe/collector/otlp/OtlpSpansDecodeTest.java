package io.loupe.collector.otlp;

import static io.loupe.collector.otlp.Otlp.kv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.loupe.model.AppendResult;
import io.loupe.model.InvalidInputException;
import io.loupe.model.SpanRecord;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link OtlpSpans#decode} against the reference, {@code parseFrom} + {@link OtlpSpans#toSpanRecords}: the same spans,
 * the same rejections, and the same verdict on malformed bytes, for random requests, hand-made wire oddities, every
 * truncation and thousands of single-byte corruptions. Seeded, so a failure reproduces.
 */
class OtlpSpansDecodeTest {
  private static final String[] WORDS = {"", "a", "http.route", "GET /cart", "ü-ñ", "日本", "db.system", "kafka",
      "service.name", "x".repeat(70), "emoji \uD83D\uDE00"};
  private final Random random = new Random(7);

  @Test
  void randomRequestsDecodeAsTheGeneratedClassesDo() throws IOException {
    for (int round = 0; round < 300; round++) {
      byte[] body = randomRequest().toByteArray();
      assertSameOutcome(body, "round " + round);
    }
  }

  @Test
  void everyTruncationFailsOrDecodesAsTheGeneratedClassesDo() throws IOException {
    byte[] body = randomRequest().toByteArray();
    for (int n = 0; n < body.length; n++) {
      assertSameOutcome(java.util.Arrays.copyOf(body, n), "prefix of " + n + " bytes");
    }
  }

  @Test
  void corruptedBytesFailOrDecodeAsTheGeneratedClassesDo() throws IOException {
    int failures = 0;
    for (int round = 0; round < 3000; round++) {
      byte[] body = randomRequest().toByteArray();
      int flips = 1 + random.nextInt(3);
      for (int i = 0; i < flips; i++) {
        body[random.nextInt(body.length)] = (byte) random.nextInt(256);
      }
      failures += assertSameOutcome(body, "round " + round) ? 0 : 1;
    }
    assertThat(failures).as("corruptions that were malformed").isPositive();
  }

  @Test
  void wireOdditiesAreReadAsProtobufReadsThem() throws IOException {
    ByteString trace = bytes(16);
    ByteString span = bytes(8);
    // A span with its fields in reverse order, one field twice (the last wins), the kind with a wrong wire type
    // (skipped), unknown fields of every wire type including a group, and its status in two parts (merged).
    ByteArrayOutputStream spanBytes = new ByteArrayOutputStream();
    CodedOutputStream s = CodedOutputStream.newInstance(spanBytes);
    s.writeMessage(15, Status.newBuilder().setMessage("first").build());
    s.writeFixed64(8, 2_000);
    s.writeFixed64(7, 1_000);
    s.writeString(5, "overwritten");
    s.writeString(5, "name");
    s.writeFixed32(6, 2); // kind is a varint: this is an unknown field
    s.writeMessage(9, kv("k", "v1"));
    s.writeMessage(9, kv("k", "v2")); // a repeated key keeps its first position and its last value
    s.writeMessage(9, kv("other", "o"));
    s.writeUInt64(99, 123);
    s.writeFixed64(100, 5);
    s.writeFixed32(101, 5);
    s.writeByteArray(102, new byte[] {1, 2, 3});
    s.writeTag(103, 3); // a group with a nested group
    s.writeUInt64(1, 1);
    s.writeTag(104, 3);
    s.writeTag(104, 4);
    s.writeTag(103, 4);
    s.writeMessage(15, Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR).build());
    s.writeByteArray(2, span.toByteArray());
    s.writeByteArray(1, trace.toByteArray());
    s.flush();
    // A scope spans with its scope after its spans; a resource spans with its resource after its scope spans, and in
    // two parts (merged).
    ByteArrayOutputStream ssBytes = new ByteArrayOutputStream();
    CodedOutputStream ss = CodedOutputStream.newInstance(ssBytes);
    ss.writeByteArray(2, spanBytes.toByteArray());
    ss.writeMessage(1, InstrumentationScope.newBuilder().setName("scope").setVersion("1").build());
    ss.flush();
    ByteArrayOutputStream rsBytes = new ByteArrayOutputStream();
    CodedOutputStream rs = CodedOutputStream.newInstance(rsBytes);
    rs.writeByteArray(2, ssBytes.toByteArray());
    rs.writeMessage(1, Resource.newBuilder().addAttributes(kv("service.name", "svc")).build());
    rs.writeMessage(1, Resource.newBuilder().addAttributes(kv("host.name", "h")).build());
    rs.flush();
    ByteArrayOutputStream req = new ByteArrayOutputStream();
    CodedOutputStream r = CodedOutputStream.newInstance(req);
    r.writeByteArray(1, rsBytes.toByteArray());
    r.writeString(7, "unknown at the top");
    r.flush();

    byte[] body = req.toByteArray();
    assertThat(assertSameOutcome(body, "odd wire")).isTrue();
    SpanRecord d = OtlpSpans.decode(body, new AppendResult.Builder()).get(0);
    assertThat(d.name()).isEqualTo("name");
    assertThat(d.kind()).isEqualTo(SpanRecord.Kind.UNSPECIFIED);
    assertThat(d.statusCode()).isEqualTo(SpanRecord.StatusCode.ERROR);
    assertThat(d.statusMessage()).isEqualTo("first");
    assertThat(List.copyOf(d.attributes().entrySet()))
        .containsExactly(Map.entry("k", "v2"), Map.entry("other", "o"));
    assertThat(d.resourceAttributes()).isEqualTo(Map.of("service.name", "svc", "host.name", "h"));
    assertThat(d.scopeName()).isEqualTo("scope");
  }

  @Test
  void repeatedAnyValuesMergeAsProtobufMergesThem() throws IOException {
    // value set twice: two arrays concatenate, a string after an array replaces it, an empty value changes nothing
    AnyValue a1 = AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder()
        .addValues(AnyValue.newBuilder().setIntValue(1))).build();
    AnyValue a2 = AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder()
        .addValues(AnyValue.newBuilder().setStringValue("two"))).build();
    AnyValue m1 = AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder().addValues(kv("a", "1"))).build();
    AnyValue m2 = AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder().addValues(kv("b", "2"))).build();
    List<byte[]> kvs = List.of(keyValue("arrays", a1, a2), keyValue("maps", m1, m2),
        keyValue("replaced", a1, AnyValue.newBuilder().setStringValue("s").build()),
        keyValue("kept", a1, AnyValue.getDefaultInstance()));
    ByteArrayOutputStream spanBytes = new ByteArrayOutputStream();
    CodedOutputStream s = CodedOutputStream.newInstance(spanBytes);
    s.writeByteArray(1, bytes(16).toByteArray());
    s.writeByteArray(2, bytes(8).toByteArray());
    s.writeFixed64(7, 10);
    s.writeFixed64(8, 20);
    for (byte[] kv : kvs) {
      s.writeByteArray(9, kv);
    }
    s.flush();
    byte[] body = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .addScopeSpans(ScopeSpans.newBuilder().addSpans(Span.parseFrom(spanBytes.toByteArray())))).build()
        .toByteArray();
    // the generated classes have merged the values already: rewrite the span with the raw repeated fields
    assertThat(assertSameOutcome(body, "merged")).isTrue();
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    CodedOutputStream ss = CodedOutputStream.newInstance(raw);
    ss.writeByteArray(2, spanBytes.toByteArray());
    ss.flush();
    ByteArrayOutputStream rs = new ByteArrayOutputStream();
    CodedOutputStream rso = CodedOutputStream.newInstance(rs);
    rso.writeByteArray(2, raw.toByteArray());
    rso.flush();
    ByteArrayOutputStream rq = new ByteArrayOutputStream();
    CodedOutputStream rqo = CodedOutputStream.newInstance(rq);
    rqo.writeByteArray(1, rs.toByteArray());
    rqo.flush();
    assertThat(assertSameOutcome(rq.toByteArray(), "raw repeated values")).isTrue();
    Map<String, Object> a = OtlpSpans.decode(rq.toByteArray(), new AppendResult.Builder()).get(0).attributes();
    assertThat(a.get("arrays")).isEqualTo(List.of(1L, "two"));
    assertThat(a.get("maps")).isEqualTo(Map.of("a", "1", "b", "2"));
    assertThat(a.get("replaced")).isEqualTo("s");
    assertThat(a.get("kept")).isEqualTo(List.of(1L));
  }

  @Test
  void nestingIsLimitedWhereProtobufLimitsIt() throws IOException {
    int accepted = 0;
    for (int levels = 30; levels <= 45; levels++) {
      AnyValue v = AnyValue.newBuilder().setStringValue("leaf").build();
      for (int i = 0; i < levels; i++) {
        v = i % 2 == 0 ? AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder().addValues(v)).build()
            : AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder().addValues(kv("k", v))).build();
      }
      Span span = Span.newBuilder().setTraceId(bytes(16)).setSpanId(bytes(8)).setStartTimeUnixNano(1)
          .setEndTimeUnixNano(2).addAttributes(kv("deep", v)).build();
      byte[] body = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
          .addScopeSpans(ScopeSpans.newBuilder().addSpans(span))).build().toByteArray();
      accepted += assertSameOutcome(body, levels + " levels") ? 1 : 0;
    }
    assertThat(accepted).as("depths accepted").isBetween(1, 15); // the limit falls inside the range tried
  }

  @Test
  void malformedBytesNameTheByte() {
    assertThatThrownBy(() -> OtlpSpans.decode(new byte[] {10, 50, 1}, new AppendResult.Builder()))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("request body: malformed protobuf at byte 2: length 50 runs past the end of its message"
            + " (1 bytes left)");
    byte[] badUtf8 = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .addScopeSpans(ScopeSpans.newBuilder().setScope(InstrumentationScope.newBuilder().setName("é")))).build()
        .toByteArray();
    badUtf8[badUtf8.length - 1] = (byte) 0xff; // the second byte of "é"
    assertThatThrownBy(() -> OtlpSpans.decode(badUtf8, new AppendResult.Builder()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("not valid UTF-8");
  }

  @Test
  void sharesOneStringPerDistinctIdAndKeyWithinARequest() {
    ByteString trace = bytes(16);
    ScopeSpans.Builder ss = ScopeSpans.newBuilder();
    for (int i = 0; i < 3; i++) {
      ss.addSpans(Span.newBuilder().setTraceId(trace).setSpanId(bytes(8)).setName("op")
          .setStartTimeUnixNano(1).setEndTimeUnixNano(2).addAttributes(kv("http.route", "/cart")));
    }
    byte[] body = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .addScopeSpans(ss)).build().toByteArray();

    List<SpanRecord> spans = OtlpSpans.decode(body, new AppendResult.Builder());

    assertThat(spans).hasSize(3);
    assertThat(spans.get(2).traceId()).isSameAs(spans.get(0).traceId());
    assertThat(spans.get(2).name()).isSameAs(spans.get(0).name());
    assertThat(spans.get(2).attributes().get("http.route")).isSameAs(spans.get(0).attributes().get("http.route"));
  }

  // ---- reference comparison ----

  /** Asserts both decoders agree on {@code body}; returns whether it was well-formed. */
  private static boolean assertSameOutcome(byte[] body, String what) {
    ExportTraceServiceRequest parsed;
    try {
      parsed = ExportTraceServiceRequest.parseFrom(body);
    } catch (InvalidProtocolBufferException e) {
      assertThatThrownBy(() -> OtlpSpans.decode(body, new AppendResult.Builder()))
          .as("%s: parseFrom failed with %s", what, e.getMessage())
          .isInstanceOf(InvalidInputException.class)
          .hasMessageStartingWith("request body: malformed protobuf at byte ");
      return false;
    }
    AppendResult.Builder expectedResult = new AppendResult.Builder();
    List<SpanRecord> expected = OtlpSpans.toSpanRecords(parsed, expectedResult);
    AppendResult.Builder actualResult = new AppendResult.Builder();
    List<SpanRecord> actual = OtlpSpans.decode(body, actualResult);
    assertThat(normalize(actual)).as(what).isEqualTo(normalize(expected));
    assertThat(actualResult.build()).as(what).isEqualTo(expectedResult.build());
    return true;
  }

  /** The spans with byte[] values (equal only by identity) as lists and maps as plain ordered maps. */
  private static List<Object> normalize(List<SpanRecord> spans) {
    List<Object> out = new ArrayList<>();
    for (SpanRecord s : spans) {
      List<Object> events = new ArrayList<>();
      for (SpanRecord.Event e : s.events()) {
        events.add(List.of(e.epochNanos(), e.name(), normalize(e.attributes())));
      }
      List<Object> links = new ArrayList<>();
      for (SpanRecord.Link l : s.links()) {
        links.add(List.of(l.traceId(), l.spanId(), l.traceState(), normalize(l.attributes())));
      }
      out.add(List.of(s.traceId(), s.spanId(), s.parentSpanId(), s.traceState(), s.name(), s.kind(),
          s.startEpochNanos(), s.endEpochNanos(), s.statusCode(), s.statusMessage(),
          normalize(s.resourceAttributes()), s.scopeName(), s.scopeVersion(), normalize(s.attributes()), events, links,
          s.flags()));
    }
    return out;
  }

  private static Object normalize(Object v) {
    if (v instanceof byte[] b) {
      List<Byte> l = new ArrayList<>();
      for (byte x : b) {
        l.add(x);
      }
      return List.of("bytes", l);
    }
    if (v instanceof List<?> list) {
      List<Object> l = new ArrayList<>();
      list.forEach(x -> l.add(normalize(x)));
      return l;
    }
    if (v instanceof Map<?, ?> map) {
      // entry order matters (insertion order is part of the contract): compare as a list of pairs
      List<Object> l = new ArrayList<>();
      map.forEach((k, x) -> l.add(List.of(k, normalize(x))));
      return l;
    }
    return v;
  }

  // ---- random requests ----

  private ExportTraceServiceRequest randomRequest() {
    ExportTraceServiceRequest.Builder req = ExportTraceServiceRequest.newBuilder();
    for (int r = random.nextInt(3); r >= 0; r--) {
      ResourceSpans.Builder rs = ResourceSpans.newBuilder();
      if (random.nextInt(4) > 0) {
        Resource.Builder res = Resource.newBuilder().addAttributes(kv("service.name", pick(WORDS)));
        res.addAllAttributes(attributes(0));
        rs.setResource(res);
      }
      for (int s = random.nextInt(3); s >= 0; s--) {
        ScopeSpans.Builder ss = ScopeSpans.newBuilder();
        if (random.nextBoolean()) {
          ss.setScope(InstrumentationScope.newBuilder().setName(pick(WORDS)).setVersion(pick(WORDS)));
        }
        ByteString trace = id(16);
        for (int i = random.nextInt(4); i >= 0; i--) {
          ss.addSpans(span(random.nextInt(3) == 0 ? id(16) : trace));
        }
        rs.addScopeSpans(ss);
      }
      req.addResourceSpans(rs);
    }
    return req.build();
  }

  private Span span(ByteString trace) {
    Span.Builder s = Span.newBuilder().setTraceId(trace).setSpanId(id(8)).setName(pick(WORDS))
        .setStartTimeUnixNano(time()).setKindValue(random.nextInt(8) - 1).addAllAttributes(attributes(0));
    s.setEndTimeUnixNano(random.nextInt(8) == 0 ? time() : s.getStartTimeUnixNano() + random.nextInt(1000));
    if (random.nextBoolean()) {
      s.setParentSpanId(id(8));
    }
    if (random.nextInt(4) == 0) {
      s.setTraceState(pick(WORDS));
    }
    if (random.nextInt(3) == 0) {
      s.setStatus(Status.newBuilder().setCodeValue(random.nextInt(4)).setMessage(pick(WORDS)));
    }
    if (random.nextInt(4) == 0) {
      s.setFlags(random.nextInt());
    }
    for (int i = random.nextInt(3) - 1; i > 0; i--) {
      s.addEvents(Span.Event.newBuilder().setTimeUnixNano(time()).setName(pick(WORDS))
          .addAllAttributes(attributes(1)));
    }
    for (int i = random.nextInt(3) - 1; i > 0; i--) {
      s.addLinks(Span.Link.newBuilder().setTraceId(id(16)).setSpanId(id(8)).setTraceState(pick(WORDS))
          .addAllAttributes(attributes(1)).setFlags(random.nextInt(4)));
    }
    return s.build();
  }

  private List<KeyValue> attributes(int depth) {
    List<KeyValue> out = new ArrayList<>();
    for (int i = random.nextInt(6); i > 0; i--) {
      out.add(KeyValue.newBuilder().setKey(pick(WORDS)).setValue(value(depth)).build());
    }
    return out;
  }

  private AnyValue value(int depth) {
    AnyValue.Builder v = AnyValue.newBuilder();
    switch (random.nextInt(depth > 2 ? 5 : 8)) {
      case 0 -> v.setStringValue(pick(WORDS));
      case 1 -> v.setBoolValue(random.nextBoolean());
      case 2 -> v.setIntValue(random.nextInt(3) == 0 ? random.nextLong() : random.nextInt(1000));
      case 3 -> v.setDoubleValue(random.nextInt(5) == 0 ? Double.NaN : random.nextGaussian());
      case 4 -> { } // unset
      case 5 -> v.setBytesValue(bytes(random.nextInt(5)));
      case 6 -> {
        ArrayValue.Builder a = ArrayValue.newBuilder();
        for (int i = random.nextInt(4); i > 0; i--) {
          a.addValues(value(depth + 1));
        }
        v.setArrayValue(a);
      }
      default -> v.setKvlistValue(KeyValueList.newBuilder().addAllValues(attributes(depth + 1)));
    }
    return v.build();
  }

  private ByteString id(int n) {
    return switch (random.nextInt(12)) {
      case 0 -> bytes(random.nextInt(20)); // often the wrong length
      case 1 -> ByteString.copyFrom(new byte[n]); // all zeros
      default -> bytes(n);
    };
  }

  private ByteString bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return ByteString.copyFrom(b);
  }

  private long time() {
    return switch (random.nextInt(8)) {
      case 0 -> 0;
      case 1 -> -5;
      default -> 1_700_000_000_000_000_000L + random.nextInt(1_000_000);
    };
  }

  private String pick(String[] words) {
    return words[random.nextInt(words.length)];
  }

  private static byte[] keyValue(String key, AnyValue... values) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    o.writeString(1, key);
    for (AnyValue v : values) {
      o.writeMessage(2, v);
    }
    o.flush();
    return out.toByteArray();
  }
}
