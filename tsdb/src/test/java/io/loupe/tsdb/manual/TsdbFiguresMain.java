package io.loupe.tsdb.manual;

import io.loupe.model.Appender;
import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.Querier;
import io.loupe.model.SampleIterator;
import io.loupe.model.SelectHints;
import io.loupe.model.Series;
import io.loupe.model.Tenant;
import io.loupe.tsdb.FsyncPolicy;
import io.loupe.tsdb.Tsdb;
import io.loupe.tsdb.TsdbOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The tsdb figures of docs/benchmarks.md, run by hand (not a test). Times are the measuring thread's CPU time
 * (ThreadMXBean), because wall time on the shared 2-core machine is inflated by other engineers' builds.
 *
 * <pre>
 * java -Xmx2g -cp tsdb/target/classes:tsdb/target/test-classes:$(cat cp.txt) io.loupe.tsdb.manual.TsdbFiguresMain \
 *     [nodeSeries=5000] [hours=13] [selectSeries=1000000] [all|replay|node|append|select] [interval|always]
 * </pre>
 *
 * Phases: (1) a node-exporter-like workload (counters that grow by realistic CPU-time increments, gauges that stay
 * flat for minutes, 15 s scrapes) appended into head + WAL by one thread; replay of that WAL; the head flushed and
 * compacted, then bytes per sample on disk; heap per active series ({@code append}: the append and WAL figures
 * only, for quick before/after runs). (2) selection latency for 1, 1k and 100k matching series out of
 * {@code selectSeries}.
 */
public final class TsdbFiguresMain {
  static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
  static final long H = 3_600_000L;
  static final long T0 = 1_699_999_200_000L / (18 * H) * (18 * H); // aligned to the 6 h and 18 h windows

  static FsyncPolicy nodeFsync = FsyncPolicy.interval(Duration.ofSeconds(1));
  static boolean histogram;

  static long cpu() {
    return MX.getCurrentThreadCpuTime();
  }

  /** One node-exporter-like series: its labels and how its value moves. */
  record NodeSeries(Labels labels, int kind, double base) {}

  static NodeSeries[] nodeSeries(int n) {
    NodeSeries[] out = new NodeSeries[n];
    String[] modes = {"idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"};
    for (int i = 0; i < n; i++) {
      String inst = "node-" + (i / 250) + ":9100";
      int k = i % 250;
      Labels l;
      int kind;
      if (k < 64) { // node_cpu_seconds_total: 8 cpus x 8 modes, counters
        l = Labels.of("__name__", "node_cpu_seconds_total", "cpu", String.valueOf(k / 8), "instance", inst, "job",
            "node", "mode", modes[k % 8]);
        kind = 0;
      } else if (k < 128) { // network/disk byte counters
        l = Labels.of("__name__", k < 96 ? "node_network_receive_bytes_total" : "node_disk_read_bytes_total",
            "device", "dev" + (k % 32), "instance", inst, "job", "node");
        kind = 1;
      } else if (k < 192) { // filesystem sizes: gauges, nearly constant
        l = Labels.of("__name__", "node_filesystem_avail_bytes", "device", "sd" + (k % 64), "instance", inst, "job",
            "node", "mountpoint", "/m" + (k % 64));
        kind = 2;
      } else { // memory and load gauges
        l = Labels.of("__name__", "node_memory_" + (k % 58) + "_bytes", "instance", inst, "job", "node");
        kind = 3;
      }
      out[i] = new NodeSeries(l, kind, 1e6 * (1 + i % 97));
    }
    return out;
  }

  static double value(NodeSeries s, int round, Random rnd, double[] state, int i) {
    switch (s.kind()) {
      case 0 -> state[i] += Math.round(15 * (0.05 + 0.9 * rnd.nextDouble() * rnd.nextDouble()) * 100) / 100.0;
      case 1 -> state[i] += rnd.nextInt(10) < 3 ? 0 : 1500L * rnd.nextInt(2000); // whole bytes, sometimes idle
      case 2 -> state[i] = rnd.nextInt(40) == 0 ? s.base() * 4096 - 4096L * rnd.nextInt(100) : state[i];
      default -> state[i] = rnd.nextInt(4) == 0 ? s.base() * 1024 + 4096L * rnd.nextInt(1000) : state[i];
    }
    if (state[i] == 0) {
      state[i] = s.kind() >= 2 ? s.base() * 1024 : 0;
    }
    return state[i];
  }

  public static void main(String[] args) throws Exception {
    int nSeries = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
    // fractional hours (3.25) end the run a quarter hour into a chunk, so the open chunks are part-full as in a
    // running node, not just frozen at a chunk boundary
    double hours = args.length > 1 ? Double.parseDouble(args[1]) : 13;
    int selectSeries = args.length > 2 ? Integer.parseInt(args[2]) : 1_000_000;
    String only = args.length > 3 ? args[3] : "all";
    // the node workload's fsync policy: interval(1s) as in docs/benchmarks.md, or "always" (the store's default)
    if (args.length > 4 && args[4].equals("always")) {
      nodeFsync = FsyncPolicy.ALWAYS;
    }
    // "histo": print the top of a class histogram (jcmd GC.class_histogram) where heap per series is measured
    histogram = args.length > 5 && args[5].equals("histo");
    if (only.equals("all") || only.equals("replay")) {
      replay(nSeries, 480);
    }
    if (only.equals("all") || only.equals("node") || only.equals("append")) {
      nodeWorkload(nSeries, hours, only.equals("append"));
    }
    if (only.equals("all") || only.equals("select")) {
      selection(selectSeries);
    }
  }

  /** WAL replay alone: a 1-day block range, so nothing is cut or checkpointed and the whole WAL is replayed. */
  static void replay(int n, int rounds) throws Exception {
    Path dir = Files.createTempDirectory("loupe-tsdb-replay");
    NodeSeries[] series = nodeSeries(n);
    TsdbOptions o = TsdbOptions.defaults(dir).withShards(2).withFsync(FsyncPolicy.interval(Duration.ofSeconds(1)))
        .withMaxSeriesPerTenant(0).withRetention(Duration.ZERO).withBlockRange(Duration.ofDays(1));
    Tenant t = new Tenant("bench");
    Random rnd = new Random(7);
    double[] state = new double[n];
    long samples = 0;
    try (Tsdb db = Tsdb.open(o, new SimpleMeterRegistry())) {
      for (int r = 0; r < rounds; r++) {
        Appender a = db.appender(t);
        for (int i = 0; i < n; i++) {
          a.append(series[i].labels(), T0 + r * 15_000L, value(series[i], r, rnd, state, i));
          if (i % 1000 == 999) {
            samples += a.commit().accepted();
            a = db.appender(t);
          }
        }
        samples += a.commit().accepted();
      }
    }
    long c0 = cpu();
    long w0 = System.nanoTime();
    try (Tsdb db = Tsdb.open(o, new SimpleMeterRegistry())) {
      long c = cpu() - c0;
      System.out.printf("replay: %d samples of %d series (%d WAL bytes) in %.2f s thread CPU (%.2f s wall): "
          + "%.2f s CPU per million samples%n", samples, n, bytesUnder(dir.resolve("wal")), c / 1e9,
          (System.nanoTime() - w0) / 1e9, c / 1e9 / (samples / 1e6));
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  static long bytesUnder(Path d, String... names) throws Exception {
    List<String> want = Arrays.asList(names);
    try (Stream<Path> s = Files.walk(d)) {
      return s.filter(Files::isRegularFile).filter(p -> want.isEmpty() || want.contains(p.getFileName().toString()))
          .mapToLong(p -> p.toFile().length()).sum();
    }
  }

  static void nodeWorkload(int n, double hours, boolean appendOnly) throws Exception {
    Path dir = Files.createTempDirectory("loupe-tsdb-figures");
    NodeSeries[] series = nodeSeries(n);
    TsdbOptions o = TsdbOptions.defaults(dir).withShards(2).withFsync(nodeFsync)
        .withMaxSeriesPerTenant(0).withRetention(Duration.ZERO);
    Tenant t = new Tenant("bench");
    int rounds = (int) Math.round(hours * 240);
    Random rnd = new Random(42);
    double[] state = new double[n];
    long samples = 0;
    long appendCpu = 0;
    // the least CPU that a quarter hour of rounds (60 x n samples) took: on the shared box other processes inflate
    // thread CPU time too (caches, hyperthreads), and the quietest window is the steadiest figure to compare
    long windowCpu = 0;
    long bestWindow = Long.MAX_VALUE;
    long wall0 = System.nanoTime();
    // the background cycle could cut blocks mid-run; it runs once a minute and cuts only ranges 1.5 h behind, which
    // the replay figure below accounts for by counting what was replayed
    try (Tsdb db = Tsdb.open(o, new SimpleMeterRegistry())) {
      for (int r = 0; r < rounds; r++) {
        long ts = T0 + r * 15_000L + (rnd.nextInt(10) == 0 ? rnd.nextInt(3) : 0); // a few ms of scrape jitter
        long c0 = cpu();
        Appender a = db.appender(t);
        int inBatch = 0;
        for (int i = 0; i < n; i++) {
          a.append(series[i].labels(), ts, value(series[i], r, rnd, state, i));
          if (++inBatch == 1000) {
            samples += a.commit().accepted();
            a = db.appender(t);
            inBatch = 0;
          }
        }
        samples += a.commit().accepted();
        long roundCpu = cpu() - c0;
        appendCpu += roundCpu; // includes value generation, a few % of it
        windowCpu += roundCpu;
        if (r % 60 == 59) {
          bestWindow = Math.min(bestWindow, windowCpu);
          windowCpu = 0;
        }
      }
    }
    double wall = (System.nanoTime() - wall0) / 1e9;
    System.out.printf("append: %d samples of %d series, one thread: %.0f samples/s per core (thread CPU), "
        + "%.0f samples/s wall; quietest quarter hour of rounds: %.0f samples/s per core%n", samples, n,
        samples / (appendCpu / 1e9), samples / wall, 60.0 * n / (bestWindow / 1e9));
    long walBytes = bytesUnder(dir.resolve("wal"));
    System.out.printf("WAL: %d bytes (%.2f per sample)%n", walBytes, (double) walBytes / samples);
    if (appendOnly) {
      deleteTree(dir);
      return;
    }

    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    long c0 = cpu();
    long w0 = System.nanoTime();
    try (Tsdb db = Tsdb.open(o, reg)) {
      long replayCpu = cpu() - c0;
      double replayWall = (System.nanoTime() - w0) / 1e9;
      long inBlocks = Files.isDirectory(dir.resolve("blocks")) ? bytesUnder(dir.resolve("blocks"), "meta") : 0;
      // not a replay figure: the background cycle cut and checkpointed during the run (see replay())
      System.out.printf("reopen: %.2f s thread CPU (%.2f s wall; blocks cut before: %s)%n", replayCpu / 1e9,
          replayWall, inBlocks > 0 ? "yes" : "no");
      System.gc();
      Thread.sleep(200);
      System.gc();
      Runtime rt = Runtime.getRuntime();
      long heap = rt.totalMemory() - rt.freeMemory();
      System.out.printf("heap after replay, %s h of samples in the head: %d MB, %.0f B per series%n",
          hours, heap >> 20, (double) heap / n);
      printChunkFile(reg, n);
      printHistogram(n);
      readHead(db, t, n);
      c0 = cpu();
      int cut = db.flushHead();
      int merged = db.compact();
      System.out.printf("flush: %d blocks, compact: %d blocks written, %.2f s thread CPU%n", cut, merged,
          (cpu() - c0) / 1e9);
      long blockSamples = 0;
      try (Querier q = db.querier(t, Long.MIN_VALUE, Long.MAX_VALUE)) {
        // the flush leaves the 2 h block range holding the newest sample in the head; the rest is in blocks
        long headStart = T0 + (rounds - 1) * 15_000L / (2 * H) * (2 * H);
        Iterator<Series> it = q.select(SelectHints.range(Long.MIN_VALUE, headStart - 1),
            List.of(Matcher.regex("__name__", ".+")));
        while (it.hasNext()) {
          SampleIterator si = it.next().iterator();
          while (si.next()) {
            blockSamples++;
          }
        }
      }
      long blockBytes = bytesUnder(dir.resolve("blocks"));
      long chunkBytes = bytesUnder(dir.resolve("blocks"), "chunks");
      System.out.printf("blocks after compaction: %d bytes for %d samples: %.3f bytes per sample (chunks alone "
          + "%.3f)%n", blockBytes, blockSamples, (double) blockBytes / blockSamples, (double) chunkBytes / blockSamples);
      System.gc();
      Thread.sleep(200);
      System.gc();
      heap = rt.totalMemory() - rt.freeMemory();
      double inHead = hours - (rounds - 1) * 15_000L / (2 * H) * 2.0;
      System.out.printf("heap with the last %s in the head: %d MB, %.0f B per active series%n",
          inHead == 1 ? "hour" : inHead + " h", heap >> 20, (double) heap / n);
      printChunkFile(reg, n);
      printHistogram(n);
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** The head chunk file's bytes (off the heap), when the store has one. */
  static void printChunkFile(SimpleMeterRegistry reg, int n) {
    io.micrometer.core.instrument.Gauge g = reg.find("loupe.tsdb.head.chunks.file.bytes").gauge();
    if (g != null) {
      System.out.printf("head chunk files: %.0f MB written and referenced or not yet deleted, %.0f B per series "
          + "(page cache, not heap)%n", g.value() / (1 << 20), g.value() / n);
    }
  }

  /** Every head sample read through the querier, twice; thread CPU of the second pass. */
  static void readHead(Tsdb db, Tenant t, int n) {
    long samples = 0;
    long c = 0;
    for (int pass = 0; pass < 2; pass++) {
      samples = 0;
      long c0 = cpu();
      try (Querier q = db.querier(t, Long.MIN_VALUE, Long.MAX_VALUE)) {
        Iterator<Series> it = q.select(SelectHints.range(Long.MIN_VALUE, Long.MAX_VALUE),
            List.of(Matcher.regex("__name__", ".+")));
        while (it.hasNext()) {
          SampleIterator si = it.next().iterator();
          while (si.next()) {
            samples++;
          }
        }
      }
      c = cpu() - c0;
    }
    System.out.printf("head read: %d samples of %d series in %.2f s thread CPU: %.1f ns per sample (second pass, "
        + "selection included)%n", samples, n, c / 1e9, (double) c / samples);
  }

  /** With "histo": the classes holding the most heap, with bytes per series, and this process's resident set. */
  static void printHistogram(int n) throws Exception {
    if (!histogram) {
      return;
    }
    long pid = ProcessHandle.current().pid();
    Process p = new ProcessBuilder("jcmd", String.valueOf(pid), "GC.class_histogram").redirectErrorStream(true)
        .start();
    List<String> lines = new String(p.getInputStream().readAllBytes()).lines().toList();
    p.waitFor();
    for (String l : lines.subList(0, Math.min(lines.size(), 22))) {
      String[] f = l.trim().split("\\s+");
      if (f.length >= 4 && f[2].matches("\\d+")) {
        System.out.printf("  %-70s %7.1f B/series%n", l.trim(), Long.parseLong(f[2]) / (double) n);
      } else {
        System.out.println("  " + l.trim());
      }
    }
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith("VmRSS") || l.startsWith("RssAnon") || l.startsWith("RssFile") || l.startsWith("RssShmem")) {
        System.out.println("  " + l);
      }
    }
  }

  static void deleteTree(Path dir) throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  static void selection(int n) throws Exception {
    Path dir = Files.createTempDirectory("loupe-tsdb-select");
    TsdbOptions o = TsdbOptions.defaults(dir).withShards(2).withFsync(FsyncPolicy.interval(Duration.ofSeconds(1)))
        .withMaxSeriesPerTenant(0).withRetention(Duration.ZERO);
    Tenant t = new Tenant("bench");
    try (Tsdb db = Tsdb.open(o, new SimpleMeterRegistry())) {
      long c0 = cpu();
      Appender a = db.appender(t);
      for (int i = 0; i < n; i++) {
        // metric_0..9: n/10 each; instance: 1000 series each; id unique
        a.append(Labels.of("__name__", "metric_" + (i % 10), "id", String.valueOf(i), "instance",
            "host-" + (i / 1000), "job", "bench"), T0, i);
        if (i % 1000 == 999) {
          a.commit();
          a = db.appender(t);
        }
      }
      a.commit();
      System.gc();
      Runtime rt = Runtime.getRuntime();
      System.out.printf("selection: %d series appended in %.1f s thread CPU; heap %d MB%n", n, (cpu() - c0) / 1e9,
          (rt.totalMemory() - rt.freeMemory()) >> 20);
      measure(db, t, "1 series", List.of(Matcher.equal("id", "4242")));
      measure(db, t, "1k series", List.of(Matcher.equal("instance", "host-7")));
      measure(db, t, (n / 10 / 1000) + "k series", List.of(Matcher.metricName("metric_3")));
      measure(db, t, "1k series, regex", List.of(Matcher.regex("instance", "host-7"),
          Matcher.regex("job", "b.*")));
      for (int rep = 0; rep < 2; rep++) {
        long c1 = cpu();
        try (Querier q = db.querier(t, Long.MIN_VALUE, Long.MAX_VALUE)) {
          q.labelNames(List.of());
        }
        long c2 = cpu();
        try (Querier q = db.querier(t, Long.MIN_VALUE, Long.MAX_VALUE)) {
          q.labelValues("instance", List.of());
        }
        long c3 = cpu();
        try (Querier q = db.querier(t, Long.MIN_VALUE, Long.MAX_VALUE)) {
          q.labelValues("instance", List.of(Matcher.metricName("metric_3")));
        }
        long c4 = cpu();
        System.out.printf("labelNames(): %.1f ms, labelValues(instance): %.1f ms, labelValues(instance, "
            + "metric_3): %.1f ms (thread CPU)%n", (c2 - c1) / 1e6, (c3 - c2) / 1e6, (c4 - c3) / 1e6);
      }
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  static void measure(Tsdb db, Tenant t, String what, List<Matcher> ms) {
    long[] times = new long[7];
    int found = 0;
    for (int rep = 0; rep < times.length; rep++) {
      long c0 = cpu();
      found = 0;
      try (Querier q = db.querier(t, Long.MIN_VALUE, Long.MAX_VALUE)) {
        Iterator<Series> it = q.select(SelectHints.range(Long.MIN_VALUE, Long.MAX_VALUE), ms);
        while (it.hasNext()) {
          SampleIterator si = it.next().iterator();
          while (si.next()) {
            found++;
          }
        }
      }
      times[rep] = cpu() - c0;
    }
    Arrays.sort(times);
    System.out.printf("select %s (%d found): median %.2f ms, min %.2f ms thread CPU (7 runs, incl. reading the"
        + " sample)%n", what, found, times[3] / 1e6, times[0] / 1e6);
  }
}
