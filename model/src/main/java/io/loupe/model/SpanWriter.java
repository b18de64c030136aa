package io.loupe.model;

import java.util.List;

/** Where spans are written: the storage side of trace ingestion. Thread-safe. */
public interface SpanWriter {
  /**
   * Appends {@code spans} of {@code tenant} durably: when this returns, the accepted spans survive a process crash.
   * Spans the store refuses (over a limit) are counted in the result and never written.
   *
   * @throws StorageUnavailableException if nothing could be made durable
   * @throws ResourceExhaustedException if the store is overloaded
   */
  AppendResult write(Tenant tenant, List<SpanRecord> spans);
}
