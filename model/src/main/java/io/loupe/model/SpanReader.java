package io.loupe.model;

import java.util.List;

/** The read side of a trace store: what the trace APIs talk to. Thread-safe. */
public interface SpanReader {
  /** Every stored span of trace {@code traceId} (32 lowercase hex digits) of {@code tenant}; empty when unknown. */
  List<SpanRecord> trace(Tenant tenant, String traceId);
}
