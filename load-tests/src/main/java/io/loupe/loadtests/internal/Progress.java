package io.loupe.loadtests.internal;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The live progress line: on a terminal one line rewritten in place with {@code \r}; otherwise (a pipe, a CI log) a
 * plain line every few seconds, so logs stay readable.
 */
public final class Progress {
  private final PrintStream out;
  private final boolean tty;
  private final long intervalMillis;
  private final long nodePid;
  private final String unit;
  private volatile boolean running;
  private Thread thread;

  /**
   * @param nodePid the node's pid for a live CPU figure, or -1
   * @param unit "samples" or "spans"
   */
  public Progress(PrintStream out, boolean tty, Duration interval, long nodePid, String unit) {
    this.out = out;
    this.tty = tty;
    this.intervalMillis = interval.toMillis();
    this.nodePid = nodePid;
    this.unit = unit;
  }

  /** A progress line suited to where stdout goes: in place on a terminal, every 5 s otherwise. */
  public static Progress forStdout(long nodePid, String unit) {
    boolean tty = System.console() != null;
    return new Progress(System.out, tty, Duration.ofSeconds(tty ? 1 : 5), nodePid, unit);
  }

  /** No progress at all (tests). */
  public static Progress none() {
    return new Progress(System.out, false, Duration.ofDays(1), -1, "samples");
  }

  void start(RunStats stats, long startNanos, Duration duration, int totalRequests, AtomicInteger next) {
    running = true;
    thread = new Thread(() -> {
      long lastNanos = startNanos;
      long lastSamples = 0;
      long lastAttempts = 0;
      double lastCpu = nodePid > 0 ? ProcStat.cpuSeconds(nodePid) : Double.NaN;
      while (running) {
        try {
          Thread.sleep(intervalMillis);
        } catch (InterruptedException e) {
          return;
        }
        long now = System.nanoTime();
        double dt = (now - lastNanos) / 1e9;
        long samples = stats.samplesAccepted();
        long attempts = stats.attempts();
        double cpu = nodePid > 0 ? ProcStat.cpuSeconds(nodePid) : Double.NaN;
        double elapsed = (now - startNanos) / 1e9;
        double fraction = Math.max(elapsed / (duration.toNanos() / 1e9),
            Math.min(next.get(), totalRequests) / (double) Math.max(1, totalRequests));
        String line = line(fraction, elapsed, duration.toSeconds(), (attempts - lastAttempts) / dt, samples,
            (samples - lastSamples) / dt, stats.throttled(), stats.failed(), (cpu - lastCpu) / dt);
        if (tty) {
          out.print("\r" + line);
        } else {
          out.println(line);
        }
        out.flush();
        lastNanos = now;
        lastSamples = samples;
        lastAttempts = attempts;
        lastCpu = cpu;
      }
    }, "load-progress");
    thread.setDaemon(true);
    thread.start();
  }

  String line(double fraction, double elapsed, long total, double reqPerSec, long samples, double samplesPerSec,
      long throttled, long failed, double nodeCores) {
    int width = 20;
    int done = (int) Math.round(Math.min(1, fraction) * width);
    String bar = "#".repeat(done) + ".".repeat(width - done);
    String cpu = Double.isNaN(nodeCores) ? "" : String.format(Locale.ROOT, "  node cpu %3.0f%%", nodeCores * 100);
    return String.format(Locale.ROOT, "[%s] %3.0f%% %4.0fs/%ds  %,8.0f req/s  %,11.0f %s/s  %s %,d ok  429: %,d"
            + "  err: %,d%s ", bar, Math.min(1, fraction) * 100, elapsed, total, reqPerSec, samplesPerSec, unit,
        unit, samples, throttled, failed, cpu);
  }

  void stop() {
    running = false;
    if (thread != null) {
      thread.interrupt();
      try {
        thread.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (tty) {
      out.println();
    }
  }
}
