package io.loupe.loadtests.jmh;

import io.loupe.tsdb.chunkenc.XorChunk;
import io.loupe.tsdb.chunkenc.XorIterator;
import java.util.Random;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * XOR chunk encoding: one invocation appends (or iterates) a full chunk of {@value XorChunk#TARGET_SAMPLES} samples;
 * scores are samples per second. Values are a counter (small integer deltas), a gauge (random doubles, the worst case
 * for XOR) and a constant.
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
@State(Scope.Thread)
public class ChunkBenchmark {
  private static final int N = XorChunk.TARGET_SAMPLES;

  @Param({"counter", "gauge", "constant"})
  public String values;

  private long[] ts;
  private double[] vs;
  private byte[] encoded;
  private final XorIterator it = new XorIterator();

  @Setup(Level.Trial)
  public void setup() {
    Random rnd = new Random(42);
    ts = new long[N];
    vs = new double[N];
    long t = 1_700_000_000_000L;
    double counter = 1_000;
    for (int i = 0; i < N; i++) {
      // 15 s scrapes with a little jitter, as real scrapes have, so the delta-of-delta is not always zero.
      t += 15_000 + rnd.nextInt(5) - 2;
      ts[i] = t;
      counter += rnd.nextInt(100);
      vs[i] = switch (values) {
        case "counter" -> counter;
        case "gauge" -> rnd.nextDouble() * 100;
        case "constant" -> 1;
        default -> throw new IllegalArgumentException("values: " + values + " (expected: counter, gauge, constant)");
      };
    }
    encoded = XorChunk.of(ts, vs, N).freeze().bytes();
  }

  @Benchmark
  @OperationsPerInvocation(N)
  public XorChunk append() {
    XorChunk c = new XorChunk();
    for (int i = 0; i < N; i++) {
      c.append(ts[i], vs[i]);
    }
    return c;
  }

  @Benchmark
  @OperationsPerInvocation(N)
  public double iterate() {
    XorIterator i = it.reset(encoded);
    double sum = 0;
    while (i.next()) {
      sum += i.value() + i.timestamp();
    }
    return sum;
  }
}
