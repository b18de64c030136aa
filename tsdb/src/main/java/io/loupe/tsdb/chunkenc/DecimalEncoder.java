package io.loupe.tsdb.chunkenc;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;

/**
 * Encodes samples as a decimal chunk ({@link #ENCODING_DECIMAL}, docs/format/tsdb-chunk.md), the encoding of block
 * chunks: values that are exact decimals {@code m / 10^scale} (what exporters print: whole bytes, cpu seconds with two
 * decimals) are stored as their integer mantissas, and both timestamps and mantissas as deltas (from a base) or
 * delta-of-deltas, divided by their greatest common divisor, zigzag-coded and bit-packed in groups of
 * {@value #GROUP} with one width per group, dense or with a bitmap of the non-zero ones. A few values that are not
 * such decimals (stale markers, NaN, -0.0) are kept raw as exceptions.
 *
 * <p>Reusable and not thread-safe: keep one per writer thread.
 */
public final class DecimalEncoder {
  public static final byte ENCODING_DECIMAL = 2;
  static final int GROUP = 64;
  static final int MAX_SCALE = 15;
  static final double[] POW10 = new double[MAX_SCALE + 1];
  private static final double MANTISSA_LIMIT = 0x1p53; // |m| below it converts to double exactly

  static {
    for (int i = 0; i <= MAX_SCALE; i++) {
      POW10[i] = Double.parseDouble("1e" + i); // exact: powers of ten up to 1e22 are doubles
    }
  }

  private long[] mantissas = new long[0];
  private long[] tsItems = new long[0];
  private long[] valItems = new long[0];
  private long[] sorted = new long[0];
  private int[] exPos = new int[8];
  private int exCount;
  private final BitOut out = new BitOut();
  // result of plan()
  private boolean planDod;
  private long planP;
  private long planG;

  /**
   * Encodes {@code n} samples starting at {@code from} (timestamps strictly increasing, values as raw bits), or returns
   * null when more than a quarter of the values are not decimals of one scale (XOR suits such chunks).
   */
  public byte[] encode(long[] ts, long[] valueBits, int from, int n) {
    requireNonNull(ts, "ts");
    requireNonNull(valueBits, "valueBits");
    if (n < 1 || n > XorChunk.MAX_SAMPLES) {
      throw new IllegalArgumentException("samples: " + n + " (expected: 1 to " + XorChunk.MAX_SAMPLES + ")");
    }
    if (mantissas.length < n) {
      int cap = Math.max(n, 2 * mantissas.length);
      mantissas = new long[cap];
      tsItems = new long[cap];
      valItems = new long[cap];
      sorted = new long[cap];
    }
    int scale = chooseScale(valueBits, from, n);
    if (scale < 0) {
      return null;
    }
    fillMantissas(valueBits, from, n, scale);

    out.reset();
    out.writeByte(ENCODING_DECIMAL);
    out.writeBits(n, 16);
    boolean tsDod = false;
    long tsP = 0;
    long tsG = 1;
    boolean valDod = false;
    long valP = 0;
    long valG = 1;
    if (n >= 2) {
      plan(ts, from, n, tsItems);
      tsDod = planDod;
      tsP = planP;
      tsG = planG;
      plan(mantissas, 0, n, valItems);
      valDod = planDod;
      valP = planP;
      valG = planG;
    }
    out.writeByte((tsDod ? 1 : 0) | (valDod ? 2 : 0) | (exCount > 0 ? 4 : 0) | (scale << 3));
    out.writeVarint(ts[from]);
    if (n >= 2) {
      out.writeVarint(tsP);
      out.writeUvarint(tsG);
    }
    out.writeVarint(mantissas[0]);
    if (n >= 2) {
      out.writeVarint(valP);
      out.writeUvarint(valG);
    }
    if (exCount > 0) {
      out.writeUvarint(exCount);
      int prev = 0;
      for (int k = 0; k < exCount; k++) {
        out.writeUvarint(exPos[k] - prev);
        prev = exPos[k];
        out.writeBits(valueBits[from + exPos[k]], 64);
      }
    }
    for (int s = 0; s < n - 1; s += GROUP) {
      int len = Math.min(GROUP, n - 1 - s);
      writeGroup(tsItems, s, len);
      writeGroup(valItems, s, len);
    }
    return out.toByteArray();
  }

  /** The smallest scale at which all but the fewest values are exact decimals; -1 if over a quarter never are. */
  private int chooseScale(long[] vb, int from, int n) {
    int limit = n / 4;
    int best = -1;
    int bestFails = Integer.MAX_VALUE;
    for (int e = 0; e <= MAX_SCALE; e++) {
      int cap = Math.min(limit, bestFails - 1);
      int fails = 0;
      boolean ok = false;
      for (int i = 0; i < n; i++) {
        long bits = vb[from + i];
        // flat gauges repeat their value: the answer is the previous one's
        if (i == 0 || bits != vb[from + i - 1]) {
          ok = mantissa(bits, e) != Long.MIN_VALUE;
        }
        if (!ok && ++fails > cap) {
          break;
        }
      }
      if (fails <= cap) {
        best = e;
        bestFails = fails;
        if (fails == 0) {
          break;
        }
      }
    }
    return best;
  }

  /** m with m / 10^e == the value, bit for bit; Long.MIN_VALUE when there is none. */
  static long mantissa(long bits, int e) {
    double v = Double.longBitsToDouble(bits);
    double x = v * POW10[e];
    if (!(Math.abs(x) < MANTISSA_LIMIT)) {
      return Long.MIN_VALUE; // also NaN and the infinities
    }
    long m = Math.round(x);
    return Double.doubleToRawLongBits(m / POW10[e]) == bits ? m : Long.MIN_VALUE;
  }

  private void fillMantissas(long[] vb, int from, int n, int e) {
    exCount = 0;
    long first = Long.MIN_VALUE;
    for (int i = 0; i < n; i++) {
      long m = mantissa(vb[from + i], e);
      mantissas[i] = m;
      if (m == Long.MIN_VALUE) {
        if (exCount == exPos.length) {
          exPos = Arrays.copyOf(exPos, 2 * exCount);
        }
        exPos[exCount++] = i;
      } else if (first == Long.MIN_VALUE) {
        first = m;
      }
    }
    // an exception takes its predecessor's mantissa (the first valid one at the start), so it costs no delta bits
    for (int k = 0; k < exCount; k++) {
      int i = exPos[k];
      mantissas[i] = i == 0 ? (first == Long.MIN_VALUE ? 0 : first) : mantissas[i - 1];
    }
  }

  /**
   * Chooses for x[off..off+n) the cheaper of deltas from their median and delta-of-deltas from the first delta, and
   * writes its zigzag items (divided by their gcd) to items[0..n-1).
   */
  private void plan(long[] x, int off, int n, long[] items) {
    int k = n - 1;
    for (int i = 1; i < n; i++) {
      sorted[i - 1] = x[off + i] - x[off + i - 1];
    }
    long first = sorted[0];
    Arrays.sort(sorted, 0, k);
    long median = sorted[(k - 1) / 2];
    fill(x, off, n, items, false, median);
    long deltaBits = packedBits(items, k) + 8L * (varintLen(median) + varintLen(planG));
    long deltaG = planG;
    fill(x, off, n, items, true, first);
    long dodBits = packedBits(items, k) + 8L * (varintLen(first) + varintLen(planG));
    if (deltaBits <= dodBits) {
      fill(x, off, n, items, false, median);
      planDod = false;
      planP = median;
      planG = deltaG;
    } else {
      planDod = true;
      planP = first;
    }
  }

  private void fill(long[] x, int off, int n, long[] items, boolean dod, long p) {
    long prevDelta = p;
    long g = 0;
    for (int i = 1; i < n; i++) {
      long d = x[off + i] - x[off + i - 1];
      long item = dod ? d - prevDelta : d - p;
      prevDelta = d;
      items[i - 1] = item;
      if (item != 0 && g != 1) {
        g = item == Long.MIN_VALUE ? 1 : gcd(g, Math.abs(item));
      }
    }
    if (g == 0) {
      g = 1;
    }
    for (int i = 0; i < n - 1; i++) {
      long item = g == 1 ? items[i] : items[i] / g;
      items[i] = (item << 1) ^ (item >> 63);
    }
    planG = g;
  }

  private static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  private static int varintLen(long v) {
    long z = (v << 1) ^ (v >> 63);
    return Math.max(1, (64 - Long.numberOfLeadingZeros(z) + 6) / 7);
  }

  private static long packedBits(long[] items, int k) {
    long bits = 0;
    for (int s = 0; s < k; s += GROUP) {
      int len = Math.min(GROUP, k - s);
      long or = 0;
      int nz = 0;
      for (int j = s; j < s + len; j++) {
        or |= items[j];
        nz += items[j] != 0 ? 1 : 0;
      }
      int w = 64 - Long.numberOfLeadingZeros(or);
      bits += 8 + (w == 0 ? 0 : Math.min((long) len * w, len + (long) nz * w));
    }
    return bits;
  }

  private void writeGroup(long[] items, int s, int len) {
    long or = 0;
    int nz = 0;
    for (int j = s; j < s + len; j++) {
      or |= items[j];
      nz += items[j] != 0 ? 1 : 0;
    }
    int w = 64 - Long.numberOfLeadingZeros(or);
    if (w == 0) {
      out.writeByte(0);
      return;
    }
    if ((long) len * w <= len + (long) nz * w) {
      out.writeByte(w);
      for (int j = s; j < s + len; j++) {
        out.writeBits(items[j], w);
      }
      return;
    }
    out.writeByte(0x80 | w);
    long bitmap = 0;
    for (int j = 0; j < len; j++) {
      if (items[s + j] != 0) {
        bitmap |= 1L << j;
      }
    }
    out.writeBits(bitmap, len);
    for (int j = s; j < s + len; j++) {
      if (items[j] != 0) {
        out.writeBits(items[j], w);
      }
    }
  }
}
