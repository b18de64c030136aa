/**
 * Prometheus remote write 1.0: snappy decompression with a size check before allocation, and a hand-written decoder of
 * {@code prometheus.WriteRequest} straight into an {@link io.loupe.model.Appender}, without generated classes.
 */
package io.loupe.collector.remotewrite;
