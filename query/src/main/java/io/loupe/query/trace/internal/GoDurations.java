package io.loupe.query.trace.internal;

import io.loupe.model.InvalidInputException;
import java.math.BigDecimal;

/** Go's {@code time.ParseDuration} syntax, which Tempo and Jaeger take for durations: {@code 1.5s}, {@code 1h30m}. */
public final class GoDurations {
  private GoDurations() {}

  /**
   * Nanoseconds of {@code s}: one or more decimal numbers each with a unit {@code ns us µs μs ms s m h}, or a bare
   * {@code 0}; not negative. Throws {@link InvalidInputException} naming {@code name} otherwise.
   */
  public static long parseNanos(String name, String s) {
    if (s.equals("0")) {
      return 0;
    }
    BigDecimal total = BigDecimal.ZERO;
    int i = 0;
    if (s.isEmpty()) {
      throw bad(name, s);
    }
    while (i < s.length()) {
      int start = i;
      while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        i++;
      }
      if (i == start) {
        throw bad(name, s);
      }
      BigDecimal number;
      try {
        number = new BigDecimal(s.substring(start, i));
      } catch (NumberFormatException e) {
        throw bad(name, s);
      }
      int unitStart = i;
      while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
        i++;
      }
      long unit = unitNanos(s.substring(unitStart, i));
      if (unit < 0) {
        throw bad(name, s);
      }
      total = total.add(number.multiply(BigDecimal.valueOf(unit)));
    }
    if (total.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw new InvalidInputException(name + ": '" + s + "' (expected: a duration below 292 years)");
    }
    return total.longValue();
  }

  /** Nanoseconds in one {@code unit}, or -1 for an unknown unit. */
  static long unitNanos(String unit) {
    return switch (unit) {
      case "ns" -> 1L;
      case "us", "µs", "μs" -> 1_000L;
      case "ms" -> 1_000_000L;
      case "s" -> 1_000_000_000L;
      case "m" -> 60_000_000_000L;
      case "h" -> 3_600_000_000_000L;
      default -> -1;
    };
  }

  private static InvalidInputException bad(String name, String s) {
    return new InvalidInputException(name + ": '" + s + "' (expected: a duration such as 100ms, 1.5s or 1h30m)");
  }
}
