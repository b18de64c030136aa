package io.loupe.query.promql;

import io.loupe.model.Tenant;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Evaluates PromQL over a {@link io.loupe.model.Queryable}. Thread-safe: one engine serves every request.
 *
 * <p>Each call honours the limits it was configured with (timeout, max samples, max series) and stops early, freeing
 * what it loaded, when {@code cancelled} turns true (the client went away).
 *
 * @throws QueryException for parse errors ({@code bad_data}), limits ({@code execution}), timeouts and cancellation
 */
public interface QueryEngine {
  /** An instant query at {@code timeMs}. */
  Value instantQuery(Tenant tenant, String query, long timeMs, Duration timeout, BooleanSupplier cancelled);

  /** A range query from {@code startMs} to {@code endMs} inclusive, every {@code stepMs}; always a {@link Matrix}. */
  Value rangeQuery(Tenant tenant, String query, long startMs, long endMs, long stepMs, Duration timeout,
      BooleanSupplier cancelled);
}
