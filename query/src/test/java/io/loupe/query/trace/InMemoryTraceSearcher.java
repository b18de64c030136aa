package io.loupe.query.trace;

import io.loupe.model.SpanFilter;
import io.loupe.model.SpanRecord;
import io.loupe.model.TagScope;
import io.loupe.model.Tenant;
import io.loupe.model.TraceQuery;
import io.loupe.model.TraceSearcher;
import io.loupe.model.TraceSummary;
import io.loupe.query.trace.internal.SpanSets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A test-only {@link TraceSearcher} that scans the spans of an {@link InMemorySpanReader}; not a store. It filters for
 * real, with the SPI's semantics (regular expressions in Java syntax, anchored), so the API tests can fail. It keeps
 * the last query it was asked, so tests can check how parameters were mapped.
 */
final class InMemoryTraceSearcher implements TraceSearcher {
  private final InMemorySpanReader reader;
  final AtomicReference<TraceQuery> lastQuery = new AtomicReference<>();

  InMemoryTraceSearcher(InMemorySpanReader reader) {
    this.reader = reader;
  }

  @Override
  public List<TraceSummary> search(Tenant tenant, TraceQuery q) {
    lastQuery.set(q);
    Map<String, List<SpanRecord>> traces = new LinkedHashMap<>();
    for (SpanRecord s : reader.spans(tenant)) {
      traces.computeIfAbsent(s.traceId(), k -> new ArrayList<>()).add(s);
    }
    List<TraceSummary> out = new ArrayList<>();
    for (Map.Entry<String, List<SpanRecord>> e : traces.entrySet()) {
      List<SpanRecord> spans = e.getValue();
      boolean simple = spans.stream().anyMatch(s -> s.startEpochNanos() >= q.startEpochNanos()
          && s.startEpochNanos() <= q.endEpochNanos() && simple(s, q));
      boolean filters = q.spanFilters().stream().allMatch(f -> spans.stream().anyMatch(s -> SpanSets.matches(s, f)));
      if (simple && filters) {
        out.add(summary(e.getKey(), spans));
      }
    }
    out.sort(Comparator.comparingLong(TraceSummary::startEpochNanos).reversed());
    return out.stream().limit(q.limit()).toList();
  }

  private static TraceSummary summary(String id, List<SpanRecord> spans) {
    long start = spans.stream().mapToLong(SpanRecord::startEpochNanos).min().orElseThrow();
    long end = spans.stream().mapToLong(SpanRecord::endEpochNanos).max().orElseThrow();
    SpanRecord root = spans.stream().filter(SpanRecord::isRoot).findFirst()
        .orElse(spans.stream().min(Comparator.comparingLong(SpanRecord::startEpochNanos)).orElseThrow());
    return new TraceSummary(id, root.serviceName(), root.name(), start, end - start, spans.size());
  }

  private static boolean simple(SpanRecord s, TraceQuery q) {
    return (q.serviceName().isEmpty() || s.serviceName().equals(q.serviceName()))
        && (q.spanName().isEmpty() || s.name().equals(q.spanName()))
        && (q.kind() == null || s.kind() == q.kind())
        && (q.statusCode() == null || s.statusCode() == q.statusCode())
        && s.durationNanos() >= q.minDurationNanos() && s.durationNanos() <= q.maxDurationNanos()
        && q.attributes().stream().allMatch(c -> SpanSets.matches(s, c));
  }

  @Override
  public List<String> services(Tenant tenant) {
    return services(tenant, Long.MIN_VALUE, Long.MAX_VALUE);
  }

  @Override
  public List<String> operations(Tenant tenant, String service) {
    return operations(tenant, service, Long.MIN_VALUE, Long.MAX_VALUE);
  }

  @Override
  public List<String> tagNames(Tenant tenant, TagScope scope) {
    return tagNames(tenant, scope, Long.MIN_VALUE, Long.MAX_VALUE);
  }

  @Override
  public List<String> tagValues(Tenant tenant, TagScope scope, String key, int limit) {
    return tagValues(tenant, scope, key, limit, Long.MIN_VALUE, Long.MAX_VALUE);
  }

  // The listings over a time range, exact: spans started within it.
  private List<SpanRecord> spans(Tenant tenant, long start, long end) {
    return reader.spans(tenant).stream()
        .filter(s -> s.startEpochNanos() >= start && s.startEpochNanos() <= end).toList();
  }

  @Override
  public List<String> services(Tenant tenant, long start, long end) {
    return List.copyOf(new TreeSet<>(spans(tenant, start, end).stream().map(SpanRecord::serviceName).toList()));
  }

  @Override
  public List<String> operations(Tenant tenant, String service, long start, long end) {
    return List.copyOf(new TreeSet<>(spans(tenant, start, end).stream()
        .filter(s -> s.serviceName().equals(service)).map(SpanRecord::name).toList()));
  }

  @Override
  public List<String> tagNames(Tenant tenant, TagScope scope, long start, long end) {
    TreeSet<String> out = new TreeSet<>();
    for (SpanRecord s : spans(tenant, start, end)) {
      if (scope != TagScope.SPAN) {
        out.addAll(s.resourceAttributes().keySet());
      }
      if (scope != TagScope.RESOURCE) {
        out.addAll(s.attributes().keySet());
      }
    }
    return List.copyOf(out);
  }

  @Override
  public List<String> tagValues(Tenant tenant, TagScope scope, String key, int limit, long start, long end) {
    TreeSet<String> out = new TreeSet<>();
    for (SpanRecord s : spans(tenant, start, end)) {
      if (scope != TagScope.SPAN && s.resourceAttributes().containsKey(key)) {
        out.add(String.valueOf(s.resourceAttributes().get(key)));
      }
      if (scope != TagScope.RESOURCE && s.attributes().containsKey(key)) {
        out.add(String.valueOf(s.attributes().get(key)));
      }
    }
    return out.stream().limit(limit).toList();
  }
}
