package io.loupe.tsdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.Appender;
import io.loupe.tsdb.wlog.ChannelOpener;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Full head chunks written to {@code chunks_head/} and read back through a memory map (docs/format/head-chunks.md),
 * checked against a store that keeps every chunk on the heap: queries, out-of-order samples, block cuts, restarts,
 * damaged files and a full disk.
 */
class HeadChunkFileIT {
  static final long H = 3_600_000L;
  static final long B0 = BlockIT.B0;
  static final int SERIES = 100;

  @TempDir
  Path dir;

  TsdbOptions opts(Path d) {
    return TsdbOptions.defaults(d).withShards(2).withBlockRange(Duration.ofHours(1))
        .withRetention(Duration.ofHours(25)).withOutOfOrderWindow(Duration.ofMinutes(10))
        .withFsync(FsyncPolicy.interval(Duration.ofSeconds(1))).withHeadChunksSegmentSize(64 << 10);
  }

  /**
   * Minutes {@code [fromMin, toMin)} of {@link #SERIES} series at 15 s, with a few samples held back and sent a round later (out
   * of order, inside the window).
   */
  static void append(Tsdb db, long fromMin, long toMin, long seed) {
    Random rnd = new Random(seed);
    Appender a = db.appender(BlockIT.T);
    Appender late = db.appender(BlockIT.T);
    for (long q = fromMin * 4; q < toMin * 4; q++) {
      long t = B0 + q * 15_000;
      for (int s = 0; s < SERIES; s++) {
        // counters and noisy gauges (~3 bytes per sample), a function of time and series only: the late samples
        // change the order of appends, never the data
        double v = s % 2 == 0 ? q * (s + 1) : Math.floorMod(q * 2654435761L + s * 40503L, 100_000) / 100.0;
        (rnd.nextInt(50) == 0 ? late : a).append(TsdbIT.series(s % 2 == 0 ? "c_total" : "g", "s", "" + s), t, v);
      }
      if (q % 40 == 39) {
        assertThat(a.commit().rejectedCount()).isZero();
        assertThat(late.commit().rejectedCount()).isZero();
        a = db.appender(BlockIT.T);
        late = db.appender(BlockIT.T);
      }
    }
    assertThat(a.commit().rejectedCount()).isZero();
    assertThat(late.commit().rejectedCount()).isZero();
  }

  static List<String> segments(Path d) throws IOException {
    Path c = d.resolve("chunks_head");
    if (!Files.isDirectory(c)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(c)) {
      return s.filter(Files::isRegularFile).map(p -> c.relativize(p).toString()).sorted().toList();
    }
  }

  /** The same writes into a store with every chunk on the heap. */
  List<String> heapOnly(long toMin, boolean flush) throws IOException {
    Path d = dir.resolve("heap-" + toMin + "-" + flush);
    try (Tsdb db = Tsdb.open(opts(d).withHeadChunksSegmentSize(0), new SimpleMeterRegistry())) {
      append(db, 0, toMin, 1);
      if (flush) {
        db.flushHead();
      }
      assertThat(segments(d)).isEmpty();
      return BlockIT.dumpAll(db);
    }
  }

  @Test
  void queriesOverFileAndOpenChunksReadAsAStoreOnTheHeapAcrossCutsAndRestarts() throws Exception {
    Path d = dir.resolve("file");
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    List<String> head = heapOnly(200, false);
    try (Tsdb db = Tsdb.open(opts(d), reg)) {
      append(db, 0, 200, 1);
      assertThat(reg.get("loupe.tsdb.head.chunks.file.bytes").gauge().value()).isPositive();
      assertThat(segments(d).size()).isGreaterThan(2); // 64 KiB segments, both shards
      assertThat(BlockIT.dumpAll(db)).isEqualTo(head);
      List<String> before = segments(d);
      assertThat(db.flushHead()).isEqualTo(3); // hours 0-2 cut; hour 3 holds the newest sample
      assertThat(BlockIT.dumpAll(db)).isEqualTo(head);
      // segments whose chunks all went to blocks are gone, the oldest first
      List<String> after = segments(d);
      assertThat(after.size()).isLessThan(before.size());
      assertThat(after).doesNotContain(before.get(0));
      assertThat(reg.get("loupe.tsdb.head.chunks.write.failures").counter().count()).isZero();
    }
    try (Tsdb db = Tsdb.open(opts(d), new SimpleMeterRegistry())) {
      assertThat(BlockIT.dumpAll(db)).isEqualTo(head);
      assertThat(segments(d)).isNotEmpty(); // rewritten by replay
    }
    assertThat(segments(d)).isEmpty(); // a graceful close deletes them
    // what a kill -9 would leave of a shard that no longer exists after the shard-count change
    Files.createDirectories(d.resolve("chunks_head").resolve("shard-001"));
    Files.write(d.resolve("chunks_head").resolve("shard-001").resolve("00000000"), new byte[100]);
    try (Tsdb db = Tsdb.open(opts(d).withShards(1), new SimpleMeterRegistry())) {
      assertThat(BlockIT.dumpAll(db)).isEqualTo(head);
      assertThat(segments(d)).isNotEmpty().allMatch(f -> f.startsWith("shard-000")); // a former shard's files go
    }
  }

  @Test
  void aTornOrDamagedChunkFileLeftByACrashIsNeverReadAfterRestart() throws Exception {
    Path d = dir.resolve("file");
    List<String> acked;
    // no close: as after kill -9 (the WAL's own kill -9 test is KillNineIT)
    Tsdb db = Tsdb.open(opts(d), new SimpleMeterRegistry());
    append(db, 0, 100, 1);
    acked = BlockIT.dumpAll(db);
    assertThat(acked).isEqualTo(heapOnly(100, false));
    List<String> files = segments(d);
    assertThat(files).isNotEmpty();
    // a torn last entry, and garbage over an earlier one
    Path last = d.resolve("chunks_head").resolve(files.get(files.size() - 1));
    try (FileChannel ch = FileChannel.open(last, StandardOpenOption.WRITE)) {
      ch.truncate(300);
    }
    Path first = d.resolve("chunks_head").resolve(files.get(0));
    try (FileChannel ch = FileChannel.open(first, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[64]), 20);
    }
    // Close releases the lock but deletes the chunk files (a graceful stop leaves none); a kill -9 would have left
    // them, damaged: put copies back, as the crash would have left them.
    Path saved = dir.resolve("saved");
    Files.createDirectories(saved);
    for (String f : files) {
      Path to = saved.resolve(f.replace('/', '_'));
      Files.copy(d.resolve("chunks_head").resolve(f), to);
    }
    db.close();
    assertThat(segments(d)).isEmpty();
    for (String f : files) {
      Files.copy(saved.resolve(f.replace('/', '_')), d.resolve("chunks_head").resolve(f));
    }
    assertThat(segments(d)).isEqualTo(files);
    try (FileChannel ch = FileChannel.open(first, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(64);
      ch.read(b, 20);
      assertThat(b.array()).containsOnly(0);
    }
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    try (Tsdb db2 = Tsdb.open(opts(d), reg)) {
      assertThat(BlockIT.dumpAll(db2)).isEqualTo(acked);
      assertThat(reg.get("loupe.tsdb.wal.corruptions").counter().count()).isZero();
      append(db2, 100, 130, 2);
      assertThat(db2.flushHead()).isEqualTo(2);
      acked = BlockIT.dumpAll(db2);
    }
    try (Tsdb db3 = Tsdb.open(opts(d), new SimpleMeterRegistry())) {
      assertThat(BlockIT.dumpAll(db3)).isEqualTo(acked).isEqualTo(heapOnly(130, false));
    }
  }

  @Test
  void aFullDiskKeepsChunksOnTheHeapAndLosesNothing() throws Exception {
    Path d = dir.resolve("file");
    AtomicBoolean full = new AtomicBoolean(true);
    ChannelOpener opener = (f, o) -> new DiskFullIT.FullChannel(FileChannel.open(f, o),
        () -> full.get() && f.startsWith(d.resolve("chunks_head")));
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    List<String> expected = heapOnly(200, false);
    try (Tsdb db = Tsdb.open(opts(d), reg, opener)) {
      append(db, 0, 100, 1); // every chunk write fails (torn first): ingest goes on, the chunks stay on the heap
      double failed = reg.get("loupe.tsdb.head.chunks.write.failures").counter().count();
      assertThat(failed).isGreaterThanOrEqualTo(SERIES * 3); // 100 minutes at 15 s: 3 full chunks per series
      assertThat(segments(d)).isEmpty(); // no file left behind
      full.set(false);
      append(db, 100, 200, 1); // the late samples differ from one run over 0-200; the data does not
      assertThat(reg.get("loupe.tsdb.head.chunks.write.failures").counter().count()).isEqualTo(failed);
      assertThat(segments(d)).isNotEmpty(); // space is back: later chunks go to the file
      assertThat(BlockIT.dumpAll(db)).isEqualTo(expected);
      full.set(true);
      assertThat(db.flushHead()).isEqualTo(3); // blocks are not in chunks_head/: the cut reads heap and file chunks
      assertThat(BlockIT.dumpAll(db)).isEqualTo(expected);
    }
    try (Tsdb db = Tsdb.open(opts(d), new SimpleMeterRegistry())) {
      assertThat(BlockIT.dumpAll(db)).isEqualTo(expected);
    }
  }
}
