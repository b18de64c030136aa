/**
 * Prometheus scraping: {@link io.loupe.collector.scrape.ScrapeManager} pulls {@code /metrics} of each
 * {@link io.loupe.collector.scrape.ScrapeTarget} (the node's own among them) and appends the samples with
 * Prometheus's synthetic series and staleness markers; {@link io.loupe.collector.scrape.ExpositionParser} reads the
 * Prometheus text format 0.0.4 and OpenMetrics 1.0 text.
 */
package io.loupe.collector.scrape;
