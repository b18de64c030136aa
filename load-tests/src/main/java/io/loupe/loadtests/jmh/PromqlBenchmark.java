package io.loupe.loadtests.jmh;

import io.loupe.model.Appender;
import io.loupe.model.Labels;
import io.loupe.model.Tenant;
import io.loupe.query.promql.Engine;
import io.loupe.query.promql.Matrix;
import io.loupe.query.promql.QueryResult;
import io.loupe.query.promql.Value;
import io.loupe.query.promql.Vector;
import io.loupe.tsdb.FsyncPolicy;
import io.loupe.tsdb.Tsdb;
import io.loupe.tsdb.TsdbOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
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

  @Param({"sum_rate", "topk", "histogram_quantile", "binary_on", "range_sum_rate"})
  public String query;

  private Path dir;
  private Tsdb tsdb;
  private Engine engine;
  private String promql;

  @Setup(Level.Trial)
  public void setup() {
    dir = TempDirs.create("loupe-jmh-promql");
    tsdb = Tsdb.open(TsdbOptions.defaults(dir).withFsync(FsyncPolicy.interval(Duration.ofSeconds(1))),
        new SimpleMeterRegistry());
    fill();
    engine = new Engine(tsdb);
    promql = switch (query) {
      case "sum_rate", "range_sum_rate" -> "sum by (job) (rate(x[5m]))";
      case "topk" -> "topk(10, rate(x[5m]))";
      case "histogram_quantile" -> "histogram_quantile(0.9, sum by (le) (rate(h_bucket[5m])))";
      case "binary_on" -> "a / on(instance) b";
      default -> throw new IllegalArgumentException("query: " + query
          + " (expected: sum_rate, topk, histogram_quantile, binary_on, range_sum_rate)");
    };
    // A query that silently matched nothing would look very fast: check the shape of the answer once.
    int want = switch (query) {
      case "sum_rate", "range_sum_rate", "topk" -> 10;
      case "histogram_quantile" -> 1;
      default -> 1_000;
    };
    Value v = ((QueryResult) evaluate()).value();
    int got = v instanceof Vector vec ? vec.samples().size() : v instanceof Matrix m ? m.series().size() : -1;
    if (got != want) {
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

  @TearDown(Level.Trial)
  public void tearDown() {
    tsdb.close();
    TempDirs.delete(dir);
  }

  @Benchmark
  public Object evaluate() {
    if (query.equals("range_sum_rate")) {
      return engine.range(TENANT, promql, T0, END, STEP, TIMEOUT, () -> false);
    }
    return engine.instant(TENANT, promql, END, TIMEOUT, () -> false);
  }
}
