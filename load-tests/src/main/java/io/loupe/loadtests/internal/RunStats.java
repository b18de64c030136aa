package io.loupe.loadtests.internal;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** Counters of a run, updated by the worker threads and read by the progress line and the summary. */
public final class RunStats {
  final AtomicLong attempts = new AtomicLong();
  final AtomicLong accepted = new AtomicLong();
  final AtomicLong throttled = new AtomicLong();
  final AtomicLong failed = new AtomicLong();
  final AtomicLong samplesSent = new AtomicLong();
  final AtomicLong samplesAccepted = new AtomicLong();
  final AtomicLong rejected = new AtomicLong();
  final AtomicLong bytesSent = new AtomicLong();
  final AtomicReference<String> firstError = new AtomicReference<>();
  private long[] latencies = new long[1024];
  private int latencyCount;

  void record(Prepared p, Outcome o, long nanos) {
    attempts.incrementAndGet();
    bytesSent.addAndGet(p.body().length);
    switch (o.kind()) {
      case ACCEPTED -> {
        accepted.incrementAndGet();
        samplesAccepted.addAndGet(p.samples());
        rejected.addAndGet(o.rejected());
        if (o.rejected() > 0) {
          firstError.compareAndSet(null, "partial success, " + o.rejected() + " rejected: " + o.message());
        }
      }
      case THROTTLED -> throttled.incrementAndGet();
      case FAILED -> {
        failed.incrementAndGet();
        firstError.compareAndSet(null, o.message());
      }
    }
    synchronized (this) {
      if (latencyCount == latencies.length) {
        latencies = Arrays.copyOf(latencies, latencies.length * 2);
      }
      latencies[latencyCount++] = nanos;
    }
  }

  public long attempts() {
    return attempts.get();
  }

  public long accepted() {
    return accepted.get();
  }

  public long throttled() {
    return throttled.get();
  }

  public long failed() {
    return failed.get();
  }

  public long samplesSent() {
    return samplesSent.get();
  }

  public long samplesAccepted() {
    return samplesAccepted.get();
  }

  /** Points or spans the server reported rejected inside accepted (partial success) responses. */
  public long rejected() {
    return rejected.get();
  }

  public long bytesSent() {
    return bytesSent.get();
  }

  public String firstError() {
    return firstError.get();
  }

  /** The {@code q}-quantile (0..1) of request latency in milliseconds over all attempts, or NaN when none. */
  public double latencyMillis(double q) {
    return latencyMillisSince(null, q);
  }

  /** As {@link #latencyMillis}, over the attempts that finished after {@code mark} (all when null). */
  public synchronized double latencyMillisSince(Mark mark, double q) {
    int from = mark == null ? 0 : Math.min(mark.latencies(), latencyCount);
    int n = latencyCount - from;
    if (n == 0) {
      return Double.NaN;
    }
    long[] sorted = Arrays.copyOfRange(latencies, from, latencyCount);
    Arrays.sort(sorted);
    int idx = (int) Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
    return sorted[idx] / 1e6;
  }

  /**
   * The counters at one instant (the end of a warm-up), with the node's CPU seconds read at the same time: a report
   * over the steady window subtracts them.
   */
  public record Mark(long nanoTime, long attempts, long accepted, long throttled, long failed, long samplesSent,
      long samplesAccepted, long rejected, long bytesSent, int latencies, double nodeCpuSeconds) {}

  /** Marks the counters now; {@code nodeCpuSeconds} is the node's CPU reading taken by the caller. */
  public Mark mark(double nodeCpuSeconds) {
    int n;
    synchronized (this) {
      n = latencyCount;
    }
    return new Mark(System.nanoTime(), attempts(), accepted(), throttled(), failed(), samplesSent(),
        samplesAccepted(), rejected(), bytesSent(), n, nodeCpuSeconds);
  }
}
