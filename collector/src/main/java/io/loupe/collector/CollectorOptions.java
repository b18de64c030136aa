package io.loupe.collector;

import io.loupe.model.IngestLimits;
import java.time.Duration;

/**
 * Settings of the receivers: request size limits, the in-flight memory budget that turns overload into backpressure,
 * and validation limits. Defaults suit one node with a few GiB of heap.
 *
 * @param maxRequestBytes largest request body accepted, after decompression (413 / RESOURCE_EXHAUSTED beyond it)
 * @param maxInflightBytes request bytes being processed at once, all tenants together; beyond it 429 / RESOURCE_EXHAUSTED
 * @param maxInflightBytesPerTenant the same budget for one tenant, so one tenant cannot starve the others
 * @param retryAfter what the {@code Retry-After} header and gRPC retry info suggest when a budget is exhausted
 * @param limits label validation limits applied to every series
 */
public record CollectorOptions(
    int maxRequestBytes,
    long maxInflightBytes,
    long maxInflightBytesPerTenant,
    Duration retryAfter,
    IngestLimits limits) {

  public CollectorOptions {
    if (maxRequestBytes <= 0) {
      throw new IllegalArgumentException("maxRequestBytes: " + maxRequestBytes + " (expected: > 0)");
    }
    if (maxInflightBytes < maxRequestBytes) {
      throw new IllegalArgumentException("maxInflightBytes: " + maxInflightBytes + " (expected: >= maxRequestBytes "
          + maxRequestBytes + ")");
    }
    if (maxInflightBytesPerTenant < maxRequestBytes || maxInflightBytesPerTenant > maxInflightBytes) {
      throw new IllegalArgumentException("maxInflightBytesPerTenant: " + maxInflightBytesPerTenant
          + " (expected: between maxRequestBytes " + maxRequestBytes + " and maxInflightBytes " + maxInflightBytes + ")");
    }
    if (retryAfter == null || retryAfter.isNegative() || retryAfter.isZero()) {
      throw new IllegalArgumentException("retryAfter: " + retryAfter + " (expected: > 0)");
    }
    if (limits == null) {
      throw new IllegalArgumentException("limits: null");
    }
  }

  public static CollectorOptions defaults() {
    return new CollectorOptions(16 << 20, 256L << 20, 128L << 20, Duration.ofSeconds(1), IngestLimits.defaults());
  }

  public CollectorOptions withMaxRequestBytes(int n) {
    return new CollectorOptions(n, maxInflightBytes, maxInflightBytesPerTenant, retryAfter, limits);
  }

  public CollectorOptions withMaxInflightBytes(long total, long perTenant) {
    return new CollectorOptions(maxRequestBytes, total, perTenant, retryAfter, limits);
  }

  public CollectorOptions withRetryAfter(Duration d) {
    return new CollectorOptions(maxRequestBytes, maxInflightBytes, maxInflightBytesPerTenant, d, limits);
  }

  public CollectorOptions withLimits(IngestLimits l) {
    return new CollectorOptions(maxRequestBytes, maxInflightBytes, maxInflightBytesPerTenant, retryAfter, l);
  }
}
