package io.loupe.loadtests.sidebyside;

import static java.util.Objects.requireNonNull;

/**
 * How one system answered one dashboard query.
 *
 * @param result the answer of the last repetition (null if the query failed)
 * @param millis latency of each timed repetition (warm-ups excluded), client side: request sent to body read
 * @param error why the query failed, or empty
 */
public record QueryTiming(QueryResult result, double[] millis, String error) {
  public QueryTiming {
    requireNonNull(millis, "millis");
    requireNonNull(error, "error");
    millis = millis.clone();
  }

  public static QueryTiming failed(String error) {
    return new QueryTiming(null, new double[0], error);
  }

  public boolean ok() {
    return result != null && error.isEmpty();
  }

  public double p50() {
    return Latencies.quantile(millis, 0.5);
  }

  public double p90() {
    return Latencies.quantile(millis, 0.9);
  }
}
