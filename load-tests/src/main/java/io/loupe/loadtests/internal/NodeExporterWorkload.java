package io.loupe.loadtests.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * Node-exporter-like series for remote write: per target, CPU seconds per cpu and mode, memory, network and disk
 * counters per device, filesystem sizes per mount point, load, and the scrape's own series; scraped every 15 s, each
 * target at its own offset within the interval, as Prometheus spreads them. Values move randomly but are reported at
 * the resolution node_exporter reports them (whole bytes and events, 0.01 s cpu ticks, kB of meminfo), since that
 * resolution is what storage engines' compression meets in production.
 */
public final class NodeExporterWorkload {
  /** Prometheus's default scrape interval, and the step between rounds. */
  public static final long STEP_MILLIS = 15_000;

  private static final String[] CPU_MODES = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
  private static final String[] MEMORY = {"Active", "Buffers", "Cached", "Dirty", "Inactive", "MemAvailable",
      "MemFree", "MemTotal", "SwapFree", "SwapTotal"};
  private static final String[] NET_DEVICES = {"eth0", "eth1", "lo"};
  private static final String[] NET_METRICS = {"receive_bytes", "receive_packets", "receive_errs", "receive_drop",
      "transmit_bytes", "transmit_packets", "transmit_errs", "transmit_drop"};
  private static final String[][] MOUNTS = {{"/dev/sda1", "ext4", "/"}, {"/dev/sda2", "ext4", "/boot"},
      {"/dev/sdb1", "xfs", "/var/lib/data"}};
  private static final String[] FS_METRICS = {"avail_bytes", "files", "files_free", "free_bytes", "size_bytes"};
  private static final String[] DISKS = {"sda", "sdb"};
  private static final String[] DISK_METRICS = {"io_time_seconds_total", "read_bytes_total", "reads_completed_total",
      "writes_completed_total", "written_bytes_total"};

  private enum Kind { COUNTER, GAUGE, CONSTANT }

  /**
   * One series: its labels (sorted pairs), which target it belongs to, how its value moves, and the resolution
   * node_exporter reports it at ({@code quantum}: 0.01 for cpu seconds (USER_HZ ticks), 1 for byte and event counters,
   * 1024 for /proc/meminfo's kB, 4096 for file system blocks, 0 for a full-precision float such as a duration).
   */
  record SeriesDef(String[] labels, int target, Kind kind, double base, double ratePerSecond, double quantum) {

    /** {@code exact} at this series' resolution, as the exporter would print it (counters never move back). */
    double report(double exact) {
      if (quantum == 0) {
        return exact;
      }
      if (quantum < 1) { // a count of ticks divided as the exporter does, so 0.01 s steps give the shortest decimals
        double perUnit = Math.rint(1 / quantum);
        return Math.floor(exact * perUnit) / perUnit;
      }
      return Math.floor(exact / quantum) * quantum;
    }
  }

  private NodeExporterWorkload() {}

  /** Series per target for a machine with {@code cpus} CPUs (104 with 4 CPUs). */
  public static int seriesPerTarget(int cpus) {
    return CPU_MODES.length * cpus + MEMORY.length + NET_DEVICES.length * NET_METRICS.length
        + MOUNTS.length * FS_METRICS.length + DISKS.length * DISK_METRICS.length + 3 + 7 + 3;
  }

  static List<SeriesDef> series(int count, int cpus, long seed) {
    Random rnd = new Random(seed);
    int perTarget = seriesPerTarget(cpus);
    int targets = (count + perTarget - 1) / perTarget;
    List<SeriesDef> out = new ArrayList<>(count);
    for (int t = 0; t < targets && out.size() < count; t++) {
      String instance = String.format(Locale.ROOT, "node-%05d.dc1.example:9100", t);
      List<SeriesDef> target = new ArrayList<>(perTarget);
      for (int c = 0; c < cpus; c++) {
        for (String mode : CPU_MODES) {
          double share = mode.equals("idle") ? 0.6 : mode.equals("user") ? 0.2 : mode.equals("system") ? 0.1 : 0.01;
          target.add(def(t, instance, Kind.COUNTER, rnd.nextDouble() * 1e6, share, 0.01, "node_cpu_seconds_total",
              "cpu", Integer.toString(c), "mode", mode));
        }
      }
      double memTotal = (8L << 30) * (1 + rnd.nextInt(8));
      for (String m : MEMORY) {
        Kind k = m.endsWith("Total") ? Kind.CONSTANT : Kind.GAUGE;
        target.add(def(t, instance, k, memTotal * (k == Kind.CONSTANT ? 1 : 0.1 + 0.5 * rnd.nextDouble()), 0, 1024,
            "node_memory_" + m + "_bytes"));
      }
      for (String dev : NET_DEVICES) {
        for (String m : NET_METRICS) {
          double rate = m.endsWith("bytes") ? 1e6 * rnd.nextDouble() : m.endsWith("packets") ? 1e3 : 0.01;
          target.add(def(t, instance, Kind.COUNTER, rnd.nextDouble() * 1e9, rate, 1, "node_network_" + m + "_total",
              "device", dev));
        }
      }
      for (String[] mount : MOUNTS) {
        double size = (100L << 30) * (1 + rnd.nextInt(10));
        for (String m : FS_METRICS) {
          Kind k = m.startsWith("size") || m.equals("files") ? Kind.CONSTANT : Kind.GAUGE;
          target.add(def(t, instance, k, k == Kind.CONSTANT ? size : size * rnd.nextDouble(), 0,
              m.startsWith("files") ? 1 : 4096, "node_filesystem_" + m, "device", mount[0], "fstype", mount[1], "mountpoint", mount[2]));
        }
      }
      for (String disk : DISKS) {
        for (String m : DISK_METRICS) {
          double rate = m.contains("bytes") ? 5e6 * rnd.nextDouble() : m.startsWith("io_time") ? 0.05 : 100;
          target.add(def(t, instance, Kind.COUNTER, rnd.nextDouble() * 1e9, rate, m.startsWith("io_time") ? 0.001 : 1,
              "node_disk_" + m, "device", disk));
        }
      }
      for (String load : new String[] {"node_load1", "node_load15", "node_load5"}) {
        target.add(def(t, instance, Kind.GAUGE, cpus * rnd.nextDouble(), 0, 0.01, load));
      }
      target.add(def(t, instance, Kind.COUNTER, 1e9, 20_000, 1, "node_context_switches_total"));
      target.add(def(t, instance, Kind.COUNTER, 1e9, 10_000, 1, "node_intr_total"));
      target.add(def(t, instance, Kind.COUNTER, 1e6, 5, 1, "node_forks_total"));
      target.add(def(t, instance, Kind.GAUGE, 3, 0, 1, "node_procs_running"));
      target.add(def(t, instance, Kind.GAUGE, 1, 0, 1, "node_procs_blocked"));
      target.add(def(t, instance, Kind.CONSTANT, 1.7e9, 0, 1, "node_boot_time_seconds"));
      target.add(def(t, instance, Kind.COUNTER, 1.79e9, 1, 0, "node_time_seconds"));
      target.add(def(t, instance, Kind.CONSTANT, 1, 0, 1, "up"));
      target.add(def(t, instance, Kind.GAUGE, 0.02, 0, 0, "scrape_duration_seconds"));
      target.add(def(t, instance, Kind.CONSTANT, perTarget, 0, 1, "scrape_samples_scraped"));
      for (SeriesDef d : target) {
        if (out.size() < count) {
          out.add(d);
        }
      }
    }
    return out;
  }

  private static SeriesDef def(int target, String instance, Kind kind, double base, double rate, double quantum,
      String name, String... extra) {
    Map<String, String> m = new TreeMap<>();
    m.put("__name__", name);
    m.put("job", "node");
    m.put("instance", instance);
    for (int i = 0; i < extra.length; i += 2) {
      m.put(extra[i], extra[i + 1]);
    }
    String[] pairs = new String[m.size() * 2];
    int i = 0;
    for (Map.Entry<String, String> e : m.entrySet()) {
      pairs[i++] = e.getKey();
      pairs[i++] = e.getValue();
    }
    return new SeriesDef(pairs, target, kind, base, rate, quantum);
  }

  /**
   * Encodes {@code rounds} scrapes of {@code seriesCount} series, round after round, in requests of at most
   * {@code batchSize} samples (one sample per TimeSeries, as Prometheus sends). Round {@code r} of target {@code t} is
   * stamped {@code firstMillis + r * 15 s + t's offset within the interval}, so every series only moves forward.
   */
  public static Workload build(int seriesCount, int cpus, int rounds, int batchSize, long firstMillis, long seed) {
    return build(seriesCount, cpus, rounds, batchSize, firstMillis, seed, false);
  }

  /** As above; with {@code live}, each request is due when its newest sample's timestamp comes. */
  public static Workload build(int seriesCount, int cpus, int rounds, int batchSize, long firstMillis, long seed,
      boolean live) {
    if (seriesCount <= 0 || cpus <= 0 || rounds <= 0 || batchSize <= 0) {
      throw new IllegalArgumentException("seriesCount: " + seriesCount + ", cpus: " + cpus + ", rounds: " + rounds
          + ", batchSize: " + batchSize + " (expected: all > 0)");
    }
    long t0 = System.nanoTime();
    List<SeriesDef> defs = series(seriesCount, cpus, seed);
    int n = defs.size();
    int targets = defs.get(n - 1).target() + 1;
    byte[][] labels = new byte[n][];
    double[] exact = new double[n]; // the value's true course; values[] holds it as the exporter reports it
    double[] values = new double[n];
    long[] offsets = new long[n];
    for (int i = 0; i < n; i++) {
      SeriesDef d = defs.get(i);
      labels[i] = RemoteWriteEncoder.encodeLabels(d.labels());
      exact[i] = d.base();
      values[i] = d.report(exact[i]);
      offsets[i] = d.target() * STEP_MILLIS / targets;
    }
    Random rnd = new Random(seed ^ 0x5DEECE66DL);
    long[] timestamps = new long[n];
    List<Prepared> requests = new ArrayList<>(rounds * ((n + batchSize - 1) / batchSize));
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < n; i++) {
        SeriesDef d = defs.get(i);
        timestamps[i] = firstMillis + r * STEP_MILLIS + offsets[i];
        if (r > 0) {
          exact[i] = switch (d.kind()) {
            case COUNTER -> exact[i] + d.ratePerSecond() * 15 * (0.5 + rnd.nextDouble());
            case GAUGE -> d.base() * (0.9 + 0.2 * rnd.nextDouble());
            case CONSTANT -> exact[i];
          };
          values[i] = d.report(exact[i]);
        }
      }
      // Values are drawn in order above (seeded); the batches of a round only read them, so they encode in parallel.
      int batches = (n + batchSize - 1) / batchSize;
      Prepared[] round = new Prepared[batches];
      IntStream.range(0, batches).parallel().forEach(b -> {
        int from = b * batchSize;
        int to = Math.min(n, from + batchSize);
        byte[] raw = RemoteWriteEncoder.encodeWriteRequest(labels, values, timestamps, from, to);
        round[b] = new Prepared(RemoteWriteEncoder.compress(raw), to - from, to - from,
            live ? timestamps[to - 1] : 0, b);
      });
      requests.addAll(Arrays.asList(round));
    }
    String desc = String.format(Locale.ROOT, "%,d series (%,d targets x %d), %,d rounds of 15 s, batches of %,d", n,
        targets, seriesPerTarget(cpus), rounds, batchSize);
    return new Workload(desc, requests, n, System.nanoTime() - t0, RemoteWriteEncoder.compress(new byte[0]));
  }
}
