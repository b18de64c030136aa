package io.loupe.loadtests;

import com.linecorp.armeria.common.MediaType;
import io.loupe.loadtests.internal.Flags;
import io.loupe.loadtests.internal.LoadDriver;
import io.loupe.loadtests.internal.NodeExporterWorkload;
import io.loupe.loadtests.internal.Outcome;
import io.loupe.loadtests.internal.ProcStat;
import io.loupe.loadtests.internal.Progress;
import io.loupe.loadtests.internal.Runner;
import io.loupe.loadtests.internal.Transport;
import io.loupe.loadtests.internal.Workload;
import io.loupe.loadtests.sidebyside.ChildProcess;
import io.loupe.loadtests.sidebyside.Comparison;
import io.loupe.loadtests.sidebyside.DashboardQuery;
import io.loupe.loadtests.sidebyside.Measurement;
import io.loupe.loadtests.sidebyside.QueryRunner;
import io.loupe.loadtests.sidebyside.QueryTiming;
import io.loupe.loadtests.sidebyside.QueryWindow;
import io.loupe.loadtests.sidebyside.Systems;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The side-by-side benchmark: the identical pre-encoded remote-write workload (RemoteWriteLoad's node-exporter-like
 * series, same seed, same bytes) sent to Loupe, Prometheus and VictoriaMetrics in turn, each started here on loopback
 * with a fresh data dir and stopped by its own pid; then a fixed set of dashboard queries, checked to answer the same
 * on all three, and one table with the ratios of Loupe to each. {@code load-tests/side-by-side.sh} installs and builds
 * what is missing and runs this.
 */
public final class SideBySide {
  private SideBySide() {}

  public static Flags flags() {
    return new Flags("SideBySide")
        .flag("series", "20000", "active series (whole node-exporter targets of 104 series)")
        .flag("span", "30m", "time covered by the data, 15 s resolution, ending at about now")
        .flag("duration", "60s", "stop sending to a system after this long, even if requests remain")
        .flag("concurrency", "4", "requests in flight")
        .flag("batch-size", "2000", "samples per request (Prometheus's max_samples_per_send)")
        .flag("seed", "42", "seed of the generated data")
        .flag("systems", "loupe,prometheus,victoria-metrics", "which systems, in this order (Loupe first)")
        .flag("loupe-jar", "server/target/loupe.jar", "the node's runnable jar")
        .flag("loupe-jvm-args", "-Xmx2g", "JVM flags for the node, space-separated")
        .flag("prometheus", "prometheus", "the Prometheus binary")
        .flag("victoria-metrics", "victoria-metrics", "the VictoriaMetrics single-node binary")
        .flag("warmups", "10", "untimed runs of each query right before its timed ones, the same for every system")
        .flag("warmup-time", "60s", "before the timed queries, all queries round after round this long (0s: none)")
        .flag("repetitions", "20", "timed runs of each query")
        .flag("markdown", "load-tests/target/side-by-side.md", "where to write the table as markdown (empty: not)")
        .flag("query-after-restart", "true", "run the queries again after restarting each system on its data dir")
        .bool("keep-data", "keep each system's temp dir (data and output.log)");
  }

  public static List<Measurement> run(Flags f, PrintStream out) throws Exception {
    int series = f.intValue("series", 1);
    Duration span = f.duration("span");
    Duration duration = f.duration("duration");
    int concurrency = f.intValue("concurrency", 1);
    int batch = f.intValue("batch-size", 1);
    long seed = f.longValue("seed", Long.MIN_VALUE);
    int rounds = (int) Math.max(1, span.toMillis() / NodeExporterWorkload.STEP_MILLIS);
    List<String> systems = Arrays.stream(f.string("systems").split(",")).map(String::trim)
        .filter(s -> !s.isEmpty()).map(SideBySide::systemName).toList();
    Systems.Settings settings = new Systems.Settings(Path.of(f.string("loupe-jar")),
        Arrays.stream(f.string("loupe-jvm-args").trim().split("\\s+")).filter(s -> !s.isEmpty()).toList(),
        f.string("prometheus"), f.string("victoria-metrics"), Duration.ofMinutes(2), f.bool("keep-data"));
    for (String system : systems) {
      Systems.check(system, settings); // fail before minutes of work, not after
    }
    List<DashboardQuery> queries = DashboardQuery.defaults();
    String restartFlag = f.string("query-after-restart");
    if (!restartFlag.equals("true") && !restartFlag.equals("false")) {
      throw new IllegalArgumentException("query-after-restart: " + restartFlag + " (expected: true or false)");
    }
    boolean restart = Boolean.parseBoolean(restartFlag);
    Duration warmupTime = f.string("warmup-time").matches("0+[a-z]*") ? Duration.ZERO : f.duration("warmup-time");
    QueryRunner queryRunner = new QueryRunner(HttpClient.newHttpClient(), warmupTime, f.intValue("warmups", 0),
        f.intValue("repetitions", 1), Duration.ofMinutes(2));

    // One workload for all systems: the same bytes go to each. Its timestamps end at about now when it is built, so
    // the later systems get data a few minutes older: all of it stays inside the span every system accepts.
    String loadAtStart = loadAverage();
    long step = NodeExporterWorkload.STEP_MILLIS;
    long first = System.currentTimeMillis() / step * step - rounds * step;
    out.printf(Locale.ROOT, "side-by-side: encoding the workload (%,d series, %d rounds)...%n", series, rounds);
    Workload w = NodeExporterWorkload.build(series, 4, rounds, batch, first, seed);
    out.printf(Locale.ROOT, "side-by-side: %s: %,d requests, %,d samples, %,.1f MB%n", w.description(),
        w.requests().size(), w.totalSamples(), w.totalBytes() / 1e6);
    // Query steps fall between two targets' scrape offsets, never on a sample: Prometheus 2 includes a sample exactly
    // at the left edge of a range (t - 5m) and Prometheus 3 (and Loupe) do not, which would differ for no reason a
    // dashboard would notice (Grafana aligns steps to the step, scrapes are not aligned).
    long queryStart = first + QueryWindow.offsetBetweenScrapes(series, 4);
    long queryEnd = queryStart + rounds * step;

    List<Measurement> runs = new ArrayList<>();
    for (String system : systems) {
      runs.add(measure(system, settings, w, series, duration, concurrency, queries, queryRunner, queryStart,
          queryEnd, restart, out));
    }
    if (runs.size() >= 2) {
      Comparison c = Comparison.of(runs, queries);
      out.println();
      out.print(c.table().text());
      for (String p : c.problems()) {
        out.println("MISMATCH " + p);
      }
      if (!f.string("markdown").isEmpty()) {
        Path md = Path.of(f.string("markdown"));
        Files.writeString(md, markdown(f, w, runs, c, queryStart, queryEnd, loadAtStart));
        out.println("side-by-side: markdown written to " + md.toAbsolutePath());
      }
    }
    return runs;
  }

  static String systemName(String flag) {
    return switch (flag.toLowerCase(Locale.ROOT)) {
      case "loupe" -> Systems.LOUPE;
      case "prometheus" -> Systems.PROMETHEUS;
      case "victoria-metrics", "victoriametrics", "vm" -> Systems.VICTORIA_METRICS;
      default -> throw new IllegalArgumentException("systems: " + flag
          + " (expected: loupe, prometheus or victoria-metrics)");
    };
  }

  private static Measurement measure(String system, Systems.Settings settings, Workload w, long series,
      Duration duration, int concurrency, List<DashboardQuery> queries, QueryRunner queryRunner, long queryStart,
      long queryEnd, boolean restart, PrintStream out) throws Exception {
    String version = switch (system) {
      case Systems.LOUPE -> settings.loupeJar().getFileName().toString();
      case Systems.PROMETHEUS -> Systems.version(List.of(settings.prometheus(), "--version"));
      default -> Systems.packageVersion("victoria-metrics");
    };
    out.printf(Locale.ROOT, "%n%s (%s): starting on a fresh data dir...%n", system, version);
    Systems.check(system, settings);
    Path work = Files.createTempDirectory("loupe-sbs-" + system.toLowerCase(Locale.ROOT) + "-");
    // The first process must leave the data dir for the restart: the work dir is deleted here (and by this hook on
    // Ctrl-C) instead of by the process.
    Thread cleanup = new Thread(() -> {
      if (!settings.keepData()) {
        ChildProcess.deleteTree(work);
      }
    }, "delete-" + work.getFileName());
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      Systems.Running r = Systems.startIn(system, settings, work, true, "output.log");
      Measurement m;
      try (ChildProcess p = r.process()) {
        long pid = p.pid();
        out.printf(Locale.ROOT, "%s: pid %d at %s, data in %s%n", system, pid, r.base(), r.dataDir());
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-encoding", "snappy");
        headers.put("x-prometheus-remote-write-version", "0.1.0");
        headers.put("user-agent", "loupe-load-tests/SideBySide");
        LoadDriver.Result sent;
        double cpu0;
        double cpu1;
        try (Transport t = Transport.http(r.writeUri(), false, MediaType.create("application", "x-protobuf"),
            headers, Duration.ofSeconds(30), body -> Transport.Rejection.NONE)) {
          for (int i = 0; i < concurrency; i++) { // open the connections before the clock starts
            Outcome o = t.send(w.warmup());
            if (o.status() == -1) {
              throw new IOException(system + " at " + r.writeUri() + " unreachable: " + o.message());
            }
          }
          cpu0 = ProcStat.cpuSeconds(pid);
          sent = LoadDriver.run(w, t, concurrency, duration, 10, Progress.forStdout(pid, "samples"));
          cpu1 = ProcStat.cpuSeconds(pid);
        }
        long rssIngest = ProcStat.peakRssBytes(pid);
        out.printf(Locale.ROOT, "%s: %,d of %,d samples accepted in %.1f s%s; %.1f CPU s%n", system,
            sent.stats().samplesAccepted(), sent.stats().samplesSent(), sent.elapsedNanos() / 1e9,
            sent.exhausted() ? " (all sent)" : "", cpu1 - cpu0);
        if (sent.stats().samplesAccepted() < w.totalSamples()) {
          out.printf(Locale.ROOT, "%s: NOTE not every sample was accepted (first error: %s)%n", system,
              sent.stats().firstError());
        }
        // VictoriaMetrics makes fresh rows searchable within about a second; the same pause is given to all.
        Thread.sleep(3_000);
        Map<String, QueryTiming> timings = runQueries(system, r, queries, queryRunner, queryStart,
            queryEnd, out);
        long rssQueries = ProcStat.peakRssBytes(pid);
        HttpClient http = HttpClient.newHttpClient();
        List<String> flush = new ArrayList<>(Systems.flushBeforeStop(r, http));
        long compacted = Systems.compactedBytes(r, http, flush);
        out.printf(Locale.ROOT, "%s: compacted data %,d bytes (%s)%n", system, compacted, flush);
        flush.add("SIGTERM");
        int exit = p.stop();
        long disk = ChildProcess.sizeOf(r.dataDir());
        out.printf(Locale.ROOT, "%s: stopped (exit %d) after %s; data dir %,d bytes%n", system, exit, flush, disk);
        m = new Measurement(system, version, series, sent.stats().samplesAccepted(), sent.elapsedNanos() / 1e9,
            cpu1 - cpu0, rssIngest, rssQueries, disk, compacted, exit, flush, timings, Map.of());
      }
      if (!restart) {
        return m;
      }
      out.printf(Locale.ROOT, "%s: restarting on the same data dir...%n", system);
      Systems.Running r2 = Systems.startIn(system, settings, work, true, "output-restart.log");
      try (ChildProcess p2 = r2.process()) {
        Map<String, QueryTiming> after = runQueries(system + " after restart", r2, queries, queryRunner, queryStart,
            queryEnd, out);
        out.printf(Locale.ROOT, "%s: stopped after the restart (exit %d)%n", system, p2.stop());
        return new Measurement(m.system(), m.version(), m.series(), m.samplesAccepted(), m.sendSeconds(),
            m.cpuSeconds(), m.peakRssAfterIngest(), m.peakRssAfterQueries(), m.diskBytes(), m.compactedBytes(),
            m.exitCode(), m.flush(),
            m.queries(), after);
      }
    } finally {
      if (!settings.keepData()) {
        ChildProcess.deleteTree(work);
      }
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException e) {
        // shutting down: the hook deletes the work dir itself
      }
    }
  }

  private static Map<String, QueryTiming> runQueries(String label, Systems.Running r, List<DashboardQuery> queries,
      QueryRunner queryRunner, long queryStart, long queryEnd, PrintStream out) throws InterruptedException {
    long sent = queryRunner.warm(r.base(), queries, queryStart, queryEnd, 15);
    if (sent > 0) {
      out.printf(Locale.ROOT, "%s: warmed up with %d queries%n", label, sent);
    }
    Map<String, QueryTiming> timings = new LinkedHashMap<>();
    for (DashboardQuery q : queries) {
      QueryTiming qt = queryRunner.run(r.base(), q, queryStart, queryEnd, 15);
      timings.put(q.name(), qt);
      out.printf(Locale.ROOT, "%s: %-22s %s%n", label, q.name(), qt.ok()
          ? String.format(Locale.ROOT, "p50 %.1f ms, p90 %.1f ms, %d series, %d points", qt.p50(), qt.p90(),
              qt.result().series().size(), qt.result().points())
          : "FAILED " + qt.error());
    }
    return timings;
  }

  private static String markdown(Flags f, Workload w, List<Measurement> runs, Comparison c, long queryStart,
      long queryEnd, String loadAtStart) {
    StringBuilder sb = new StringBuilder();
    sb.append("Run ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append(", ")
        .append(Runtime.getRuntime().availableProcessors()).append(" CPUs, load average (1/5/15 min) ")
        .append(loadAtStart).append(" at the start, ").append(loadAverage()).append(" at the end.\n\n");
    sb.append("Workload: ").append(w.description()).append(", ").append(String.format(Locale.ROOT,
        "%,d requests, %,d samples, %,.1f MB; queries from %s to %s at 15 s step, all queries round after round for"
            + " %s first, then %s warm-ups + %s timed runs each,"
            + " one query after the other (its runs back to back, not interleaved with other queries'; before the"
            + " stop%s).%n%n",
        w.requests().size(), w.totalSamples(), w.totalBytes() / 1e6, Instant.ofEpochMilli(queryStart),
        Instant.ofEpochMilli(queryEnd), f.string("warmup-time"), f.string("warmups"), f.string("repetitions"),
        f.string("query-after-restart").equals("true") ? ", and again after a restart on the same data dir" : ""));
    for (Measurement m : runs) {
      sb.append("- ").append(m.system()).append(": ").append(m.version()).append("; before the size was taken: ")
          .append(String.join(", ", m.flush())).append(" (exit ").append(m.exitCode()).append(")\n");
    }
    sb.append('\n').append(c.table().markdown());
    if (c.problems().isEmpty()) {
      sb.append("\nEvery query answered the same, non-empty result on all systems.\n");
    } else {
      sb.append("\nAnswers that differ (their ratios are marked excluded):\n\n");
      for (String p : c.problems()) {
        sb.append("- ").append(p.replace("|", "\\|")).append('\n');
      }
    }
    return sb.toString();
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  public static void main(String[] args) {
    Flags f = flags();
    if (!Runner.parseOrExit(f, args)) {
      return;
    }
    int code = 0;
    try {
      run(f, System.out);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      code = 2;
    } catch (Exception e) {
      e.printStackTrace();
      code = 1;
    }
    // Armeria's non-daemon threads must not keep the JVM up; the shutdown hooks stop whatever is still running.
    System.exit(code);
  }
}
