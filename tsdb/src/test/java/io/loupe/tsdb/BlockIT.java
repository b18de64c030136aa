package io.loupe.tsdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.AppendResult;
import io.loupe.model.Appender;
import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.Querier;
import io.loupe.model.RejectReason;
import io.loupe.model.Tenant;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The head cut into blocks: memory released, queries read blocks and head together, across restarts. */
class BlockIT {
  static final Tenant T = new Tenant("t");
  static final long H = 3_600_000L;
  static final long B0 = TsdbIT.T0 / H * H; // aligned, so N hours of data make exactly N block ranges

  @TempDir
  Path dir;

  // Retention 25 h caps compaction ranges at 2.5 h, below the first (3 h): these tests see cut blocks as cut.
  // CompactionIT covers merging.
  TsdbOptions opts() {
    return TsdbOptions.defaults(dir).withShards(2).withBlockRange(Duration.ofHours(1)).withRetention(Duration.ofHours(25))
        .withOutOfOrderWindow(Duration.ofMinutes(10)).withFsync(FsyncPolicy.interval(Duration.ofSeconds(1)));
  }

  static List<String> dumpAll(Tsdb db) {
    try (Querier q = db.querier(T, Long.MIN_VALUE, Long.MAX_VALUE)) {
      return TsdbIT.dump(q, List.of(Matcher.regex("__name__", ".+")), Long.MIN_VALUE, Long.MAX_VALUE);
    }
  }

  static List<Path> blockDirs(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir.resolve("blocks").resolve(T.id()))) {
      return s.sorted().toList();
    }
  }

  @Test
  void cutBlocksAreQueriedWithTheHeadAndSurviveRestart() throws Exception {
    List<String> expected;
    long goneId;
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    try (Tsdb db = Tsdb.open(opts(), reg)) {
      Appender a = db.appender(T);
      for (long t = B0; t < B0 + 5 * H; t += 60_000) {
        for (int s = 0; s < 20; s++) {
          a.append(TsdbIT.series("m", "s", String.valueOf(s)), t, s + (t - B0) / 60_000.0);
        }
        if (t < B0 + H) {
          a.append(TsdbIT.series("gone"), t, 1); // stops reporting early
        }
      }
      a.appendExemplar(TsdbIT.series("m", "s", "1"),
          new io.loupe.model.Exemplar(Labels.of("trace_id", "x1"), 3, B0 + 5 * H - 1));
      a.updateMetadata(new io.loupe.model.MetricMetadata("m", io.loupe.model.MetricMetadata.Type.COUNTER, "h", ""));
      assertThat(a.commit().rejectedCount()).isZero();
      expected = dumpAll(db);
      assertThat(expected).hasSize(21);
      goneId = db.seriesId(T, TsdbIT.series("gone")).orElseThrow();
      long chunksBefore = db.stats(T, 0).headStats().chunkCount();

      int cut = db.compactHead();
      assertThat(cut).isEqualTo(4); // every whole hour at least 1.5 h behind the newest sample
      assertThat(dumpAll(db)).isEqualTo(expected);
      TsdbStats st = db.stats(T, 0);
      assertThat(st.headStats().numSeries()).isEqualTo(20); // "gone" left the head, its data is in a block
      assertThat(st.headStats().chunkCount()).isLessThan(chunksBefore / 2);
      assertThat(st.headStats().minTime()).isEqualTo(B0 + 4 * H);
      assertThat(reg.get("loupe.tsdb.blocks.written").counter().count()).isEqualTo(cut);
      // the WAL was checkpointed: segment 0 (holding all five hours) is gone, replaced by a checkpoint of the head
      for (String shard : List.of("shard-000", "shard-001")) {
        Path w = dir.resolve("wal").resolve(shard);
        assertThat(w.resolve("00000000")).doesNotExist();
        assertThat(w.resolve("checkpoint.00000000")).isDirectory();
        assertThat(w.resolve("00000001")).exists();
      }

      // a sample for a range already in a block is refused, even inside the out-of-order window of its series
      Appender late = db.appender(T);
      late.append(TsdbIT.series("gone"), B0 + 2 * H, 5);
      AppendResult r = late.commit();
      assertThat(r.rejected()).containsOnly(Map.entry(RejectReason.TOO_OLD, 1L));

      try (Querier q = db.querier(T, B0, B0 + 5 * H)) {
        assertThat(q.labelValues("s", List.of(Matcher.metricName("m")))).hasSize(20);
        assertThat(q.labelNames(List.of(Matcher.metricName("gone")))).containsExactly("__name__");
      }
      try (Querier q = db.querier(T, B0 + 4 * H, B0 + 5 * H)) {
        assertThat(q.labelValues("__name__", List.of())).containsExactly("m"); // "gone" has nothing in range
      }
    }
    SimpleMeterRegistry reg2 = new SimpleMeterRegistry();
    try (Tsdb db = Tsdb.open(opts(), reg2)) {
      assertThat(dumpAll(db)).isEqualTo(expected); // blocks + checkpoint + WAL replay without duplicates
      assertThat(db.exemplars(T, B0, B0 + 5 * H, List.of(List.of(Matcher.metricName("m"))))).hasSize(1);
      assertThat(db.metadata(T, "m", 0)).containsKey("m");
      assertThat(db.stats(T, 0).headStats().numSeries()).isEqualTo(20);
      assertThat(reg2.get("loupe.tsdb.blocks.loaded").gauge().value()).isEqualTo(4);
      // flush cuts every whole range before the newest one: here none is left
      assertThat(db.flushHead()).isZero();
      assertThat(blockDirs(dir)).hasSize(4);
      Appender a = db.appender(T);
      a.append(TsdbIT.series("m", "s", "0"), B0 + 6 * H, 1);
      a.commit();
      assertThat(db.flushHead()).isEqualTo(1); // hour 4 is now whole and older than the newest
      assertThat(db.stats(T, 0).headStats().numSeries()).isEqualTo(1);
      List<String> want = new java.util.ArrayList<>(expected);
      int i = want.indexOf(want.stream().filter(l -> l.startsWith("m{s=\"0\"}")).findFirst().orElseThrow());
      want.set(i, want.get(i) + " " + (B0 + 6 * H - TsdbIT.T0) + "=1.0");
      assertThat(dumpAll(db)).isEqualTo(want);
      // "gone" left the head; its id is not handed out again
      Appender g = db.appender(T);
      g.append(TsdbIT.series("fresh"), B0 + 6 * H, 1);
      g.commit();
      assertThat(db.seriesId(T, TsdbIT.series("fresh")).orElseThrow()).isGreaterThan(goneId);
    }
  }

  @Test
  void damagedBlockIsQuarantinedAndTheRestIsServed() throws Exception {
    try (Tsdb db = Tsdb.open(opts(), new SimpleMeterRegistry())) {
      Appender a = db.appender(T);
      for (long t = B0; t < B0 + 4 * H; t += 60_000) {
        a.append(Labels.of("__name__", "m"), t, 1);
      }
      a.commit();
      assertThat(db.flushHead()).isEqualTo(3);
    }
    List<Path> blocks = blockDirs(dir);
    Path victim = blocks.get(1).resolve("chunks");
    byte[] b = Files.readAllBytes(victim);
    b[b.length - 20] ^= 0x40;
    Files.write(victim, b);
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    try (Tsdb db = Tsdb.open(opts(), reg)) {
      assertThat(reg.get("loupe.tsdb.blocks.corrupt").counter().count()).isEqualTo(1);
      assertThat(blocks.get(1).resolveSibling(blocks.get(1).getFileName() + ".corrupt")).isDirectory();
      assertThat(reg.get("loupe.tsdb.blocks.loaded").gauge().value()).isEqualTo(2);
      List<String> got = dumpAll(db);
      assertThat(got).hasSize(1);
      // hours 0 and 2 from blocks, hour 3 from the head; hour 1 is lost with its block (and not resurrected from
      // the WAL, which skips samples before the newest block's end)
      assertThat(got.get(0).split(" ")).hasSize(1 + 3 * 60);
    }
  }

  @Test
  void retentionDeletesWholeBlocksBehindTheNewestSample() throws Exception {
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    try (Tsdb db = Tsdb.open(opts().withRetention(Duration.ofHours(3)), reg)) {
      Appender a = db.appender(T);
      for (long t = B0; t < B0 + 6 * H; t += 60_000) {
        a.append(Labels.of("__name__", "m"), t, 1);
      }
      a.commit();
      assertThat(db.flushHead()).isEqualTo(5);
      // newest sample B0+6h-1m: blocks ending at or before B0+3h-1m are gone, i.e. hours 0 and 1
      assertThat(reg.get("loupe.tsdb.blocks.deleted").counter().count()).isEqualTo(2);
      assertThat(blockDirs(dir)).hasSize(3);
      List<String> got = dumpAll(db);
      assertThat(got.get(0).split(" ")).hasSize(1 + 4 * 60);
      assertThat(got.get(0)).contains(" " + (B0 + 2 * H - TsdbIT.T0) + "=1.0");
      assertThat(got.get(0)).doesNotContain(" " + (B0 + 2 * H - 60_000 - TsdbIT.T0) + "=");
    }
    try (Tsdb db = Tsdb.open(opts().withRetention(Duration.ofHours(3)), new SimpleMeterRegistry())) {
      assertThat(dumpAll(db).get(0).split(" ")).hasSize(1 + 4 * 60); // nothing resurrected from the WAL
    }
  }

  @Test
  void failedBlockWriteKeepsTheHeadAndIsRetried() throws Exception {
    try (Tsdb db = Tsdb.open(opts(), new SimpleMeterRegistry())) {
      Appender a = db.appender(T);
      for (long t = B0; t < B0 + 3 * H; t += 60_000) {
        a.append(Labels.of("__name__", "m"), t, 1);
      }
      a.commit();
      List<String> before = dumpAll(db);
      Files.createDirectories(dir.resolve("blocks"));
      Files.writeString(dir.resolve("blocks").resolve(T.id()), "in the way"); // the tenant's block dir cannot exist
      org.assertj.core.api.Assertions.assertThatThrownBy(db::flushHead)
          .isInstanceOf(io.loupe.model.StorageUnavailableException.class).hasMessageContaining("blocks");
      assertThat(dumpAll(db)).isEqualTo(before);
      assertThat(db.stats(T, 0).headStats().minTime()).isEqualTo(B0);
      Files.delete(dir.resolve("blocks").resolve(T.id()));
      assertThat(db.flushHead()).isEqualTo(2);
      assertThat(dumpAll(db)).isEqualTo(before);
    }
    try (Tsdb db = Tsdb.open(opts(), new SimpleMeterRegistry())) {
      assertThat(dumpAll(db).get(0).split(" ")).hasSize(1 + 3 * 60);
    }
  }

  @Test
  void idsOfSeriesThatLeftTheHeadAreNotReusedAfterRestart() {
    TsdbOptions o = opts().withShards(1);
    long bId;
    try (Tsdb db = Tsdb.open(o, new SimpleMeterRegistry())) {
      Appender a = db.appender(T);
      for (long t = B0; t < B0 + 3 * H; t += 60_000) {
        a.append(Labels.of("__name__", "a"), t, 1);
        if (t < B0 + H) {
          a.append(Labels.of("__name__", "b"), t, 1); // the newest id, gone from the head after the cut
        }
      }
      a.commit();
      bId = db.seriesId(T, Labels.of("__name__", "b")).orElseThrow();
      assertThat(bId).isGreaterThan(db.seriesId(T, Labels.of("__name__", "a")).orElseThrow());
      db.flushHead();
      assertThat(db.seriesId(T, Labels.of("__name__", "b"))).isEmpty();
    }
    try (Tsdb db = Tsdb.open(o, new SimpleMeterRegistry())) {
      Appender a = db.appender(T);
      a.append(Labels.of("__name__", "c"), B0 + 3 * H, 1);
      a.commit();
      assertThat(db.seriesId(T, Labels.of("__name__", "c")).orElseThrow()).isGreaterThan(bId);
    }
  }
}
