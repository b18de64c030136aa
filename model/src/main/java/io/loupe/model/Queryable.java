package io.loupe.model;

import java.util.List;
import java.util.Map;

/** The read side of a metrics store: what the query engine talks to, never the store itself. */
public interface Queryable {
  /** A querier over {@code [mintMs, maxtMs]} of {@code tenant}'s data. */
  Querier querier(Tenant tenant, long mintMs, long maxtMs);

  /**
   * Exemplars in {@code [startMs, endMs]} of the series matching any of the matcher sets. Not abstract: added after the
   * first release of the SPI; stores without exemplars return none.
   */
  default List<SeriesExemplars> exemplars(Tenant tenant, long startMs, long endMs, List<List<Matcher>> matcherSets) {
    return List.of();
  }

  /** Metric metadata by family name, at most {@code limit} families (0: all). */
  default Map<String, List<MetricMetadata>> metadata(Tenant tenant, String metric, int limit) {
    return Map.of();
  }
}
