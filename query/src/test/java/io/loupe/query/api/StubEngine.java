package io.loupe.query.api;

import io.loupe.model.Tenant;
import io.loupe.query.promql.QueryEngine;
import io.loupe.query.promql.QueryException;
import io.loupe.query.promql.Value;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;

/**
 * A test double of the engine for the HTTP layer only: returns a set value or throws a set exception, and records what
 * it was asked. {@link #blockUntilCancelled} makes it wait for its {@code cancelled} supplier, to test disconnects.
 */
final class StubEngine implements QueryEngine {
  volatile Value result;
  volatile RuntimeException failure;
  volatile boolean blockUntilCancelled;
  final CountDownLatch started = new CountDownLatch(1);
  final CountDownLatch sawCancel = new CountDownLatch(1);

  volatile Tenant tenant;
  volatile String query;
  volatile long time;
  volatile long start;
  volatile long end;
  volatile long step;
  volatile Duration timeout;

  @Override
  public Value instantQuery(Tenant tenant, String query, long timeMs, Duration timeout, BooleanSupplier cancelled) {
    this.tenant = tenant;
    this.query = query;
    this.time = timeMs;
    this.timeout = timeout;
    return answer(cancelled);
  }

  @Override
  public Value rangeQuery(Tenant tenant, String query, long startMs, long endMs, long stepMs, Duration timeout,
      BooleanSupplier cancelled) {
    this.tenant = tenant;
    this.query = query;
    this.start = startMs;
    this.end = endMs;
    this.step = stepMs;
    this.timeout = timeout;
    return answer(cancelled);
  }

  private Value answer(BooleanSupplier cancelled) {
    started.countDown();
    if (blockUntilCancelled) {
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (!cancelled.getAsBoolean()) {
        if (System.nanoTime() > deadline) {
          throw new QueryException(QueryException.ErrorType.TIMEOUT, "stub: never cancelled");
        }
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return null;
        }
      }
      sawCancel.countDown();
      throw new QueryException(QueryException.ErrorType.CANCELED, "query was canceled");
    }
    if (failure != null) {
      throw failure;
    }
    return result;
  }
}
