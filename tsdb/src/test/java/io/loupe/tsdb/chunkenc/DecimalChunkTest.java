package io.loupe.tsdb.chunkenc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.Sample;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DecimalChunkTest {
  static final long T0 = 1_700_000_000_000L;

  /** Encodes with the block encoder, checks every sample bit for bit through next() and returns the chunk. */
  static byte[] roundTrip(long[] ts, long[] vb) {
    byte[] c = new ChunkEncoder().encode(ts, vb, 0, ts.length);
    ChunkIterator it = new ChunkIterator().reset(c);
    assertThat(ChunkIterator.count(c)).isEqualTo(ts.length);
    for (int i = 0; i < ts.length; i++) {
      assertThat(it.next()).as("sample %d", i).isTrue();
      assertThat(it.timestamp()).as("timestamp %d", i).isEqualTo(ts[i]);
      assertThat(it.valueBits()).as("value %d", i).isEqualTo(vb[i]);
    }
    assertThat(it.next()).isFalse();
    assertThat(it.next()).isFalse();
    return c;
  }

  static long[] bits(double... vs) {
    long[] out = new long[vs.length];
    for (int i = 0; i < vs.length; i++) {
      out[i] = Double.doubleToRawLongBits(vs[i]);
    }
    return out;
  }

  static long[] scrapes(int n, Random rnd, int jitterMs) {
    long[] ts = new long[n];
    long t = T0;
    for (int i = 0; i < n; i++) {
      ts[i] = t + (jitterMs == 0 ? 0 : rnd.nextInt(jitterMs + 1));
      t += 15_000;
    }
    return ts;
  }

  @Test
  void cpuSecondsWithTwoDecimalsAreDecimalAndSmall() {
    Random rnd = new Random(1);
    int n = 480;
    long[] ts = scrapes(n, rnd, 0);
    double[] vs = new double[n];
    long ticks = 123_456_789;
    for (int i = 0; i < n; i++) {
      ticks += 1400 + rnd.nextInt(100); // 1/100 s ticks, as /proc/stat counts them
      vs[i] = ticks / 100.0;
    }
    byte[] c = roundTrip(ts, bits(vs));
    assertThat(c[0]).isEqualTo(DecimalEncoder.ENCODING_DECIMAL);
    // ~7 bits of mantissa delta per sample, nothing for timestamps
    assertThat(c.length * 8.0 / n).isLessThan(8.5);
    byte[] xor = XorChunk.of(ts, vs, n).freeze().bytes();
    assertThat(c.length).isLessThan(xor.length / 3);
  }

  @Test
  void sumsOfDecimalsThatDriftOffByUlpsKeepASmallCorrection() {
    Random rnd = new Random(11);
    int n = 480;
    long[] ts = scrapes(n, rnd, 0);
    double[] vs = new double[n];
    double v = 0;
    for (int i = 0; i < n; i++) {
      v += Math.round(15 * (0.05 + 0.9 * rnd.nextDouble()) * 100) / 100.0; // as TsdbFiguresMain's counters
      vs[i] = v;
    }
    assertThat(DecimalEncoder.mantissa(Double.doubleToRawLongBits(vs[n - 1]), 2)).as("drifted").isEqualTo(Long.MIN_VALUE);
    byte[] c = roundTrip(ts, bits(vs));
    assertThat(c[0]).isEqualTo(DecimalEncoder.ENCODING_DECIMAL);
    assertThat(c[4] & 0x80).as("residual flag (bit 7 of the 16-bit flags at bytes 3-4)").isNotZero();
    byte[] xor = XorChunk.of(ts, vs, n).freeze().bytes();
    assertThat(c.length).isLessThan(xor.length / 2);
    // the same with stale markers and a reset among them
    long[] vb = bits(vs);
    vb[0] = Sample.STALE_NAN_BITS;
    vb[200] = Double.doubleToRawLongBits(0.0);
    vb[479] = Sample.STALE_NAN_BITS;
    assertThat(roundTrip(ts, vb)[0]).isEqualTo(DecimalEncoder.ENCODING_DECIMAL);
  }

  @Test
  void constantAndRegularSeriesCostAlmostNothing() {
    int n = 480;
    long[] ts = scrapes(n, new Random(2), 0);
    double[] vs = new double[n];
    java.util.Arrays.fill(vs, 1);
    assertThat(roundTrip(ts, bits(vs)).length).isLessThan(40);
    for (int i = 0; i < n; i++) {
      vs[i] = 4096.0 * (1000 + 3 * i); // memory in pages, growing steadily
    }
    assertThat(roundTrip(ts, bits(vs)).length).isLessThan(40);
  }

  @Test
  void jitteredTimestampsAndSparseChangesRoundTrip() {
    Random rnd = new Random(3);
    for (int jitter : new int[] {0, 2, 25, 1000}) {
      int n = 300;
      long[] ts = scrapes(n, rnd, jitter);
      double[] vs = new double[n];
      double v = 8e9;
      for (int i = 0; i < n; i++) {
        if (rnd.nextInt(4) == 0) {
          v += 4096.0 * (rnd.nextInt(2000) - 1000);
        }
        vs[i] = v;
      }
      byte[] c = roundTrip(ts, bits(vs));
      assertThat(c[0]).isEqualTo(DecimalEncoder.ENCODING_DECIMAL);
    }
  }

  @Test
  void staleMarkersNanPayloadsAndNegativeZeroAreKeptRaw() {
    int n = 40;
    long[] ts = scrapes(n, new Random(4), 0);
    long[] vb = new long[n];
    for (int i = 0; i < n; i++) {
      vb[i] = Double.doubleToRawLongBits(i + 0.5);
    }
    vb[0] = Sample.STALE_NAN_BITS;
    vb[1] = Sample.STALE_NAN_BITS;
    vb[2] = Double.doubleToRawLongBits(-0.0);
    vb[17] = Double.doubleToRawLongBits(Double.POSITIVE_INFINITY);
    vb[39] = 0x7ff8_0000_0000_1234L;
    byte[] c = roundTrip(ts, vb);
    assertThat(c[0]).isEqualTo(DecimalEncoder.ENCODING_DECIMAL);
    // more than a quarter of raw values: XOR
    long[] mostlyNan = vb.clone();
    for (int i = 0; i < n; i += 3) {
      mostlyNan[i] = Sample.STALE_NAN_BITS;
    }
    assertThat(new DecimalEncoder().encode(ts, mostlyNan, 0, n)).isNull();
    assertThat(roundTrip(ts, mostlyNan)[0]).isEqualTo(XorChunk.ENCODING_XOR);
  }

  @Test
  void randomDoublesAreNeverLargerThanXor() {
    Random rnd = new Random(5);
    int n = 200;
    long[] ts = scrapes(n, rnd, 3);
    double[] vs = new double[n];
    for (int i = 0; i < n; i++) {
      vs[i] = rnd.nextDouble() * 100;
    }
    // no scale makes them decimals; as mantissas at scale 13 plus residuals they may still pack, but never larger
    assertThat(roundTrip(ts, bits(vs)).length).isLessThanOrEqualTo(XorChunk.of(ts, vs, n).freeze().bytes().length);
    for (int i = 0; i < n; i++) {
      vs[i] = Double.longBitsToDouble(rnd.nextLong()); // any bits at all
    }
    assertThat(new DecimalEncoder().encode(ts, bits(vs), 0, n)).isNull();
    assertThat(roundTrip(ts, bits(vs))[0]).isEqualTo(XorChunk.ENCODING_XOR);
  }

  @Test
  void extremesRoundTrip() {
    Random rnd = new Random(6);
    // one and two samples, huge and negative timestamps, large integers near 2^53, values beyond 2^53
    roundTrip(new long[] {42}, bits(0.25));
    roundTrip(new long[] {-5, Long.MAX_VALUE}, bits(1e300, -1e-300));
    roundTrip(new long[] {Long.MIN_VALUE, 0, Long.MAX_VALUE}, bits(9007199254740991.0, -9007199254740991.0, 1));
    for (int round = 0; round < 200; round++) {
      int n = 1 + rnd.nextInt(700);
      long[] ts = new long[n];
      long[] vb = new long[n];
      long t = rnd.nextLong() >> rnd.nextInt(64);
      for (int i = 0; i < n; i++) {
        t += 1 + (rnd.nextBoolean() ? rnd.nextInt(30_000) : (rnd.nextLong() >>> (2 + rnd.nextInt(62))));
        ts[i] = t;
        vb[i] = switch (round % 4) {
          case 0 -> Double.doubleToRawLongBits(Math.round(rnd.nextGaussian() * 1e6) / 1000.0);
          case 1 -> Double.doubleToRawLongBits((double) (rnd.nextLong() >> rnd.nextInt(64)));
          case 2 -> rnd.nextInt(10) == 0 ? rnd.nextLong() : Double.doubleToRawLongBits(rnd.nextInt(100));
          default -> Double.doubleToRawLongBits(i * 0.1 + (rnd.nextInt(3) == 0 ? rnd.nextInt(1000) * 0.001 : 0));
        };
      }
      java.util.Arrays.sort(ts); // wrapped additions may have broken the order
      boolean distinct = true;
      for (int i = 1; i < n; i++) {
        distinct &= ts[i] > ts[i - 1];
      }
      if (distinct) {
        roundTrip(ts, vb);
      }
    }
  }

  @Test
  void seekScansForwardAcrossGroups() {
    int n = 500;
    long[] ts = new long[n];
    double[] vs = new double[n];
    for (int i = 0; i < n; i++) {
      ts[i] = 1000L * i;
      vs[i] = i;
    }
    byte[] c = roundTrip(ts, bits(vs));
    DecimalIterator it = new DecimalIterator().reset(c);
    assertThat(it.seek(-5)).isTrue();
    assertThat(it.timestamp()).isZero();
    assertThat(it.seek(130_500)).isTrue();
    assertThat(it.timestamp()).isEqualTo(131_000);
    assertThat(it.value()).isEqualTo(131);
    assertThat(it.seek(2_000)).isTrue(); // stays
    assertThat(it.timestamp()).isEqualTo(131_000);
    assertThat(it.next()).isTrue();
    assertThat(it.timestamp()).isEqualTo(132_000);
    assertThat(it.seek(499_000)).isTrue();
    assertThat(it.value()).isEqualTo(499);
    assertThat(it.seek(499_001)).isFalse();
    assertThat(it.next()).isFalse();
  }

  @Test
  void rejectsOtherEncodingsAndDamagedHeaders() {
    assertThatThrownBy(() -> new DecimalIterator().reset(new byte[] {1, 0, 1}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("chunk encoding: 1 (expected: 2)");
    byte[] c = new ChunkEncoder().encode(new long[] {1, 2}, bits(Double.NaN, 1), 0, 2);
    c[4] = (byte) 0x7f; // the exception count, now beyond the sample count... or the varints before it
    assertThatThrownBy(() -> {
      DecimalIterator it = new DecimalIterator().reset(c);
      while (it.next()) {
        it.timestamp();
      }
    }).isInstanceOf(IllegalArgumentException.class);
  }
}
