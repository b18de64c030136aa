package io.loupe.collector.otlp.internal;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Turns OTLP delta sums and histograms into cumulative ones by keeping a running total per stream (tenant + series).
 * The state is bounded: at most {@code maxStreams} streams; when full, streams not updated for {@code idleNanos} are
 * dropped, and if none is idle a new stream is refused (the caller rejects its points). Thread-safe.
 *
 * <p>A stream accepts a point when its time is after the stream's last point (gaps are fine: a lost request makes the
 * total undercount, which PromQL's rate handles like a late start). A point identical to the last one (same start,
 * time and delta) is a retry of a request that may not have been stored: it gets the same cumulative value again, which
 * the store treats as an idempotent duplicate. Older points and points starting before the stream did are refused.
 */
public final class DeltaToCumulative {
  private final int maxStreams;
  private final long idleNanos;
  private final LongSupplier nanoClock;
  private final Map<Object, Stream> streams = new ConcurrentHashMap<>();
  private volatile long lastSweep;

  public DeltaToCumulative(int maxStreams, long idleNanos, LongSupplier nanoClock) {
    if (maxStreams <= 0) {
      throw new IllegalArgumentException("maxStreams: " + maxStreams + " (expected: > 0)");
    }
    this.maxStreams = maxStreams;
    this.idleNanos = idleNanos;
    this.nanoClock = nanoClock;
    this.lastSweep = nanoClock.getAsLong();
  }

  public int size() {
    return streams.size();
  }

  /** The cumulative value of a delta sum point, written to {@code out[0]}; returns null, or why it was refused. */
  public String sum(Object key, long startNanos, long timeNanos, double delta, double[] out) {
    Stream s = stream(key);
    if (s == null) {
      return full();
    }
    synchronized (s) {
      long now = nanoClock.getAsLong();
      if (s.lastNanos != Long.MIN_VALUE && s.isHistogram) { // the series changed type: start over
        s.reset();
      }
      String problem = s.check(startNanos, timeNanos, delta, null, 0, null);
      if (problem == RETRY) {
        out[0] = s.sum;
        return null;
      }
      if (problem != null) {
        return problem;
      }
      s.isHistogram = false;
      s.sum = s.lastNanos == Long.MIN_VALUE ? delta : s.sum + delta;
      s.accept(startNanos, timeNanos, delta, now);
      out[0] = s.sum;
      return null;
    }
  }

  /**
   * The cumulative state of a delta histogram point, written to {@code out}; returns null, or why it was refused. A
   * change of bucket bounds starts the stream over (PromQL sees a counter reset).
   */
  public String histogram(Object key, long startNanos, long timeNanos, List<Double> bounds, long count,
      double sum, List<Long> buckets, HistogramOut out) {
    Stream s = stream(key);
    if (s == null) {
      return full();
    }
    synchronized (s) {
      long now = nanoClock.getAsLong();
      double[] b = new double[bounds.size()];
      for (int i = 0; i < b.length; i++) {
        b[i] = bounds.get(i);
      }
      long[] deltaBuckets = new long[buckets.size()];
      for (int i = 0; i < deltaBuckets.length; i++) {
        deltaBuckets[i] = buckets.get(i);
      }
      if (s.lastNanos != Long.MIN_VALUE
          && (!s.isHistogram || !Arrays.equals(s.bounds, b) || s.buckets.length != deltaBuckets.length)) {
        s.reset();
      }
      String problem = s.check(startNanos, timeNanos, sum, deltaBuckets, count, b);
      if (problem == RETRY) {
        s.copyTo(out);
        return null;
      }
      if (problem != null) {
        return problem;
      }
      if (s.lastNanos == Long.MIN_VALUE) {
        s.isHistogram = true;
        s.bounds = b;
        s.buckets = new long[deltaBuckets.length];
        s.count = 0L;
        s.sum = 0;
      }
      s.count += count;
      s.sum += sum;
      for (int i = 0; i < deltaBuckets.length; i++) {
        s.buckets[i] += deltaBuckets[i];
      }
      s.lastBuckets = deltaBuckets;
      s.lastCount = count;
      s.accept(startNanos, timeNanos, sum, now);
      s.copyTo(out);
      return null;
    }
  }

  /** Output of {@link #histogram}: running count, sum and per-bucket (not yet cumulative over buckets) counts. */
  public static final class HistogramOut {
    public long count;
    public double sum;
    public long[] buckets;
  }

  private static final String RETRY = new String("retry");

  private String full() {
    return "delta-to-cumulative state is full (" + maxStreams + " streams): new delta series are refused until idle "
        + "ones expire";
  }

  private Stream stream(Object key) {
    Stream s = streams.get(key);
    if (s != null) {
      return s;
    }
    if (streams.size() >= maxStreams) {
      sweep();
      if (streams.size() >= maxStreams) {
        return null;
      }
    }
    return streams.computeIfAbsent(key, k -> new Stream());
  }

  // Drops idle streams; at most once a second, since it walks the whole map.
  private void sweep() {
    long now = nanoClock.getAsLong();
    if (now - lastSweep < 1_000_000_000L) {
      return;
    }
    lastSweep = now;
    for (Iterator<Stream> it = streams.values().iterator(); it.hasNext(); ) {
      Stream s = it.next();
      if (now - s.lastSeenNanos > idleNanos) {
        it.remove();
      }
    }
  }

  private static final class Stream {
    boolean isHistogram;
    long originStart;
    long lastStart;
    long lastNanos = Long.MIN_VALUE;
    double lastDelta;
    long lastSeenNanos;
    double sum;
    Long count;
    long lastCount;
    double[] bounds;
    long[] buckets;
    long[] lastBuckets;

    void reset() {
      lastNanos = Long.MIN_VALUE;
      isHistogram = false;
      sum = 0;
      count = null;
      bounds = null;
      buckets = null;
      lastBuckets = null;
    }

    String check(long start, long time, double delta, long[] deltaBuckets, long deltaCount, double[] bounds) {
      if (lastNanos == Long.MIN_VALUE) {
        return null;
      }
      if (time == lastNanos && start == lastStart && Double.compare(delta, lastDelta) == 0
          && (deltaBuckets == null || (deltaCount == lastCount && Arrays.equals(deltaBuckets, lastBuckets)))) {
        return RETRY;
      }
      if (time <= lastNanos) {
        return "time_unix_nano " + time + " is not after the last point of this delta series (" + lastNanos
            + ")";
      }
      if (start != 0 && start < originStart) {
        return "start_time_unix_nano " + start + " is before the start of this delta series (" + originStart
            + ")";
      }
      return null;
    }

    void accept(long start, long time, double delta, long now) {
      if (lastNanos == Long.MIN_VALUE) {
        originStart = start;
      }
      lastStart = start;
      lastNanos = time;
      lastDelta = delta;
      lastSeenNanos = now;
    }

    void copyTo(HistogramOut out) {
      out.count = count;
      out.sum = sum;
      out.buckets = buckets.clone();
    }
  }
}
