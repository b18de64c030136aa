package io.loupe.collector.scrape;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;

/**
 * Settings of a {@link ScrapeManager}: the largest response body accepted (after gzip decoding), how long
 * {@link ScrapeManager#close()} waits for scrapes in flight, the number of threads that parse and append, and the
 * clock that stamps scrapes.
 */
public record ScrapeOptions(long maxBodyBytes, Duration closeTimeout, int threads, Clock clock) {
  public static final long DEFAULT_MAX_BODY_BYTES = 10L * 1024 * 1024;

  public ScrapeOptions {
    requireNonNull(closeTimeout, "closeTimeout");
    requireNonNull(clock, "clock");
    if (maxBodyBytes <= 0 || maxBodyBytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("maxBodyBytes: " + maxBodyBytes + " (expected: > 0 and < 2 GiB)");
    }
    if (closeTimeout.isNegative()) {
      throw new IllegalArgumentException("closeTimeout: " + closeTimeout + " (expected: >= 0)");
    }
    if (threads <= 0) {
      throw new IllegalArgumentException("threads: " + threads + " (expected: > 0)");
    }
  }

  /** 10 MiB bodies, 10 s to close, one thread (parsing a 10k-line exposition takes a few ms), the system clock. */
  public static ScrapeOptions defaults() {
    return new ScrapeOptions(DEFAULT_MAX_BODY_BYTES, Duration.ofSeconds(10), 1, Clock.systemUTC());
  }

  public ScrapeOptions withMaxBodyBytes(long n) {
    return new ScrapeOptions(n, closeTimeout, threads, clock);
  }

  public ScrapeOptions withCloseTimeout(Duration d) {
    return new ScrapeOptions(maxBodyBytes, d, threads, clock);
  }

  public ScrapeOptions withThreads(int n) {
    return new ScrapeOptions(maxBodyBytes, closeTimeout, n, clock);
  }

  public ScrapeOptions withClock(Clock c) {
    return new ScrapeOptions(maxBodyBytes, closeTimeout, threads, c);
  }
}
