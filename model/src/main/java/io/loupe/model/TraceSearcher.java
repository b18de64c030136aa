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

  // The listings of spans started within [startNanos, endNanos]. A store answers at its own granularity (whole
  // segments or blocks, as Tempo does): a name or value may come from a span just outside the range, and none of a
  // span inside it is left out. The defaults ignore the range.

  /** {@link #services(Tenant)} of spans started within {@code [startNanos, endNanos]}, at the store's granularity. */
  default List<String> services(Tenant tenant, long startNanos, long endNanos) {
    return services(tenant);
  }

  /** {@link #operations(Tenant, String)} within {@code [startNanos, endNanos]}, at the store's granularity. */
  default List<String> operations(Tenant tenant, String service, long startNanos, long endNanos) {
    return operations(tenant, service);
  }

  /** {@link #tagNames(Tenant, TagScope)} within {@code [startNanos, endNanos]}, at the store's granularity. */
  default List<String> tagNames(Tenant tenant, TagScope scope, long startNanos, long endNanos) {
    return tagNames(tenant, scope);
  }

  /** {@link #tagValues(Tenant, TagScope, String, int)} within {@code [startNanos, endNanos]}, at the granularity. */
  default List<String> tagValues(Tenant tenant, TagScope scope, String key, int limit, long startNanos,
      long endNanos) {
    return tagValues(tenant, scope, key, limit);
  }
}
