/**
 * Durable span storage for Loupe: {@link io.loupe.tracestore.TraceStore} implements the model's {@code SpanWriter}
 * and {@code SpanReader} over sharded, checksummed segment files with a per-segment trace index. Options in {@link
 * io.loupe.tracestore.TraceStoreOptions}; formats in docs/format/span-segment.md.
 */
package io.loupe.tracestore;
