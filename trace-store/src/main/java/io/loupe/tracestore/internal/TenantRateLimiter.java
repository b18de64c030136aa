package io.loupe.tracestore.internal;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per tenant: {@code rate} spans per second, bursts up to one second's worth. A request larger than
 * the burst passes when the bucket is full (and leaves it in debt), so that no request size is refused forever.
 */
public final class TenantRateLimiter {
  private final double rate;
  private final Clock clock;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  private static final class Bucket {
    double tokens;
    long lastMs;
  }

  public TenantRateLimiter(long spansPerSecond, Clock clock) {
    this.rate = spansPerSecond;
    this.clock = clock;
  }

  /** Takes {@code n} tokens of {@code tenant}; returns null when granted, else how long to wait before a retry. */
  public Duration tryAcquire(String tenant, int n) {
    long now = clock.millis();
    Bucket b = buckets.computeIfAbsent(tenant, t -> {
      Bucket x = new Bucket();
      x.tokens = rate;
      x.lastMs = now;
      return x;
    });
    synchronized (b) {
      b.tokens = Math.min(rate, b.tokens + (now - b.lastMs) * rate / 1000.0);
      b.lastMs = Math.max(b.lastMs, now);
      if (b.tokens >= Math.min(n, rate)) {
        b.tokens -= n;
        return null;
      }
      double missing = Math.min(n, rate) - b.tokens;
      return Duration.ofMillis(Math.max(1, (long) Math.ceil(missing * 1000.0 / rate)));
    }
  }
}
