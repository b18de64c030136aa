package io.loupe.loadtests.jmh;

import io.loupe.collector.otlp.OtlpMetricsTranslator;
import io.loupe.collector.otlp.OtlpSpans;
import io.loupe.collector.otlp.TranslationOptions;
import io.loupe.collector.remotewrite.RemoteWrite;
import io.loupe.loadtests.internal.NodeExporterWorkload;
import io.loupe.loadtests.internal.OtlpMetricsWorkload;
import io.loupe.loadtests.internal.OtlpTraceWorkload;
import io.loupe.loadtests.internal.Prepared;
import io.loupe.loadtests.internal.TraceIdRewriter;
import io.loupe.loadtests.internal.Workload;
import io.loupe.model.AppendResult;
import io.loupe.model.IngestLimits;
import io.loupe.model.SpanRecord;
import io.loupe.model.SpanWriter;
import io.loupe.model.Tenant;
import io.loupe.tracestore.FsyncPolicy;
import io.loupe.tracestore.TraceStore;
import io.loupe.tracestore.TraceStoreOptions;
import io.loupe.tracestore.metrics.SpanMetricsOptions;
import io.loupe.tracestore.metrics.SpanMetricsWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Ingest decoding without storage: one op is one request body (as the load generators send them) parsed and handed
 * to a no-op appender. The {@code samples} secondary result is samples (or spans) per second.
 *
 * <p>Spans: {@code spanDecodeTranslate*} is one OTLP trace request of the pipeline workload (~500 spans) decoded into
 * {@code SpanRecord}s, cycling through the 250 requests of 20,000 traces, as {@code OtlpLoad --traces 20k --repeat}
 * sends them to a node: the decoder's process-wide caches (resources, strings) see what a node's see, ~250 resources
 * and common strings again in every request, device keys and client addresses coming back only a pool later (trace
 * ids, which the load generator changes per round, are not cached across requests, so repeating them changes
 * nothing). {@code spanMetrics} is one such batch, already decoded, through {@code SpanMetricsWriter} over a
 * span writer and a metrics appender that store nothing (span metrics, service graph, and every 15 s the emission).
 *
 * <p>On a shared machine the scores say little by themselves (the benchmark thread gets what the neighbours leave);
 * {@code -prof io.loupe.loadtests.jmh.IngestDecodeBenchmark$CpuCores} adds the rates per CPU second of the fork (JIT
 * and GC included), {@code per.core} and {@code samples.per.core}.
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
    byte[][] traces; // bare ExportTraceServiceRequest, ~500 spans each
    List<SpanRecord>[] spans; // the first 50 requests, decoded by OtlpSpans.decode

    @Setup(Level.Trial)
    public void setup() {
      // 10k node-exporter-like series, 3 scrapes, requests of 2,000 samples (Prometheus's default max_samples_per_send).
      remoteWrite = bodies(NodeExporterWorkload.build(10_000, 4, 3, 2_000, 1_700_000_000_000L, 42));
      // 20 hosts of instrumented services, 3 export rounds, 1 resource per request.
      otlp = bodies(OtlpMetricsWorkload.build(20, 1, 3, 1, 1_700_000_000_000_000_000L, 42, false));
      // 20,000 pipeline traces over 50 hosts, 80 per request (the lead's OtlpLoad run): 250 bodies, ~37 MB.
      traces = bodies(OtlpTraceWorkload.build(20_000, 80, 50, 1_700_000_000_000_000_000L, 60_000_000_000L, 42,
          false));
      @SuppressWarnings("unchecked")
      List<SpanRecord>[] decoded = new List[50];
      for (int i = 0; i < decoded.length; i++) {
        decoded[i] = OtlpSpans.decode(traces[i], new AppendResult.Builder()); // as the receivers hand them on
      }
      spans = decoded;
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
    long round = 1; // spanDecodeWrite: the TraceIdRewriter round of the bodies (round 0 would be the bodies as built)
    OtlpMetricsTranslator translator;
    SpanMetricsWriter spanMetrics;

    @Setup(Level.Trial)
    public void setup() {
      translator = new OtlpMetricsTranslator(TranslationOptions.defaults());
    }

    @Setup(Level.Iteration)
    public void spanMetrics(Blackhole bh) {
      SpanWriter stored = (tenant, spans) -> new AppendResult(spans.size(), java.util.Map.of(), "");
      spanMetrics = new SpanMetricsWriter(stored, tenant -> new NoopAppender(bh), SpanMetricsOptions.defaults(),
          new SimpleMeterRegistry());
    }

    byte[] pick(byte[][] bodies) {
      byte[] b = bodies[next];
      next = next + 1 == bodies.length ? 0 : next + 1;
      return b;
    }

    <T> T pick(T[] items) {
      T b = items[next];
      next = next + 1 == items.length ? 0 : next + 1;
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

  /** {@code OtlpSpans.decode}: the bytes straight into records, as the gRPC and HTTP/protobuf receivers do. */
  @Benchmark
  public List<SpanRecord> spanDecodeTranslate(Bodies bodies, Cursor cursor, Samples samples) {
    List<SpanRecord> out = OtlpSpans.decode(cursor.pick(bodies.traces), new AppendResult.Builder());
    samples.samples += out.size();
    return out;
  }

  /** The generated protobuf classes, then {@code OtlpSpans.toSpanRecords}: the path of OTLP/JSON and the old path. */
  @Benchmark
  public List<SpanRecord> spanDecodeTranslateGenerated(Bodies bodies, Cursor cursor, Samples samples)
      throws com.google.protobuf.InvalidProtocolBufferException {
    ExportTraceServiceRequest req = ExportTraceServiceRequest.parseFrom(cursor.pick(bodies.traces));
    List<SpanRecord> out = OtlpSpans.toSpanRecords(req, new AppendResult.Builder());
    samples.samples += out.size();
    return out;
  }

  /**
   * A node's trace ingest after the gRPC read, on one thread: each op is a request of the 20,000-trace pool with its
   * trace ids changed per round (as {@code OtlpLoad --repeat} does: the copy stands for the read of the request),
   * decoded, then written through span metrics (into a no-op appender) to a real trace store in a temp dir (fsync
   * every second). Shows what the decoder's output costs downstream: resources and strings shared across requests hit
   * the store's identity paths and cached hashes. Scores: requests (and {@code samples}: spans) per second.
   */
  @Benchmark
  public AppendResult spanDecodeWrite(Bodies bodies, Store store, Cursor cursor, Samples samples) {
    int i = cursor.next;
    if (++cursor.next == store.rewriters.length) {
      cursor.next = 0;
      cursor.round++;
    }
    List<SpanRecord> spans = OtlpSpans.decode(store.rewriters[i].round(cursor.round), new AppendResult.Builder());
    samples.samples += spans.size();
    return store.writer.write(TENANT, spans);
  }

  /** A trace store in a temp dir behind span metrics, for {@link #spanDecodeWrite}. */
  @State(Scope.Benchmark)
  public static class Store {
    Path dir;
    TraceStore store;
    SpanMetricsWriter writer;
    TraceIdRewriter[] rewriters;

    @Setup(Level.Trial)
    public void setup(Bodies bodies, Blackhole bh) throws IOException {
      dir = TempDirs.create("loupe-jmh-decode-write");
      store = TraceStore.open(TraceStoreOptions.defaults(dir).withFsync(FsyncPolicy.every(Duration.ofSeconds(1))),
          new SimpleMeterRegistry());
      writer = new SpanMetricsWriter(store, tenant -> new NoopAppender(bh), SpanMetricsOptions.defaults(),
          new SimpleMeterRegistry());
      rewriters = new TraceIdRewriter[bodies.traces.length];
      for (int i = 0; i < rewriters.length; i++) {
        rewriters[i] = TraceIdRewriter.of(bodies.traces[i], false);
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      store.close();
      TempDirs.delete(dir);
    }
  }

  @Benchmark
  public AppendResult spanMetrics(Bodies bodies, Cursor cursor, Samples samples) {
    List<SpanRecord> batch = cursor.pick(bodies.spans);
    samples.samples += batch.size();
    return cursor.spanMetrics.write(TENANT, batch);
  }

  /**
   * Per iteration, the process CPU the fork used per second of wall time ({@code cpu.cores}, JIT and GC included) and
   * the score and the {@code samples} counter divided by it ({@code per.core}, {@code samples.per.core}): the rates
   * per core, which on a shared machine vary much less than the scores.
   */
  public static final class CpuCores implements org.openjdk.jmh.profile.InternalProfiler {
    private long cpu0;
    private long wall0;

    private static long processCpuNanos() {
      return ((com.sun.management.OperatingSystemMXBean)
          java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    @Override
    public String getDescription() {
      return "process CPU per wall second of each iteration, and the rates per CPU second";
    }

    @Override
    public void beforeIteration(org.openjdk.jmh.infra.BenchmarkParams bp, org.openjdk.jmh.infra.IterationParams ip) {
      wall0 = System.nanoTime();
      cpu0 = processCpuNanos();
    }

    @Override
    public java.util.Collection<? extends org.openjdk.jmh.results.Result> afterIteration(
        org.openjdk.jmh.infra.BenchmarkParams bp, org.openjdk.jmh.infra.IterationParams ip,
        org.openjdk.jmh.results.IterationResult result) {
      double cores = (processCpuNanos() - cpu0) / (double) (System.nanoTime() - wall0);
      List<org.openjdk.jmh.results.Result> out = new java.util.ArrayList<>();
      out.add(new org.openjdk.jmh.results.ScalarResult("cpu.cores", cores, "cores",
          org.openjdk.jmh.results.AggregationPolicy.AVG));
      out.add(new org.openjdk.jmh.results.ScalarResult("per.core", result.getPrimaryResult().getScore() / cores,
          "ops/cpu-s", org.openjdk.jmh.results.AggregationPolicy.AVG));
      org.openjdk.jmh.results.Result samples = result.getSecondaryResults().get("samples");
      if (samples != null) {
        out.add(new org.openjdk.jmh.results.ScalarResult("samples.per.core", samples.getScore() / cores,
            "samples/cpu-s", org.openjdk.jmh.results.AggregationPolicy.AVG));
      }
      return out;
    }
  }
}
