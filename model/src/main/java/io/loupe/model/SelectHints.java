package io.loupe.model;

/**
 * What a query will do with the series it selects, so a store can skip work: the time range actually needed (which may
 * be narrower than the querier's) and, for metadata calls, whether samples are needed at all.
 */
public record SelectHints(long startMs, long endMs, boolean needSamples, int limit) {
  public SelectHints {
    if (endMs < startMs) {
      throw new InvalidInputException("select range: end " + endMs + " < start " + startMs + " (expected: end >= start)");
    }
    if (limit < 0) {
      throw new InvalidInputException("select limit: " + limit + " (expected: >= 0, 0 means none)");
    }
  }

  public static SelectHints range(long startMs, long endMs) {
    return new SelectHints(startMs, endMs, true, 0);
  }

  public static SelectHints labelsOnly(long startMs, long endMs, int limit) {
    return new SelectHints(startMs, endMs, false, limit);
  }
}
