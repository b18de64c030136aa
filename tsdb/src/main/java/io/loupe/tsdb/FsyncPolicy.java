package io.loupe.tsdb;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * When the WAL is fsynced. Either way a commit returns only after its records were written to the segment file, so a
 * process crash ({@code kill -9}) loses nothing acknowledged: the data is in the OS page cache.
 *
 * <ul>
 *   <li>{@link #ALWAYS}: a commit also waits for an fsync covering its records; concurrent commits share one fsync
 *       (group commit). A power cut or kernel crash loses nothing acknowledged. The default.
 *   <li>{@link #interval(Duration)}: a background thread fsyncs every interval. A power cut loses at most the last
 *       interval of acknowledged writes.
 * </ul>
 */
public sealed interface FsyncPolicy permits FsyncPolicy.Always, FsyncPolicy.Interval {
  FsyncPolicy ALWAYS = new Always();

  static FsyncPolicy interval(Duration every) {
    return new Interval(every);
  }

  /** Fsync before acknowledging, batched across concurrent commits. */
  record Always() implements FsyncPolicy {}

  /** Fsync in the background every {@code every}. */
  record Interval(Duration every) implements FsyncPolicy {
    public Interval {
      requireNonNull(every, "every");
      if (every.isNegative() || every.isZero()) {
        throw new IllegalArgumentException("fsync interval: " + every + " (expected: > 0)");
      }
    }
  }
}
