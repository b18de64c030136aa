package io.loupe.query.promql;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A query's value with the annotations Prometheus returns beside it: {@code warnings} ("PromQL warning: ...") and
 * {@code infos} ("PromQL info: ..."), deduplicated, in the order they arose.
 */
public record QueryResult(Value value, List<String> warnings, List<String> infos) {
  public QueryResult {
    requireNonNull(value, "value");
    warnings = List.copyOf(warnings);
    infos = List.copyOf(infos);
  }
}
