package io.loupe.model;

/** Where series are written: the storage side of ingestion (Prometheus calls it {@code Appendable}). */
public interface SeriesAppender {
  /** A new batch for {@code tenant}. */
  Appender appender(Tenant tenant);
}
