package io.loupe.loadtests.jmh;

import io.loupe.model.Appender;
import io.loupe.model.Labels;
import io.loupe.model.Tenant;
import io.loupe.query.api.internal.JsonOut;
import io.loupe.query.api.internal.PromJson;
import io.loupe.query.promql.Engine;
import io.loupe.query.promql.Matrix;
import io.loupe.query.promql.QueryResult;
import io.loupe.query.promql.Value;
import io.loupe.query.promql.Vector;
import io.loupe.tsdb.FsyncPolicy;
import io.loupe.tsdb.Tsdb;
import io.loupe.tsdb.TsdbOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * PromQL evaluation over a head of 10,000 series holding 1 h at 15 s (240 samples each, 2.4 M samples):
 * <ul>
 *   <li>{@code x}: 4,000 counters, {@code job} (10 values) × {@code instance} (400 values);
 *   <li>{@code a}, {@code b}: 1,000 gauges each, one per {@code instance};
 *   <li>{@code h_bucket}: 4,000 cumulative buckets, 400 {@code instance} × 10 {@code le}.
 * </ul>
 * Instant queries are evaluated at the newest sample; {@code range_sum_rate} is {@code sum by (job) (rate(x[5m]))}
 * over the whole hour at a 15 s step (241 steps). One op is one query, parse included.
 *
 * <p>The {@code ne_*} cases are the side-by-side dashboard shapes (SideBySide, docs/benchmarks.md) over 20,000
 * node-exporter-like series (193 targets × 104, each scraped at its own offset in the 15 s interval, values at
 * node_exporter's resolution since 2026-11-27 22:30; {@code ne_count_up} since then too), 1 h at 15 s,
 * as {@code query_range} over the hour at 15 s with the steps between scrapes; with {@code json=true} an op also
 * writes the answer as the HTTP API does (Prometheus's JSON into a discarding stream). With {@code blocks=true} the
 * store has 20-minute blocks and all but the newest range are cut into blocks on disk first ({@code
 * Tsdb.flushHead}), as after a restart.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "-Dchronicle.analytics.disable=true",
    "-Dchronicle.announcer.disable=true", "-Xmx2g"})
@State(Scope.Benchmark)
public class PromqlBenchmark {
  private static final Tenant TENANT = new Tenant("bench");
  private static final long T0 = 1_700_000_000_000L;
  private static final long STEP = 15_000;
  private static final int POINTS = 240; // 1 h at 15 s
  private static final long END = T0 + (POINTS - 1) * STEP;
  private static final String[] LE = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"};
  private static final Duration TIMEOUT = Duration.ofMinutes(2);

  @Param({"sum_rate", "topk", "histogram_quantile", "binary_on", "range_sum_rate", "ne_sum_rate", "ne_topk",
      "ne_avg_over_time", "ne_regex", "ne_count_up"})
  public String query;

  @Param({"false"})
  public boolean json;

  @Param({"false"})
  public boolean blocks;

  private static final int NE_SERIES = 20_000;
  private static final int NE_TARGETS = (NE_SERIES + 103) / 104;
  private long rangeStart = T0;
  private long rangeEnd = END;

  private Path dir;
  private Tsdb tsdb;
  private Engine engine;
  private String promql;

  @Setup(Level.Trial)
  public void setup() {
    dir = TempDirs.create("loupe-jmh-promql");
    TsdbOptions options = TsdbOptions.defaults(dir).withFsync(FsyncPolicy.interval(Duration.ofSeconds(1)));
    if (blocks) {
      // 20-minute blocks, so that flushHead() cuts all but the newest range of the hour out of the head
      options = options.withBlockRange(Duration.ofMinutes(20));
    }
    tsdb = Tsdb.open(options, new SimpleMeterRegistry());
    if (query.startsWith("ne_")) {
      fillNodeExporter();
      // halfway between the scrapes of targets 0 and 1, as the side-by-side queries step
      rangeStart = T0 + STEP / NE_TARGETS / 2;
      rangeEnd = rangeStart + (POINTS - 1) * STEP;
    } else {
      fill();
    }
    if (blocks && tsdb.flushHead() == 0) {
      throw new IllegalStateException("setup: flushHead() cut no block");
    }
    engine = new Engine(tsdb);
    promql = switch (query) {
      case "ne_sum_rate" -> "sum by (mode) (rate(node_cpu_seconds_total[5m]))";
      case "ne_topk" -> "topk(5, rate(node_network_receive_bytes_total[5m]))";
      case "ne_avg_over_time" -> "avg_over_time(node_load1[5m])";
      case "ne_regex" -> "node_filesystem_avail_bytes{mountpoint=~\"/|/var/.*\"}";
      case "ne_count_up" -> "count by (instance) (up)";
      case "sum_rate", "range_sum_rate" -> "sum by (job) (rate(x[5m]))";
      case "topk" -> "topk(10, rate(x[5m]))";
      case "histogram_quantile" -> "histogram_quantile(0.9, sum by (le) (rate(h_bucket[5m])))";
      case "binary_on" -> "a / on(instance) b";
      default -> throw new IllegalArgumentException("query: " + query
          + " (expected: sum_rate, topk, histogram_quantile, binary_on, range_sum_rate, ne_*)");
    };
    // A query that silently matched nothing would look very fast: check the shape of the answer once.
    int want = switch (query) {
      case "sum_rate", "range_sum_rate", "topk" -> 10;
      case "histogram_quantile" -> 1;
      case "ne_sum_rate" -> 8;
      case "ne_topk" -> -1; // which 5 win changes per step: checked below as at least 5
      case "ne_avg_over_time" -> NE_SERIES / 104; // the last target is cut short after its CPU series
      case "ne_regex" -> 2 * (NE_SERIES / 104);
      case "ne_count_up" -> NE_SERIES / 104;
      default -> 1_000;
    };
    Value v = result().value();
    int got = v instanceof Vector vec ? vec.samples().size() : v instanceof Matrix m ? m.series().size() : -1;
    if (want == -1 ? got < 5 : got != want) {
      throw new IllegalStateException("setup: " + promql + " returned " + got + " series (expected: " + want + ")");
    }
  }

  private void fill() {
    Random rnd = new Random(42);
    Labels[] x = new Labels[4_000];
    for (int i = 0; i < x.length; i++) {
      x[i] = Labels.of("__name__", "x", "job", "job-" + (i % 10), "instance", "inst-" + (i / 10));
    }
    Labels[] a = new Labels[1_000];
    Labels[] b = new Labels[1_000];
    for (int i = 0; i < a.length; i++) {
      a[i] = Labels.of("__name__", "a", "instance", "inst-" + i);
      b[i] = Labels.of("__name__", "b", "instance", "inst-" + i);
    }
    Labels[] h = new Labels[4_000];
    for (int i = 0; i < h.length; i++) {
      h[i] = Labels.of("__name__", "h_bucket", "instance", "inst-" + (i / LE.length), "le", LE[i % LE.length]);
    }
    double[] xv = new double[x.length];
    double[] hv = new double[h.length];
    for (int p = 0; p < POINTS; p++) {
      long t = T0 + p * STEP;
      Appender app = tsdb.appender(TENANT);
      for (int i = 0; i < x.length; i++) {
        xv[i] += rnd.nextInt(100);
        app.append(x[i], t, xv[i]);
      }
      for (int i = 0; i < a.length; i++) {
        app.append(a[i], t, rnd.nextDouble() * 100);
        app.append(b[i], t, 1 + rnd.nextDouble() * 100);
      }
      // Buckets are cumulative in le: each bucket grows by at least as much as the one below it.
      for (int i = 0; i < h.length; i += LE.length) {
        double add = 0;
        for (int j = 0; j < LE.length; j++) {
          add += rnd.nextInt(10);
          hv[i + j] += add;
          app.append(h[i + j], t, hv[i + j]);
        }
      }
      app.commit();
    }
  }

  /**
   * The node-exporter-like series of the side-by-side workload (NodeExporterWorkload, 4 CPUs: 104 per target), with
   * its label shapes and kinds of values; target {@code t} is scraped {@code t * 15 s / targets} into each interval.
   */
  private void fillNodeExporter() {
    Random rnd = new Random(42);
    List<Labels> labels = new ArrayList<>(NE_SERIES);
    List<double[]> kind = new ArrayList<>(NE_SERIES); // {0 counter | 1 gauge | 2 constant, base, rate/s, quantum}
    List<Integer> target = new ArrayList<>(NE_SERIES);
    String[] modes = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
    String[][] mounts = {{"/dev/sda1", "ext4", "/"}, {"/dev/sda2", "ext4", "/boot"},
        {"/dev/sdb1", "xfs", "/var/lib/data"}};
    for (int t = 0; labels.size() < NE_SERIES; t++) {
      String inst = String.format(Locale.ROOT, "node-%05d.dc1.example:9100", t);
      List<Object[]> defs = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        for (String m : modes) {
          defs.add(new Object[] {new double[] {0, rnd.nextDouble() * 1e6, m.equals("idle") ? 0.6 : 0.1, 0.01},
              "node_cpu_seconds_total", "cpu", Integer.toString(c), "mode", m});
        }
      }
      for (String m : new String[] {"Active", "Buffers", "Cached", "Dirty", "Inactive", "MemAvailable", "MemFree",
          "MemTotal", "SwapFree", "SwapTotal"}) {
        defs.add(new Object[] {new double[] {1, 1e9 * (1 + rnd.nextInt(8)), 0, 1024}, "node_memory_" + m + "_bytes"});
      }
      for (String dev : new String[] {"eth0", "eth1", "lo"}) {
        for (String m : new String[] {"receive_bytes", "receive_packets", "receive_errs", "receive_drop",
            "transmit_bytes", "transmit_packets", "transmit_errs", "transmit_drop"}) {
          defs.add(new Object[] {new double[] {0, rnd.nextDouble() * 1e9, 1e6 * rnd.nextDouble(), 1},
              "node_network_" + m + "_total", "device", dev});
        }
      }
      for (String[] mt : mounts) {
        for (String m : new String[] {"avail_bytes", "files", "files_free", "free_bytes", "size_bytes"}) {
          defs.add(new Object[] {new double[] {1, 1e11 * rnd.nextDouble(), 0, m.startsWith("files") ? 1 : 4096},
              "node_filesystem_" + m,
              "device", mt[0], "fstype", mt[1], "mountpoint", mt[2]});
        }
      }
      for (String disk : new String[] {"sda", "sdb"}) {
        for (String m : new String[] {"io_time_seconds_total", "read_bytes_total", "reads_completed_total",
            "writes_completed_total", "written_bytes_total"}) {
          defs.add(new Object[] {new double[] {0, rnd.nextDouble() * 1e9, 5e6 * rnd.nextDouble(), 1}, "node_disk_" + m,
              "device", disk});
        }
      }
      for (String m : new String[] {"node_load1", "node_load15", "node_load5", "node_procs_running",
          "node_procs_blocked", "scrape_duration_seconds"}) {
        defs.add(new Object[] {new double[] {1, 4 * rnd.nextDouble(), 0, m.startsWith("scrape") ? 0 : 0.01}, m});
      }
      for (String m : new String[] {"node_context_switches_total", "node_intr_total", "node_forks_total",
          "node_time_seconds"}) {
        defs.add(new Object[] {new double[] {0, 1e9, 1000, m.equals("node_time_seconds") ? 0 : 1}, m});
      }
      for (String m : new String[] {"node_boot_time_seconds", "up", "scrape_samples_scraped"}) {
        defs.add(new Object[] {new double[] {2, 1, 0, 1}, m});
      }
      for (Object[] d : defs) {
        if (labels.size() == NE_SERIES) {
          break;
        }
        Labels.Builder b = Labels.builder().set("__name__", (String) d[1]).set("job", "node").set("instance", inst);
        for (int i = 2; i < d.length; i += 2) {
          b.set((String) d[i], (String) d[i + 1]);
        }
        labels.add(b.build());
        kind.add((double[]) d[0]);
        target.add(t);
      }
    }
    int n = labels.size();
    double[] exact = new double[n];
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      exact[i] = kind.get(i)[1];
      values[i] = report(exact[i], kind.get(i)[3]);
    }
    for (int p = 0; p < POINTS; p++) {
      Appender app = tsdb.appender(TENANT);
      for (int i = 0; i < n; i++) {
        double[] k = kind.get(i);
        if (p > 0) {
          exact[i] = k[0] == 0 ? exact[i] + k[2] * 15 * (0.5 + rnd.nextDouble())
              : k[0] == 1 ? k[1] * (0.9 + 0.2 * rnd.nextDouble()) : exact[i];
          values[i] = report(exact[i], k[3]);
        }
        app.append(labels.get(i), T0 + p * STEP + target.get(i) * STEP / NE_TARGETS, values[i]);
        if (i % 10_000 == 9_999) {
          app.commit();
          app = tsdb.appender(TENANT);
        }
      }
      app.commit();
    }
  }

  /**
   * {@code exact} at node_exporter's resolution (as NodeExporterWorkload reports it): 0.01 s cpu ticks and load
   * averages, whole bytes, kB of meminfo, 4 KiB file system blocks; {@code quantum} 0 keeps full precision.
   */
  private static double report(double exact, double quantum) {
    if (quantum == 0) {
      return exact;
    }
    if (quantum < 1) {
      double perUnit = Math.rint(1 / quantum);
      return Math.floor(exact * perUnit) / perUnit;
    }
    return Math.floor(exact / quantum) * quantum;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    tsdb.close();
    TempDirs.delete(dir);
  }

  @Benchmark
  public Object evaluate() {
    QueryResult r = result();
    if (json) {
      return write(r.value());
    }
    return r;
  }

  private QueryResult result() {
    if (query.equals("range_sum_rate") || query.startsWith("ne_")) {
      return engine.range(TENANT, promql, rangeStart, rangeEnd, STEP, TIMEOUT, () -> false);
    }
    return engine.instant(TENANT, promql, END, TIMEOUT, () -> false);
  }

  /** The answer as the HTTP API writes it; returns the bytes written. */
  private static long write(Value v) {
    CountingSink sink = new CountingSink();
    try {
      JsonOut out = new JsonOut(sink, 32 * 1024);
      PromJson.queryData(out, v, 0, new ArrayList<>());
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return sink.n;
  }

  private static final class CountingSink extends OutputStream {
    long n;

    @Override
    public void write(int b) {
      n++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      n += len;
    }
  }
}
