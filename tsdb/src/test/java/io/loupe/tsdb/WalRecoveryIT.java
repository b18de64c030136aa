package io.loupe.tsdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.Appender;
import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.Querier;
import io.loupe.model.SampleIterator;
import io.loupe.model.SelectHints;
import io.loupe.model.Series;
import io.loupe.model.Tenant;
import io.loupe.tsdb.wlog.CorruptFileException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A torn or damaged WAL tail: the store opens, keeps every record before the damage, and counts the loss. */
class WalRecoveryIT {
  static final Tenant T = new Tenant("t");
  static final long T0 = 1_700_000_000_000L;

  @TempDir
  Path dir;

  TsdbOptions opts() {
    return TsdbOptions.defaults(dir).withShards(1);
  }

  /** Writes {@code batches} commits of one sample each to series "w"; returns the segment file. */
  Path write(int batches) throws Exception {
    try (Tsdb db = Tsdb.open(opts(), new SimpleMeterRegistry())) {
      for (int i = 0; i < batches; i++) {
        Appender a = db.appender(T);
        a.append(Labels.of("__name__", "w"), T0 + i * 1000L, i);
        a.commit();
      }
    }
    Path seg = dir.resolve("wal/shard-000/00000000");
    assertThat(seg).exists();
    return seg;
  }

  static long count(Tsdb db) {
    try (Querier q = db.querier(T, 0, Long.MAX_VALUE)) {
      Iterator<Series> it = q.select(SelectHints.range(0, Long.MAX_VALUE), List.of(Matcher.metricName("w")));
      if (!it.hasNext()) {
        return 0;
      }
      SampleIterator si = it.next().iterator();
      long n = 0;
      while (si.next()) {
        assertThat(si.value()).isEqualTo((double) n);
        n++;
      }
      return n;
    }
  }

  @Test
  void tornTailIsTruncatedAtLastGoodRecord() throws Exception {
    Path seg = write(10);
    long size = Files.size(seg);
    try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
      f.setLength(size - 5); // cut the last record mid-payload
    }
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    try (Tsdb db = Tsdb.open(opts(), reg)) {
      assertThat(count(db)).isEqualTo(9);
      assertThat(reg.get("loupe.tsdb.wal.corruptions").counter().count()).isEqualTo(1);
      // and writing continues after the repaired log
      Appender a = db.appender(T);
      a.append(Labels.of("__name__", "w"), T0 + 9 * 1000L, 9);
      a.commit();
    }
    assertThat(Files.size(seg)).isLessThan(size);
    SimpleMeterRegistry reg2 = new SimpleMeterRegistry();
    try (Tsdb db = Tsdb.open(opts(), reg2)) {
      assertThat(count(db)).isEqualTo(10);
      assertThat(reg2.get("loupe.tsdb.wal.corruptions").counter().count()).isZero();
    }
  }

  @Test
  void flippedBytesStopReplayAtTheDamagedRecord() throws Exception {
    Path seg = write(10);
    byte[] b = Files.readAllBytes(seg);
    // Records are equal-sized after the first (which also holds the series record); damage the 6th sample record.
    int recLen = (b.length - 10) / 10; // rough: find the exact record boundary by walking frames instead
    int off = 10;
    for (int i = 0; i < 5; i++) {
      int len = ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
      off += 8 + len;
    }
    assertThat(recLen).isPositive();
    b[off + 10] ^= 0x5a; // inside the 6th record's payload
    Files.write(seg, b);
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    try (Tsdb db = Tsdb.open(opts(), reg)) {
      assertThat(count(db)).isEqualTo(5);
      assertThat(reg.get("loupe.tsdb.wal.corruptions").counter().count()).isEqualTo(1);
    }
    assertThat(Files.size(seg)).isEqualTo(off);
  }

  @Test
  void garbageAppendedAfterTheLastRecordIsDropped() throws Exception {
    Path seg = write(3);
    Files.write(seg, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, java.nio.file.StandardOpenOption.APPEND);
    try (Tsdb db = Tsdb.open(opts(), new SimpleMeterRegistry())) {
      assertThat(count(db)).isEqualTo(3);
    }
  }

  @Test
  void segmentWithWrongMagicOrVersionRefusesToOpen() throws Exception {
    Path seg = write(2);
    byte[] b = Files.readAllBytes(seg);
    byte[] wrongVersion = b.clone();
    wrongVersion[9] = 9;
    Files.write(seg, wrongVersion);
    assertThatThrownBy(() -> Tsdb.open(opts(), new SimpleMeterRegistry()))
        .isInstanceOf(UncheckedIOException.class)
        .hasCauseInstanceOf(CorruptFileException.class)
        .hasMessageContaining("00000000").hasMessageContaining("version 9 (expected: 1 to 2)");
    byte[] wrongMagic = b.clone();
    wrongMagic[0] = 'X';
    Files.write(seg, wrongMagic);
    assertThatThrownBy(() -> Tsdb.open(opts(), new SimpleMeterRegistry()))
        .hasMessageContaining("offset 0").hasMessageContaining("magic");
    Files.write(seg, b);
    try (Tsdb db = Tsdb.open(opts(), new SimpleMeterRegistry())) {
      assertThat(count(db)).isEqualTo(2);
    }
  }
}
