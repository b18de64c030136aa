package io.loupe.tracestore.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.SpanRecord;
import io.loupe.tracestore.Spans;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TraceBatchTest {
  @Test
  void groupsSpansByTraceInFirstSeenOrderAcrossInterleavedRuns() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 300; i++) { // beyond the initial table size
      ids.add(Spans.randomTraceId());
    }
    TraceBatch b = new TraceBatch();
    List<SpanRecord> sent = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (String id : ids) {
        SpanRecord s = Spans.span(id, "svc", "op" + round, round);
        sent.add(s);
        b.add(b.trace(id, TraceIds.highOfHex(id, "t"), TraceIds.parseHex64(id, 16, "t")), s);
      }
    }
    assertThat(b.size()).isEqualTo(300);
    assertThat(b.spanCount()).isEqualTo(900);
    for (int t = 0; t < 300; t++) {
      assertThat(b.hexId(t)).isEqualTo(ids.get(t));
      assertThat(TraceIds.toBytes(b.hi(t), b.lo(t))).isEqualTo(TraceIds.fromHex(ids.get(t), 16, "t"));
      assertThat(b.spans(t)).extracting(SpanRecord::name).containsExactly("op0", "op1", "op2");
    }
    assertThat(b.allSpans()).hasSize(900);
    assertThat(b.allSpans().get(0)).isSameAs(sent.get(0));
    assertThat(b.allSpans().get(1)).isSameAs(sent.get(300)); // trace 0's second span
    assertThat(b.allSpans().get(899)).isSameAs(sent.get(899));
    assertThat(b.allSpans().get(3)).isSameAs(sent.get(1)); // going back after a later index
  }

  @Test
  void truncateAndCompactDropRefusedSpansAndEmptyTraces() {
    TraceBatch b = new TraceBatch();
    String[] ids = {Spans.randomTraceId(), Spans.randomTraceId(), Spans.randomTraceId()};
    for (String id : ids) {
      int t = b.trace(id, TraceIds.highOfHex(id, "t"), TraceIds.parseHex64(id, 16, "t"));
      for (int i = 0; i < 4; i++) {
        b.add(t, Spans.span(id, "svc", "op" + i, i));
      }
    }
    b.truncate(0, 0);
    b.truncate(1, 2);
    b.compact();
    assertThat(b.size()).isEqualTo(2);
    assertThat(b.spanCount()).isEqualTo(6);
    assertThat(b.hexId(0)).isEqualTo(ids[1]);
    assertThat(b.spans(0)).extracting(SpanRecord::name).containsExactly("op0", "op1");
    // the table follows the compaction: the same id finds the same trace
    assertThat(b.trace(ids[2], TraceIds.highOfHex(ids[2], "t"), TraceIds.parseHex64(ids[2], 16, "t"))).isEqualTo(1);
    assertThat(b.trace(ids[0], TraceIds.highOfHex(ids[0], "t"), TraceIds.parseHex64(ids[0], 16, "t"))).isEqualTo(2);
  }

  @Test
  void splitsTracesInHalvesOrOneTracesSpans() {
    TraceBatch one = new TraceBatch();
    String id = Spans.randomTraceId();
    int t = one.trace(id, TraceIds.highOfHex(id, "t"), TraceIds.parseHex64(id, 16, "t"));
    one.add(t, Spans.span(id, "svc", "a", 1));
    assertThat(one.split()).containsExactly(one);
    one.add(t, Spans.span(id, "svc", "b", 2));
    one.add(t, Spans.span(id, "svc", "c", 3));
    List<TraceBatch> halves = one.split();
    assertThat(halves).hasSize(2);
    assertThat(halves.get(0).spans(0)).extracting(SpanRecord::name).containsExactly("a");
    assertThat(halves.get(1).spans(0)).extracting(SpanRecord::name).containsExactly("b", "c");

    TraceBatch many = new TraceBatch();
    for (int i = 0; i < 5; i++) {
      String x = Spans.randomTraceId();
      many.add(many.trace(x, TraceIds.highOfHex(x, "t"), TraceIds.parseHex64(x, 16, "t")), Spans.span(x, "s", "n", i));
    }
    halves = many.split();
    assertThat(halves.get(0).size()).isEqualTo(2);
    assertThat(halves.get(1).size()).isEqualTo(3);
    assertThat(halves.get(1).hexId(2)).isEqualTo(many.hexId(4));
  }
}
