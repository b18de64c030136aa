package io.loupe.tracestore;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of a {@link TraceStore}. Build with {@link #defaults(Path)} and the withers.
 *
 * @param dataDir where shard directories live
 * @param shards number of shards (spans routed by a hash of the trace id); fixed when the store is first created
 * @param fsync when writes are forced to disk
 * @param segmentDuration the active segment of a shard is sealed when it is this old
 * @param segmentMaxBytes ... or this large (the first segment of shard {@code i} of {@code n} after open at {@code
 *     (n - i) / n} of both, so that the shards, which fill at the same rate, do not all seal at once)
 * @param retention sealed segments whose newest write is older than this are deleted with their index
 * @param retentionBytes when > 0, the oldest sealed segments are deleted while all segments together exceed this
 * @param maxSpansPerTrace spans of one trace over this are rejected ({@code TRACE_TOO_LARGE})
 * @param maxAttributeValueLength string values longer than this (in UTF-16 chars) and byte arrays longer than this (in
 *     bytes) are truncated to it, counted in {@code loupe.tracestore.attributes.truncated}
 * @param maxSpansPerSecondPerTenant when > 0, a tenant's writes beyond this rate (bursts up to one second's worth)
 *     are refused whole with {@code ResourceExhaustedException} (HTTP 429 / RESOURCE_EXHAUSTED with a retry hint)
 * @param traceIdMapEntries traces per shard one generation of the trace id map is sized for (Chronicle Map's declared
 *     entries; a new generation starts at the next segment roll once half of it is used; up to 4 times as many fit
 *     before the generation stops recording and its lookups check every segment)
 */
public record TraceStoreOptions(
    Path dataDir,
    int shards,
    FsyncPolicy fsync,
    Duration segmentDuration,
    long segmentMaxBytes,
    Duration retention,
    long retentionBytes,
    int maxSpansPerTrace,
    int maxAttributeValueLength,
    long maxSpansPerSecondPerTenant,
    long traceIdMapEntries) {

  public static final int MAX_SHARDS = 1024;
  public static final long MIN_SEGMENT_BYTES = 1024;

  public TraceStoreOptions {
    requireNonNull(dataDir, "dataDir");
    requireNonNull(fsync, "fsync");
    requireNonNull(segmentDuration, "segmentDuration");
    requireNonNull(retention, "retention");
    if (shards < 1 || shards > MAX_SHARDS) {
      throw new IllegalArgumentException("shards: " + shards + " (expected: 1 to " + MAX_SHARDS + ")");
    }
    if (segmentDuration.isZero() || segmentDuration.isNegative()) {
      throw new IllegalArgumentException("segmentDuration: " + segmentDuration + " (expected: > 0)");
    }
    if (segmentMaxBytes < MIN_SEGMENT_BYTES) {
      throw new IllegalArgumentException(
          "segmentMaxBytes: " + segmentMaxBytes + " (expected: >= " + MIN_SEGMENT_BYTES + ")");
    }
    if (retention.isZero() || retention.isNegative()) {
      throw new IllegalArgumentException("retention: " + retention + " (expected: > 0)");
    }
    if (retentionBytes < 0) {
      throw new IllegalArgumentException("retentionBytes: " + retentionBytes + " (expected: >= 0, 0 means no limit)");
    }
    if (maxSpansPerTrace < 1) {
      throw new IllegalArgumentException("maxSpansPerTrace: " + maxSpansPerTrace + " (expected: > 0)");
    }
    if (maxSpansPerSecondPerTenant < 0) {
      throw new IllegalArgumentException("maxSpansPerSecondPerTenant: " + maxSpansPerSecondPerTenant
          + " (expected: >= 0, 0 means no limit)");
    }
    if (traceIdMapEntries < 1000) {
      throw new IllegalArgumentException("traceIdMapEntries: " + traceIdMapEntries + " (expected: >= 1000)");
    }
    if (maxAttributeValueLength < 1) {
      throw new IllegalArgumentException(
          "maxAttributeValueLength: " + maxAttributeValueLength + " (expected: > 0)");
    }
  }

  /**
   * One shard per available processor, fsync before ack, segments of 1 hour or 256 MiB, 7 days retention, no size
   * retention, 50,000 spans per trace, attribute values up to 4096 characters, no rate limit, trace id map
   * generations of 250,000 traces per shard (a 7.3 MB file each: Chronicle Map allocates its declared size up front).
   */
  public static TraceStoreOptions defaults(Path dataDir) {
    return new TraceStoreOptions(dataDir, Math.min(MAX_SHARDS, Runtime.getRuntime().availableProcessors()),
        FsyncPolicy.beforeAck(), Duration.ofHours(1), 256L << 20, Duration.ofDays(7), 0, 50_000, 4096, 0, 250_000);
  }

  public TraceStoreOptions withShards(int n) {
    return new TraceStoreOptions(dataDir, n, fsync, segmentDuration, segmentMaxBytes, retention, retentionBytes,
        maxSpansPerTrace, maxAttributeValueLength, maxSpansPerSecondPerTenant, traceIdMapEntries);
  }

  public TraceStoreOptions withFsync(FsyncPolicy p) {
    return new TraceStoreOptions(dataDir, shards, p, segmentDuration, segmentMaxBytes, retention, retentionBytes,
        maxSpansPerTrace, maxAttributeValueLength, maxSpansPerSecondPerTenant, traceIdMapEntries);
  }

  public TraceStoreOptions withSegmentDuration(Duration d) {
    return new TraceStoreOptions(dataDir, shards, fsync, d, segmentMaxBytes, retention, retentionBytes,
        maxSpansPerTrace, maxAttributeValueLength, maxSpansPerSecondPerTenant, traceIdMapEntries);
  }

  public TraceStoreOptions withSegmentMaxBytes(long n) {
    return new TraceStoreOptions(dataDir, shards, fsync, segmentDuration, n, retention, retentionBytes,
        maxSpansPerTrace, maxAttributeValueLength, maxSpansPerSecondPerTenant, traceIdMapEntries);
  }

  public TraceStoreOptions withRetention(Duration d) {
    return new TraceStoreOptions(dataDir, shards, fsync, segmentDuration, segmentMaxBytes, d, retentionBytes,
        maxSpansPerTrace, maxAttributeValueLength, maxSpansPerSecondPerTenant, traceIdMapEntries);
  }

  public TraceStoreOptions withRetentionBytes(long n) {
    return new TraceStoreOptions(dataDir, shards, fsync, segmentDuration, segmentMaxBytes, retention, n,
        maxSpansPerTrace, maxAttributeValueLength, maxSpansPerSecondPerTenant, traceIdMapEntries);
  }

  public TraceStoreOptions withMaxSpansPerTrace(int n) {
    return new TraceStoreOptions(dataDir, shards, fsync, segmentDuration, segmentMaxBytes, retention, retentionBytes,
        n, maxAttributeValueLength, maxSpansPerSecondPerTenant, traceIdMapEntries);
  }

  public TraceStoreOptions withMaxAttributeValueLength(int n) {
    return new TraceStoreOptions(dataDir, shards, fsync, segmentDuration, segmentMaxBytes, retention, retentionBytes,
        maxSpansPerTrace, n, maxSpansPerSecondPerTenant, traceIdMapEntries);
  }

  public TraceStoreOptions withMaxSpansPerSecondPerTenant(long n) {
    return new TraceStoreOptions(dataDir, shards, fsync, segmentDuration, segmentMaxBytes, retention, retentionBytes,
        maxSpansPerTrace, maxAttributeValueLength, n, traceIdMapEntries);
  }

  public TraceStoreOptions withTraceIdMapEntries(long n) {
    return new TraceStoreOptions(dataDir, shards, fsync, segmentDuration, segmentMaxBytes, retention, retentionBytes,
        maxSpansPerTrace, maxAttributeValueLength, maxSpansPerSecondPerTenant, n);
  }
}
