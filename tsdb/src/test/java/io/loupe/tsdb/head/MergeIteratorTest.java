package io.loupe.tsdb.head;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.SampleIterator;
import io.loupe.tsdb.chunkenc.XorChunk;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MergeIteratorTest {
  static ChunksIterator source(long lo, long hi, long... ts) {
    double[] vs = new double[ts.length];
    for (int i = 0; i < ts.length; i++) {
      vs[i] = ts[i] * 10;
    }
    XorChunk c = XorChunk.of(ts, vs, ts.length);
    return new ChunksIterator(new byte[][] {c.freeze().bytes()}, new long[] {c.maxT()}, lo, hi);
  }

  static List<Long> drain(SampleIterator it) {
    List<Long> out = new ArrayList<>();
    while (it.next()) {
      out.add(it.timestamp());
    }
    return out;
  }

  @Test
  void mergesInTimeOrderAndReadsEqualTimestampsOnce() {
    SampleIterator m = new MergeIterator(new SampleIterator[] {
        source(0, 100, 1, 4, 7), source(0, 100, 2, 4, 8, 9), source(0, 100, 3)});
    List<Double> values = new ArrayList<>();
    List<Long> ts = new ArrayList<>();
    while (m.next()) {
      ts.add(m.timestamp());
      values.add(m.value());
    }
    assertThat(ts).containsExactly(1L, 2L, 3L, 4L, 7L, 8L, 9L);
    assertThat(values).containsExactly(10.0, 20.0, 30.0, 40.0, 70.0, 80.0, 90.0);
    assertThat(m.next()).isFalse();
  }

  @Test
  void seekPositionsEverySource() {
    SampleIterator m = new MergeIterator(new SampleIterator[] {source(0, 100, 1, 5, 9), source(0, 100, 2, 6)});
    assertThat(m.seek(5)).isTrue();
    assertThat(m.timestamp()).isEqualTo(5);
    assertThat(m.seek(3)).isTrue(); // stays
    assertThat(m.timestamp()).isEqualTo(5);
    assertThat(drain(m)).containsExactly(6L, 9L);
    assertThat(m.seek(1)).isFalse();
  }

  @Test
  void chunksIteratorHonoursRangeAcrossChunks() {
    XorChunk a = XorChunk.of(new long[] {1, 2, 3}, new double[] {10, 20, 30}, 3).freeze();
    XorChunk b = XorChunk.of(new long[] {10, 20, 30}, new double[] {100, 200, 300}, 3).freeze();
    byte[][] cs = {a.bytes(), b.bytes()};
    long[] maxTs = {3, 30};
    assertThat(drain(new ChunksIterator(cs, maxTs, 2, 20))).containsExactly(2L, 3L, 10L, 20L);
    ChunksIterator it = new ChunksIterator(cs, maxTs, 0, 100);
    assertThat(it.seek(4)).isTrue();
    assertThat(it.timestamp()).isEqualTo(10);
    assertThat(drain(new ChunksIterator(cs, maxTs, 4, 9))).isEmpty();
  }

  @Test
  void frozenChunkFromBytesKeepsBoundsAndSamples() {
    XorChunk c = XorChunk.of(new long[] {5, 7, 11}, new double[] {1, 2, 3}, 3);
    XorChunk f = XorChunk.frozenOf(c.bytes());
    assertThat(f.frozen()).isTrue();
    assertThat(f.minT()).isEqualTo(5);
    assertThat(f.maxT()).isEqualTo(11);
    assertThat(f.count()).isEqualTo(3);
    assertThat(drain(new ChunksIterator(new byte[][] {f.bytes()}, new long[] {11}, 0, 100)))
        .hasSize(3);
  }
}
