package io.loupe.loadtests.jmh;

import io.loupe.tsdb.block.BlockWriter;
import io.loupe.tsdb.chunkenc.ChunkEncoder;
import io.loupe.tsdb.chunkenc.ChunkIterator;
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
 * Chunk encodings; scores are samples per second. {@code append} and {@code iterate} work on one head chunk (XOR,
 * {@value XorChunk#TARGET_SAMPLES} samples). {@code iterateBlock} decodes the same series as a block stores it: one
 * chunk of {@value #BLOCK} samples from {@link ChunkEncoder} (decimal, or XOR when that is smaller); {@code
 * iterateXor} decodes those {@value #BLOCK} samples as four XOR chunks. {@code seekBlock} and {@code seekXor} do what
 * a range query does: seek to sample 300 of the {@value #BLOCK} (XOR skips its first two chunks whole, by their max
 * time, as ChunksIterator does) and read the rest; their score counts the 180 samples returned.
 *
 * <p>Values: {@code counter} (integer increments), {@code cpu} (cpu seconds with two decimals, as node_exporter
 * reports them), {@code gauge} (random doubles: no decimals, the worst case for both) and {@code constant}.
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
  private static final int BLOCK = BlockWriter.MAX_CHUNK_SAMPLES;
  private static final int SEEK_AT = 300;

  @Param({"counter", "cpu", "gauge", "constant"})
  public String values;

  private long[] ts;
  private double[] vs;
  private byte[] encoded;
  private byte[] block;
  private byte[][] xors;
  private long[] xorMaxTs;
  private long seekTarget;
  private final XorIterator it = new XorIterator();
  private final ChunkIterator chunkIt = new ChunkIterator();

  @Setup(Level.Trial)
  public void setup() {
    Random rnd = new Random(42);
    ts = new long[BLOCK];
    vs = new double[BLOCK];
    long[] bits = new long[BLOCK];
    long t = 1_700_000_000_000L;
    double counter = 1_000;
    long ticks = 12_345_678;
    for (int i = 0; i < BLOCK; i++) {
      // 15 s scrapes with a little jitter, as real scrapes have, so the delta-of-delta is not always zero.
      t += 15_000 + rnd.nextInt(5) - 2;
      ts[i] = t;
      counter += rnd.nextInt(100);
      ticks += 1300 + rnd.nextInt(200);
      vs[i] = switch (values) {
        case "counter" -> counter;
        case "cpu" -> ticks / 100.0;
        case "gauge" -> rnd.nextDouble() * 100;
        case "constant" -> 1;
        default -> throw new IllegalArgumentException("values: " + values
            + " (expected: counter, cpu, gauge, constant)");
      };
      bits[i] = Double.doubleToRawLongBits(vs[i]);
    }
    encoded = XorChunk.of(ts, vs, N).freeze().bytes();
    block = new ChunkEncoder().encode(ts, bits, 0, BLOCK);
    xors = new byte[BLOCK / N][];
    xorMaxTs = new long[BLOCK / N];
    for (int c = 0; c < xors.length; c++) {
      XorChunk x = new XorChunk();
      for (int i = c * N; i < (c + 1) * N; i++) {
        x.append(ts[i], vs[i]);
      }
      xors[c] = x.freeze().bytes();
      xorMaxTs[c] = x.maxT();
    }
    seekTarget = ts[SEEK_AT] - 1;
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

  @Benchmark
  @OperationsPerInvocation(BLOCK)
  public double iterateBlock() {
    ChunkIterator i = chunkIt.reset(block);
    double sum = 0;
    while (i.next()) {
      sum += i.value() + i.timestamp();
    }
    return sum;
  }

  @Benchmark
  @OperationsPerInvocation(BLOCK)
  public double iterateXor() {
    double sum = 0;
    for (byte[] c : xors) {
      ChunkIterator i = chunkIt.reset(c);
      while (i.next()) {
        sum += i.value() + i.timestamp();
      }
    }
    return sum;
  }

  @Benchmark
  @OperationsPerInvocation(BLOCK - SEEK_AT)
  public double seekBlock() {
    ChunkIterator i = chunkIt.reset(block);
    double sum = 0;
    if (i.seek(seekTarget)) {
      do {
        sum += i.value() + i.timestamp();
      } while (i.next());
    }
    return sum;
  }

  @Benchmark
  @OperationsPerInvocation(BLOCK - SEEK_AT)
  public double seekXor() {
    int c = 0;
    while (xorMaxTs[c] < seekTarget) {
      c++;
    }
    ChunkIterator i = chunkIt.reset(xors[c]);
    double sum = 0;
    if (i.seek(seekTarget)) {
      while (true) {
        sum += i.value() + i.timestamp();
        if (!i.next()) {
          if (++c == xors.length) {
            break;
          }
          i.reset(xors[c]);
          i.next();
        }
      }
    }
    return sum;
  }
}
