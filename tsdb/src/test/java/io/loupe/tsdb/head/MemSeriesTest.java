package io.loupe.tsdb.head;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.Labels;
import io.loupe.tsdb.chunkenc.XorChunk;
import io.loupe.tsdb.chunkenc.XorIterator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MemSeriesTest {
  @Test
  void mergesOutOfOrderSamplesInTimeOrderAcrossChunks() {
    MemSeries s = new MemSeries(1, 0, Labels.of("__name__", "x"));
    List<Long> ts = new ArrayList<>();
    for (long t = 0; t < 1000; t++) {
      ts.add(t * 10);
    }
    Collections.shuffle(ts, new Random(3));
    for (long t : ts) {
      assertThat(s.lookup(t, Double.doubleToRawLongBits(t))).isEqualTo(MemSeries.ABSENT);
      s.append(t, t, 1L << 40);
    }
    assertThat(s.minT).isZero();
    assertThat(s.maxT).isEqualTo(9990);
    long expect = 0;
    int total = 0;
    long prevMax = Long.MIN_VALUE;
    for (XorChunk c : s.chunks) {
      assertThat(c.minT()).isGreaterThan(prevMax);
      prevMax = c.maxT();
      XorIterator it = c.iterator();
      while (it.next()) {
        assertThat(it.timestamp()).isEqualTo(expect);
        assertThat(it.value()).isEqualTo((double) expect);
        expect += 10;
        total++;
      }
    }
    assertThat(total).isEqualTo(1000);
    assertThat(s.lookup(500, Double.doubleToRawLongBits(500.0))).isEqualTo(MemSeries.SAME);
    assertThat(s.lookup(500, Double.doubleToRawLongBits(1.0))).isEqualTo(MemSeries.DIFFERENT);
    assertThat(s.lookup(505, 0)).isEqualTo(MemSeries.ABSENT);
    assertThat(s.lookup(9990, Double.doubleToRawLongBits(9990.0))).isEqualTo(MemSeries.SAME);
  }

  @Test
  void cutsChunksAtTargetSize() {
    MemSeries s = new MemSeries(1, 0, Labels.of("__name__", "x"));
    for (int i = 0; i < 3 * XorChunk.TARGET_SAMPLES; i++) {
      s.append(i * 1000L, i, 1L << 40);
    }
    assertThat(s.chunks).hasSize(3);
    assertThat(s.chunks.get(0).frozen()).isTrue();
    assertThat(s.chunks.get(2).frozen()).isFalse();
  }

  @Test
  void chunksNeverSpanABlockRangeBoundaryEvenOutOfOrder() {
    MemSeries s = new MemSeries(1, 0, Labels.of("__name__", "x"));
    for (long t : new long[] {10, 50, 250, 150, 120, 60, 210, 5, 180, 320, 290}) {
      s.append(t, t, 100);
    }
    List<List<Long>> chunks = new ArrayList<>();
    for (XorChunk c : s.chunks) {
      List<Long> ts = new ArrayList<>();
      XorIterator it = c.iterator();
      while (it.next()) {
        ts.add(it.timestamp());
        assertThat(it.value()).isEqualTo((double) it.timestamp());
      }
      chunks.add(ts);
      assertThat(c.minT() / 100).as("chunk %s in one range", ts).isEqualTo(c.maxT() / 100);
    }
    assertThat(chunks).containsExactly(
        List.of(5L, 10L, 50L, 60L), List.of(120L, 150L, 180L), List.of(210L, 250L, 290L), List.of(320L));
    assertThat(s.dropBefore(200)).isEqualTo(2);
    assertThat(s.minT).isEqualTo(210);
    assertThat(s.lookup(250, Double.doubleToRawLongBits(250.0))).isEqualTo(MemSeries.SAME);
  }
}
