package io.loupe.tsdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.Appender;
import io.loupe.model.Matcher;
import io.loupe.model.Querier;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A snapshot holds the blocks and (on request) the head, restores into an empty data dir, and leaves the head be. */
class SnapshotIT {
  static final long H = CompactionIT.H;

  @TempDir
  Path dir;

  @Test
  void snapshotWithHeadRestoresEverySampleAndTheHeadKeepsAppending() throws Exception {
    CompactionIT c = new CompactionIT();
    Path data = dir.resolve("data");
    List<String> all;
    List<String> blocksOnly;
    String withHead;
    String withoutHead;
    try (Tsdb db = Tsdb.open(c.opts(data), new SimpleMeterRegistry())) {
      CompactionIT.writeTenHours(db); // 9 one-hour blocks, the tenth hour in the head
      all = BlockIT.dumpAll(db);
      try (Querier q = db.querier(CompactionIT.T, Long.MIN_VALUE, Long.MAX_VALUE)) {
        blocksOnly = TsdbIT.dump(q, List.of(Matcher.regex("__name__", ".+")), Long.MIN_VALUE,
            CompactionIT.B0 + 9 * H - 1);
      }
      withHead = db.snapshot(true);
      withoutHead = db.snapshot(false);
      assertThat(withHead).matches("\\d{8}T\\d{6}Z-[0-9a-f]{16}").isNotEqualTo(withoutHead);
      // The head was copied, not cut: its open chunks still take samples, and nothing is refused as too old.
      Appender a = db.appender(CompactionIT.T);
      a.append(TsdbIT.series("g", "s", "1"), CompactionIT.B0 + 10 * H, 42);
      a.append(TsdbIT.series("g", "s", "1"), CompactionIT.B0 + 10 * H - 90_000, 7); // out of order, in the window
      assertThat(a.commit().rejectedCount()).isZero();
      assertThat(BlockIT.dumpAll(db)).isNotEqualTo(all);
    }
    assertThat(restore(data.resolve("snapshots").resolve(withHead), dir.resolve("r1"))).isEqualTo(all);
    assertThat(restore(data.resolve("snapshots").resolve(withoutHead), dir.resolve("r2"))).isEqualTo(blocksOnly)
        .isNotEqualTo(all);
    try (Stream<Path> s = Files.list(data.resolve("snapshots"))) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(withHead, withoutHead);
    }
  }

  /** Copies a snapshot's blocks into an empty data dir, opens it, and dumps every series. */
  private List<String> restore(Path snapshot, Path into) throws Exception {
    try (Stream<Path> files = Files.walk(snapshot)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path to = into.resolve(snapshot.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(to);
        } else {
          Files.copy(f, to);
        }
      }
    }
    try (Tsdb db = Tsdb.open(new CompactionIT().opts(into), new SimpleMeterRegistry())) {
      return BlockIT.dumpAll(db);
    }
  }
}
