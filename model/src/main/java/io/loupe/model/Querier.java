package io.loupe.model;

import java.util.Iterator;
import java.util.List;

/**
 * Reads one tenant's series over a fixed time range. Obtained from {@link Queryable}; closed when the query ends, which
 * frees whatever the store pinned for it. Not thread-safe.
 */
public interface Querier extends AutoCloseable {
  /**
   * The series matching all {@code matchers} (at least one of which must not match the empty string), sorted by
   * labels, with samples limited to the hints' range.
   */
  Iterator<Series> select(SelectHints hints, List<Matcher> matchers);

  /** Sorted label names of the series matching {@code matchers} (all series when empty). */
  List<String> labelNames(List<Matcher> matchers);

  /** Sorted distinct values of label {@code name} over the series matching {@code matchers} (all when empty). */
  List<String> labelValues(String name, List<Matcher> matchers);

  @Override
  void close();
}
