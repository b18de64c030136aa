package io.loupe.model;

/**
 * A batch of writes for one tenant: points are buffered by {@link #append} and made durable together by {@link
 * #commit}. Not thread-safe; one per request.
 */
public interface Appender {
  /** Buffers one sample. A stale marker is {@link Sample#STALE_NAN}. */
  void append(Labels labels, long timestampMs, double value);

  /** Buffers one exemplar of the series {@code labels}. */
  void appendExemplar(Labels labels, Exemplar exemplar);

  /** Records the type, help and unit of a metric family. Not abstract: added after the first release of the SPI. */
  default void updateMetadata(MetricMetadata metadata) {}

  /**
   * Writes the buffered points to the write-ahead log, then to the head. When this returns the accepted points are
   * acknowledged: they survive a process crash. Points the store refuses (too old, duplicate, over a limit) are counted
   * in the result and never written.
   *
   * @throws StorageUnavailableException if nothing could be made durable (disk full, store closing)
   * @throws ResourceExhaustedException if the store is overloaded
   */
  AppendResult commit();

  /** Drops the buffered points. */
  void rollback();
}
