package io.loupe.query.promql;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Settings of an {@link Engine}.
 *
 * @param lookbackDelta how far back an instant selector looks for a sample (Prometheus: 5m)
 * @param maxSamples most samples one query may load; more fails the query with an {@code execution} error
 * @param maxSeries most series one query may select; more fails the query
 * @param noStepSubqueryInterval the step of subqueries written without one ({@code x[5m:]})
 * @param experimentalFunctions whether experimental functions and aggregations (limitk, sort_by_label, ...) parse
 */
public record EngineOptions(Duration lookbackDelta, long maxSamples, long maxSeries, Duration noStepSubqueryInterval,
    boolean experimentalFunctions) {
  public EngineOptions {
    requireNonNull(lookbackDelta, "lookbackDelta");
    requireNonNull(noStepSubqueryInterval, "noStepSubqueryInterval");
    if (lookbackDelta.isNegative() || lookbackDelta.isZero()) {
      throw new IllegalArgumentException("lookbackDelta: " + lookbackDelta + " (expected: > 0)");
    }
    if (maxSamples <= 0) {
      throw new IllegalArgumentException("maxSamples: " + maxSamples + " (expected: > 0)");
    }
    if (maxSeries <= 0) {
      throw new IllegalArgumentException("maxSeries: " + maxSeries + " (expected: > 0)");
    }
    if (noStepSubqueryInterval.isNegative() || noStepSubqueryInterval.isZero()) {
      throw new IllegalArgumentException("noStepSubqueryInterval: " + noStepSubqueryInterval + " (expected: > 0)");
    }
  }

  /** Prometheus's defaults: 5m lookback, 50M samples, 1m default subquery step; 1M series; no experimental functions. */
  public static EngineOptions defaults() {
    return new EngineOptions(Duration.ofMinutes(5), 50_000_000L, 1_000_000L, Duration.ofMinutes(1), false);
  }

  public EngineOptions withLookbackDelta(Duration d) {
    return new EngineOptions(d, maxSamples, maxSeries, noStepSubqueryInterval, experimentalFunctions);
  }

  public EngineOptions withMaxSamples(long n) {
    return new EngineOptions(lookbackDelta, n, maxSeries, noStepSubqueryInterval, experimentalFunctions);
  }

  public EngineOptions withMaxSeries(long n) {
    return new EngineOptions(lookbackDelta, maxSamples, n, noStepSubqueryInterval, experimentalFunctions);
  }

  public EngineOptions withNoStepSubqueryInterval(Duration d) {
    return new EngineOptions(lookbackDelta, maxSamples, maxSeries, d, experimentalFunctions);
  }

  public EngineOptions withExperimentalFunctions(boolean on) {
    return new EngineOptions(lookbackDelta, maxSamples, maxSeries, noStepSubqueryInterval, on);
  }
}
