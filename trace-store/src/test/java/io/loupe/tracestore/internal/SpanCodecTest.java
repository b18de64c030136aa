package io.loupe.tracestore.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.InvalidInputException;
import io.loupe.model.SpanRecord;
import io.loupe.tracestore.Spans;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpanCodecTest {
  @Test
  void roundTripsEveryField() {
    String trace = Spans.randomTraceId();
    SpanRecord full = Spans.fullSpan(trace);
    SpanRecord root = new SpanRecord(trace, Spans.randomSpanId(), "", null, "", SpanRecord.Kind.UNSPECIFIED, 0, 0,
        SpanRecord.StatusCode.OK, null, null, null, null, null, null, null, 0);
    Map<String, List<SpanRecord>> traces = new LinkedHashMap<>();
    traces.put(trace, List.of(full, root));

    byte[] payload = SpanCodec.encode("tenant-a", 1234L, traces);
    List<SpanRecord> back = SpanCodec.decode(payload, "tenant-a", TraceIds.fromHex(trace, 16, "t"));

    assertThat(back).hasSize(2);
    assertThat(Spans.comparable(back.get(0))).isEqualTo(Spans.comparable(full));
    assertThat(Spans.comparable(back.get(1))).isEqualTo(Spans.comparable(root));
    assertThat(back.get(0).attributes().get("bytes")).isInstanceOf(byte[].class);
    assertThat(new ArrayList<>(back.get(0).attributes().keySet()))
        .containsExactlyElementsOf(full.attributes().keySet());
  }

  @Test
  void headerCarriesTenantTimesAndTraceDirectory() {
    String t1 = Spans.randomTraceId();
    String t2 = Spans.randomTraceId();
    Map<String, List<SpanRecord>> traces = new LinkedHashMap<>();
    traces.put(t1, List.of(Spans.span(t1, "a", "x", 100), Spans.span(t1, "a", "y", 50)));
    traces.put(t2, List.of(Spans.span(t2, "b", "z", 200)));

    SpanCodec.Header h = SpanCodec.header(SpanCodec.encode("t", 99, traces));

    assertThat(h.tenant()).isEqualTo("t");
    assertThat(h.writtenAtMs()).isEqualTo(99);
    assertThat(h.minStartNanos()).isEqualTo(50);
    assertThat(h.maxEndNanos()).isEqualTo(200 + 1_500_000);
    assertThat(h.spanCounts()).containsExactly(2, 1);
    assertThat(TraceIds.toHex(h.traceIds()[1])).isEqualTo(t2);
  }

  @Test
  void decodesOnlyTheTraceAskedForAndOnlyForItsTenant() {
    String t1 = Spans.randomTraceId();
    String t2 = Spans.randomTraceId();
    Map<String, List<SpanRecord>> traces = new LinkedHashMap<>();
    for (int i = 0; i < 50; i++) { // large enough to be compressed
      traces.computeIfAbsent(i % 2 == 0 ? t1 : t2, k -> new ArrayList<>())
          .add(Spans.span(i % 2 == 0 ? t1 : t2, "svc", "op" + i, i));
    }
    byte[] payload = SpanCodec.encode("a", 1, traces);
    assertThat(payload[1]).isEqualTo((byte) SpanCodec.CODEC_LZ4);

    assertThat(SpanCodec.decode(payload, "a", TraceIds.fromHex(t2, 16, "t")))
        .hasSize(25).allMatch(s -> s.traceId().equals(t2));
    assertThat(SpanCodec.decode(payload, "b", TraceIds.fromHex(t2, 16, "t"))).isEmpty();
    assertThat(SpanCodec.decode(payload, "a", null)).hasSize(50);
  }

  @Test
  void sharesResourcesAndStringsAcrossSpans() {
    String t = Spans.randomTraceId();
    List<SpanRecord> many = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      many.add(Spans.span(t, "svc", "op", 1_700_000_000_000_000_000L + i * 1000L));
    }
    byte[] payload = SpanCodec.encode("a", 1, Map.of(t, many));
    // A span is ids, a few varints and dictionary refs; compression removes most of the rest.
    assertThat(payload.length / 1000.0).isLessThan(20);
  }

  private static SpanRecord child(SpanRecord s, String parent, long start) {
    return new SpanRecord(s.traceId(), s.spanId(), parent, s.traceState(), s.name(), s.kind(), start,
        start + 1000, s.statusCode(), s.statusMessage(), s.resourceAttributes(), s.scopeName(), s.scopeVersion(),
        s.attributes(), s.events(), s.links(), s.flags());
  }

  /** A tree of {@code n} spans (each span's parent one of the earlier ones), listed leaves first as SDKs export. */
  private static List<SpanRecord> tree(String t, int n, java.util.Random r) {
    List<SpanRecord> spans = new ArrayList<>();
    long start = 1_800_000_000_000_000_000L;
    for (int i = 0; i < n; i++) {
      SpanRecord s = Spans.span(t, "svc", "op" + i % 7, start);
      spans.add(i == 0 ? s : child(s, spans.get(r.nextInt(i)).spanId(), start + r.nextInt(5_000_000)));
    }
    java.util.Collections.reverse(spans);
    return spans;
  }

  @Test
  void parentsAndStartsWithinATraceRoundTripWhicheverWayTheyPoint() {
    java.util.Random r = new java.util.Random(7);
    String t1 = Spans.randomTraceId();
    String t2 = Spans.randomTraceId();
    String t3 = Spans.randomTraceId();
    List<SpanRecord> small = tree(t1, 6, r); // parents after their children: resolved once the trace is read
    List<SpanRecord> large = tree(t2, 300, r); // past the linear scan: a table finds the parents
    String outside = Spans.randomSpanId();
    SpanRecord a = Spans.span(t3, "svc", "a", 1_800_000_000_500_000_000L);
    List<SpanRecord> mixed = List.of(
        child(a, outside, a.startEpochNanos()), // a parent in no span of the record: written as its id
        child(Spans.span(t3, "svc", "self", 0), "", 1_800_000_000_000_000_000L), // older than the span before it
        child(a, a.spanId(), a.startEpochNanos() + 5), // a duplicate id whose parent is the first of that id
        child(Spans.span(t3, "svc", "c", 0), a.spanId(), Long.MAX_VALUE / 2)); // far from its neighbours
    Map<String, List<SpanRecord>> traces = new LinkedHashMap<>();
    traces.put(t1, small);
    traces.put(t2, large);
    traces.put(t3, mixed);
    byte[] payload = SpanCodec.encode("a", 1, traces);

    assertThat(SpanCodec.decode(payload, "a", TraceIds.fromHex(t1, 16, "t"))).containsExactlyElementsOf(small);
    assertThat(SpanCodec.decode(payload, "a", TraceIds.fromHex(t2, 16, "t"))).containsExactlyElementsOf(large);
    assertThat(SpanCodec.decode(payload, "a", TraceIds.fromHex(t3, 16, "t"))).containsExactlyElementsOf(mixed);
    SpanCodec.Parsed p = SpanCodec.parse(payload);
    assertThat(p.spansToCheck(0)).extracting(SpanRecord::parentSpanId)
        .containsExactlyElementsOf(small.stream().map(SpanRecord::parentSpanId).toList());
  }

  @Test
  void aParentWithinTheTraceCostsAnIndexNotAnId() {
    java.util.Random r = new java.util.Random(11);
    String t = Spans.randomTraceId();
    List<SpanRecord> spans = tree(t, 6, r);
    List<SpanRecord> orphans = new ArrayList<>();
    for (SpanRecord s : spans) { // the same tree, with parents in other records
      orphans.add(s.parentSpanId().isEmpty() ? s : child(s, Spans.randomSpanId(), s.startEpochNanos()));
    }
    int within = SpanCodec.encode("a", 1, Map.of(t, spans)).length;
    int elsewhere = SpanCodec.encode("a", 1, Map.of(t, orphans)).length;
    assertThat(elsewhere - within).isGreaterThanOrEqualTo(5 * 7); // 5 parents: 8 bytes each became 1
  }

  @Test
  void aParentIndexPastTheTraceIsACorruption() {
    String t = Spans.randomTraceId();
    SpanRecord root = Spans.span(t, "svc", "root", 1);
    SpanRecord kid = child(Spans.span(t, "svc", "kid", 1), root.spanId(), 2);
    byte[] payload = SpanCodec.encode("a", 1, Map.of(t, List.of(kid, root)));
    assertThat(payload[1]).as("a body this small is stored raw").isEqualTo((byte) 0);
    // The kid's parent index (1) is the byte after its span id and bits byte, at the start of the trace's spans.
    SpanCodec.Header h = SpanCodec.header(payload);
    byte[] kidId = TraceIds.fromHex(kid.spanId(), 8, "s");
    int at = indexOf(payload, kidId) + 8;
    assertThat(payload[at] & SpanCodec.BIT_PARENT_INDEX).isNotZero();
    assertThat(payload[at + 1]).isEqualTo((byte) 1);
    payload[at + 1] = 2; // the trace has 2 spans
    assertThat(h.spanCount()).isEqualTo(2);
    assertThatThrownBy(() -> SpanCodec.decode(payload, "a", null)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("parent index 2");
  }

  private static int indexOf(byte[] in, byte[] what) {
    outer:
    for (int i = 0; i + what.length <= in.length; i++) {
      for (int k = 0; k < what.length; k++) {
        if (in[i + k] != what[k]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }

  @Test
  void rejectsUnsupportedAttributeTypes() {
    String t = Spans.randomTraceId();
    SpanRecord s = Spans.span(t, "svc", "op", 1);
    Map<String, Object> attrs = new LinkedHashMap<>(s.attributes());
    attrs.put("when", java.time.Instant.EPOCH);
    SpanRecord bad = new SpanRecord(t, s.spanId(), "", "", "op", s.kind(), 1, 2, s.statusCode(), "", Map.of(), "", "",
        attrs, List.of(), List.of(), 0);
    assertThatThrownBy(() -> SpanCodec.encode("a", 1, Map.of(t, List.of(bad))))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("'when'").hasMessageContaining("Instant");
  }

  @Test
  void corruptBodiesFailWithPositionNotGarbage() {
    String t = Spans.randomTraceId();
    byte[] payload = SpanCodec.encode("a", 1, Map.of(t, List.of(Spans.span(t, "svc", "op", 1))));
    byte[] cut = java.util.Arrays.copyOf(payload, payload.length - 5);
    assertThatThrownBy(() -> SpanCodec.decode(cut, "a", null)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void spansToCheckAnswerAttributeLookupsFromTheEncodedBytes() {
    String t1 = Spans.randomTraceId();
    String t2 = Spans.randomTraceId();
    SpanRecord full = Spans.fullSpan(t2);
    Map<String, List<SpanRecord>> traces = new LinkedHashMap<>();
    traces.put(t1, List.of(Spans.span(t1, "a", "x", 100)));
    traces.put(t2, List.of(full, Spans.span(t2, "b", "y", 50)));
    SpanCodec.Parsed p = SpanCodec.parse(SpanCodec.encode("t", 1, traces));

    for (int i = 0; i < 2; i++) {
      List<SpanRecord> eager = p.spans(i);
      List<SpanRecord> lazy = p.spansToCheck(i);
      assertThat(lazy).hasSameSizeAs(eager);
      for (int k = 0; k < eager.size(); k++) {
        Map<String, Object> e = eager.get(k).attributes();
        Map<String, Object> l = p.spansToCheck(i).get(k).attributes(); // fresh: nothing decoded yet
        Map<String, Object> byGet = new LinkedHashMap<>();
        for (String key : e.keySet()) {
          assertThat(l.containsKey(key)).as(key).isTrue();
          byGet.put(key, l.get(key));
        }
        assertThat(l.containsKey("absent")).isFalse();
        assertThat(l.get("absent")).isNull();
        assertThat(l.get(42)).isNull();
        // every value found by a scan, then the whole map decoded: the same as the eager decoder's, in order
        assertThat(Spans.comparable(withAttributes(eager.get(k), byGet))).isEqualTo(Spans.comparable(eager.get(k)));
        assertThat(Spans.comparable(lazy.get(k))).isEqualTo(Spans.comparable(eager.get(k)));
        assertThat(l.size()).isEqualTo(e.size());
        assertThat(l.get("absent")).isNull(); // after decoding too
      }
    }
    assertThat(p.spansToCheck(1).get(0).attributes().get("l")).isEqualTo(-1234567890123L);
    assertThat(p.spansToCheck(1).get(0).attributes().get("inner.null")).isNull(); // nested keys are not top level
    assertThat(p.spansToCheck(1).get(0).attributes().containsKey("map")).isTrue();
  }

  private static SpanRecord withAttributes(SpanRecord s, Map<String, Object> attrs) {
    return new SpanRecord(s.traceId(), s.spanId(), s.parentSpanId(), s.traceState(), s.name(), s.kind(),
        s.startEpochNanos(), s.endEpochNanos(), s.statusCode(), s.statusMessage(), s.resourceAttributes(),
        s.scopeName(), s.scopeVersion(), attrs, s.events(), s.links(), s.flags());
  }
}
