package io.loupe.tsdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.Appender;
import io.loupe.model.StorageUnavailableException;
import io.loupe.model.Tenant;
import io.loupe.tsdb.wlog.ChannelOpener;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Blocks merged into larger ranges; crash and failure leftovers; retention by size. */
class CompactionIT {
  static final Tenant T = BlockIT.T;
  static final long H = 3_600_000L;
  static final long B0 = TsdbIT.T0 / (27 * H) * (27 * H); // aligned to the 3 h and 9 h windows

  @TempDir
  Path dir;

  TsdbOptions opts(Path d) {
    // retention 0: ranges 3 h, 9 h, 27 h... up to 31 days
    return TsdbOptions.defaults(d).withShards(2).withBlockRange(Duration.ofHours(1)).withRetention(Duration.ZERO)
        .withOutOfOrderWindow(Duration.ofMinutes(10)).withFsync(FsyncPolicy.interval(Duration.ofSeconds(1)));
  }

  /** Ten hours of 30 counters and gauges, one sample a minute; flushed into 9 one-hour blocks. */
  static List<String> writeTenHours(Tsdb db) {
    Appender a = db.appender(T);
    for (long t = B0; t < B0 + 10 * H; t += 60_000) {
      for (int s = 0; s < 30; s++) {
        long min = (t - B0) / 60_000;
        a.append(TsdbIT.series(s % 2 == 0 ? "c_total" : "g", "s", String.valueOf(s)), t,
            s % 2 == 0 ? min * s : (min % 7) + s);
      }
      if (t < B0 + 4 * H) {
        a.append(TsdbIT.series("early"), t, 1); // only in the first blocks
      }
    }
    assertThat(a.commit().rejectedCount()).isZero();
    assertThat(db.flushHead()).isEqualTo(9);
    return BlockIT.dumpAll(db);
  }

  static List<Path> blockDirs(Path d) throws Exception {
    return BlockIT.blockDirs(d);
  }

  static List<String> names(List<Path> ps) {
    return ps.stream().map(p -> p.getFileName().toString().replaceAll("-[0-9a-f]{8}$", "")).toList();
  }

  static String range(long fromH, long toH) {
    return (B0 + fromH * H) + "-" + (B0 + toH * H);
  }

  @Test
  void rangesFollowRetention() {
    TsdbOptions o = TsdbOptions.defaults(dir);
    assertThat(o.compactionRanges()).containsExactly(6 * H, 18 * H); // 2 h x 3, x 9; 54 h > 10% of 15 d (36 h)
    assertThat(o.withRetention(Duration.ZERO).compactionRanges()).hasSize(5).endsWith(486 * H); // 31 d cap
    assertThat(o.withRetention(Duration.ofHours(30)).compactionRanges()).isEmpty();
  }

  @Test
  void blocksMergeIntoLargerRangesAndReadTheSame() throws Exception {
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    List<String> expected;
    try (Tsdb db = Tsdb.open(opts(dir), reg)) {
      expected = writeTenHours(db);
      assertThat(blockDirs(dir)).hasSize(9);
      // 3 h windows [0,3) [3,6) [6,9) merge, then the 9 h window [0,9) merges the three
      assertThat(db.compact()).isEqualTo(4);
      assertThat(names(blockDirs(dir))).containsExactly(range(0, 9));
      assertThat(BlockIT.dumpAll(db)).isEqualTo(expected);
      assertThat(reg.get("loupe.tsdb.blocks.compacted").counter().count()).isEqualTo(4);
      assertThat(db.compact()).isZero(); // nothing left to merge: hour 9 is still in the head
      assertThat(BlockIT.dumpAll(db)).isEqualTo(expected);
    }
    try (Tsdb db = Tsdb.open(opts(dir), new SimpleMeterRegistry())) {
      assertThat(BlockIT.dumpAll(db)).isEqualTo(expected);
    }
  }

  @Test
  void crashAfterRenameBeforeDeleteLeavesAReadableStore() throws Exception {
    List<String> expected;
    try (Tsdb db = Tsdb.open(opts(dir), new SimpleMeterRegistry())) {
      expected = writeTenHours(db);
    }
    // The state a crash leaves between the merged block's rename and the sources' deletion: copy the store before
    // compaction, compact the original, put its merged block beside the copy's sources. Plus a half-written .tmp.
    Path crashed = dir.resolveSibling(dir.getFileName() + "-crashed");
    copyTree(dir, crashed);
    try (Tsdb db = Tsdb.open(opts(dir), new SimpleMeterRegistry())) {
      assertThat(db.compact()).isEqualTo(4);
    }
    Path merged = blockDirs(dir).get(0);
    Path into = crashed.resolve("blocks").resolve(T.id());
    copyTree(merged, into.resolve(merged.getFileName()));
    copyTree(merged, into.resolve((B0 + 9 * H) + "-" + (B0 + 27 * H) + "-0badf00d.tmp"));
    Files.delete(into.resolve((B0 + 9 * H) + "-" + (B0 + 27 * H) + "-0badf00d.tmp").resolve("meta"));
    assertThat(blockDirs(crashed)).hasSize(11);
    try (Tsdb db = Tsdb.open(opts(crashed), new SimpleMeterRegistry())) {
      assertThat(BlockIT.dumpAll(db)).isEqualTo(expected); // no sample lost, none read twice
      assertThat(names(blockDirs(crashed))).containsExactly(range(0, 9));
    } finally {
      deleteTree(crashed);
    }
  }

  @Test
  void failedCompactionWriteKeepsTheSourcesAndSucceedsLater() throws Exception {
    AtomicBoolean full = new AtomicBoolean();
    ChannelOpener opener = (f, o) -> {
      FileChannel ch = FileChannel.open(f, o);
      return full.get() && f.toString().contains(".tmp") ? DiskFullIT.failingWrites(ch) : ch;
    };
    List<String> expected;
    try (Tsdb db = Tsdb.open(opts(dir), new SimpleMeterRegistry(), opener)) {
      expected = writeTenHours(db);
      full.set(true);
      assertThatThrownBy(db::compact).isInstanceOf(StorageUnavailableException.class)
          .hasMessageContaining("No space left on device");
      assertThat(blockDirs(dir)).hasSize(9).noneMatch(p -> p.toString().endsWith(".tmp"));
      assertThat(BlockIT.dumpAll(db)).isEqualTo(expected);
      full.set(false);
      assertThat(db.compact()).isEqualTo(4);
      assertThat(BlockIT.dumpAll(db)).isEqualTo(expected);
    }
  }

  @Test
  void sizeRetentionDeletesWholeOldestBlocks() throws Exception {
    long total;
    try (Tsdb db = Tsdb.open(opts(dir).withRetention(Duration.ofHours(25)), new SimpleMeterRegistry())) {
      writeTenHours(db);
      total = 0;
      try (Stream<Path> s = Files.walk(dir.resolve("blocks"))) {
        for (Path p : s.filter(Files::isRegularFile).toList()) {
          total += Files.size(p);
        }
      }
    }
    // The head counts too: its WAL and its chunk files (by bytes written: the segments are sparse, of their full size
    // from the start). Both are what replay makes of the WAL, the same at every open.
    long head;
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    try (Tsdb db = Tsdb.open(opts(dir).withRetention(Duration.ofHours(25)), reg)) {
      head = (long) reg.get("loupe.tsdb.head.chunks.file.bytes").gauge().value();
      assertThat(head).isPositive();
    }
    try (Stream<Path> s = Files.walk(dir.resolve("wal"))) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        head += Files.size(p);
      }
    }
    long limit = total / 2 + head;
    List<Path> before = blockDirs(dir);
    SimpleMeterRegistry reg2 = new SimpleMeterRegistry();
    try (Tsdb db = Tsdb.open(opts(dir).withRetention(Duration.ofHours(25)).withRetentionBytes(limit), reg2)) {
      db.compact();
      List<Path> after = blockDirs(dir);
      assertThat(after).isNotEmpty().hasSizeLessThan(before.size());
      assertThat(before.subList(before.size() - after.size(), before.size())).isEqualTo(after); // the newest kept
      // chunks_head/ segments are sparse: their size() is not their disk use, which the limit counted above
      long left = (long) reg2.get("loupe.tsdb.head.chunks.file.bytes").gauge().value();
      try (Stream<Path> s = Files.walk(dir).filter(p -> !p.getFileName().toString().equals("LOCK"))
          .filter(p -> !p.startsWith(dir.resolve("chunks_head")))) {
        for (Path p : s.filter(Files::isRegularFile).toList()) {
          left += Files.size(p);
        }
      }
      assertThat(left).isLessThanOrEqualTo(limit);
      assertThat(BlockIT.dumpAll(db)).noneMatch(l -> l.contains("early")); // hours 0-3 went first
    }
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path q = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(q);
        } else {
          Files.copy(p, q, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  static void deleteTree(Path d) throws IOException {
    try (Stream<Path> s = Files.walk(d)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
