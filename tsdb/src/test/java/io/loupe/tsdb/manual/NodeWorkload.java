package io.loupe.tsdb.manual;

import io.loupe.model.Labels;
import java.util.Random;

/**
 * Sample generators for the compactness figures, 15 s scrapes. {@link #realistic} follows node_exporter's own
 * resolutions: cpu seconds in 1/100 s ticks, byte and packet counters in whole units, disk io time in ms (3 decimals),
 * memory in multiples of 4096, load averages with 2 decimals, many constant series (info, sizes, boot time), and
 * collector scrape durations (random, in whole nanoseconds as Go's time.Duration gives them). {@link #figures} is TsdbFiguresMain's workload
 * (counters that add 2-decimal increments in floating point, so their values drift off exact decimals).
 */
final class NodeWorkload {
  static final long H = 3_600_000L;
  static final long T0 = 1_699_999_200_000L / (18 * H) * (18 * H); // aligned to the 6 h and 18 h windows
  static final String[] KINDS = {"cpu", "bytes", "packets", "iotime", "fs", "mem", "load", "const", "float",
      "f.cpu", "f.bytes", "f.fs", "f.mem"};

  final Labels[] labels;
  final int[] kind;
  private final double[] state;
  private final double[] rate;
  private final Random rnd;

  private NodeWorkload(int n, long seed) {
    labels = new Labels[n];
    kind = new int[n];
    state = new double[n];
    rate = new double[n];
    rnd = new Random(seed);
  }

  /** Scrape timestamp of round r: mostly exact, a few ms late one time in ten (as TsdbFiguresMain). */
  long timestamp(int r) {
    return T0 + r * 15_000L + (rnd.nextInt(10) == 0 ? rnd.nextInt(3) : 0);
  }

  static NodeWorkload realistic(int n) {
    NodeWorkload w = new NodeWorkload(n, 42);
    String[] modes = {"idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"};
    for (int i = 0; i < n; i++) {
      String inst = "node-" + (i / 250) + ":9100";
      int k = i % 250;
      Labels l;
      int kind;
      double rate = 0;
      double start = 0;
      if (k < 64) {
        l = Labels.of("__name__", "node_cpu_seconds_total", "cpu", String.valueOf(k / 8), "instance", inst, "job",
            "node", "mode", modes[k % 8]);
        kind = 0;
        // ticks per 15 s: idle most, user/system some, steal/nice nothing
        rate = new double[] {1350, 80, 40, 10, 0.5, 3, 0, 0}[k % 8];
        start = 1e6 * (1 + w.rnd.nextInt(50));
      } else if (k < 96) {
        String dev = new String[] {"lo", "eth0", "docker0", "veth1"}[(k - 64) % 4];
        boolean bytes = (k - 64) / 4 % 2 == 0;
        l = Labels.of("__name__", "node_network_" + ((k - 64) / 8 % 2 == 0 ? "receive" : "transmit")
            + (bytes ? "_bytes_total" : "_packets_total"), "device", dev, "instance", inst, "job", "node",
            "x", String.valueOf((k - 64) / 16));
        kind = bytes ? 1 : 2;
        rate = dev.equals("veth1") ? 0 : (bytes ? 2e5 : 300) * (1 + (k % 3));
        start = w.rnd.nextInt(1 << 30);
      } else if (k < 112) {
        String dev = "sd" + (char) ('a' + (k - 96) % 4);
        int m = (k - 96) / 4;
        l = Labels.of("__name__", new String[] {"node_disk_read_bytes_total", "node_disk_written_bytes_total",
            "node_disk_reads_completed_total", "node_disk_io_time_seconds_total"}[m], "device", dev, "instance", inst,
            "job", "node");
        kind = m < 2 ? 1 : m == 2 ? 2 : 3;
        rate = m < 2 ? 5e5 : m == 2 ? 40 : 800; // io time: ms per 15 s
        start = w.rnd.nextInt(1 << 30);
      } else if (k < 136) {
        int m = (k - 112) % 3;
        l = Labels.of("__name__", new String[] {"node_filesystem_avail_bytes", "node_filesystem_free_bytes",
            "node_filesystem_size_bytes"}[m], "device", "sd" + (k - 112) / 3, "fstype", "ext4", "instance", inst,
            "job", "node", "mountpoint", "/m" + (k - 112) / 3);
        kind = m == 2 ? 7 : 4;
        start = 4096.0 * (1_000_000 + w.rnd.nextInt(50_000_000));
      } else if (k < 176) {
        l = Labels.of("__name__", "node_memory_" + (k - 136) + "_bytes", "instance", inst, "job", "node");
        kind = (k - 136) % 4 == 0 ? 7 : 5; // MemTotal, SwapTotal...: constant
        start = 4096.0 * (10_000 + w.rnd.nextInt(4_000_000));
      } else if (k < 179) {
        l = Labels.of("__name__", new String[] {"node_load1", "node_load5", "node_load15"}[k - 176], "instance", inst,
            "job", "node");
        kind = 6;
        start = 150 + w.rnd.nextInt(200); // hundredths
      } else if (k < 240) {
        l = Labels.of("__name__", "node_info_" + (k - 179), "instance", inst, "job", "node");
        kind = 7;
        start = k % 5 == 0 ? 1.699e9 : 1;
      } else {
        l = Labels.of("__name__", "node_scrape_collector_duration_seconds", "collector", "c" + (k - 240),
            "instance", inst, "job", "node");
        kind = 8;
      }
      w.labels[i] = l;
      w.kind[i] = kind;
      w.rate[i] = rate;
      w.state[i] = start;
    }
    return w;
  }

  static NodeWorkload figures(int n) {
    NodeWorkload w = new NodeWorkload(n, 42);
    TsdbFiguresMain.NodeSeries[] s = TsdbFiguresMain.nodeSeries(n);
    for (int i = 0; i < n; i++) {
      w.labels[i] = s[i].labels();
      w.kind[i] = 9 + s[i].kind();
      w.rate[i] = s[i].base();
    }
    return w;
  }

  /** The next value of series i. */
  double next(int i) {
    double[] st = state;
    switch (kind[i]) {
      case 0 -> { // ticks, printed as seconds with 2 decimals
        st[i] += rate[i] == 0 ? 0 : Math.max(0, Math.round(rate[i] * (0.8 + 0.4 * rnd.nextDouble())));
        return st[i] / 100.0;
      }
      case 1, 2 -> {
        if (rate[i] > 0 && rnd.nextInt(10) != 0) {
          st[i] += Math.round(rate[i] * rnd.nextDouble() * 2);
        }
        return st[i];
      }
      case 3 -> {
        st[i] += Math.round(rate[i] * rnd.nextDouble());
        return st[i] / 1000.0;
      }
      case 4 -> {
        if (rnd.nextInt(8) == 0) {
          st[i] -= 4096.0 * (rnd.nextInt(200) - 50);
        }
        return st[i];
      }
      case 5 -> {
        st[i] += 4096.0 * (rnd.nextInt(401) - 200);
        return st[i];
      }
      case 6 -> {
        st[i] = Math.max(0, st[i] + rnd.nextInt(21) - 10);
        return st[i] / 100.0;
      }
      case 7 -> {
        return st[i];
      }
      case 8 -> { // Go's Duration.Seconds() below 1 s: float64(ns) / 1e9, so a decimal with 9 digits
        return Math.round(1e5 + rnd.nextDouble() * 5e7) / 1e9;
      }
      default -> {
        TsdbFiguresMain.NodeSeries s = new TsdbFiguresMain.NodeSeries(labels[i], kind[i] - 9, rate[i]);
        return TsdbFiguresMain.value(s, 0, rnd, st, i);
      }
    }
  }
}
