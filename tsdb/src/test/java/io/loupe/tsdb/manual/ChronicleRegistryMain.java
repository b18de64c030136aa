package io.loupe.tsdb.manual;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import net.openhft.chronicle.map.ChronicleMap;

/**
 * Measures what a Chronicle Map series registry (labels bytes → series id, persisted) would cost, for the decision in
 * docs/tsdb.md: create, put N series, close, reopen, and iterate every entry (a restart still has to rebuild the
 * in-memory postings from all labels). Run by hand with the Chronicle JVM flags (DEPENDENCIES.md):
 * {@code java <flags> -cp ... ChronicleRegistryMain [series=1000000]}. Times are the thread's CPU time.
 */
public final class ChronicleRegistryMain {
  public static void main(String[] args) throws Exception {
    System.setProperty("chronicle.analytics.disable", "true");
    System.setProperty("chronicle.announcer.disable", "true");
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Path dir = Files.createTempDirectory("loupe-chronicle");
    Path file = dir.resolve("series.dat");
    byte[] sample = key(123_456);
    long c0 = mx.getCurrentThreadCpuTime();
    long w0 = System.nanoTime();
    try (ChronicleMap<byte[], Long> m = ChronicleMap.of(byte[].class, Long.class).name("series")
        .averageKey(sample).entries(n).createPersistedTo(file.toFile())) {
      long c1 = mx.getCurrentThreadCpuTime();
      System.out.printf("create: %.2f s CPU, %.2f s wall%n", (c1 - c0) / 1e9, (System.nanoTime() - w0) / 1e9);
      for (int i = 0; i < n; i++) {
        m.put(key(i), (long) i);
      }
      long c2 = mx.getCurrentThreadCpuTime();
      System.out.printf("put %d: %.2f s CPU (%.0f ns each)%n", n, (c2 - c1) / 1e9, (double) (c2 - c1) / n);
    }
    System.out.printf("file: %d bytes (%.0f per series; key ~%d bytes)%n", Files.size(file),
        (double) Files.size(file) / n, sample.length);
    long c3 = mx.getCurrentThreadCpuTime();
    try (ChronicleMap<byte[], Long> m = ChronicleMap.of(byte[].class, Long.class).name("series")
        .averageKey(sample).entries(n).createPersistedTo(file.toFile())) {
      long c4 = mx.getCurrentThreadCpuTime();
      long[] sum = {0};
      m.forEach((k, v) -> sum[0] += k.length + v);
      long c5 = mx.getCurrentThreadCpuTime();
      System.out.printf("reopen: %.2f s CPU; iterate all %d: %.2f s CPU (%.0f ns each) [%d]%n", (c4 - c3) / 1e9,
          m.size(), (c5 - c4) / 1e9, (double) (c5 - c4) / n, sum[0] % 10);
    }
    Files.delete(file);
    Files.delete(dir);
  }

  // the label encoding a registry would key on: name\0value\0... of a node-exporter-like series
  static byte[] key(int i) {
    return ("__name__\0node_cpu_seconds_total\0cpu\0" + (i % 8) + "\0instance\0node-" + (i / 64) + ":9100\0job\0node"
        + "\0mode\0m" + (i / 8 % 8)).getBytes(StandardCharsets.UTF_8);
  }
}
