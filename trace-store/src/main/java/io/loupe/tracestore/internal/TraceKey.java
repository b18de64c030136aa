package io.loupe.tracestore.internal;

/** A trace of one tenant: the unit of lookups and per-trace limits. */
public record TraceKey(String tenant, long hi, long lo) {
  public static TraceKey of(String tenant, byte[] traceId) {
    return new TraceKey(tenant, TraceIds.high(traceId), TraceIds.low(traceId));
  }
}
