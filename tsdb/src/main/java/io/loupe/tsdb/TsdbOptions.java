package io.loupe.tsdb;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of a {@link Tsdb}. Start from {@link #defaults(Path)} and change what you need with the withers.
 *
 * @param dataDir where the WAL (and later the blocks) live; created if missing
 * @param shards independent head shards, each with its own lock and WAL; default: available processors
 * @param fsync when the WAL is fsynced; default {@link FsyncPolicy#ALWAYS}
 * @param outOfOrderWindow how far behind its series' newest sample a sample may be and still be accepted; default 30 m
 * @param maxSeriesPerTenant head series a tenant may have; new series over it are rejected; 0: unlimited; default 1M
 * @param maxExemplarsPerTenant exemplars kept per tenant (a ring buffer, oldest dropped first); 0 disables; default 100k
 * @param walSegmentSize size at which a WAL segment is closed and the next one started; default 128 MiB
 * @param blockRange time range of a block: head chunks never span a multiple of it, and once the head spans 1.5
 *     ranges its oldest whole range is written to a block and dropped from memory; default 2 h
 * @param retention blocks whose end is this far behind their tenant's newest sample are deleted; zero keeps all;
 *     default 15 days (Prometheus's)
 * @param retentionBytes once blocks and WAL together take more bytes than this, the oldest blocks are deleted whole
 *     until they fit; 0: no size limit (default)
 * @param headChunksSegmentSize size of the files ({@code chunks_head/}) that full head chunks are written to and read
 *     back from through a memory map, so that the heap keeps 16 bytes per chunk instead of its ~400; 0 keeps them on
 *     the heap; default 32 MiB
 */
public record TsdbOptions(
    Path dataDir,
    int shards,
    FsyncPolicy fsync,
    Duration outOfOrderWindow,
    long maxSeriesPerTenant,
    int maxExemplarsPerTenant,
    long walSegmentSize,
    Duration blockRange,
    Duration retention,
    long retentionBytes,
    long headChunksSegmentSize) {
  public static final int MAX_SHARDS = 1024;
  public static final long MIN_WAL_SEGMENT_SIZE = 4096;
  public static final long MAX_WAL_SEGMENT_SIZE = 1L << 30;
  public static final long MIN_HEAD_CHUNKS_SEGMENT_SIZE = 64 << 10;
  public static final long MAX_HEAD_CHUNKS_SEGMENT_SIZE = 1L << 30;

  public TsdbOptions {
    requireNonNull(dataDir, "dataDir");
    requireNonNull(fsync, "fsync");
    requireNonNull(outOfOrderWindow, "outOfOrderWindow");
    requireNonNull(blockRange, "blockRange");
    requireNonNull(retention, "retention");
    if (retention.isNegative()) {
      throw new IllegalArgumentException("retention: " + retention + " (expected: >= 0, 0 keeps everything)");
    }
    if (retentionBytes < 0) {
      throw new IllegalArgumentException("retentionBytes: " + retentionBytes + " (expected: >= 0, 0 = no limit)");
    }
    if (blockRange.toMillis() < 60_000) {
      throw new IllegalArgumentException("blockRange: " + blockRange + " (expected: >= 1 minute)");
    }
    if (shards < 1 || shards > MAX_SHARDS) {
      throw new IllegalArgumentException("shards: " + shards + " (expected: 1 to " + MAX_SHARDS + ")");
    }
    if (outOfOrderWindow.isNegative()) {
      throw new IllegalArgumentException("outOfOrderWindow: " + outOfOrderWindow + " (expected: >= 0)");
    }
    if (maxSeriesPerTenant < 0) {
      throw new IllegalArgumentException("maxSeriesPerTenant: " + maxSeriesPerTenant + " (expected: >= 0, 0 = none)");
    }
    if (maxExemplarsPerTenant < 0) {
      throw new IllegalArgumentException(
          "maxExemplarsPerTenant: " + maxExemplarsPerTenant + " (expected: >= 0, 0 disables exemplars)");
    }
    if (headChunksSegmentSize != 0 && (headChunksSegmentSize < MIN_HEAD_CHUNKS_SEGMENT_SIZE
        || headChunksSegmentSize > MAX_HEAD_CHUNKS_SEGMENT_SIZE)) {
      throw new IllegalArgumentException("headChunksSegmentSize: " + headChunksSegmentSize + " (expected: 0 or "
          + MIN_HEAD_CHUNKS_SEGMENT_SIZE + " to " + MAX_HEAD_CHUNKS_SEGMENT_SIZE + ")");
    }
    if (walSegmentSize < MIN_WAL_SEGMENT_SIZE || walSegmentSize > MAX_WAL_SEGMENT_SIZE) {
      throw new IllegalArgumentException("walSegmentSize: " + walSegmentSize + " (expected: " + MIN_WAL_SEGMENT_SIZE
          + " to " + MAX_WAL_SEGMENT_SIZE + ")");
    }
  }

  public static TsdbOptions defaults(Path dataDir) {
    return new TsdbOptions(dataDir, Runtime.getRuntime().availableProcessors(), FsyncPolicy.ALWAYS,
        Duration.ofMinutes(30), 1_000_000, 100_000, 128L << 20, Duration.ofHours(2),
        Duration.ofDays(15), 0, 32L << 20);
  }

  public TsdbOptions withShards(int n) {
    return new TsdbOptions(dataDir, n, fsync, outOfOrderWindow, maxSeriesPerTenant, maxExemplarsPerTenant,
        walSegmentSize, blockRange, retention, retentionBytes, headChunksSegmentSize);
  }

  public TsdbOptions withFsync(FsyncPolicy p) {
    return new TsdbOptions(dataDir, shards, p, outOfOrderWindow, maxSeriesPerTenant, maxExemplarsPerTenant,
        walSegmentSize, blockRange, retention, retentionBytes, headChunksSegmentSize);
  }

  public TsdbOptions withOutOfOrderWindow(Duration d) {
    return new TsdbOptions(dataDir, shards, fsync, d, maxSeriesPerTenant, maxExemplarsPerTenant, walSegmentSize,
        blockRange, retention, retentionBytes, headChunksSegmentSize);
  }

  public TsdbOptions withMaxSeriesPerTenant(long n) {
    return new TsdbOptions(dataDir, shards, fsync, outOfOrderWindow, n, maxExemplarsPerTenant, walSegmentSize,
        blockRange, retention, retentionBytes, headChunksSegmentSize);
  }

  public TsdbOptions withMaxExemplarsPerTenant(int n) {
    return new TsdbOptions(dataDir, shards, fsync, outOfOrderWindow, maxSeriesPerTenant, n, walSegmentSize,
        blockRange, retention, retentionBytes, headChunksSegmentSize);
  }

  public TsdbOptions withWalSegmentSize(long bytes) {
    return new TsdbOptions(dataDir, shards, fsync, outOfOrderWindow, maxSeriesPerTenant, maxExemplarsPerTenant, bytes,
        blockRange, retention, retentionBytes, headChunksSegmentSize);
  }

  public TsdbOptions withBlockRange(Duration d) {
    return new TsdbOptions(dataDir, shards, fsync, outOfOrderWindow, maxSeriesPerTenant, maxExemplarsPerTenant,
        walSegmentSize, d, retention, retentionBytes, headChunksSegmentSize);
  }

  public TsdbOptions withRetention(Duration d) {
    return new TsdbOptions(dataDir, shards, fsync, outOfOrderWindow, maxSeriesPerTenant, maxExemplarsPerTenant,
        walSegmentSize, blockRange, d, retentionBytes, headChunksSegmentSize);
  }

  public TsdbOptions withRetentionBytes(long bytes) {
    return new TsdbOptions(dataDir, shards, fsync, outOfOrderWindow, maxSeriesPerTenant, maxExemplarsPerTenant,
        walSegmentSize, blockRange, retention, bytes, headChunksSegmentSize);
  }

  /** Head chunk file segment size; 0 keeps full head chunks on the heap. */
  public TsdbOptions withHeadChunksSegmentSize(long bytes) {
    return new TsdbOptions(dataDir, shards, fsync, outOfOrderWindow, maxSeriesPerTenant, maxExemplarsPerTenant,
        walSegmentSize, blockRange, retention, retentionBytes, bytes);
  }

  /**
   * Block ranges compaction merges into, smallest first: {@code blockRange} times 3, 9, 27..., up to 10% of the
   * retention or 31 days, whichever is smaller (Prometheus's rule; 31 days when retention is 0).
   */
  public long[] compactionRanges() {
    long cap = Duration.ofDays(31).toMillis();
    if (!retention.isZero()) {
      cap = Math.min(cap, retention.toMillis() / 10);
    }
    long r = blockRange.toMillis();
    java.util.List<Long> out = new java.util.ArrayList<>();
    for (long x = r * 3; x <= cap; x *= 3) {
      out.add(x);
    }
    return out.stream().mapToLong(Long::longValue).toArray();
  }
}
