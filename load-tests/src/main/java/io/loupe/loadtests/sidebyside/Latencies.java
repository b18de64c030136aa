package io.loupe.loadtests.sidebyside;

import java.util.Arrays;

/** Order statistics of a small set of measured latencies (all kept, sorted, nearest-rank). */
public final class Latencies {
  private Latencies() {}

  /**
   * The {@code q}-quantile of {@code millis} by nearest rank: the smallest value with at least q of the values at or
   * below it (median of 20 is the 10th, p90 of 20 is the 18th). NaN when empty.
   */
  public static double quantile(double[] millis, double q) {
    if (!(q > 0 && q <= 1)) {
      throw new IllegalArgumentException("q: " + q + " (expected: in (0, 1])");
    }
    if (millis.length == 0) {
      return Double.NaN;
    }
    double[] s = millis.clone();
    Arrays.sort(s);
    int rank = (int) Math.ceil(q * s.length);
    return s[Math.max(0, rank - 1)];
  }
}
