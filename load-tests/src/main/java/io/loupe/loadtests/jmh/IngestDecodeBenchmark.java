package io.loupe.loadtests.jmh;

import io.loupe.collector.otlp.OtlpMetricsTranslator;
import io.loupe.collector.otlp.TranslationOptions;
import io.loupe.collector.remotewrite.RemoteWrite;
import io.loupe.loadtests.internal.NodeExporterWorkload;
import io.loupe.loadtests.internal.OtlpMetricsWorkload;
import io.loupe.loadtests.internal.Prepared;
import io.loupe.loadtests.internal.Workload;
import io.loupe.model.AppendResult;
import io.loupe.model.IngestLimits;
import io.loupe.model.Tenant;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Ingest decoding without storage: one op is one request body (as the load generators send them) parsed and handed
 * to a no-op appender. The {@code samples} secondary result is samples per second.
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
public class IngestDecodeBenchmark {
  private static final Tenant TENANT = new Tenant("bench");
  // Far below any limit: the largest body here is a few hundred KiB.
  private static final int MAX_UNCOMPRESSED = 64 << 20;

  /** Request bodies, prepared once; the benchmarks cycle through them. */
  @State(Scope.Benchmark)
  public static class Bodies {
    byte[][] remoteWrite; // snappy-compressed prometheus.WriteRequest, 2,000 samples each
    byte[][] otlp; // bare ExportMetricsServiceRequest

    @Setup(Level.Trial)
    public void setup() {
      // 10k node-exporter-like series, 3 scrapes, requests of 2,000 samples (Prometheus's default max_samples_per_send).
      remoteWrite = bodies(NodeExporterWorkload.build(10_000, 4, 3, 2_000, 1_700_000_000_000L, 42));
      // 20 hosts of instrumented services, 3 export rounds, 1 resource per request.
      otlp = bodies(OtlpMetricsWorkload.build(20, 1, 3, 1, 1_700_000_000_000_000_000L, 42, false));
    }

    private static byte[][] bodies(Workload w) {
      List<Prepared> r = w.requests();
      byte[][] out = new byte[r.size()][];
      for (int i = 0; i < out.length; i++) {
        out[i] = r.get(i).body();
      }
      return out;
    }
  }

  /** Per-thread cursor and translator (the translator keeps per-name caches, as one node's does). */
  @State(Scope.Thread)
  public static class Cursor {
    int next;
    OtlpMetricsTranslator translator;

    @Setup(Level.Trial)
    public void setup() {
      translator = new OtlpMetricsTranslator(TranslationOptions.defaults());
    }

    byte[] pick(byte[][] bodies) {
      byte[] b = bodies[next];
      next = next + 1 == bodies.length ? 0 : next + 1;
      return b;
    }
  }

  /** Samples decoded, reported by JMH as a rate next to the request rate. */
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  @State(Scope.Thread)
  public static class Samples {
    public long samples;

    @Setup(Level.Iteration)
    public void reset() {
      samples = 0;
    }
  }

  @Benchmark
  public AppendResult remoteWriteDecode(Bodies bodies, Cursor cursor, Samples samples, Blackhole bh) {
    byte[] raw = RemoteWrite.decompress(cursor.pick(bodies.remoteWrite), MAX_UNCOMPRESSED);
    NoopAppender app = new NoopAppender(bh);
    AppendResult.Builder result = new AppendResult.Builder();
    samples.samples += RemoteWrite.decode(TENANT, raw, app, IngestLimits.defaults(), result);
    return result.build();
  }

  @Benchmark
  public AppendResult otlpDecodeTranslate(Bodies bodies, Cursor cursor, Samples samples, Blackhole bh)
      throws Exception {
    ExportMetricsServiceRequest req = ExportMetricsServiceRequest.parseFrom(cursor.pick(bodies.otlp));
    NoopAppender app = new NoopAppender(bh);
    AppendResult.Builder result = new AppendResult.Builder();
    samples.samples += cursor.translator.translate(TENANT, req, app, result);
    return result.build();
  }
}
