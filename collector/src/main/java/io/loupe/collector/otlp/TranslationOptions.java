package io.loupe.collector.otlp;

import static java.util.Objects.requireNonNull;

import io.loupe.model.IngestLimits;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How {@link OtlpMetricsTranslator} maps OTLP metrics to Prometheus series.
 *
 * @param namingStrategy metric and label name translation (default: escaping with unit and type suffixes)
 * @param promotedResourceAttributes resource attribute → label name, copied onto every series of the resource unless
 *     the point already has that label (default: {@code host.name → host_name}, so application series join
 *     infrastructure series)
 * @param keepScopeInfo add {@code otel_scope_name}, {@code otel_scope_version}, {@code otel_scope_schema_url} and
 *     {@code otel_scope_<attribute>} labels (default false, as Prometheus's {@code promote_scope_metadata})
 * @param limits label validation applied to every series
 * @param deltaHandling what to do with delta sums and histograms
 * @param maxDeltaSeries how many delta series the conversion tracks at most, over all tenants
 * @param deltaIdleTimeout after how long without a point a delta series may be forgotten to make room
 */
public record TranslationOptions(
    NamingStrategy namingStrategy,
    Map<String, String> promotedResourceAttributes,
    boolean keepScopeInfo,
    IngestLimits limits,
    DeltaHandling deltaHandling,
    int maxDeltaSeries,
    Duration deltaIdleTimeout) {

  /** Delta temporality: convert to cumulative per series, or reject every delta point. */
  public enum DeltaHandling { CONVERT_TO_CUMULATIVE, REJECT }

  public TranslationOptions {
    requireNonNull(namingStrategy, "namingStrategy");
    requireNonNull(promotedResourceAttributes, "promotedResourceAttributes");
    requireNonNull(limits, "limits");
    requireNonNull(deltaHandling, "deltaHandling");
    requireNonNull(deltaIdleTimeout, "deltaIdleTimeout");
    promotedResourceAttributes.forEach((k, v) -> {
      if (k.isEmpty() || v.isEmpty()) {
        throw new IllegalArgumentException("promotedResourceAttributes: '" + k + "' → '" + v
            + "' (expected: a non-empty attribute and label name)");
      }
    });
    // Keep the caller's order: it is the order labels are added in.
    promotedResourceAttributes = Collections.unmodifiableMap(new LinkedHashMap<>(promotedResourceAttributes));
    if (maxDeltaSeries <= 0) {
      throw new IllegalArgumentException("maxDeltaSeries: " + maxDeltaSeries + " (expected: > 0)");
    }
    if (deltaIdleTimeout.isNegative() || deltaIdleTimeout.isZero()) {
      throw new IllegalArgumentException("deltaIdleTimeout: " + deltaIdleTimeout + " (expected: > 0)");
    }
  }

  public static TranslationOptions defaults() {
    return new TranslationOptions(NamingStrategy.UNDERSCORE_ESCAPING_WITH_SUFFIXES, Map.of("host.name", "host_name"),
        false, IngestLimits.defaults(), DeltaHandling.CONVERT_TO_CUMULATIVE, 100_000, Duration.ofMinutes(15));
  }

  public TranslationOptions withNamingStrategy(NamingStrategy s) {
    return new TranslationOptions(s, promotedResourceAttributes, keepScopeInfo, limits, deltaHandling, maxDeltaSeries,
        deltaIdleTimeout);
  }

  public TranslationOptions withPromotedResourceAttributes(Map<String, String> m) {
    return new TranslationOptions(namingStrategy, m, keepScopeInfo, limits, deltaHandling, maxDeltaSeries,
        deltaIdleTimeout);
  }

  public TranslationOptions withKeepScopeInfo(boolean keep) {
    return new TranslationOptions(namingStrategy, promotedResourceAttributes, keep, limits, deltaHandling,
        maxDeltaSeries, deltaIdleTimeout);
  }

  public TranslationOptions withLimits(IngestLimits l) {
    return new TranslationOptions(namingStrategy, promotedResourceAttributes, keepScopeInfo, l, deltaHandling,
        maxDeltaSeries, deltaIdleTimeout);
  }

  public TranslationOptions withDeltaHandling(DeltaHandling d) {
    return new TranslationOptions(namingStrategy, promotedResourceAttributes, keepScopeInfo, limits, d,
        maxDeltaSeries, deltaIdleTimeout);
  }

  public TranslationOptions withMaxDeltaSeries(int n) {
    return new TranslationOptions(namingStrategy, promotedResourceAttributes, keepScopeInfo, limits, deltaHandling, n,
        deltaIdleTimeout);
  }

  public TranslationOptions withDeltaIdleTimeout(Duration d) {
    return new TranslationOptions(namingStrategy, promotedResourceAttributes, keepScopeInfo, limits, deltaHandling,
        maxDeltaSeries, d);
  }
}
