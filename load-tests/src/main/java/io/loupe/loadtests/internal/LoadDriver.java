package io.loupe.loadtests.internal;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends a workload's requests in order with a fixed number of worker threads until they are all sent or the time is
 * up. A throttled request is retried after the server's Retry-After or an exponential backoff (30 ms doubling to 5 s,
 * Prometheus's defaults), so throttling lowers the rate instead of dropping data.
 */
public final class LoadDriver {
  /** The end state of a run. */
  public record Result(RunStats stats, long elapsedNanos, boolean exhausted) {}

  private LoadDriver() {}

  public static Result run(Workload workload, Transport transport, int concurrency, Duration duration, int maxRetries,
      Progress progress) throws InterruptedException {
    requireNonNull(workload, "workload");
    requireNonNull(transport, "transport");
    if (concurrency <= 0) {
      throw new IllegalArgumentException("concurrency: " + concurrency + " (expected: > 0)");
    }
    List<Prepared> requests = workload.requests();
    RunStats stats = new RunStats();
    AtomicInteger next = new AtomicInteger();
    AtomicBoolean exhausted = new AtomicBoolean();
    long start = System.nanoTime();
    long deadline = start + duration.toNanos();
    List<Thread> workers = new ArrayList<>(concurrency);
    for (int w = 0; w < concurrency; w++) {
      Thread t = new Thread(() -> {
        while (true) {
          int i = next.getAndIncrement();
          if (i >= requests.size()) {
            exhausted.set(true);
            return;
          }
          if (System.nanoTime() - deadline >= 0) {
            return;
          }
          Prepared p = requests.get(i);
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
            Outcome o = transport.send(p.body());
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
    progress.start(stats, start, duration, requests.size(), next);
    workers.forEach(Thread::start);
    for (Thread t : workers) {
      t.join();
    }
    long elapsed = System.nanoTime() - start;
    progress.stop();
    return new Result(stats, elapsed, exhausted.get());
  }
}
