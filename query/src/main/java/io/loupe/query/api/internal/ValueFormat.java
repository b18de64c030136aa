package io.loupe.query.api.internal;

import com.fasterxml.jackson.core.io.NumberOutput;
import java.math.BigDecimal;

/** Numbers as Prometheus's JSON writes them. */
public final class ValueFormat {
  private ValueFormat() {}

  /**
   * A sample value as Go's {@code strconv.FormatFloat(v, 'f', -1, 64)}: shortest digits, never an exponent; {@code
   * NaN}, {@code +Inf}, {@code -Inf}.
   */
  public static String value(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (v == Double.POSITIVE_INFINITY) {
      return "+Inf";
    }
    if (v == Double.NEGATIVE_INFINITY) {
      return "-Inf";
    }
    if (v == 0) {
      return Double.doubleToRawLongBits(v) == 0 ? "0" : "-0";
    }
    // fast path: most samples are counters and gauges with integral values
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    // Jackson's Schubfach writer: the shortest digits that round-trip, as Go prints (JDK 17's Double.toString is not
    // always shortest). Its output is plain (no exponent) for 1e-3 <= |v| < 1e7, where a
    // non-integral value never ends in ".0"; elsewhere BigDecimal spells the exponent out.
    String s = NumberOutput.toString(v, true);
    if (s.indexOf('E') < 0) {
      return s;
    }
    return new BigDecimal(s).stripTrailingZeros().toPlainString();
  }

  /**
   * A millisecond timestamp as Prometheus's float seconds: {@code 1435781451.781}, {@code 1767436620} when whole, the
   * fraction always three digits ({@code 1.500}) as its {@code marshalTimestamp} writes it.
   */
  public static String timestamp(long ms) {
    StringBuilder sb = new StringBuilder(20);
    long t = ms;
    if (t < 0) {
      sb.append('-');
      t = -t; // Long.MIN_VALUE never reaches here: times are clamped to a quarter of the range
    }
    sb.append(t / 1000);
    long frac = t % 1000;
    if (frac != 0) {
      sb.append('.');
      if (frac < 100) {
        sb.append('0');
      }
      if (frac < 10) {
        sb.append('0');
      }
      sb.append(frac);
    }
    return sb.toString();
  }
}
