package io.loupe.loadtests.jmh;

import io.loupe.model.AppendResult;
import io.loupe.model.Appender;
import io.loupe.model.Labels;
import io.loupe.model.Tenant;
import io.loupe.tsdb.FsyncPolicy;
import io.loupe.tsdb.Tsdb;
import io.loupe.tsdb.TsdbOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Head + WAL append through the public path: {@code Tsdb.appender(tenant)}, one sample for each of {@value #BATCH}
 * series, {@code commit()}. Scores are samples per second. The series are created during warm-up, so measurement is
 * the steady state of a scrape (existing series, new samples); with {@code fsync=always} every commit waits for an
 * fsync, with {@code interval} a background thread fsyncs every second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "-Dchronicle.analytics.disable=true",
    "-Dchronicle.announcer.disable=true", "-Xmx2g"})
@State(Scope.Benchmark)
public class HeadAppendBenchmark {
  static final int BATCH = 1_000;
  private static final Tenant TENANT = new Tenant("bench");

  @Param({"interval", "always"})
  public String fsync;

  private Path dir;
  private Tsdb tsdb;
  private Labels[] series;
  // One millisecond per commit: even a million commits stay far inside one head block, so no block is cut mid-run.
  private long t = 1_700_000_000_000L;

  @Setup(Level.Trial)
  public void setup() {
    dir = TempDirs.create("loupe-jmh-head");
    FsyncPolicy policy = switch (fsync) {
      case "interval" -> FsyncPolicy.interval(Duration.ofSeconds(1));
      case "always" -> FsyncPolicy.ALWAYS;
      default -> throw new IllegalArgumentException("fsync: " + fsync + " (expected: interval, always)");
    };
    tsdb = Tsdb.open(TsdbOptions.defaults(dir).withFsync(policy), new SimpleMeterRegistry());
    series = new Labels[BATCH];
    for (int i = 0; i < BATCH; i++) {
      series[i] = Labels.of("__name__", "node_cpu_seconds_total", "cpu", Integer.toString(i % 8),
          "instance", "host-" + (i / 8), "job", "node", "mode", "user");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    tsdb.close();
    TempDirs.delete(dir);
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public AppendResult appendCommit() {
    long ts = t++;
    Appender app = tsdb.appender(TENANT);
    for (int i = 0; i < BATCH; i++) {
      app.append(series[i], ts, ts * 0.001 + i);
    }
    return app.commit();
  }
}
