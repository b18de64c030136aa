package io.loupe.loadtests.internal;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends a workload's requests with a fixed number of worker threads until they are all sent or the time is up. Like
 * Prometheus's remote-write shards, each worker owns some streams ({@link Prepared#stream}) and sends their requests in
 * order, one at a time, so a series never overtakes itself (an out-of-order exemplar is rejected, unlike a sample). A throttled request is retried after the server's Retry-After or an exponential backoff (30 ms doubling to 5 s,
 * Prometheus's defaults), so throttling lowers the rate instead of dropping data.
 */
public final class LoadDriver {
  /**
   * The end state of a run.
   *
   * @param steady the counters when the warm-up ended (the start of the measured window), or null without a warm-up
   *     or when the run ended before it
   */
  public record Result(RunStats stats, long elapsedNanos, boolean exhausted, RunStats.Mark steady) {
    public Result(RunStats stats, long elapsedNanos, boolean exhausted) {
      this(stats, elapsedNanos, exhausted, null);
    }
  }

  /** Gives the body to send for a request in a round over the workload (round 0: the first pass). */
  @FunctionalInterface
  public interface Recycler {
    byte[] body(Prepared request, long round);
  }

  private LoadDriver() {}

  public static Result run(Workload workload, Transport transport, int concurrency, Duration duration, int maxRetries,
      Progress progress) throws InterruptedException {
    return run(workload, transport, concurrency, duration, maxRetries, progress, Duration.ZERO, null, () -> Double.NaN);
  }

  /**
   * As above, and: with a {@code recycler}, a worker that sent all its requests starts over with the next round of
   * bodies until {@code duration} is up (a steady load from a bounded pool); after {@code warmup} the counters and
   * {@code nodeCpu} are marked, so that the caller can report the steady window alone.
   */
  public static Result run(Workload workload, Transport transport, int concurrency, Duration duration, int maxRetries,
      Progress progress, Duration warmup, Recycler recycler, java.util.function.DoubleSupplier nodeCpu)
      throws InterruptedException {
    requireNonNull(warmup, "warmup");
    requireNonNull(nodeCpu, "nodeCpu");
    requireNonNull(workload, "workload");
    requireNonNull(transport, "transport");
    if (concurrency <= 0) {
      throw new IllegalArgumentException("concurrency: " + concurrency + " (expected: > 0)");
    }
    List<Prepared> requests = workload.requests();
    RunStats stats = new RunStats();
    AtomicInteger next = new AtomicInteger();
    long start = System.nanoTime();
    long deadline = start + duration.toNanos();
    // Worker w sends the requests of streams w, w + concurrency, ... in workload order.
    List<List<Prepared>> perWorker = new ArrayList<>(concurrency);
    for (int w = 0; w < concurrency; w++) {
      perWorker.add(new ArrayList<>());
    }
    for (Prepared p : requests) {
      perWorker.get(Math.floorMod(p.stream(), concurrency)).add(p);
    }
    AtomicInteger done = new AtomicInteger();
    List<Thread> workers = new ArrayList<>(concurrency);
    for (int w = 0; w < concurrency; w++) {
      List<Prepared> mine = perWorker.get(w);
      Thread t = new Thread(() -> {
        long round = 0;
        for (int i = 0; ; i++) {
          if (i >= mine.size()) {
            if (recycler == null || mine.isEmpty()) {
              done.incrementAndGet();
              return;
            }
            i = 0;
            round++;
          }
          next.incrementAndGet();
          Prepared p = mine.get(i);
          byte[] body = recycler == null ? p.body() : recycler.body(p, round);
          for (long wait; (wait = p.notBeforeMillis() - System.currentTimeMillis()) > 0; ) { // live: not due yet
            long left = (deadline - System.nanoTime()) / 1_000_000 + 1;
            if (left <= 0) {
              return;
            }
            try {
              Thread.sleep(Math.min(wait, left));
            } catch (InterruptedException e) {
              return;
            }
          }
          if (System.nanoTime() - deadline >= 0) {
            return;
          }
          stats.samplesSent.addAndGet(p.samples());
          for (int attempt = 0; ; attempt++) {
            long t0 = System.nanoTime();
            Outcome o = transport.send(body);
            stats.record(p, o, System.nanoTime() - t0);
            if (o.kind() != Outcome.Kind.THROTTLED || attempt >= maxRetries || System.nanoTime() - deadline >= 0) {
              break;
            }
            long backoff = o.retryAfterMillis() >= 0 ? o.retryAfterMillis() : 30L << Math.min(attempt, 8);
            try {
              Thread.sleep(Math.min(backoff, 5_000));
            } catch (InterruptedException e) {
              return;
            }
          }
        }
      }, "load-worker-" + w);
      t.setDaemon(true);
      workers.add(t);
    }
    // Rounds without end: progress is the share of the duration.
    progress.start(stats, start, duration, recycler == null ? requests.size() : Integer.MAX_VALUE, next);
    workers.forEach(Thread::start);
    RunStats.Mark steady = null;
    if (!warmup.isZero() && warmup.compareTo(duration) < 0) {
      long markAt = start + warmup.toNanos();
      for (long left; (left = markAt - System.nanoTime()) > 0 && workers.stream().anyMatch(Thread::isAlive); ) {
        Thread.sleep(Math.max(1, Math.min(100, left / 1_000_000)));
      }
      if (workers.stream().anyMatch(Thread::isAlive)) {
        steady = stats.mark(nodeCpu.getAsDouble());
      }
    }
    for (Thread t : workers) {
      t.join();
    }
    long elapsed = System.nanoTime() - start;
    progress.stop();
    return new Result(stats, elapsed, done.get() == concurrency, steady);
  }
}
