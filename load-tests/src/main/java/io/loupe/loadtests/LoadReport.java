package io.loupe.loadtests;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The outcome of one generator run: what was sent, what the node accepted, how fast, and what it cost the node.
 * CPU and memory figures are NaN / -1 when the node's pid was not known.
 *
 * @param unit "samples" (Prometheus samples: a histogram point counts each bucket, its sum and its count) or "spans"
 * @param requests request attempts, retries of throttled requests included
 * @param accepted attempts answered 2xx (gRPC OK)
 * @param throttled attempts answered 429/503 (RESOURCE_EXHAUSTED/UNAVAILABLE)
 * @param failed attempts answered otherwise, or not at all
 * @param rejected OTLP points or spans the node reported rejected inside accepted responses (partial success)
 * @param nodeCpuSeconds the node's user + system CPU seconds between the first request and the last answer
 * @param nodeDiskBytes bytes in the node's data directory after it stopped (only with --start-node), else -1
 * @param samplesStored samples (or spans) the node accepted over the whole run, warm-up included: what its data
 *     directory holds, and what its size is divided by (the steady window's {@code samplesAccepted} would count
 *     the warm-up's bytes against the window's spans)
 */
public record LoadReport(String kind, String target, String workload, String unit, double elapsedSeconds,
    boolean exhausted, long requests, long accepted, long throttled, long failed, long samplesSent,
    long samplesAccepted, long rejected, long bytesSent, double p50Millis, double p99Millis, double nodeCpuSeconds,
    long nodePeakRssBytes, long nodeDiskBytes, long samplesStored, double clientCpuSeconds, String firstError) {
  public LoadReport {
    requireNonNull(kind, "kind");
    requireNonNull(target, "target");
    requireNonNull(workload, "workload");
    requireNonNull(unit, "unit");
    if (!(elapsedSeconds > 0)) {
      throw new IllegalArgumentException("elapsedSeconds: " + elapsedSeconds + " (expected: > 0)");
    }
  }

  /** Accepted samples (or spans) per wall-clock second. */
  public double samplesPerSecond() {
    return samplesAccepted / elapsedSeconds;
  }

  /** Node CPU seconds per million accepted samples (or spans). */
  public double cpuSecondsPerMillion() {
    return samplesAccepted == 0 ? Double.NaN : nodeCpuSeconds / (samplesAccepted / 1e6);
  }

  /** Accepted samples (or spans) per second of one fully used core of the node. */
  public double samplesPerCoreSecond() {
    return nodeCpuSeconds > 0 ? samplesAccepted / nodeCpuSeconds : Double.NaN;
  }

  /** The summary table printed at the end of a run. */
  public String format() {
    List<String[]> rows = new ArrayList<>();
    rows.add(row("target", target));
    rows.add(row("workload", workload));
    rows.add(row("wall time", f("%.1f s%s", elapsedSeconds, exhausted ? " (all pre-encoded requests sent)" : "")));
    rows.add(row("requests", f("%,d (2xx %,d, 429 %,d, failed %,d)", requests, accepted, throttled, failed)));
    rows.add(row(unit + " sent", f("%,d (%,.1f MB on the wire)", samplesSent, bytesSent / 1e6)));
    rows.add(row(unit + " accepted", f("%,d", samplesAccepted)));
    if (rejected > 0) {
      rows.add(row("rejected in 2xx", f("%,d (OTLP partial success)", rejected)));
    }
    rows.add(row(unit + "/s", f("%,.0f", samplesPerSecond())));
    rows.add(row("latency p50 / p99", f("%.1f ms / %.1f ms", p50Millis, p99Millis)));
    if (!Double.isNaN(nodeCpuSeconds)) {
      rows.add(row("node cpu", f("%.1f s (%.2f cores on average)", nodeCpuSeconds, nodeCpuSeconds / elapsedSeconds)));
      rows.add(row("node cpu s / M " + unit, f("%.2f", cpuSecondsPerMillion())));
      rows.add(row(unit + "/s per core", f("%,.0f", samplesPerCoreSecond())));
    }
    if (nodePeakRssBytes > 0) {
      rows.add(row("node peak RSS", f("%,.0f MiB", nodePeakRssBytes / 1048576.0)));
    }
    if (nodeDiskBytes >= 0) {
      rows.add(row("node data dir", f("%,.1f MB (%.2f bytes per %s; %,d accepted in the whole run)",
          nodeDiskBytes / 1e6, samplesStored == 0 ? Double.NaN : nodeDiskBytes / (double) samplesStored,
          unit.replaceAll("s$", ""), samplesStored)));
    }
    rows.add(row("client cpu", f("%.1f s", clientCpuSeconds)));
    if (firstError != null && !firstError.isEmpty()) {
      rows.add(row("first error", firstError));
    }
    String title = kind + " summary";
    int w = Math.max(title.length(), rows.stream().mapToInt(r -> r[0].length()).max().orElse(10));
    StringBuilder sb = new StringBuilder();
    String rule = "+" + "-".repeat(w + 2) + "+" + "-".repeat(60) + "\n";
    sb.append(rule).append(f("| %-" + w + "s |%n", title)).append(rule);
    for (String[] r : rows) {
      sb.append(f("| %-" + w + "s | %s%n", r[0], r[1]));
    }
    return sb.append(rule).toString();
  }

  private static String[] row(String k, String v) {
    return new String[] {k, v};
  }

  private static String f(String fmt, Object... args) {
    return String.format(Locale.ROOT, fmt, args);
  }
}
