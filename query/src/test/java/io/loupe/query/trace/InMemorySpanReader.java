package io.loupe.query.trace;

import io.loupe.model.SpanReader;
import io.loupe.model.SpanRecord;
import io.loupe.model.Tenant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A test-only {@link SpanReader} over spans held in memory per tenant; not a store. */
final class InMemorySpanReader implements SpanReader {
  private final Map<Tenant, List<SpanRecord>> spans = new ConcurrentHashMap<>();

  InMemorySpanReader add(Tenant t, SpanRecord s) {
    spans.computeIfAbsent(t, k -> new ArrayList<>()).add(s);
    return this;
  }

  /** Every span of {@code tenant}, for {@link InMemoryTraceSearcher}. */
  List<SpanRecord> spans(Tenant tenant) {
    return List.copyOf(spans.getOrDefault(tenant, List.of()));
  }

  @Override
  public List<SpanRecord> trace(Tenant tenant, String traceId) {
    return spans.getOrDefault(tenant, List.of()).stream().filter(s -> s.traceId().equals(traceId)).toList();
  }
}
