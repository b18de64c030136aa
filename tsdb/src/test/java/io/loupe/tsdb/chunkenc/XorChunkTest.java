package io.loupe.tsdb.chunkenc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.Sample;
import java.util.Random;
import org.junit.jupiter.api.Test;

class XorChunkTest {
  private static void assertRoundTrip(long[] ts, double[] vs) {
    XorChunk c = XorChunk.of(ts, vs, ts.length);
    assertThat(c.count()).isEqualTo(ts.length);
    XorIterator it = c.iterator();
    for (int i = 0; i < ts.length; i++) {
      assertThat(it.next()).as("sample %d", i).isTrue();
      assertThat(it.timestamp()).as("timestamp %d", i).isEqualTo(ts[i]);
      assertThat(it.valueBits()).as("value bits %d", i).isEqualTo(Double.doubleToRawLongBits(vs[i]));
    }
    assertThat(it.next()).isFalse();
    // frozen bytes decode the same
    XorIterator again = new XorIterator().reset(c.freeze().bytes());
    int n = 0;
    while (again.next()) {
      assertThat(again.valueBits()).isEqualTo(Double.doubleToRawLongBits(vs[n]));
      n++;
    }
    assertThat(n).isEqualTo(ts.length);
  }

  @Test
  void roundTripsSpecialValuesBitExactly() {
    double otherNaN = Double.longBitsToDouble(0x7ff8000000000123L);
    double[] vs = {1.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Sample.STALE_NAN, -0.0, 0.0,
        otherNaN, Double.MAX_VALUE, Double.MIN_VALUE, -123.456, 1.0, 1.0, Sample.STALE_NAN, 42};
    long[] ts = new long[vs.length];
    for (int i = 0; i < ts.length; i++) {
      ts[i] = 1_700_000_000_000L + i * 15_000L;
    }
    assertRoundTrip(ts, vs);
    XorIterator it = XorChunk.of(ts, vs, ts.length).iterator();
    for (int i = 0; i < 5; i++) {
      it.next();
    }
    assertThat(Sample.isStaleMarker(it.value())).isTrue();
  }

  @Test
  void roundTripsIrregularTimestampsAndRandomValues() {
    Random r = new Random(7);
    for (int round = 0; round < 200; round++) {
      int n = 1 + r.nextInt(200);
      long[] ts = new long[n];
      double[] vs = new double[n];
      long t = r.nextInt(3) == 0 ? -5_000_000L : r.nextLong() >>> 24;
      double v = r.nextDouble() * 1000;
      for (int i = 0; i < n; i++) {
        int kind = r.nextInt(6);
        // regular, jitter, and gaps that land in every delta-of-delta bucket incl. the 64-bit one
        t += switch (kind) {
          case 0 -> 15_000;
          case 1 -> 15_000 + r.nextInt(200) - 100;
          case 2 -> 1 + r.nextInt(100_000);
          case 3 -> 1 + r.nextInt(1_000_000);
          case 4 -> 1 + (r.nextLong() >>> 30);
          default -> 1;
        };
        ts[i] = t;
        v = switch (r.nextInt(4)) {
          case 0 -> v;
          case 1 -> v + 1;
          case 2 -> r.nextGaussian() * 1e6;
          default -> Double.longBitsToDouble(r.nextLong());
        };
        vs[i] = v;
      }
      assertRoundTrip(ts, vs);
    }
  }

  @Test
  void compressesRegularSeries() {
    long[] ts = new long[120];
    double[] vs = new double[120];
    for (int i = 0; i < 120; i++) {
      ts[i] = 1_700_000_000_000L + i * 15_000L;
      vs[i] = 1000 + i; // a counter
    }
    XorChunk c = XorChunk.of(ts, vs, 120);
    assertThat(c.sizeBytes()).isLessThan(120 * 3); // < 3 bytes per sample; raw would be 16
  }

  @Test
  void seekFindsFirstSampleAtOrAfter() {
    long[] ts = {10, 20, 30, 40};
    double[] vs = {1, 2, 3, 4};
    XorChunk c = XorChunk.of(ts, vs, 4);
    XorIterator it = c.iterator();
    assertThat(it.seek(25)).isTrue();
    assertThat(it.timestamp()).isEqualTo(30);
    assertThat(it.seek(5)).isTrue(); // stays put
    assertThat(it.timestamp()).isEqualTo(30);
    assertThat(it.seek(30)).isTrue();
    assertThat(it.value()).isEqualTo(3);
    assertThat(it.next()).isTrue();
    assertThat(it.timestamp()).isEqualTo(40);
    assertThat(it.seek(41)).isFalse();
    assertThat(c.iterator().seek(10)).isTrue();
  }

  @Test
  void rejectsNonIncreasingTimestampsAndFrozenAppends() {
    XorChunk c = new XorChunk();
    c.append(10, 1);
    assertThatThrownBy(() -> c.append(10, 2)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("10");
    c.freeze();
    assertThatThrownBy(() -> c.append(20, 2)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void rejectsUnknownEncoding() {
    assertThatThrownBy(() -> new XorIterator().reset(new byte[] {9, 0, 0}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("9");
  }
}
