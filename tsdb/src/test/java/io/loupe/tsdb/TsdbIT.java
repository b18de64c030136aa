package io.loupe.tsdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.AppendResult;
import io.loupe.model.Appender;
import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.MetricMetadata;
import io.loupe.model.Querier;
import io.loupe.model.RejectReason;
import io.loupe.model.Sample;
import io.loupe.model.SampleIterator;
import io.loupe.model.SelectHints;
import io.loupe.model.Series;
import io.loupe.model.SeriesExemplars;
import io.loupe.model.StorageUnavailableException;
import io.loupe.model.Tenant;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TsdbIT {
  static final Tenant T = new Tenant("team-a");
  static final long T0 = 1_700_000_000_000L;

  @TempDir
  Path dir;

  SimpleMeterRegistry registry = new SimpleMeterRegistry();

  TsdbOptions opts() {
    return TsdbOptions.defaults(dir).withShards(4).withFsync(FsyncPolicy.interval(Duration.ofMillis(200)));
  }

  static Labels series(String name, String... kv) {
    Labels.Builder b = Labels.of(kv).toBuilder();
    b.set("__name__", name);
    return b.build();
  }

  /** All samples of the selected series as "labels ts=value" lines. */
  static List<String> dump(Querier q, List<Matcher> ms, long lo, long hi) {
    List<String> out = new ArrayList<>();
    Iterator<Series> it = q.select(SelectHints.range(lo, hi), ms);
    while (it.hasNext()) {
      Series s = it.next();
      SampleIterator si = s.iterator();
      StringBuilder sb = new StringBuilder(s.labels().toString());
      while (si.next()) {
        sb.append(' ').append(si.timestamp() - T0).append('=');
        sb.append(Sample.isStaleMarker(si.value()) ? "stale" : String.valueOf(si.value()));
      }
      out.add(sb.toString());
    }
    return out;
  }

  @Test
  void reopenReturnsSameSeriesIdsAndSamples() {
    List<String> before;
    Map<Labels, Long> ids = new java.util.HashMap<>();
    try (Tsdb db = Tsdb.open(opts(), registry)) {
      Appender a = db.appender(T);
      for (int s = 0; s < 50; s++) {
        for (int i = 0; i < 300; i++) {
          a.append(series("m", "i", String.valueOf(s)), T0 + i * 1000L, i == 299 ? Sample.STALE_NAN : s * i);
        }
      }
      a.appendExemplar(series("m", "i", "3"), new Exemplar(Labels.of("trace_id", "abc"), 7, T0 + 5));
      a.updateMetadata(new MetricMetadata("m", MetricMetadata.Type.GAUGE, "a gauge", ""));
      AppendResult r = a.commit();
      assertThat(r.accepted()).isEqualTo(50 * 300);
      assertThat(r.rejectedCount()).isZero();
      // another tenant with the same labels is a different series
      Appender b = db.appender(new Tenant("team-b"));
      b.append(series("m", "i", "1"), T0, 99);
      b.commit();
      for (int s = 0; s < 50; s++) {
        Labels l = series("m", "i", String.valueOf(s));
        ids.put(l, db.seriesId(T, l).orElseThrow());
      }
      try (Querier q = db.querier(T, 0, Long.MAX_VALUE)) {
        before = dump(q, List.of(Matcher.metricName("m")), 0, Long.MAX_VALUE);
      }
    }
    assertThat(before).hasSize(50);
    assertThat(before.get(0)).startsWith("m{i=\"0\"} 0=0.0 1000=0.0").endsWith("299000=stale");
    assertThat(ids.values()).doesNotHaveDuplicates();

    SimpleMeterRegistry r2 = new SimpleMeterRegistry();
    try (Tsdb db = Tsdb.open(opts().withShards(3), r2)) { // a different shard count re-routes on replay
      for (Map.Entry<Labels, Long> e : ids.entrySet()) {
        assertThat(db.seriesId(T, e.getKey())).hasValue(e.getValue());
      }
      try (Querier q = db.querier(T, 0, Long.MAX_VALUE)) {
        assertThat(dump(q, List.of(Matcher.metricName("m")), 0, Long.MAX_VALUE)).isEqualTo(before);
      }
      try (Querier q = db.querier(new Tenant("team-b"), 0, Long.MAX_VALUE)) {
        assertThat(dump(q, List.of(Matcher.metricName("m")), 0, Long.MAX_VALUE)).containsExactly("m{i=\"1\"} 0=99.0");
      }
      assertThat(db.exemplars(T, T0, T0 + 10, List.of(List.of(Matcher.equal("i", "3")))))
          .containsExactly(new SeriesExemplars(series("m", "i", "3"),
              List.of(new Exemplar(Labels.of("trace_id", "abc"), 7, T0 + 5))));
      assertThat(db.metadata(T, "", 0)).containsOnlyKeys("m");
      assertThat(r2.get("loupe.tsdb.head.series").gauge().value()).isEqualTo(51);
      assertThat(r2.get("loupe.tsdb.wal.corruptions").counter().count()).isZero();
      // new series after reopen get fresh ids
      Appender a = db.appender(T);
      a.append(series("m", "i", "new"), T0, 1);
      a.commit();
      assertThat(db.seriesId(T, series("m", "i", "new")).orElseThrow()).isNotIn(ids.values());
    }
  }

  @Test
  void outOfOrderAndDuplicateRules() {
    try (Tsdb db = Tsdb.open(opts().withOutOfOrderWindow(Duration.ofMinutes(30)), registry)) {
      Labels l = series("x");
      Appender a = db.appender(T);
      a.append(l, T0 + 3_600_000, 1);
      assertThat(a.commit().accepted()).isEqualTo(1);

      a.append(l, T0 + 3_600_000 - 60_000, 2); // 1 min behind: inside the window, merged
      a.append(l, T0 + 3_600_000 - 31 * 60_000, 3); // 31 min behind: too old
      a.append(l, T0 + 3_600_000, 1); // same ts, same value: no-op
      a.append(l, T0 + 3_600_000, 5); // same ts, other value: duplicate
      a.append(l, T0 + 3_600_000 + 1000, 6); // in order
      a.append(l, T0 + 3_600_000 + 1000, 6); // repeated in the batch: no-op
      a.append(l, T0 + 3_600_000 + 1000, 7); // conflicting in the batch: duplicate
      AppendResult r = a.commit();
      assertThat(r.accepted()).isEqualTo(4);
      assertThat(r.rejected()).containsOnly(
          Map.entry(RejectReason.TOO_OLD, 1L), Map.entry(RejectReason.DUPLICATE_TIMESTAMP, 2L));
      assertThat(r.firstErrors()).contains("x{}").contains("timestamp");
      try (Querier q = db.querier(T, 0, Long.MAX_VALUE)) {
        assertThat(dump(q, List.of(Matcher.metricName("x")), 0, Long.MAX_VALUE))
            .containsExactly("x{} 3540000=2.0 3600000=1.0 3601000=6.0");
      }
      assertThat(registry.get("loupe.tsdb.samples.rejected").tag("reason", "too_old").counter().count()).isEqualTo(1);
      assertThat(registry.get("loupe.tsdb.samples.rejected").tag("reason", "duplicate_timestamp").counter().count())
          .isEqualTo(2);
      assertThat(registry.get("loupe.tsdb.samples.appended").counter().count()).isEqualTo(5);
    }
    // the merged out-of-order sample survives replay in place
    try (Tsdb db = Tsdb.open(opts(), new SimpleMeterRegistry()); Querier q = db.querier(T, 0, Long.MAX_VALUE)) {
      assertThat(dump(q, List.of(Matcher.metricName("x")), 0, Long.MAX_VALUE))
          .containsExactly("x{} 3540000=2.0 3600000=1.0 3601000=6.0");
    }
  }

  @Test
  void zeroWindowRejectsLateSamplesAsOutOfOrder() {
    try (Tsdb db = Tsdb.open(opts().withOutOfOrderWindow(Duration.ZERO), registry)) {
      Appender a = db.appender(T);
      a.append(series("z"), T0 + 1000, 1);
      a.commit();
      a.append(series("z"), T0, 1);
      a.append(series("z"), T0 + 1000, 1); // same timestamp and value: still a no-op
      a.append(series("z"), T0 + 2000, 1);
      AppendResult r = a.commit();
      assertThat(r.accepted()).isEqualTo(2);
      assertThat(r.rejected()).containsOnly(Map.entry(RejectReason.OUT_OF_ORDER, 1L));
    }
  }

  @Test
  void selectRestrictsRangeSortsAndSeeks() {
    try (Tsdb db = Tsdb.open(opts(), registry)) {
      Appender a = db.appender(T);
      for (String job : List.of("c", "a", "b")) {
        for (int i = 0; i < 500; i++) {
          a.append(series("up", "job", job), T0 + i * 1000L, i);
        }
      }
      a.commit();
      try (Querier q = db.querier(T, T0 + 100_000, T0 + 400_000)) {
        Iterator<Series> it = q.select(SelectHints.range(T0, T0 + 200_000), List.of(Matcher.metricName("up")));
        List<String> jobs = new ArrayList<>();
        while (it.hasNext()) {
          Series s = it.next();
          jobs.add(s.labels().get("job"));
          SampleIterator si = s.iterator();
          assertThat(si.next()).isTrue();
          assertThat(si.timestamp()).isEqualTo(T0 + 100_000);
          assertThat(si.seek(T0 + 150_500)).isTrue();
          assertThat(si.timestamp()).isEqualTo(T0 + 151_000);
          assertThat(si.value()).isEqualTo(151);
          int n = 1;
          while (si.next()) {
            n++;
          }
          assertThat(si.seek(T0)).isFalse();
          assertThat(n).isEqualTo(50); // 151..200
        }
        assertThat(jobs).containsExactly("a", "b", "c");
        SampleIterator fresh = q.select(SelectHints.range(T0, T0 + 400_000), List.of(Matcher.equal("job", "a")))
            .next().iterator();
        assertThat(fresh.seek(T0 + 399_999)).isTrue();
        assertThat(fresh.timestamp()).isEqualTo(T0 + 399_999 + 1);
        assertThat(fresh.next()).isFalse();
        assertThat(q.labelNames(List.of())).containsExactly("__name__", "job");
        assertThat(q.labelValues("job", List.of(Matcher.regex("job", "a|b")))).containsExactly("a", "b");
        assertThat(q.labelValues("job", List.of())).containsExactly("a", "b", "c");
      }
      try (Querier q = db.querier(T, T0 + 600_000, T0 + 700_000)) {
        assertThat(q.select(SelectHints.range(T0 + 600_000, T0 + 700_000), List.of(Matcher.metricName("up"))))
            .isExhausted();
        assertThat(q.labelValues("job", List.of())).isEmpty();
      }
      TsdbStats st = db.stats(T, 10);
      assertThat(st.headStats().numSeries()).isEqualTo(3);
      assertThat(st.headStats().minTime()).isEqualTo(T0);
      assertThat(st.headStats().maxTime()).isEqualTo(T0 + 499_000);
      assertThat(st.seriesCountByMetricName()).containsExactly(new TsdbStats.Entry("up", 3));
      assertThat(st.labelValueCountByLabelName()).containsExactly(
          new TsdbStats.Entry("job", 3), new TsdbStats.Entry("__name__", 1));
      assertThat(st.seriesCountByLabelValuePair().get(0)).isEqualTo(new TsdbStats.Entry("__name__=up", 3));
      assertThat(db.stats(new Tenant("nobody"), 10).headStats().numSeries()).isZero();
    }
  }

  @Test
  void seriesLimitRejectsNewSeriesOnlyAndSurvivesRestart() {
    TsdbOptions o = opts().withMaxSeriesPerTenant(10);
    try (Tsdb db = Tsdb.open(o, registry)) {
      Appender a = db.appender(T);
      for (int i = 0; i < 15; i++) {
        a.append(series("s", "i", String.valueOf(i)), T0, i);
      }
      AppendResult r = a.commit();
      assertThat(r.accepted()).isEqualTo(10);
      assertThat(r.rejected()).containsOnly(Map.entry(RejectReason.SERIES_LIMIT, 5L));
      // existing series keep accepting samples; other tenants have their own limit
      Appender b = db.appender(T);
      for (int i = 0; i < 15; i++) {
        b.append(series("s", "i", String.valueOf(i)), T0 + 1000, i);
      }
      assertThat(b.commit().accepted()).isEqualTo(10);
      Appender c = db.appender(new Tenant("other"));
      c.append(series("s"), T0, 1);
      assertThat(c.commit().accepted()).isEqualTo(1);
    }
    try (Tsdb db = Tsdb.open(o, new SimpleMeterRegistry())) {
      Appender a = db.appender(T);
      a.append(series("s", "i", "new"), T0, 1);
      assertThat(a.commit().rejected()).containsOnly(Map.entry(RejectReason.SERIES_LIMIT, 1L));
    }
  }

  @Test
  void concurrentAppendersFromFourThreads() throws Exception {
    int threads = 4;
    int perThread = 200;
    int series = 50;
    try (Tsdb db = Tsdb.open(opts().withFsync(FsyncPolicy.ALWAYS), registry)) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<Long>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int th = t;
        fs.add(pool.submit(() -> {
          long acc = 0;
          for (int round = 0; round < perThread; round++) {
            Appender a = db.appender(T);
            for (int s = 0; s < series; s++) {
              // every thread writes every series (contention on shards), each thread its own timestamps
              a.append(series("c", "s", String.valueOf(s)), T0 + round * 10L + th, th);
            }
            acc += a.commit().accepted();
          }
          return acc;
        }));
      }
      long total = 0;
      for (Future<Long> f : fs) {
        total += f.get();
      }
      pool.shutdown();
      assertThat(total).isEqualTo((long) threads * perThread * series);
      try (Querier q = db.querier(T, 0, Long.MAX_VALUE)) {
        Iterator<Series> it = q.select(SelectHints.range(0, Long.MAX_VALUE), List.of(Matcher.metricName("c")));
        int n = 0;
        while (it.hasNext()) {
          SampleIterator si = it.next().iterator();
          long prev = Long.MIN_VALUE;
          int count = 0;
          while (si.next()) {
            assertThat(si.timestamp()).isGreaterThan(prev);
            assertThat(si.value()).isEqualTo((double) ((si.timestamp() - T0) % 10));
            prev = si.timestamp();
            count++;
          }
          assertThat(count).isEqualTo(threads * perThread);
          n++;
        }
        assertThat(n).isEqualTo(series);
      }
      assertThat(registry.get("loupe.tsdb.wal.fsync").timer().count()).isPositive();
    }
    try (Tsdb db = Tsdb.open(opts(), new SimpleMeterRegistry())) {
      assertThat(db.stats(T, 1).headStats().numSeries()).isEqualTo(series);
    }
  }

  @Test
  void walWriteFailureAppliesNothingAndWritesResumeAfterwards() throws Exception {
    TsdbOptions o = opts().withShards(1).withWalSegmentSize(TsdbOptions.MIN_WAL_SEGMENT_SIZE);
    Path shardDir = dir.resolve("wal").resolve("shard-000");
    Path moved = dir.resolve("moved");
    try (Tsdb db = Tsdb.open(o, registry)) {
      Appender a = db.appender(T);
      for (int i = 0; i < 400; i++) {
        a.append(series("ok", "i", String.valueOf(i)), T0, i); // fills most of a 4 KiB segment
      }
      a.commit();
      // The next batch needs a new segment; make its creation fail by putting a file where the directory was.
      Files.move(shardDir, moved);
      Files.writeString(shardDir, "not a directory");
      Appender b = db.appender(T);
      for (int i = 0; i < 400; i++) {
        b.append(series("lost", "i", String.valueOf(i)), T0, i);
      }
      assertThatThrownBy(b::commit).isInstanceOf(StorageUnavailableException.class)
          .hasMessageContaining("shard-000");
      try (Querier q = db.querier(T, 0, Long.MAX_VALUE)) {
        assertThat(q.select(SelectHints.range(0, Long.MAX_VALUE), List.of(Matcher.metricName("lost")))).isExhausted();
      }
      assertThat(db.stats(T, 1).headStats().numSeries()).isEqualTo(400);
      // space returns: the same batch now commits
      Files.delete(shardDir);
      Files.move(moved, shardDir);
      for (int i = 0; i < 400; i++) {
        b.append(series("lost", "i", String.valueOf(i)), T0, i);
      }
      assertThat(b.commit().accepted()).isEqualTo(400);
    }
    try (Tsdb db = Tsdb.open(o, new SimpleMeterRegistry())) {
      assertThat(db.stats(T, 1).headStats().numSeries()).isEqualTo(800);
    }
  }

  @Test
  void interruptedCommitterDoesNotBreakTheWalForOthers() throws Exception {
    try (Tsdb db = Tsdb.open(opts().withShards(1).withFsync(FsyncPolicy.ALWAYS), registry)) {
      Thread.currentThread().interrupt(); // as a cancelled request's thread would be
      Appender a = db.appender(T);
      a.append(series("i"), T0, 1);
      assertThat(a.commit().accepted()).isEqualTo(1);
      assertThat(Thread.interrupted()).as("interrupt status restored").isTrue();
      Appender b = db.appender(T);
      b.append(series("i"), T0 + 1, 2);
      assertThat(b.commit().accepted()).isEqualTo(1);
    }
    try (Tsdb db = Tsdb.open(opts(), new SimpleMeterRegistry()); Querier q = db.querier(T, 0, Long.MAX_VALUE)) {
      assertThat(dump(q, List.of(Matcher.metricName("i")), 0, Long.MAX_VALUE)).containsExactly("i{} 0=1.0 1=2.0");
    }
  }

  @Test
  void closedStoreRefusesWritesAndDirectoryIsLocked() {
    Tsdb db = Tsdb.open(opts(), registry);
    assertThatThrownBy(() -> Tsdb.open(opts(), new SimpleMeterRegistry()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("in use");
    Appender a = db.appender(T);
    db.close();
    a.append(series("x"), T0, 1);
    assertThatThrownBy(a::commit).isInstanceOf(StorageUnavailableException.class);
  }

  @Test
  void exemplarsAreBoundedOrderedAndFilteredByMatchers() {
    try (Tsdb db = Tsdb.open(opts().withShards(1).withMaxExemplarsPerTenant(5), registry)) {
      Appender a = db.appender(T);
      for (int i = 0; i < 8; i++) {
        a.append(series("h", "k", "a"), T0 + i, i);
        a.appendExemplar(series("h", "k", "a"), new Exemplar(Labels.of("trace_id", "t" + i), i, T0 + i));
      }
      a.append(series("h", "k", "b"), T0, 1);
      a.appendExemplar(series("h", "k", "b"), new Exemplar(Labels.of("trace_id", "b"), 1, T0 + 7));
      AppendResult r = a.commit();
      assertThat(r.rejectedCount()).isZero();
      a.appendExemplar(series("h", "k", "a"), new Exemplar(Labels.of("trace_id", "old"), 1, T0)); // out of order
      a.appendExemplar(series("h", "k", "a"), new Exemplar(Labels.of("trace_id", "t7"), 7, T0 + 7)); // repeat
      assertThat(a.commit().rejected()).containsOnly(Map.entry(RejectReason.INVALID_EXEMPLAR, 1L));
      List<SeriesExemplars> got = db.exemplars(T, T0, T0 + 100, List.of(List.of(Matcher.metricName("h"))));
      assertThat(got).hasSize(2);
      assertThat((Object) got.get(0).seriesLabels()).isEqualTo(series("h", "k", "a"));
      // ring of 5: the newest four of "a" plus the one of "b"
      assertThat(got.get(0).exemplars()).extracting(Exemplar::timestampMs)
          .containsExactly(T0 + 4, T0 + 5, T0 + 6, T0 + 7);
      assertThat(db.exemplars(T, T0 + 7, T0 + 7, List.of(List.of(Matcher.equal("k", "b"))))).hasSize(1);
      assertThat(db.exemplars(T, T0 + 8, T0 + 100, List.of(List.of(Matcher.metricName("h"))))).isEmpty();
    }
  }
}
