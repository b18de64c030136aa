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
