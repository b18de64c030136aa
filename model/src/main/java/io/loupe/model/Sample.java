package io.loupe.model;

/** One float sample of a series: milliseconds since the epoch and a value. */
public record Sample(long timestampMs, double value) {
  /**
   * Prometheus's staleness marker: a NaN with this exact bit pattern marks a series as gone at that timestamp. Every
   * other NaN is an ordinary value.
   */
  public static final long STALE_NAN_BITS = 0x7ff0000000000002L;

  public static final double STALE_NAN = Double.longBitsToDouble(STALE_NAN_BITS);

  public static boolean isStaleMarker(double v) {
    return Double.doubleToRawLongBits(v) == STALE_NAN_BITS;
  }

  public boolean isStaleMarker() {
    return isStaleMarker(value);
  }
}
