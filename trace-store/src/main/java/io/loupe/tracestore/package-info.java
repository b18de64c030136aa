/**
 * Durable span storage for Loupe: {@link io.loupe.tracestore.TraceStore} implements the model's {@code SpanWriter}
 * and {@code SpanReader} over sharded, checksummed segment files with a per-segment trace index, and {@link
 * io.loupe.model.TraceSearcher} (search, services, operations, tags) over a Lucene index per segment. Options in
 * {@link io.loupe.tracestore.TraceStoreOptions}; design in docs/trace-store.md, formats in
 * docs/format/span-segment.md and docs/format/trace-lucene.md.
 */
package io.loupe.tracestore;
