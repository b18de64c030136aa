/**
 * OTLP decoding and translation, free of networking so that receivers can call it off the event loop: OTLP metrics →
 * Prometheus series ({@link io.loupe.collector.otlp.OtlpMetricsTranslator}, configured by {@link
 * io.loupe.collector.otlp.TranslationOptions}), OTLP spans → {@link io.loupe.model.SpanRecord}s ({@link
 * io.loupe.collector.otlp.OtlpSpans}) and OTLP/JSON ({@link io.loupe.collector.otlp.OtlpJson}). The rules are in
 * docs/otlp-mapping.md.
 */
package io.loupe.collector.otlp;
