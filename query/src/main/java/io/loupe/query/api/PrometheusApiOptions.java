package io.loupe.query.api;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Settings of the Prometheus HTTP API.
 *
 * @param queryTimeout the longest a query may run, and the cap on a request's {@code timeout} parameter (Prometheus's
 *     {@code --query.timeout}, default 2 m)
 * @param maxLimit the most series, label names or values one answer of {@code series}, {@code labels} or {@code
 *     label/<name>/values} carries; a request's {@code limit} is capped by it, and a cut answer warns "results
 *     truncated due to limit"
 * @param metadataLookback the range of {@code series}, {@code labels} and {@code label/<name>/values} when the request
 *     gives no {@code start}: {@code end - metadataLookback} (Prometheus reads all of time; Grafana always sends both)
 * @param buildInfo what {@code status/buildinfo} reports
 * @param serveEmptyRules answer {@code rules} and {@code alerts} with empty lists, for Grafana, while no rules engine
 *     runs; turn off when one is mounted
 */
public record PrometheusApiOptions(
    Duration queryTimeout, int maxLimit, Duration metadataLookback, BuildInfo buildInfo, boolean serveEmptyRules) {
  public PrometheusApiOptions {
    requireNonNull(queryTimeout, "queryTimeout");
    requireNonNull(metadataLookback, "metadataLookback");
    requireNonNull(buildInfo, "buildInfo");
    if (queryTimeout.isNegative() || queryTimeout.isZero()) {
      throw new IllegalArgumentException("queryTimeout: " + queryTimeout + " (expected: > 0)");
    }
    if (maxLimit <= 0) {
      throw new IllegalArgumentException("maxLimit: " + maxLimit + " (expected: > 0)");
    }
    if (metadataLookback.isNegative() || metadataLookback.isZero()) {
      throw new IllegalArgumentException("metadataLookback: " + metadataLookback + " (expected: > 0)");
    }
  }

  /** 2 m timeout, 100,000 results at most, 1 d default metadata range, version "unknown". */
  public static PrometheusApiOptions defaults() {
    return new PrometheusApiOptions(Duration.ofMinutes(2), 100_000, Duration.ofDays(1), BuildInfo.of("unknown"), true);
  }

  public PrometheusApiOptions withQueryTimeout(Duration d) {
    return new PrometheusApiOptions(d, maxLimit, metadataLookback, buildInfo, serveEmptyRules);
  }

  public PrometheusApiOptions withMaxLimit(int n) {
    return new PrometheusApiOptions(queryTimeout, n, metadataLookback, buildInfo, serveEmptyRules);
  }

  public PrometheusApiOptions withMetadataLookback(Duration d) {
    return new PrometheusApiOptions(queryTimeout, maxLimit, d, buildInfo, serveEmptyRules);
  }

  public PrometheusApiOptions withBuildInfo(BuildInfo b) {
    return new PrometheusApiOptions(queryTimeout, maxLimit, metadataLookback, b, serveEmptyRules);
  }

  public PrometheusApiOptions withServeEmptyRules(boolean b) {
    return new PrometheusApiOptions(queryTimeout, maxLimit, metadataLookback, buildInfo, b);
  }
}
