package io.loupe.tracestore.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.InvalidInputException;
import io.loupe.model.SpanRecord;
import io.loupe.tracestore.Spans;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The per-shard encoder: what it carries from record to record must never change what a record holds. */
class SpanEncoderTest {
  private final Random rnd = new Random(7);

  @Test
  void aReusedEncoderWritesTheSameBytesAsAFreshOne() {
    SpanCodec.Encoder reused = new SpanCodec.Encoder();
    List<Map<String, Object>> resources = resources(6);
    for (int round = 0; round < 20; round++) {
      TraceBatch batch = batch(resources, 1 + rnd.nextInt(40));
      reused.encode("t", round, batch);
      SpanCodec.Encoder fresh = new SpanCodec.Encoder();
      fresh.encode("t", round, batch);
      assertThat(reused.payload()).as("round " + round).isEqualTo(fresh.payload());
      assertThat(reused.header().traceIds()).isDeepEqualTo(fresh.header().traceIds());
    }
  }

  @Test
  void theFrameCarriesLengthAndChecksumOfThePayload() {
    SpanCodec.Encoder e = new SpanCodec.Encoder();
    e.encode("t", 1, batch(resources(3), 30));
    ByteBuffer frame = e.frame();
    byte[] payload = e.payload();
    assertThat(frame.remaining()).isEqualTo(SegmentReader.FRAME_HEADER + payload.length);
    assertThat(frame.getInt(0)).isEqualTo(payload.length).isEqualTo(e.payloadLength());
    CRC32C crc = new CRC32C();
    crc.update(payload);
    assertThat(frame.getInt(4)).isEqualTo((int) crc.getValue());
    SpanCodec.Header parsed = SpanCodec.header(payload);
    assertThat(parsed.traceIds()).isDeepEqualTo(e.header().traceIds());
    assertThat(parsed.spanCounts()).containsExactly(e.header().spanCounts());
    assertThat(parsed.minStartNanos()).isEqualTo(e.header().minStartNanos());
    assertThat(parsed.maxEndNanos()).isEqualTo(e.header().maxEndNanos());
    assertThat(parsed.tenant()).isEqualTo("t");
  }

  @Test
  void aResourceMapChangedBetweenRecordsIsEncodedAsItIsNow() {
    SpanCodec.Encoder e = new SpanCodec.Encoder();
    Map<String, Object> res = new LinkedHashMap<>();
    res.put("service.name", "a");
    res.put("host.name", "h1");
    String t = Spans.randomTraceId();
    e.encode("t", 1, TraceBatch.of(Map.of(t, List.of(span(t, res)))));
    assertThat(SpanCodec.decode(e.payload(), "t", null).get(0).resourceAttributes())
        .containsExactly(Map.entry("service.name", "a"), Map.entry("host.name", "h1"));

    res.put("host.name", "h2"); // the same map, reused by a caller and changed
    res.put("extra", 5L);
    e.encode("t", 2, TraceBatch.of(Map.of(t, List.of(span(t, res)))));
    assertThat(SpanCodec.decode(e.payload(), "t", null).get(0).resourceAttributes())
        .containsExactly(Map.entry("service.name", "a"), Map.entry("host.name", "h2"), Map.entry("extra", 5L));

    res.put("nested", List.of("x", "y")); // not a scalar: compared as a map from now on
    e.encode("t", 3, TraceBatch.of(Map.of(t, List.of(span(t, res)))));
    assertThat(SpanCodec.decode(e.payload(), "t", null).get(0).resourceAttributes()).containsEntry("nested",
        List.of("x", "y"));
    res.remove("nested");
    res.put("service.name", "b");
    e.encode("t", 4, TraceBatch.of(Map.of(t, List.of(span(t, res)))));
    assertThat(SpanCodec.decode(e.payload(), "t", null).get(0).resourceAttributes())
        .containsExactly(Map.entry("service.name", "b"), Map.entry("host.name", "h2"), Map.entry("extra", 5L));
  }

  @Test
  void equalResourcesInDifferentMapsShareOneEntryAndScopesKeepThemApart() {
    String t = Spans.randomTraceId();
    Map<String, Object> a = new LinkedHashMap<>(Map.of("service.name", "svc"));
    Map<String, Object> b = new LinkedHashMap<>(Map.of("service.name", "svc"));
    SpanRecord s1 = span(t, a);
    SpanRecord s2 = span(t, b);
    SpanRecord s3 = new SpanRecord(t, Spans.randomSpanId(), "", "", "op", SpanRecord.Kind.SERVER, 1, 2,
        SpanRecord.StatusCode.UNSET, "", b, "other-scope", "2", Map.of(), List.of(), List.of(), 0);
    SpanCodec.Encoder e = new SpanCodec.Encoder();
    e.encode("t", 1, TraceBatch.of(Map.of(t, List.of(s1, s2, s3))));
    List<SpanRecord> back = SpanCodec.decode(e.payload(), "t", null);
    assertThat(back.get(0).resourceAttributes()).isSameAs(back.get(1).resourceAttributes()); // one entry
    assertThat(back.get(2).scopeName()).isEqualTo("other-scope");
    assertThat(back.get(2).scopeVersion()).isEqualTo("2");
    assertThat(back.get(0).scopeName()).isEqualTo("scope");
  }

  @Test
  void decodesWhatItEncodedOverManyRecords() {
    SpanCodec.Encoder e = new SpanCodec.Encoder();
    List<Map<String, Object>> resources = resources(5);
    for (int round = 0; round < 10; round++) {
      TraceBatch batch = batch(resources, 25);
      e.encode("tenant", round, batch);
      List<SpanRecord> back = SpanCodec.decode(e.payload(), "tenant", null);
      List<SpanRecord> sent = batch.allSpans();
      assertThat(back).hasSize(sent.size());
      for (int i = 0; i < sent.size(); i++) {
        assertThat(Spans.comparable(back.get(i))).isEqualTo(Spans.comparable(sent.get(i)));
      }
    }
  }

  @Test
  void badIdsAndValuesAreRefusedAndTheEncoderStaysUsable() {
    SpanCodec.Encoder e = new SpanCodec.Encoder();
    String t = Spans.randomTraceId();
    Map<String, Object> attrs = new LinkedHashMap<>();
    attrs.put("when", java.time.Instant.EPOCH);
    SpanRecord bad = new SpanRecord(t, Spans.randomSpanId(), "", "", "op", SpanRecord.Kind.SERVER, 1, 2,
        SpanRecord.StatusCode.UNSET, "", Map.of(), "", "", attrs, List.of(), List.of(), 0);
    assertThatThrownBy(() -> e.encode("t", 1, TraceBatch.of(Map.of(t, List.of(bad)))))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("'when'");
    TraceBatch good = batch(resources(2), 3);
    e.encode("t", 2, good);
    SpanCodec.Encoder fresh = new SpanCodec.Encoder();
    fresh.encode("t", 2, good);
    assertThat(e.payload()).isEqualTo(fresh.payload());
  }

  @Test
  void hexIdsAreWrittenAsBytesAndCheckedOnTheWay() {
    ByteSink sink = new ByteSink(4);
    sink.writeHex("00ff10a9b8c7d6e5", 8, "spanId");
    assertThat(sink.toByteArray()).isEqualTo(TraceIds.fromHex("00ff10a9b8c7d6e5", 8, "x"));
    assertThatThrownBy(() -> sink.writeHex("00ff10a9b8c7d6eG", 8, "spanId"))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("spanId");
    assertThatThrownBy(() -> sink.writeHex("00FF10a9b8c7d6e5", 8, "spanId")).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> sink.writeHex("00ff", 8, "spanId")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("expected: 16");
    String id = "0123456789abcdeffedcba9876543210";
    assertThat(TraceIds.highOfHex(id, "t")).isEqualTo(TraceIds.high(TraceIds.fromHex(id, 16, "t")));
    assertThat(TraceIds.parseHex64(id, 16, "t")).isEqualTo(TraceIds.low(TraceIds.fromHex(id, 16, "t")));
    assertThat(TraceIds.toBytes(TraceIds.highOfHex(id, "t"), TraceIds.parseHex64(id, 16, "t")))
        .isEqualTo(TraceIds.fromHex(id, 16, "t"));
    assertThatThrownBy(() -> TraceIds.parseHex64("0123456789abcdeg", 0, "t")).isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> TraceIds.highOfHex("0123", "t")).isInstanceOf(InvalidInputException.class);
  }

  @Test
  void stringsAreWrittenAsUtf8WhetherAsciiOrNot() {
    for (String s : List.of("", "plain", "é", "日本", "a\u007f", "x".repeat(127), "y".repeat(128), "z".repeat(126) + "é",
        "\uD83D\uDE00")) {
      ByteSink sink = new ByteSink(1);
      sink.writeByte(9);
      sink.writeString(s);
      ByteSource in = new ByteSource(sink.toByteArray());
      assertThat(in.readByte()).isEqualTo(9);
      assertThat(in.readString()).isEqualTo(s);
      assertThat(in.remaining()).isZero();
    }
  }

  private List<Map<String, Object>> resources(int n) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("service.name", "svc-" + i % 3);
      m.put("host.name", "host-" + i);
      m.put("pid", (long) i);
      out.add(m);
    }
    return out;
  }

  private TraceBatch batch(List<Map<String, Object>> resources, int traces) {
    TraceBatch b = new TraceBatch();
    for (int t = 0; t < traces; t++) {
      String id = Spans.randomTraceId();
      int trace = b.trace(id, TraceIds.highOfHex(id, "t"), TraceIds.parseHex64(id, 16, "t"));
      int spans = 1 + rnd.nextInt(8);
      for (int i = 0; i < spans; i++) {
        Map<String, Object> attrs = new LinkedHashMap<>();
        attrs.put("http.route", "/r/" + rnd.nextInt(5));
        attrs.put("n", (long) rnd.nextInt(100));
        if (rnd.nextInt(4) == 0) {
          attrs.put("list", List.of(1L, "two"));
        }
        b.add(trace, new SpanRecord(id, Spans.randomSpanId(), i == 0 ? "" : Spans.randomSpanId(), "", "op-" + i,
            SpanRecord.Kind.values()[i % 6], 1_700_000_000_000_000_000L + rnd.nextInt(1_000_000),
            1_700_000_000_002_000_000L, SpanRecord.StatusCode.values()[i % 3], i % 3 == 2 ? "boom" : "",
            resources.get(rnd.nextInt(resources.size())), "scope", "1.0", attrs, List.of(), List.of(), 1));
      }
    }
    return b;
  }

  private static SpanRecord span(String t, Map<String, Object> resource) {
    return new SpanRecord(t, Spans.randomSpanId(), "", "", "op", SpanRecord.Kind.SERVER, 1, 2,
        SpanRecord.StatusCode.UNSET, "", resource, "scope", "1", Map.of(), List.of(), List.of(), 0);
  }

  @Test
  void aSmallRecordAfterAHugeOneIsFramedWhole() {
    SpanCodec.Encoder e = new SpanCodec.Encoder();
    String t = Spans.randomTraceId();
    List<SpanRecord> big = new ArrayList<>();
    for (int i = 0; i < 3; i++) { // ~6 MiB of incompressible bytes: past what the encoder keeps between records
      byte[] noise = new byte[2 << 20];
      rnd.nextBytes(noise);
      big.add(new SpanRecord(t, Spans.randomSpanId(), "", "", "op", SpanRecord.Kind.SERVER, 1, 2,
          SpanRecord.StatusCode.UNSET, "", Map.of(), "", "", Map.of("blob", noise), List.of(), List.of(), 0));
    }
    e.encode("t", 1, TraceBatch.of(Map.of(t, big)));
    assertThat(e.frame().remaining()).isGreaterThan(6 << 20);
    for (int round = 0; round < 2; round++) {
      TraceBatch small = batch(resources(2), 3);
      e.encode("t", 2, small);
      ByteBuffer frame = e.frame();
      byte[] payload = e.payload();
      assertThat(frame.remaining()).isEqualTo(SegmentReader.FRAME_HEADER + payload.length);
      assertThat(SpanCodec.decode(payload, "t", null)).hasSize(small.spanCount());
      SpanCodec.Encoder fresh = new SpanCodec.Encoder();
      fresh.encode("t", 2, small);
      assertThat(payload).isEqualTo(fresh.payload());
    }
  }
}
