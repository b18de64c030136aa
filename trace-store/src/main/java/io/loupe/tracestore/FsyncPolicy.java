package io.loupe.tracestore;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * When segment writes reach the disk. {@link #beforeAck()} (the default) forces the segment file before {@code write}
 * returns, with concurrent writers of a shard sharing one {@code fsync} (group commit): acknowledged spans survive a
 * process crash and a power loss. {@link #every(Duration)} forces in the background: acknowledged spans survive a
 * process crash ({@code kill -9}: the bytes are in the OS page cache) but a power loss or kernel crash may lose the last
 * {@code interval} of them.
 */
public record FsyncPolicy(Duration interval) {
  public FsyncPolicy {
    requireNonNull(interval, "interval");
    if (interval.isNegative()) {
      throw new IllegalArgumentException("fsync interval: " + interval + " (expected: >= 0, 0 means before ack)");
    }
  }

  /** Fsync before acknowledging, shared by concurrent writers. */
  public static FsyncPolicy beforeAck() {
    return new FsyncPolicy(Duration.ZERO);
  }

  /** Fsync in the background every {@code interval} (> 0). */
  public static FsyncPolicy every(Duration interval) {
    requireNonNull(interval, "interval");
    if (interval.isZero() || interval.isNegative()) {
      throw new IllegalArgumentException("fsync interval: " + interval + " (expected: > 0)");
    }
    return new FsyncPolicy(interval);
  }

  public boolean isBeforeAck() {
    return interval.isZero();
  }
}
