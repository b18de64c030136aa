package io.loupe.query.api.internal;

import com.fasterxml.jackson.core.io.NumberOutput;
import java.nio.charset.StandardCharsets;

/**
 * Numbers as Prometheus's JSON writes them. The {@code append*} methods write ASCII into a caller's {@code byte[]} so that a
 * result of millions of points is written without a {@code String} per timestamp and value: the {@code BigDecimal}
 * that spelled out large and small values and a {@code StringBuilder} per timestamp were ~60% of the CPU of answering
 * a 384-series range query of 1e11-sized gauges (PromqlBenchmark {@code ne_regex}).
 */
public final class ValueFormat {
  /** Room {@link #appendValue} may need: 309 integer digits of the largest double, or "0." and 323 zeros and 17 digits. */
  public static final int MAX_VALUE_CHARS = 350;

  /** Room {@link #appendTimestamp} may need: a sign, 19 digits, a point and 3 digits. */
  public static final int MAX_TIMESTAMP_CHARS = 24;

  private ValueFormat() {}

  /**
   * A sample value as Go's {@code strconv.FormatFloat(v, 'f', -1, 64)}: shortest digits, never an exponent; {@code
   * NaN}, {@code +Inf}, {@code -Inf}.
   */
  public static String value(double v) {
    byte[] buf = new byte[MAX_VALUE_CHARS];
    return new String(buf, 0, appendValue(buf, 0, v), StandardCharsets.US_ASCII);
  }

  /**
   * Writes {@link #value} of {@code v} into {@code buf} at {@code pos} (which has {@link #MAX_VALUE_CHARS} free);
   * returns the position after it.
   */
  public static int appendValue(byte[] buf, int pos, double v) {
    if (Double.isNaN(v)) {
      return appendAscii(buf, pos, "NaN");
    }
    if (v == Double.POSITIVE_INFINITY) {
      return appendAscii(buf, pos, "+Inf");
    }
    if (v == Double.NEGATIVE_INFINITY) {
      return appendAscii(buf, pos, "-Inf");
    }
    if (v == 0) {
      return appendAscii(buf, pos, Double.doubleToRawLongBits(v) == 0 ? "0" : "-0");
    }
    // fast path: most samples are counters and gauges with integral values
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return appendLong(buf, pos, (long) v);
    }
    int p = appendFewDecimals(buf, pos, v);
    if (p >= 0) {
      return p;
    }
    // Jackson's Schubfach writer: the shortest digits that round-trip, as Go prints (JDK 17's Double.toString is not
    // always shortest). Its output is plain (no exponent) for 1e-3 <= |v| < 1e7, where a non-integral value never ends
    // in ".0"; elsewhere it is d.dddE[-]x, spelled out here without an exponent.
    String s = NumberOutput.toString(v, true);
    int e = s.indexOf('E');
    if (e < 0) {
      return appendAscii(buf, pos, s);
    }
    int i = 0;
    if (s.charAt(0) == '-') {
      buf[pos++] = '-';
      i = 1;
    }
    // digits without the point, trailing zeros dropped: value = 0.d1d2...dn * 10^(exp + 1)
    byte[] digits = new byte[20];
    int n = 0;
    for (int k = i; k < e; k++) {
      char c = s.charAt(k);
      if (c != '.') {
        digits[n++] = (byte) c;
      }
    }
    while (n > 1 && digits[n - 1] == '0') {
      n--;
    }
    int exp = Integer.parseInt(s, e + 1, s.length(), 10); // value = d1.d2...dn * 10^exp
    if (exp >= n - 1) {
      System.arraycopy(digits, 0, buf, pos, n);
      pos += n;
      for (int z = 0; z < exp - (n - 1); z++) {
        buf[pos++] = '0';
      }
      return pos;
    }
    if (exp >= 0) {
      System.arraycopy(digits, 0, buf, pos, exp + 1);
      pos += exp + 1;
      buf[pos++] = '.';
      System.arraycopy(digits, exp + 1, buf, pos, n - exp - 1);
      return pos + n - exp - 1;
    }
    buf[pos++] = '0';
    buf[pos++] = '.';
    for (int z = 0; z < -exp - 1; z++) {
      buf[pos++] = '0';
    }
    System.arraycopy(digits, 0, buf, pos, n);
    return pos + n;
  }

  /** The most decimals {@link #appendFewDecimals} tries. */
  private static final int MAX_FEW_DECIMALS = 6;

  private static final double[] POW10 = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
  private static final long[] POW10_LONG = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000};

  /**
   * Values with a few decimals (gauges kept at a resolution: 0.01 load averages, ratios, averages of such) without
   * Schubfach: for the fewest decimals {@code k} such that {@code m = round(|v| * 10^k)} gives {@code m / 10^k == |v|}
   * (one correctly rounded division: the decimal {@code m * 10^-k} reads back as {@code v}), those digits are the
   * shortest that round-trip, so what Schubfach would write, unless {@code m - 1} or {@code m + 1} read back as {@code
   * v} too (then the closest of them is wanted, and Schubfach decides). Returns -1 when there is no such {@code k <=
   * 6}. Schubfach was 25% of answering {@code avg_over_time(node_load1[5m])} over 192 series.
   */
  static int appendFewDecimals(byte[] buf, int pos, double v) {
    double a = Math.abs(v);
    for (int k = 1; k <= MAX_FEW_DECIMALS; k++) {
      double scaled = a * POW10[k];
      if (scaled >= 0x1p50) {
        return -1; // past here the product's rounding could pick the wrong integer
      }
      double m = Math.rint(scaled);
      // |scaled - m| is a few ulps at most when some m / 10^k is a: skip the divisions otherwise
      if (Math.abs(scaled - m) > scaled * 0x1p-49 || m / POW10[k] != a) {
        continue;
      }
      if ((m - 1) / POW10[k] == a || (m + 1) / POW10[k] == a) {
        return -1;
      }
      long lm = (long) m;
      if (v < 0) {
        buf[pos++] = '-';
      }
      long ip = lm / POW10_LONG[k];
      pos = appendLong(buf, pos, ip);
      buf[pos++] = '.';
      long fp = lm - ip * POW10_LONG[k];
      for (int d = pos + k - 1; d >= pos; d--) {
        long q = fp / 10;
        buf[d] = (byte) ('0' + (fp - q * 10));
        fp = q;
      }
      return pos + k;
    }
    return -1;
  }

  /**
   * A millisecond timestamp as Prometheus's float seconds: {@code 1435781451.781}, {@code 1767436620} when whole, the
   * fraction always three digits ({@code 1.500}) as its {@code marshalTimestamp} writes it.
   */
  public static String timestamp(long ms) {
    byte[] buf = new byte[MAX_TIMESTAMP_CHARS];
    return new String(buf, 0, appendTimestamp(buf, 0, ms), StandardCharsets.US_ASCII);
  }

  /** Writes {@link #timestamp} of {@code ms} into {@code buf} at {@code pos}; returns the position after it. */
  public static int appendTimestamp(byte[] buf, int pos, long ms) {
    long t = ms;
    if (t < 0) {
      buf[pos++] = '-';
      t = -t; // Long.MIN_VALUE never reaches here: times are clamped to a quarter of the range
    }
    pos = appendLong(buf, pos, t / 1000);
    int frac = (int) (t % 1000);
    if (frac != 0) {
      buf[pos++] = '.';
      buf[pos++] = (byte) ('0' + frac / 100);
      buf[pos++] = (byte) ('0' + frac / 10 % 10);
      buf[pos++] = (byte) ('0' + frac % 10);
    }
    return pos;
  }

  /** Decimal digits of {@code v} (not {@code Long.MIN_VALUE}). */
  static int appendLong(byte[] buf, int pos, long v) {
    if (v < 0) {
      buf[pos++] = '-';
      v = -v;
    }
    if (v <= Integer.MAX_VALUE) {
      return appendInt(buf, pos, (int) v); // timestamps in seconds until 2038, most integral values
    }
    // Byte counts and sizes past 2^31 are common values: one long division per 8 digits, the rest in ints (a digit
    // at a time in longs was a third of writing a range answer of file system sizes).
    long hi = v / 100_000_000L;
    pos = appendLong(buf, pos, hi);
    return appendEightDigits(buf, pos, (int) (v - hi * 100_000_000L));
  }

  /** Exactly eight digits of {@code 0 <= v < 10^8}, leading zeros included. */
  private static int appendEightDigits(byte[] buf, int pos, int v) {
    for (int p = pos + 8; p > pos; ) {
      int q = v / 100;
      int r = v - q * 100;
      buf[--p] = DIGIT_ONES[r];
      buf[--p] = DIGIT_TENS[r];
      v = q;
    }
    return pos + 8;
  }

  /** Decimal digits of {@code v >= 0}, two at a time: int division is cheaper than long division. */
  private static int appendInt(byte[] buf, int pos, int v) {
    int len = 1;
    while (len < POWERS_OF_TEN.length && v >= POWERS_OF_TEN[len]) { // compares, not divisions
      len++;
    }
    int p = pos + len;
    while (v >= 100) {
      int q = v / 100;
      int r = v - q * 100;
      buf[--p] = DIGIT_ONES[r];
      buf[--p] = DIGIT_TENS[r];
      v = q;
    }
    if (v >= 10) {
      buf[--p] = DIGIT_ONES[v];
      buf[--p] = DIGIT_TENS[v];
    } else {
      buf[--p] = (byte) ('0' + v);
    }
    return pos + len;
  }

  private static final int[] POWERS_OF_TEN = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000,
      1_000_000_000};
  private static final byte[] DIGIT_TENS = new byte[100];
  private static final byte[] DIGIT_ONES = new byte[100];

  static {
    for (int i = 0; i < 100; i++) {
      DIGIT_TENS[i] = (byte) ('0' + i / 10);
      DIGIT_ONES[i] = (byte) ('0' + i % 10);
    }
  }

  private static int appendAscii(byte[] buf, int pos, String s) {
    for (int i = 0; i < s.length(); i++) {
      buf[pos + i] = (byte) s.charAt(i);
    }
    return pos + s.length();
  }
}
