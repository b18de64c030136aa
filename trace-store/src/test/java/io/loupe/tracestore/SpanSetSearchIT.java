package io.loupe.tracestore;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.AttributeCondition;
import io.loupe.model.CompareOp;
import io.loupe.model.SpanFilter;
import io.loupe.model.SpanRecord;
import io.loupe.model.TagScope;
import io.loupe.model.Tenant;
import io.loupe.model.TraceQuery;
import io.loupe.model.TraceSummary;
import io.loupe.tracestore.internal.SpanFilters;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code { a } && { b }} searches against a brute-force check of every trace: with the pre-filter's Bloom filter,
 * span attributes left encoded, traces split across records and segments, time ranges cutting traces, and limits
 * from 1 to all.
 */
class SpanSetSearchIT {
  static final Tenant T = new Tenant("t");
  static final long T0 = 1_800_000_000_000_000_000L;
  static final long MS = 1_000_000L;
  static final String[] SERVICES = {"gateway", "auth", "stream-processor", "cassandra-store", "redis"};

  @TempDir Path dir;

  @Test
  void spanSetSearchesReturnExactlyWhatCheckingEveryTraceReturns() throws Exception {
    Random r = new Random(11);
    Map<String, List<SpanRecord>> all = new LinkedHashMap<>();
    MutableClock clock = new MutableClock(Instant.parse("2026-11-28T00:00:00Z"));
    try (TraceStore store = TraceStore.open(TraceStoreOptions.defaults(dir).withShards(2)
        .withFsync(FsyncPolicy.every(java.time.Duration.ofSeconds(1))),
        new SimpleMeterRegistry(), clock)) {
      List<SpanRecord> batch = new ArrayList<>();
      List<SpanRecord> late = new ArrayList<>(); // second halves of split traces, written later
      for (int t = 0; t < 1500; t++) {
        String id = Spans.randomTraceId();
        long start = T0 + t * 40 * MS;
        int n = 1 + r.nextInt(8);
        List<SpanRecord> spans = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          spans.add(span(r, id, start + r.nextInt(500) * MS));
        }
        all.put(id, spans);
        if (n > 1 && r.nextInt(5) == 0) {
          batch.addAll(spans.subList(0, n / 2));
          late.addAll(spans.subList(n / 2, n));
        } else {
          batch.addAll(spans);
        }
        if (batch.size() > 60) {
          store.write(T, batch);
          batch.clear();
        }
        if (t % 400 == 399) {
          store.write(T, late); // later records, some in the next segment
          late.clear();
          store.roll();
        }
      }
      store.write(T, batch);
      store.write(T, late);

      SpanFilter producer = new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.KIND, CompareOp.EQ, "producer");
      SpanFilter cassandraError = new SpanFilter.And(List.of(
          new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.SERVICE, CompareOp.EQ, "cassandra-store"),
          new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.STATUS, CompareOp.EQ, "error")));
      SpanFilter redis = new AttributeCondition(TagScope.SPAN, "db.system", CompareOp.EQ, "redis");
      SpanFilter slow = new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.DURATION, CompareOp.GT,
          String.valueOf(300 * MS));
      SpanFilter rareKey = new AttributeCondition(TagScope.SPAN, "key", CompareOp.EQ, "k-7");
      SpanFilter notOk = new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.STATUS, CompareOp.NE, "ok");
      List<List<SpanFilter>> sets = List.of(List.of(producer, cassandraError), List.of(redis, slow),
          List.of(slow, rareKey), List.of(cassandraError, redis, producer), List.of(notOk, rareKey));
      long end = T0 + 1500 * 40 * MS;
      int compared = 0;
      for (List<SpanFilter> f : sets) {
        for (long[] range : new long[][] {{T0, end + 1000 * MS}, {T0 + 20_000 * MS, T0 + 40_000 * MS}}) {
          for (int limit : new int[] {1, 7, 20, 10_000}) {
            TraceQuery q = TraceQuery.between(range[0], range[1], limit).withSpanFilters(f);
            List<String> got = store.search(T, q).stream().map(TraceSummary::traceId).toList();
            assertThat(got).as("%s %s..%s limit %d", f, range[0], range[1], limit)
                .containsExactlyElementsOf(bruteForce(all, q));
            compared += got.size();
          }
        }
      }
      assertThat(compared).isGreaterThan(500); // the queries find something to compare
    }
  }

  /**
   * The pre-filter collects the second span set's traces only from the segments the time range reaches: a trace whose
   * matching span lies in an older segment must still be found (and one without such a span must not).
   */
  @Test
  void aSpanSetMatchedInASegmentOutsideTheTimeRangeStillCounts() throws Exception {
    Random r = new Random(5);
    Map<String, List<SpanRecord>> all = new LinkedHashMap<>();
    MutableClock clock = new MutableClock(Instant.parse("2026-11-28T00:00:00Z"));
    try (TraceStore store = TraceStore.open(TraceStoreOptions.defaults(dir).withShards(2)
        .withFsync(FsyncPolicy.every(java.time.Duration.ofSeconds(1))),
        new SimpleMeterRegistry(), clock)) {
      List<String> stretched = new ArrayList<>();
      List<SpanRecord> early = new ArrayList<>();
      List<SpanRecord> later = new ArrayList<>();
      List<SpanRecord> lone = new ArrayList<>();
      for (int t = 0; t < 400; t++) { // traces of the first minute; 20 of them end with a span two minutes later
        String id = Spans.randomTraceId();
        long start = T0 + t * 100 * MS;
        List<SpanRecord> spans = new ArrayList<>();
        for (int i = 0; i < 1 + r.nextInt(4); i++) {
          spans.add(span(r, id, start + r.nextInt(500) * MS));
        }
        if (t % 20 == 0) {
          stretched.add(id);
          spans.add(plainProducer(span(r, id, T0 + 120_000 * MS + t * MS)));
          lone.add(spans.get(spans.size() - 1)); // written alone in its record, in the next segment
          early.addAll(spans.subList(0, spans.size() - 1));
        } else {
          early.addAll(spans);
        }
        all.put(id, spans);
      }
      store.write(T, early);
      store.roll(); // the first minute is one sealed segment per shard
      for (SpanRecord s : lone) {
        store.write(T, List.of(s));
      }
      for (int t = 0; t < 400; t++) { // traces of the third minute, in the next segments
        String id = Spans.randomTraceId();
        long start = T0 + 120_000 * MS + t * 100 * MS;
        List<SpanRecord> spans = new ArrayList<>();
        for (int i = 0; i < 1 + r.nextInt(4); i++) {
          spans.add(span(r, id, start + r.nextInt(500) * MS));
        }
        later.addAll(spans);
        all.put(id, spans);
      }
      // Small records: the index finds records, and the pre-filter takes every trace of a record that matches.
      for (int i = 0; i < later.size(); i += 5) {
        store.write(T, later.subList(i, Math.min(later.size(), i + 5)));
      }

      SpanFilter producer = new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.KIND, CompareOp.EQ, "producer");
      SpanFilter cassandraError = new SpanFilter.And(List.of(
          new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.SERVICE, CompareOp.EQ, "cassandra-store"),
          new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.STATUS, CompareOp.EQ, "error")));
      SpanFilter redis = new AttributeCondition(TagScope.SPAN, "db.system", CompareOp.EQ, "redis");
      int stretchedFound = 0;
      for (List<SpanFilter> f : List.of(List.of(producer, cassandraError), List.of(producer, redis))) {
        for (boolean sealed : new boolean[] {false, true}) {
          if (sealed) {
            store.roll(); // the third minute sealed too: the reach is sealed segments only
          }
          TraceQuery q = TraceQuery.between(T0 + 110_000 * MS, T0 + 200_000 * MS, 10_000).withSpanFilters(f);
          List<String> got = store.search(T, q).stream().map(TraceSummary::traceId).toList();
          List<String> expected = bruteForce(all, q);
          assertThat(got).as("%s sealed=%s", f, sealed).containsExactlyElementsOf(expected);
          stretchedFound += (int) expected.stream().filter(stretched::contains).count();
        }
      }
      assertThat(stretchedFound).as("traces whose second span set matched only in the first minute").isPositive();
    }
  }

  /** {@code s} as a gateway producer span without attributes: it matches none of the second span sets. */
  private static SpanRecord plainProducer(SpanRecord s) {
    return new SpanRecord(s.traceId(), s.spanId(), s.parentSpanId(), s.traceState(), s.name(),
        SpanRecord.Kind.PRODUCER, s.startEpochNanos(), s.endEpochNanos(), SpanRecord.StatusCode.OK, "",
        Map.of(SpanRecord.SERVICE_NAME, "gateway"), "", "", Map.of(), s.events(), s.links(), s.flags());
  }

  private static SpanRecord span(Random r, String trace, long start) {
    String service = SERVICES[r.nextInt(SERVICES.length)];
    SpanRecord.Kind kind = SpanRecord.Kind.values()[1 + r.nextInt(5)];
    SpanRecord.StatusCode status = r.nextInt(10) == 0 ? SpanRecord.StatusCode.ERROR
        : r.nextBoolean() ? SpanRecord.StatusCode.OK : SpanRecord.StatusCode.UNSET;
    Map<String, Object> attrs = new LinkedHashMap<>();
    if (r.nextInt(4) == 0) {
      attrs.put("db.system", r.nextBoolean() ? "redis" : "cassandra");
    }
    if (r.nextInt(3) == 0) {
      attrs.put("key", "k-" + r.nextInt(40));
    }
    attrs.put("n", (long) r.nextInt(100));
    Map<String, Object> res = new LinkedHashMap<>();
    res.put(SpanRecord.SERVICE_NAME, service);
    res.put("host.name", "host-" + r.nextInt(3));
    return new SpanRecord(trace, Spans.randomSpanId(), "", "", "op-" + r.nextInt(5), kind, start,
        start + r.nextInt(600) * MS, status, "", res, "", "", attrs, List.of(), List.of(), 0);
  }

  /** Every trace checked: a span in range matching the first set (key: the newest), every other set somewhere. */
  private static List<String> bruteForce(Map<String, List<SpanRecord>> all, TraceQuery q) {
    SpanFilters filters = new SpanFilters();
    SpanFilter first = q.spanFilters().get(0);
    Map<String, Long> keys = new LinkedHashMap<>();
    for (Map.Entry<String, List<SpanRecord>> e : all.entrySet()) {
      long key = Long.MIN_VALUE;
      for (SpanRecord s : e.getValue()) {
        if (s.startEpochNanos() >= q.startEpochNanos() && s.startEpochNanos() <= q.endEpochNanos()
            && filters.matches(s, first)) {
          key = Math.max(key, s.startEpochNanos());
        }
      }
      boolean others = true;
      for (SpanFilter f : q.spanFilters().subList(1, q.spanFilters().size())) {
        others &= filters.anyMatch(e.getValue(), f);
      }
      if (key != Long.MIN_VALUE && others) {
        keys.put(e.getKey(), key);
      }
    }
    return keys.entrySet().stream()
        .sorted(Comparator.comparing((Map.Entry<String, Long> e) -> e.getValue()).reversed()
            .thenComparing(Map.Entry::getKey))
        .limit(q.limit()).map(Map.Entry::getKey).toList();
  }
}
