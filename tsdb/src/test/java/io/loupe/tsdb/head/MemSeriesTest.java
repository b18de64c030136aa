package io.loupe.tsdb.head;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.Labels;
import io.loupe.tsdb.chunkenc.ChunkIterator;
import io.loupe.tsdb.chunkenc.XorChunk;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** MemSeries with every chunk on the heap (no chunk file); HeadChunksIT runs the same shapes over a chunk file. */
class MemSeriesTest {
  /** Each chunk's timestamps, checking that values equal timestamps and chunks are sorted and disjoint. */
  static List<List<Long>> chunks(MemSeries s, HeadChunks disk) {
    List<List<Long>> out = new ArrayList<>();
    long prevMax = Long.MIN_VALUE;
    for (int i = 0; i < s.chunkCount(); i++) {
      assertThat(s.chunkMinT(i, disk)).isGreaterThan(prevMax).isLessThanOrEqualTo(s.chunkMaxT(i));
      prevMax = s.chunkMaxT(i);
      List<Long> ts = new ArrayList<>();
      ChunkIterator it = new ChunkIterator().reset(s.chunkBytes(i, disk));
      while (it.next()) {
        ts.add(it.timestamp());
        assertThat(it.value()).isEqualTo((double) it.timestamp());
      }
      assertThat(ts.get(0)).isEqualTo(s.chunkMinT(i, disk));
      assertThat(ts.get(ts.size() - 1)).isEqualTo(s.chunkMaxT(i));
      out.add(ts);
    }
    return out;
  }

  @Test
  void mergesOutOfOrderSamplesInTimeOrderAcrossChunks() {
    MemSeries s = new MemSeries(1, 0, Labels.of("__name__", "x"));
    List<Long> ts = new ArrayList<>();
    for (long t = 0; t < 1000; t++) {
      ts.add(t * 10);
    }
    Collections.shuffle(ts, new Random(3));
    for (long t : ts) {
      assertThat(s.lookup(t, Double.doubleToRawLongBits(t), null)).isEqualTo(MemSeries.ABSENT);
      s.append(t, t, 1L << 40, null);
    }
    assertThat(s.minT).isZero();
    assertThat(s.maxT).isEqualTo(9990);
    long expect = 0;
    for (List<Long> c : chunks(s, null)) {
      for (long t : c) {
        assertThat(t).isEqualTo(expect);
        expect += 10;
      }
    }
    assertThat(expect).isEqualTo(10_000);
    assertThat(s.lookup(500, Double.doubleToRawLongBits(500.0), null)).isEqualTo(MemSeries.SAME);
    assertThat(s.lookup(500, Double.doubleToRawLongBits(1.0), null)).isEqualTo(MemSeries.DIFFERENT);
    assertThat(s.lookup(505, 0, null)).isEqualTo(MemSeries.ABSENT);
    assertThat(s.lookup(9990, Double.doubleToRawLongBits(9990.0), null)).isEqualTo(MemSeries.SAME);
  }

  @Test
  void cutsChunksAtTargetSize() {
    MemSeries s = new MemSeries(1, 0, Labels.of("__name__", "x"));
    for (int i = 0; i < 3 * XorChunk.TARGET_SAMPLES - 1; i++) {
      s.append(i * 1000L, i * 1000L, 1L << 40, null);
    }
    assertThat(s.chunkCount()).isEqualTo(3);
    assertThat(chunks(s, null)).extracting(List::size)
        .containsExactly(XorChunk.TARGET_SAMPLES, XorChunk.TARGET_SAMPLES, XorChunk.TARGET_SAMPLES - 1);
    s.append((3 * XorChunk.TARGET_SAMPLES - 1) * 1000L, (3 * XorChunk.TARGET_SAMPLES - 1) * 1000L, 1L << 40, null);
    assertThat(s.chunkCount()).isEqualTo(3); // full: frozen at once, the next sample starts the fourth
  }

  @Test
  void chunksNeverSpanABlockRangeBoundaryEvenOutOfOrder() {
    MemSeries s = new MemSeries(1, 0, Labels.of("__name__", "x"));
    for (long t : new long[] {10, 50, 250, 150, 120, 60, 210, 5, 180, 320, 290}) {
      s.append(t, t, 100, null);
    }
    List<List<Long>> chunks = chunks(s, null);
    for (List<Long> ts : chunks) {
      assertThat(ts.get(0) / 100).as("chunk %s in one range", ts).isEqualTo(ts.get(ts.size() - 1) / 100);
    }
    assertThat(chunks).containsExactly(
        List.of(5L, 10L, 50L, 60L), List.of(120L, 150L, 180L), List.of(210L, 250L, 290L), List.of(320L));
    assertThat(s.dropBefore(200, null)).isEqualTo(2);
    assertThat(s.minT).isEqualTo(210);
    assertThat(s.lookup(250, Double.doubleToRawLongBits(250.0), null)).isEqualTo(MemSeries.SAME);
    assertThat(s.dropBefore(400, null)).isEqualTo(2);
    assertThat(s.isEmpty()).isTrue();
    assertThat(s.maxT).isEqualTo(Long.MIN_VALUE);
  }
}
