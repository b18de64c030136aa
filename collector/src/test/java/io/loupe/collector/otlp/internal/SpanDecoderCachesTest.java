package io.loupe.collector.otlp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.loupe.collector.otlp.OtlpSpans;
import io.loupe.model.AppendResult;
import io.loupe.model.SpanRecord;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The decoder's cross-request caches: equal resources decode to one map and common strings to one instance, in
 * every decoder and thread, while what is decoded stays exactly what {@code parseFrom} + {@code toSpanRecords} gives.
 */
class SpanDecoderCachesTest {
  private final Random random = new Random(11);

  @Test
  void equalResourcesAreOneMapAcrossRequests() {
    StringCache strings = new StringCache(1024, 2048);
    ResourceCache resources = new ResourceCache(64);
    byte[] body = request(List.of(resource("checkout", "node-1"), resource("cart", "node-2")), 3).toByteArray();
    List<SpanRecord> first = decodeChecked(body, strings, resources);
    List<SpanRecord> second = decodeChecked(body, strings, resources);
    for (int i = 0; i < first.size(); i++) {
      assertThat(second.get(i).resourceAttributes()).isSameAs(first.get(i).resourceAttributes());
    }
    assertThat(first.get(0).resourceAttributes()).isNotSameAs(first.get(3).resourceAttributes());
    assertThat(resources.size()).isEqualTo(2);
    // the cached map's hash is the content hash, as a fresh map's would be
    Map<String, Object> m = second.get(0).resourceAttributes();
    assertThat(m.hashCode()).isEqualTo(new java.util.HashMap<>(m).hashCode());
  }

  @Test
  void aResourceThatDiffersInOneByteIsAnotherMap() {
    StringCache strings = new StringCache(1024, 2048);
    ResourceCache resources = new ResourceCache(64);
    List<SpanRecord> a = decodeChecked(request(List.of(resource("svc", "host-1")), 1).toByteArray(), strings,
        resources);
    List<SpanRecord> b = decodeChecked(request(List.of(resource("svc", "host-2")), 1).toByteArray(), strings,
        resources);
    assertThat(a.get(0).resourceAttributes()).isNotSameAs(b.get(0).resourceAttributes());
    assertThat(a.get(0).resourceAttributes().get("host.name")).isEqualTo("host-1");
    assertThat(b.get(0).resourceAttributes().get("host.name")).isEqualTo("host-2");
    // the same attributes in another order are other bytes: an equal map, not the same one, in its own order
    Resource reordered = Resource.newBuilder().addAttributes(kv("host.name", "host-1"))
        .addAttributes(kv("service.name", "svc")).addAttributes(kv("service.namespace", "shop")).build();
    List<SpanRecord> c = decodeChecked(request(List.of(reordered), 1).toByteArray(), strings, resources);
    assertThat(c.get(0).resourceAttributes()).isEqualTo(a.get(0).resourceAttributes())
        .isNotSameAs(a.get(0).resourceAttributes());
    assertThat(List.copyOf(c.get(0).resourceAttributes().keySet()))
        .containsExactly("host.name", "service.name", "service.namespace");
  }

  @Test
  void resourcesThatCannotBeSharedSafelyOrAreMergedAreDecodedEachTime() {
    StringCache strings = new StringCache(1024, 2048);
    ResourceCache resources = new ResourceCache(64);
    Resource withBytes = Resource.newBuilder().addAttributes(kv("service.name", "svc"))
        .addAttributes(KeyValue.newBuilder().setKey("raw")
            .setValue(AnyValue.newBuilder().setBytesValue(ByteString.copyFromUtf8("xyz")))).build();
    Resource withArray = Resource.newBuilder().addAttributes(kv("service.name", "svc"))
        .addAttributes(KeyValue.newBuilder().setKey("list").setValue(AnyValue.newBuilder()
            .setArrayValue(ArrayValue.newBuilder().addValues(AnyValue.newBuilder().setIntValue(1))))).build();
    StringBuilder big = new StringBuilder();
    while (big.length() <= ResourceCache.MAX_BYTES) {
      big.append("0123456789");
    }
    Resource tooBig = Resource.newBuilder().addAttributes(kv("service.name", "svc"))
        .addAttributes(kv("big", big.toString())).build();
    for (Resource r : List.of(withBytes, withArray, tooBig)) {
      byte[] body = request(List.of(r), 1).toByteArray();
      Map<String, Object> first = decodeChecked(body, strings, resources).get(0).resourceAttributes();
      Map<String, Object> second = decodeChecked(body, strings, resources).get(0).resourceAttributes();
      assertThat(second).isNotSameAs(first);
    }
    assertThat(resources.size()).isZero();

    // a resource field twice in one ResourceSpans: protobuf merges the two messages (attributes appended)
    byte[] twice = concat(field(1, field(1, kv("service.name", "svc").toByteArray())),
        field(2, ScopeSpans.newBuilder().addSpans(span(0)).build().toByteArray()),
        field(1, field(1, kv("host.name", "h").toByteArray())));
    byte[] body = field(1, twice);
    Map<String, Object> merged = decodeChecked(body, strings, resources).get(0).resourceAttributes();
    assertThat(merged).containsExactly(Map.entry("service.name", "svc"), Map.entry("host.name", "h"));
    assertThat(decodeChecked(body, strings, resources).get(0).resourceAttributes()).isNotSameAs(merged);
  }

  @Test
  void theResourceCacheKeepsItsBound() {
    StringCache strings = new StringCache(1024, 2048);
    ResourceCache resources = new ResourceCache(8);
    for (int i = 0; i < 200; i++) {
      List<SpanRecord> spans = decodeChecked(request(List.of(resource("svc", "host-" + i)), 1).toByteArray(),
          strings, resources);
      assertThat(spans.get(0).resourceAttributes().get("host.name")).isEqualTo("host-" + i);
      assertThat(resources.holds(spans.get(0).resourceAttributes())).isTrue(); // the newest is always kept
    }
    assertThat(resources.size()).isEqualTo(8);
  }

  @Test
  void commonStringsAreOneInstanceFromTheSecondRequestOn() {
    StringCache strings = new StringCache(1024, 2048);
    ResourceCache resources = new ResourceCache(64);
    byte[] body = request(List.of(resource("checkout", "node-1")), 4).toByteArray();
    List<SpanRecord> r1 = decodeChecked(body, strings, resources);
    List<SpanRecord> r2 = decodeChecked(body, strings, resources);
    List<SpanRecord> r3 = decodeChecked(body, strings, resources);
    // within a request: one instance per distinct string, as before
    assertThat(r1.get(1).name()).isSameAs(r1.get(0).name());
    // the first request only makes the strings known; the second caches them; every later one shares them
    assertThat(r3.get(0).name()).isSameAs(r2.get(0).name()).isNotSameAs(r1.get(0).name());
    String key2 = r2.get(0).attributes().keySet().iterator().next();
    String key3 = r3.get(0).attributes().keySet().iterator().next();
    assertThat(key3).isSameAs(key2).isSameAs("http.route"); // the interned instance, as the literal
    assertThat(r3.get(0).resourceAttributes().keySet()).first().isSameAs(SpanRecord.SERVICE_NAME);
    assertThat(strings.contains("http.route")).isTrue();
  }

  @Test
  void nonAsciiLongAndBoundaryStringsStayExact() {
    StringCache strings = new StringCache(64, 128);
    ResourceCache resources = new ResourceCache(64);
    List<String> values = new ArrayList<>(List.of("ü-ñ", "日本", "emoji \uD83D\uDE00", "x".repeat(63),
        "x".repeat(64), "x".repeat(65), "y".repeat(200), "a", "ab", "abcdefg", "abcdefgh", "abcdefghi"));
    // same length, same first and last 8 bytes, different middle
    for (int i = 0; i < 20; i++) {
      values.add("prefix-0" + (char) ('a' + i) + "-suffix-0");
      values.add("p" + "-".repeat(i) + "q");
    }
    for (int round = 0; round < 3; round++) {
      Span.Builder s = span(round).toBuilder();
      for (int i = 0; i < values.size(); i++) {
        s.addAttributes(kv("k" + i, values.get(i)));
      }
      byte[] body = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
          .setResource(resource("svc", "h")).addScopeSpans(ScopeSpans.newBuilder().addSpans(s))).build()
          .toByteArray();
      Map<String, Object> attrs = decodeChecked(body, strings, resources).get(0).attributes();
      for (int i = 0; i < values.size(); i++) {
        assertThat(attrs.get("k" + i)).as("k%d in round %d", i, round).isEqualTo(values.get(i));
      }
    }
  }

  @Test
  void manyDecodersOnManyThreadsShareTheCachesAndDecodeExactly() throws Exception {
    StringCache strings = new StringCache(256, 512); // small: threads race for the same slots
    ResourceCache resources = new ResourceCache(256);
    List<Resource> pool = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      pool.add(resource("svc-" + (i % 3), "host-" + i));
    }
    List<byte[]> bodies = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      List<Resource> rs = new ArrayList<>();
      for (int j = 0; j < 4; j++) {
        rs.add(pool.get(random.nextInt(pool.size())));
      }
      bodies.add(request(rs, 1 + random.nextInt(5)).toByteArray());
    }
    int threads = 4;
    ExecutorService exec = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Map<Object, Object>>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int seed = t;
        results.add(exec.submit(() -> {
          Random r = new Random(seed);
          Map<Object, Object> maps = new IdentityHashMap<>();
          for (int i = 0; i < 300; i++) {
            for (SpanRecord s : decodeChecked(bodies.get(r.nextInt(bodies.size())), strings, resources)) {
              maps.put(s.resourceAttributes(), Boolean.TRUE);
            }
          }
          return maps;
        }));
      }
      int distinctMaps = 0;
      for (Future<Map<Object, Object>> f : results) {
        distinctMaps = Math.max(distinctMaps, f.get().size());
      }
      // 12 resources: a few maps each at most (threads that miss together each decode one, the last one stays),
      // against ~1,200 resource spans decoded per thread
      assertThat(distinctMaps).isBetween(12, 48);
    } finally {
      exec.shutdownNow();
    }
    // 12 resources, each in once but for the rare two threads that put the same one at the same moment
    assertThat(resources.size()).isBetween(10, 16);
    assertThat(strings.size()).isLessThanOrEqualTo(256);
  }

  @Test
  void reusedTablesForgetTheirLastRequestWhateverItsSizeOrEnd() {
    StringCache strings = new StringCache(1024, 2048);
    ResourceCache resources = new ResourceCache(64);
    byte[] small = request(List.of(resource("svc", "h")), 3).toByteArray();
    byte[] large = request(List.of(resource("svc", "h"), resource("svc", "h2")), 3_000).toByteArray(); // tables grow
    byte[] truncated = java.util.Arrays.copyOf(large, large.length / 2); // fails half way
    for (int i = 0; i < 3; i++) {
      decodeChecked(small, strings, resources);
      assertThat(decodeChecked(large, strings, resources)).hasSize(6_000);
      org.assertj.core.api.Assertions.assertThatThrownBy(
          () -> SpanDecoder.decode(truncated, new AppendResult.Builder(), strings, resources))
          .isInstanceOf(io.loupe.model.InvalidInputException.class);
      decodeChecked(small, strings, resources);
    }
  }

  // ---- helpers ----

  /** Decodes {@code body} with the given caches and checks the spans against the generated classes' reading. */
  private static List<SpanRecord> decodeChecked(byte[] body, StringCache strings, ResourceCache resources) {
    AppendResult.Builder result = new AppendResult.Builder();
    List<SpanRecord> actual = SpanDecoder.decode(body, result, strings, resources);
    List<SpanRecord> expected;
    try {
      expected = OtlpSpans.toSpanRecords(ExportTraceServiceRequest.parseFrom(body), new AppendResult.Builder());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < actual.size(); i++) {
      assertThat(normalize(actual.get(i))).isEqualTo(normalize(expected.get(i)));
    }
    return actual;
  }

  /** The span as a list, maps as lists of entries in their order and byte arrays as ByteStrings. */
  private static List<Object> normalize(SpanRecord s) {
    return java.util.Arrays.asList(s.traceId(), s.spanId(), s.parentSpanId(), s.traceState(), s.name(), s.kind(),
        s.startEpochNanos(), s.endEpochNanos(), s.statusCode(), s.statusMessage(),
        normalize(s.resourceAttributes()), s.scopeName(), s.scopeVersion(), normalize(s.attributes()),
        s.events(), s.links(), s.flags());
  }

  private static Object normalize(Object v) {
    if (v instanceof Map<?, ?> m) {
      List<Object> out = new ArrayList<>();
      m.forEach((k, x) -> out.add(List.of(k, normalize(x))));
      return out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      l.forEach(x -> out.add(normalize(x)));
      return out;
    }
    return v instanceof byte[] b ? ByteString.copyFrom(b) : v;
  }

  private ExportTraceServiceRequest request(List<Resource> resources, int spansEach) {
    ExportTraceServiceRequest.Builder req = ExportTraceServiceRequest.newBuilder();
    int n = 0;
    for (Resource r : resources) {
      ScopeSpans.Builder ss = ScopeSpans.newBuilder();
      ss.getScopeBuilder().setName("io.example").setVersion("1.0");
      for (int i = 0; i < spansEach; i++) {
        ss.addSpans(span(n++));
      }
      req.addResourceSpans(ResourceSpans.newBuilder().setResource(r).addScopeSpans(ss));
    }
    return req.build();
  }

  private Span span(int i) {
    byte[] trace = new byte[16];
    byte[] id = new byte[8];
    random.nextBytes(trace);
    random.nextBytes(id);
    trace[0] |= 1;
    id[0] |= 1;
    return Span.newBuilder().setTraceId(ByteString.copyFrom(trace)).setSpanId(ByteString.copyFrom(id))
        .setName("GET /cart").setKind(Span.SpanKind.SPAN_KIND_SERVER)
        .setStartTimeUnixNano(1_700_000_000_000_000_000L + i).setEndTimeUnixNano(1_700_000_000_000_100_000L + i)
        .addAttributes(kv("http.route", "/cart")).addAttributes(kv("http.request.method", "GET"))
        .addAttributes(kv("client.address", "10.1." + random.nextInt(256) + "." + random.nextInt(256)))
        .build();
  }

  private static Resource resource(String service, String host) {
    return Resource.newBuilder().addAttributes(kv("service.name", service))
        .addAttributes(kv("service.namespace", "shop")).addAttributes(kv("host.name", host)).build();
  }

  private static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  /** A length-delimited field {@code number} holding {@code bytes}. */
  private static byte[] field(int number, byte[] bytes) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    com.google.protobuf.CodedOutputStream c = com.google.protobuf.CodedOutputStream.newInstance(out);
    try {
      c.writeByteArray(number, bytes);
      c.flush();
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
