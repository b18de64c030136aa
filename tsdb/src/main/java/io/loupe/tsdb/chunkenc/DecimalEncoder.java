package io.loupe.tsdb.chunkenc;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;

/**
 * Encodes samples as a decimal chunk ({@link #ENCODING_DECIMAL}, docs/format/tsdb-chunk.md), the encoding of block
 * chunks: values that are exact decimals {@code m / 10^scale} (what exporters print: whole bytes, cpu seconds with two
 * decimals) are stored as their integer mantissas, and both timestamps and mantissas as deltas (from a base) or
 * delta-of-deltas, divided by their greatest common divisor, zigzag-coded and bit-packed in groups of
 * {@value #GROUP} with one width per group, dense or with a bitmap of the non-zero ones. A few values that are not
 * such decimals (stale markers, NaN, -0.0) are kept raw as exceptions. Values a few ulps off decimals (sums of decimals
 * in floating point) are stored as mantissas plus the difference of their bits, a third sequence coded the same way.
 *
 * <p>Reusable and not thread-safe: keep one per writer thread.
 */
public final class DecimalEncoder {
  public static final byte ENCODING_DECIMAL = 2;
  static final int GROUP = 64;
  static final int MAX_SCALE = 15;
  // how a sequence becomes items
  static final int DELTA = 0;
  static final int DOD = 1;
  static final int GRID = 2;
  // how a group of items is packed (the top 2 bits of its header)
  static final int ZERO = 0;
  static final int DENSE = 1;
  static final int BITMAP = 2;
  static final int POSITIONS = 3;
  static final double[] POW10 = new double[MAX_SCALE + 1];
  private static final double MANTISSA_LIMIT = 0x1p53; // |m| below it converts to double exactly

  static {
    for (int i = 0; i <= MAX_SCALE; i++) {
      POW10[i] = Double.parseDouble("1e" + i); // exact: powers of ten up to 1e22 are doubles
    }
  }

  /** Residuals beyond this many ulps make a value an exception. */
  static final long MAX_RESIDUAL = 1 << 16;

  private long[] mantissas = new long[0];
  private long[] residuals = new long[0];
  private long residual; // set by nearMantissa
  private long[] tsItems = new long[0];
  private long[] valItems = new long[0];
  private long[] resItems = new long[0];
  private long[] sorted = new long[0];
  private int[] exPos = new int[8];
  private int exCount;
  private final BitOut out = new BitOut();
  // result of plan()
  private int planMode;
  private long planP;
  private long planG;

  /**
   * Encodes {@code n} samples starting at {@code from} (timestamps strictly increasing, values as raw bits), or returns
   * null when more than a quarter of the values are neither decimals of one scale nor within {@code 2^16} ulps of one
   * (XOR suits such chunks).
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
      residuals = new long[cap];
      tsItems = new long[cap];
      valItems = new long[cap];
      resItems = new long[cap];
      sorted = new long[cap];
    }
    byte[] best = null;
    int finiteExceptions = 0;
    int scale = chooseScale(valueBits, from, n, false);
    if (scale >= 0) {
      finiteExceptions = fillMantissas(valueBits, from, n, scale, false);
      best = write(ts, valueBits, from, n, scale, false);
    }
    // Values computed by adding decimals in floating point drift a few ulps off the decimal; as mantissa plus an ulp
    // correction they cost a few bits more than exact decimals instead of XOR's 50-60 (TsdbFiguresMain's counters).
    if (scale < 0 || finiteExceptions > 0) {
      int rs = chooseScale(valueBits, from, n, true);
      if (rs >= 0) {
        fillMantissas(valueBits, from, n, rs, true);
        byte[] r = write(ts, valueBits, from, n, rs, true);
        if (best == null || r.length < best.length) {
          best = r;
        }
      }
    }
    return best;
  }

  private byte[] write(long[] ts, long[] valueBits, int from, int n, int scale, boolean withResiduals) {
    out.reset();
    out.writeByte(ENCODING_DECIMAL);
    out.writeBits(n, 16);
    int tsMode = 0;
    long tsP = 0;
    long tsG = 1;
    int valMode = 0;
    long valP = 0;
    long valG = 1;
    int resMode = 0;
    long resP = 0;
    long resG = 1;
    if (n >= 2) {
      plan(ts, from, n, tsItems);
      tsMode = planMode;
      tsP = planP;
      tsG = planG;
      plan(mantissas, 0, n, valItems);
      valMode = planMode;
      valP = planP;
      valG = planG;
      if (withResiduals) {
        plan(residuals, 0, n, resItems);
        resMode = planMode;
        resP = planP;
        resG = planG;
      }
    }
    out.writeBits(tsMode | valMode << 2 | resMode << 4 | (exCount > 0 ? 1 << 6 : 0) | (withResiduals ? 1 << 7 : 0)
        | scale << 8, 16);
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
    if (withResiduals) {
      out.writeVarint(residuals[0]);
      if (n >= 2) {
        out.writeVarint(resP);
        out.writeUvarint(resG);
      }
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
      if (withResiduals) {
        writeGroup(resItems, s, len);
      }
    }
    return out.toByteArray();
  }

  /**
   * The smallest scale at which all but the fewest values are exact decimals (or, with residuals, within
   * {@link #MAX_RESIDUAL} ulps of one); -1 if over a quarter never are.
   */
  private int chooseScale(long[] vb, int from, int n, boolean withResiduals) {
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
          ok = (withResiduals ? nearMantissa(bits, e) : mantissa(bits, e)) != Long.MIN_VALUE;
        }
        if (!ok && ++fails > cap) {
          break;
        }
      }
      if (fails <= cap) {
        best = e;
        bestFails = fails;
        if (fails == 0 || withResiduals) {
          break; // with residuals a larger scale only moves bits from the residual to the mantissa
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

  /**
   * The nearest m, with {@link #residual} set to the value's bits minus those of m / 10^e when that is within
   * {@link #MAX_RESIDUAL}; Long.MIN_VALUE when there is none.
   */
  private long nearMantissa(long bits, int e) {
    double v = Double.longBitsToDouble(bits);
    double x = v * POW10[e];
    if (!(Math.abs(x) < MANTISSA_LIMIT)) {
      return Long.MIN_VALUE;
    }
    long m = Math.round(x);
    long r = bits - Double.doubleToRawLongBits(m / POW10[e]);
    if (r < -MAX_RESIDUAL || r > MAX_RESIDUAL) {
      return Long.MIN_VALUE;
    }
    residual = r;
    return m;
  }

  /** Fills mantissas (and residuals) and the exceptions; returns how many exceptions are finite values. */
  private int fillMantissas(long[] vb, int from, int n, int e, boolean withResiduals) {
    exCount = 0;
    int finite = 0;
    long first = Long.MIN_VALUE;
    long firstResidual = 0;
    for (int i = 0; i < n; i++) {
      long m = withResiduals ? nearMantissa(vb[from + i], e) : mantissa(vb[from + i], e);
      mantissas[i] = m;
      residuals[i] = withResiduals ? residual : 0;
      if (m == Long.MIN_VALUE) {
        if (exCount == exPos.length) {
          exPos = Arrays.copyOf(exPos, 2 * exCount);
        }
        exPos[exCount++] = i;
        finite += Double.isFinite(Double.longBitsToDouble(vb[from + i])) ? 1 : 0;
      } else if (first == Long.MIN_VALUE) {
        first = m;
        firstResidual = residuals[i];
      }
    }
    // an exception takes its predecessor's mantissa (the first valid one at the start), so it costs no delta bits
    for (int k = 0; k < exCount; k++) {
      int i = exPos[k];
      mantissas[i] = i == 0 ? (first == Long.MIN_VALUE ? 0 : first) : mantissas[i - 1];
      residuals[i] = i == 0 ? firstResidual : residuals[i - 1];
    }
    return finite;
  }

  /**
   * Chooses for x[off..off+n) the cheapest of: deltas from their median ({@link #DELTA}), delta-of-deltas from the
   * first delta ({@link #DOD}) and offsets from the grid x_0 + i * median delta ({@link #GRID}: a late scrape is one
   * non-zero item, not two); writes its zigzag items (divided by their gcd) to items[0..n-1).
   */
  private void plan(long[] x, int off, int n, long[] items) {
    int k = n - 1;
    for (int i = 1; i < n; i++) {
      sorted[i - 1] = x[off + i] - x[off + i - 1];
    }
    long first = sorted[0];
    Arrays.sort(sorted, 0, k);
    long median = sorted[(k - 1) / 2];
    int bestMode = -1;
    long bestBits = Long.MAX_VALUE;
    for (int mode = DELTA; mode <= GRID; mode++) {
      long p = mode == DOD ? first : median;
      fill(x, off, n, items, mode, p);
      long bits = packedBits(items, k) + 8L * (varintLen(p) + varintLen(planG));
      if (bits < bestBits) {
        bestBits = bits;
        bestMode = mode;
      }
    }
    long p = bestMode == DOD ? first : median;
    fill(x, off, n, items, bestMode, p);
    planMode = bestMode;
    planP = p;
  }

  private void fill(long[] x, int off, int n, long[] items, int mode, long p) {
    long prevDelta = p;
    long g = 0;
    long x0 = x[off];
    for (int i = 1; i < n; i++) {
      long d = x[off + i] - x[off + i - 1];
      long item = switch (mode) {
        case DELTA -> d - p;
        case DOD -> d - prevDelta;
        default -> x[off + i] - x0 - i * p;
      };
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
      bits += 8 + (w == 0 ? 0 : Math.min(Math.min((long) len * w, len + (long) nz * w), 6 + nz * (6L + w)));
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
      out.writeByte(ZERO << 6);
      return;
    }
    long dense = (long) len * w;
    long bitmap = len + (long) nz * w;
    long positions = 6 + nz * (6L + w);
    if (dense <= bitmap && dense <= positions) {
      out.writeByte(DENSE << 6 | (w - 1));
      for (int j = s; j < s + len; j++) {
        out.writeBits(items[j], w);
      }
    } else if (bitmap <= positions) {
      out.writeByte(BITMAP << 6 | (w - 1));
      long bits = 0;
      for (int j = 0; j < len; j++) {
        if (items[s + j] != 0) {
          bits |= 1L << j;
        }
      }
      out.writeBits(bits, len);
      for (int j = s; j < s + len; j++) {
        if (items[j] != 0) {
          out.writeBits(items[j], w);
        }
      }
    } else {
      out.writeByte(POSITIONS << 6 | (w - 1));
      out.writeBits(nz - 1, 6);
      for (int j = 0; j < len; j++) {
        if (items[s + j] != 0) {
          out.writeBits(j, 6);
          out.writeBits(items[s + j], w);
        }
      }
    }
  }
}
