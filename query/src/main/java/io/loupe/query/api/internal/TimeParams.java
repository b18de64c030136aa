package io.loupe.query.api.internal;

import io.loupe.query.promql.QueryException;
import io.loupe.query.promql.QueryException.ErrorType;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Prometheus's time and duration parameters: RFC3339 or float seconds; {@code 5m}-style or float-second durations. */
public final class TimeParams {
  /**
   * "All of time" for defaulted ranges: a quarter of the long range either way, so that {@code end - start} and a
   * lookback subtracted by a store never overflow.
   */
  public static final long MIN_TIME_MS = Long.MIN_VALUE / 4;

  public static final long MAX_TIME_MS = Long.MAX_VALUE / 4;

  // What Prometheus's clients send for its own MinTime and MaxTime (web/api/v1: minTimeFormatted, maxTimeFormatted).
  private static final String PROM_MIN_TIME = "-292273086-05-16T16:47:06Z";
  private static final String PROM_MAX_TIME = "292277025-08-18T07:12:54.999999999Z";

  private static final Pattern FLOAT = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
  private static final Pattern DURATION = Pattern.compile(
      "(?:(\\d+)y)?(?:(\\d+)w)?(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?(?:(\\d+)ms)?");
  private static final long[] UNIT_MS = {
    365L * 24 * 3600_000, 7L * 24 * 3600_000, 24L * 3600_000, 3600_000L, 60_000L, 1000L, 1L
  };

  private TimeParams() {}

  /**
   * Milliseconds since the epoch of {@code s}: float seconds (fraction rounded to the millisecond, no range check, as
   * Prometheus: Grafana's exemplar probe sends milliseconds as "seconds") or RFC3339 with optional fraction.
   */
  public static long parseTime(String s) {
    if (FLOAT.matcher(s).matches()) {
      double d = Double.parseDouble(s);
      // clamp rather than overflow: 9.2e15 s is 292 million years either way
      if (d >= MAX_TIME_MS / 1000.0) {
        return MAX_TIME_MS;
      }
      if (d <= MIN_TIME_MS / 1000.0) {
        return MIN_TIME_MS;
      }
      double whole = d < 0 ? Math.ceil(d) : Math.floor(d);
      long fracMs = Math.round((d - whole) * 1000);
      return (long) whole * 1000 + fracMs;
    }
    if (s.equals(PROM_MIN_TIME)) {
      return MIN_TIME_MS;
    }
    if (s.equals(PROM_MAX_TIME)) {
      return MAX_TIME_MS;
    }
    try {
      Instant t = OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
      if (t.getEpochSecond() >= MAX_TIME_MS / 1000) {
        return MAX_TIME_MS;
      }
      if (t.getEpochSecond() <= MIN_TIME_MS / 1000) {
        return MIN_TIME_MS;
      }
      return t.toEpochMilli();
    } catch (DateTimeException e) {
      throw new IllegalArgumentException("cannot parse \"" + s + "\" to a valid timestamp");
    }
  }

  /** The time parameter {@code name} of {@code p}, or {@code dflt} when absent; bad_data naming the parameter. */
  public static long timeParam(Params p, String name, long dflt) {
    String v = p.get(name);
    if (v.isEmpty()) {
      return dflt;
    }
    try {
      return parseTime(v);
    } catch (IllegalArgumentException e) {
      throw invalidParam(name, "invalid time value for '" + name + "': " + e.getMessage());
    }
  }

  /** A required time parameter: missing reads as Prometheus's "cannot parse \"\" to a valid timestamp". */
  public static long requiredTime(Params p, String name) {
    try {
      return parseTime(p.get(name));
    } catch (IllegalArgumentException e) {
      throw invalidParam(name, e.getMessage());
    }
  }

  /** Milliseconds of {@code s}: float seconds or a Prometheus duration ({@code 1h30m}, {@code 15s}, {@code 500ms}). */
  public static long parseDurationMs(String s) {
    if (FLOAT.matcher(s).matches()) {
      double ms = Double.parseDouble(s) * 1000;
      if (ms > Long.MAX_VALUE || ms < Long.MIN_VALUE) {
        throw new IllegalArgumentException("cannot parse \"" + s + "\" to a valid duration. It overflows int64");
      }
      return (long) ms;
    }
    Matcher m = DURATION.matcher(s);
    if (s.isEmpty() || !m.matches()) {
      throw new IllegalArgumentException("cannot parse \"" + s + "\" to a valid duration");
    }
    long total = 0;
    try {
      for (int i = 0; i < UNIT_MS.length; i++) {
        String g = m.group(i + 1);
        if (g != null) {
          total = Math.addExact(total, Math.multiplyExact(Long.parseLong(g), UNIT_MS[i]));
        }
      }
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("cannot parse \"" + s + "\" to a valid duration. It overflows int64");
    }
    return total;
  }

  /** bad_data {@code invalid parameter "name": detail}, Prometheus's wording. */
  public static QueryException invalidParam(String name, String detail) {
    return new QueryException(ErrorType.BAD_DATA, "invalid parameter \"" + name + "\": " + detail);
  }
}
