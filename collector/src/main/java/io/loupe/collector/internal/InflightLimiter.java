package io.loupe.collector.internal;

import io.loupe.model.ResourceExhaustedException;
import io.loupe.model.Tenant;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the bytes of requests being processed, in total and per tenant. A request that does not fit is refused at
 * once (never queued), so memory stays bounded under a flood and the client is told to retry later.
 */
public final class InflightLimiter {
  private final long maxTotal;
  private final long maxPerTenant;
  private final Duration retryAfter;
  private final AtomicLong total = new AtomicLong();
  private final ConcurrentHashMap<Tenant, AtomicLong> perTenant = new ConcurrentHashMap<>();

  public InflightLimiter(long maxTotal, long maxPerTenant, Duration retryAfter) {
    this.maxTotal = maxTotal;
    this.maxPerTenant = maxPerTenant;
    this.retryAfter = retryAfter;
  }

  /** A reservation of bytes; closing it releases them. Closing twice is harmless. */
  public final class Permit implements AutoCloseable {
    private final AtomicLong tenantBytes;
    private long bytes;

    private Permit(AtomicLong tenantBytes, long bytes) {
      this.tenantBytes = tenantBytes;
      this.bytes = bytes;
    }

    /** Grows this reservation (a body that decompressed larger than it was sent). */
    public void grow(long more, Tenant tenant) {
      reserve(tenantBytes, more, tenant);
      bytes += more;
    }

    @Override
    public void close() {
      if (bytes > 0) {
        tenantBytes.addAndGet(-bytes);
        total.addAndGet(-bytes);
        bytes = 0;
      }
    }
  }

  /**
   * Reserves {@code bytes} for {@code tenant}.
   *
   * @throws ResourceExhaustedException when the total or the tenant's budget would be exceeded
   */
  public Permit acquire(Tenant tenant, long bytes) {
    AtomicLong t = perTenant.computeIfAbsent(tenant, k -> new AtomicLong());
    reserve(t, bytes, tenant);
    return new Permit(t, bytes);
  }

  private void reserve(AtomicLong tenantBytes, long bytes, Tenant tenant) {
    long after = tenantBytes.addAndGet(bytes);
    if (after > maxPerTenant && after != bytes) { // a lone request always fits: it is bounded by maxRequestBytes
      tenantBytes.addAndGet(-bytes);
      throw new ResourceExhaustedException("tenant " + tenant + " has " + (after - bytes)
          + " request bytes in flight (limit " + maxPerTenant + "): retry later", retryAfter);
    }
    long totalAfter = total.addAndGet(bytes);
    if (totalAfter > maxTotal && totalAfter != bytes) {
      total.addAndGet(-bytes);
      tenantBytes.addAndGet(-bytes);
      throw new ResourceExhaustedException("node has " + (totalAfter - bytes)
          + " request bytes in flight (limit " + maxTotal + "): retry later", retryAfter);
    }
  }

  public long inflightBytes() {
    return total.get();
  }
}
