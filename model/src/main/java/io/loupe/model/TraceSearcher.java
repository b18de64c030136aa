package io.loupe.model;

import java.util.List;

/**
 * The search side of a trace store, what Tempo- and Jaeger-style APIs need besides trace by id. Every method sees
 * only {@code tenant}'s data. Thread-safe. New methods get a default body.
 */
public interface TraceSearcher {
  /** Traces with a span matching {@code query}, newest first, at most {@code query.limit()}. */
  List<TraceSummary> search(Tenant tenant, TraceQuery query);

  /** Sorted distinct {@code service.name} values. */
  List<String> services(Tenant tenant);

  /** Sorted distinct span names of {@code service}. */
  List<String> operations(Tenant tenant, String service);

  /** Sorted distinct attribute keys in {@code scope} ({@code ANY}: both scopes, merged). */
  List<String> tagNames(Tenant tenant, TagScope scope);

  /** Sorted distinct values (string forms) of attribute {@code key} in {@code scope}, at most {@code limit}. */
  List<String> tagValues(Tenant tenant, TagScope scope, String key, int limit);
}
