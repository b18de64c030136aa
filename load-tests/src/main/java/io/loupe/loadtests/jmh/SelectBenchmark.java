package io.loupe.loadtests.jmh;

import io.loupe.model.Appender;
import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.Querier;
import io.loupe.model.SelectHints;
import io.loupe.model.Series;
import io.loupe.model.Tenant;
import io.loupe.tsdb.FsyncPolicy;
import io.loupe.tsdb.Tsdb;
import io.loupe.tsdb.TsdbOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Postings and series selection in the head: {@code Tsdb.querier(...).select(...)} over 100k series of one metric
 * ({@code job} has 100 values, {@code instance} is unique), with matchers that select 1, 1,000 or all 100,000 series.
 * One op opens a querier, selects, walks every series' labels (not its samples) and closes the querier.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "-Dchronicle.analytics.disable=true",
    "-Dchronicle.announcer.disable=true", "-Xmx2g"})
@State(Scope.Benchmark)
public class SelectBenchmark {
  private static final Tenant TENANT = new Tenant("bench");
  private static final int SERIES = 100_000;
  private static final long T0 = 1_700_000_000_000L;
  private static final String METRIC = "http_requests_total";

  @Param({"1", "1000", "100000"})
  public int matches;

  private Path dir;
  private Tsdb tsdb;
  private List<Matcher> matchers;

  @Setup(Level.Trial)
  public void setup() {
    dir = TempDirs.create("loupe-jmh-select");
    tsdb = Tsdb.open(TsdbOptions.defaults(dir).withFsync(FsyncPolicy.interval(Duration.ofSeconds(1)))
        .withMaxSeriesPerTenant(0), new SimpleMeterRegistry());
    Appender app = tsdb.appender(TENANT);
    for (int i = 0; i < SERIES; i++) {
      app.append(Labels.of("__name__", METRIC, "job", String.format("job-%03d", i % 100),
          "instance", String.format("inst-%06d", i)), T0, i);
      if (i % 10_000 == 9_999) {
        app.commit();
        app = tsdb.appender(TENANT);
      }
    }
    app.commit();
    matchers = switch (matches) {
      case 1 -> List.of(Matcher.equal("__name__", METRIC), Matcher.equal("instance", "inst-004242"));
      case 1_000 -> List.of(Matcher.equal("__name__", METRIC), Matcher.equal("job", "job-042"));
      case 100_000 -> List.of(Matcher.equal("__name__", METRIC));
      default -> throw new IllegalArgumentException("matches: " + matches + " (expected: 1, 1000, 100000)");
    };
    int n = select(null);
    if (n != matches) {
      throw new IllegalStateException("setup: selected " + n + " series (expected: " + matches + ")");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    tsdb.close();
    TempDirs.delete(dir);
  }

  @Benchmark
  public int select(Blackhole bh) {
    int n = 0;
    try (Querier q = tsdb.querier(TENANT, T0 - 60_000, T0 + 60_000)) {
      Iterator<Series> it = q.select(SelectHints.range(T0 - 60_000, T0 + 60_000), matchers);
      while (it.hasNext()) {
        Labels l = it.next().labels();
        if (bh != null) {
          bh.consume(l);
        }
        n++;
      }
    }
    return n;
  }
}
