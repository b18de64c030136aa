package io.loupe.tsdb.manual;

import io.loupe.model.AppendResult;
import io.loupe.model.Appender;
import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.Tenant;
import io.loupe.tsdb.FsyncPolicy;
import io.loupe.tsdb.Tsdb;
import io.loupe.tsdb.TsdbOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * How the JIT treats the head's commit under a span-metrics-like load, run by hand (not a test): every
 * {@code periodMs} for {@code seconds}, one batch of {@code series} samples (one per series, nearly all series already
 * in the head, a few new ones each flush) with an exemplar on every 30th series is committed, as the trace store's span
 * metrics flush does. Prints the commit's wall time and thread CPU per sample (median, mean, p90 of each half of the
 * run) and the CPU time of the JIT's compiler threads; run it with a compilation log to count and time the C2
 * compilations of {@code HeadShard}'s commit methods ({@code <task>} to {@code <task_done>} stamps per compile id):
 *
 * <pre>
 * ./mvnw -B -q -o -pl tsdb test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt
 * java -XX:-UseDynamicNumberOfCompilerThreads -XX:+UnlockDiagnosticVMOptions -XX:+LogCompilation \
 *     -XX:LogFile=/tmp/commit.log -Dchronicle.analytics.disable=true -Dchronicle.announcer.disable=true \
 *     --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED \
 *     --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED \
 *     -cp tsdb/target/classes:tsdb/target/test-classes:$(cat tsdb/cp.txt) io.loupe.tsdb.manual.HeadCommitJitMain \
 *     [seconds=60] [periodMs=200] [series=3000]
 * </pre>
 */
public final class HeadCommitJitMain {
  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    int periodMs = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    int series = args.length > 2 ? Integer.parseInt(args[2]) : 3000;
    Path dir = Files.createTempDirectory("loupe-commit-jit");
    TsdbOptions o = TsdbOptions.defaults(dir).withShards(2).withFsync(FsyncPolicy.interval(Duration.ofSeconds(1)))
        .withMaxSeriesPerTenant(0);
    Tenant tenant = new Tenant("bench");
    Random rnd = new Random(42);
    String[] le = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf"};
    List<Labels> labels = new ArrayList<>();
    int rounds = seconds * 1000 / periodMs;
    long[] nanos = new long[rounds];
    long[] cpuNanos = new long[rounds];
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    long accepted = 0;
    long rejected = 0;
    try (Tsdb db = Tsdb.open(o, new SimpleMeterRegistry())) {
      int made = 0;
      for (int r = 0; r < rounds; r++) {
        // a span-metrics flush: every series seen so far, plus a few operations seen for the first time
        int target = r == 0 ? series : labels.size() + 1 + rnd.nextInt(5);
        while (labels.size() < target) {
          int op = made++;
          labels.add(Labels.of("__name__", "traces_spanmetrics_latency_bucket", "service", "svc-" + op % 40,
              "span_name", "op-" + op / 11, "le", le[op % le.length]));
        }
        // the oldest series stop being reported as new ones come, so a flush stays near `series` samples
        int from = Math.max(0, labels.size() - series);
        long ts = System.currentTimeMillis();
        Appender a = db.appender(tenant);
        for (int i = from; i < labels.size(); i++) {
          a.append(labels.get(i), ts, r + i * 0.5);
          if (i % 30 == 0) {
            a.appendExemplar(labels.get(i), new Exemplar(Labels.of(Exemplar.TRACE_ID, Long.toHexString(rnd.nextLong()),
                Exemplar.SPAN_ID, Long.toHexString(rnd.nextLong())), rnd.nextDouble(), ts - rnd.nextInt(1000)));
          }
        }
        long c0 = mx.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        AppendResult res = a.commit();
        nanos[r] = (System.nanoTime() - t0) / (labels.size() - from);
        cpuNanos[r] = (mx.getCurrentThreadCpuTime() - c0) / (labels.size() - from);
        accepted += res.accepted();
        rejected += res.rejectedCount();
        long sleep = periodMs - (System.nanoTime() - t0) / 1_000_000;
        if (sleep > 0) {
          Thread.sleep(sleep);
        }
      }
    } finally {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    System.out.printf("%d commits of ~%d samples, %d accepted, %d rejected%n", rounds, series, accepted, rejected);
    // the first half is where the JIT works; the second is the steady state
    for (int half = 0; half < 2; half++) {
      for (long[] ns : new long[][] {nanos, cpuNanos}) {
        long[] h = Arrays.copyOfRange(ns, half * rounds / 2, (half + 1) * rounds / 2);
        Arrays.sort(h);
        System.out.printf("%s half, commit %s: median %d ns/sample, mean %.1f, p90 %d%n", half == 0 ? "first" : "second",
            ns == nanos ? "wall time" : "thread CPU", h[h.length / 2], Arrays.stream(h).average().orElse(0),
            h[h.length * 9 / 10]);
      }
    }
    System.out.println("compiler threads' CPU (Linux /proc; run with -XX:-UseDynamicNumberOfCompilerThreads so none "
        + "exits before this): " + compilerCpu());
  }

  /** CPU seconds of the JIT's compiler threads by kind ("C1", "C2"), from /proc/self/task; empty elsewhere. */
  static String compilerCpu() throws Exception {
    Path tasks = Path.of("/proc/self/task");
    if (!Files.isDirectory(tasks)) {
      return "{}";
    }
    long hz = 100; // USER_HZ, which Linux keeps at 100 for /proc on every common architecture
    java.util.TreeMap<String, Double> out = new java.util.TreeMap<>();
    try (Stream<Path> s = Files.list(tasks)) {
      for (Path t : s.toList()) {
        String name = Files.readString(t.resolve("comm")).trim();
        if (name.contains("CompilerThre")) {
          String stat = Files.readString(t.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          // fields 14 and 15 of stat (utime, stime) are 11 and 12 after the command's closing parenthesis
          double sec = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) hz;
          out.merge(name.substring(0, 2), sec, Double::sum);
        }
      }
    }
    return out.toString();
  }
}
