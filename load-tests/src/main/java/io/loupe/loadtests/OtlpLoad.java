package io.loupe.loadtests;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.MediaType;
import io.loupe.loadtests.internal.Flags;
import io.loupe.loadtests.internal.LoadDriver;
import io.loupe.loadtests.internal.NodeProcess;
import io.loupe.loadtests.internal.OtlpMetricsWorkload;
import io.loupe.loadtests.internal.OtlpTraceWorkload;
import io.loupe.loadtests.internal.Prepared;
import io.loupe.loadtests.internal.Runner;
import io.loupe.loadtests.internal.TraceIdRewriter;
import io.loupe.loadtests.internal.Transport;
import io.loupe.loadtests.internal.Workload;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * OTLP load from a simulated fast-data pipeline (ingest gateway, Kafka, stream processor, Cassandra-like store on N
 * hosts): metrics (counters, gauges, histograms with exemplars) or traces, over OTLP/HTTP protobuf or OTLP/gRPC, all
 * pre-encoded and seeded. Rejected points or spans reported in OTLP partial success are counted in the summary.
 *
 * <pre>
 * java -cp load-tests/target/loupe-load-tests.jar io.loupe.loadtests.OtlpLoad --start-node --signal traces
 * </pre>
 *
 * <p>Per-core trace ingest figures come from a steady window of minutes: a pool of traces sent round after round with
 * new trace ids, the first part of the run left out (JIT compilation is otherwise a large share of a short run):
 *
 * <pre>
 * java -Xmx3g -cp load-tests/target/loupe-load-tests.jar io.loupe.loadtests.OtlpLoad --start-node --signal traces
 *     --protocol grpc --traces 20k --repeat --duration 210s --warmup 30s
 * </pre>
 */
public final class OtlpLoad {
  static final String METRICS_GRPC_PATH = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
  static final String TRACES_GRPC_PATH = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

  private OtlpLoad() {}

  /** The flags this generator takes, with their defaults. */
  public static Flags flags() {
    Flags f = new Flags("OtlpLoad");
    Runner.commonFlags(f, "");
    return f.flag("signal", "metrics", "metrics or traces")
        .flag("protocol", "http", "http (OTLP/HTTP protobuf, HTTP/1.1) or grpc (OTLP/gRPC over h2c)")
        .flag("hosts", "50", "hosts, each running the three pipeline services")
        .flag("partitions", "12", "Kafka partitions per topic (3 topics), for per-partition series")
        .flag("span", "30m", "time covered by the data: metrics send span / 15 s rounds, the last at about now")
        .flag("resources-per-request", "3", "metrics: service instances per request (3: a collector per host"
            + " batching its services; 1: each SDK on its own)")
        .flag("traces", "100k", "traces: how many (6 to 8 spans each)")
        .flag("traces-per-request", "80", "traces: traces per request (~512 spans, the SDK's batch size)")
        .bool("gzip", "gzip each body (Content-Encoding / grpc-encoding: gzip), as the Collector's exporters do")
        .bool("repeat", "traces: send the --traces pool again and again until --duration, each round with new trace"
            + " ids (a steady load for minutes from a bounded pool; with --warmup for per-core figures)")
        .bool("live", "send data when it is due, stamped now, for --duration (a demo feed, not a benchmark)");
  }

  /** Runs with parsed {@code flags}, printing progress and the summary to {@code out}. */
  public static LoadReport run(Flags flags, PrintStream out) throws Exception {
    requireNonNull(flags, "flags");
    requireNonNull(out, "out");
    String signal = flags.string("signal");
    String protocol = flags.string("protocol");
    if (!signal.equals("metrics") && !signal.equals("traces")) {
      throw new IllegalArgumentException("flag --signal: '" + signal + "' (expected: metrics or traces)");
    }
    if (!protocol.equals("http") && !protocol.equals("grpc")) {
      throw new IllegalArgumentException("flag --protocol: '" + protocol + "' (expected: http or grpc)");
    }
    boolean metrics = signal.equals("metrics");
    boolean grpc = protocol.equals("grpc");
    boolean gzip = flags.bool("gzip");
    int hosts = flags.intValue("hosts", 1);
    int partitions = flags.intValue("partitions", 1);
    int resourcesPerRequest = flags.intValue("resources-per-request", 1);
    int traces = flags.intValue("traces", 1);
    int tracesPerRequest = flags.intValue("traces-per-request", 1);
    boolean live = flags.bool("live");
    boolean repeat = flags.bool("repeat");
    if (repeat && (metrics || gzip || live)) {
      throw new IllegalArgumentException("flag --repeat: traces only, without --gzip or --live (expected: --signal"
          + " traces and uncompressed bodies, whose trace ids are rewritten in place)");
    }
    Duration span = live ? flags.duration("duration") : flags.duration("span");
    long seed = flags.longValue("seed", Long.MIN_VALUE);
    Duration timeout = flags.duration("timeout");
    String path = grpc ? (metrics ? METRICS_GRPC_PATH : TRACES_GRPC_PATH) : (metrics ? "/v1/metrics" : "/v1/traces");
    URI defaultUrl = URI.create("http://127.0.0.1:" + (grpc ? 4317 : 4318) + path);
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("user-agent", "loupe-load-tests/OtlpLoad");
    if (!flags.string("tenant").isEmpty()) {
      headers.put("x-scope-orgid", flags.string("tenant"));
    }
    if (gzip) {
      headers.put(grpc ? "grpc-encoding" : "content-encoding", "gzip");
    }
    Function<byte[], Transport.Rejection> rejected = metrics ? OtlpLoad::rejectedPoints : OtlpLoad::rejectedSpans;
    String kind = "otlp-" + signal + "-" + protocol;
    return Runner.run(kind, metrics ? "samples" : "spans", flags, defaultUrl,
        (NodeProcess node) -> URI.create("http://127.0.0.1:" + (grpc ? node.otlpGrpcPort() : node.otlpHttpPort())
            + path),
        () -> {
          long stepNanos = OtlpMetricsWorkload.STEP_NANOS;
          long nowNanos = System.currentTimeMillis() * 1_000_000L / stepNanos * stepNanos;
          int rounds = live ? (int) (span.toNanos() / stepNanos) + 1 : (int) Math.max(1, span.toNanos() / stepNanos);
          // Live: the first data is due a second from now, then as time passes.
          long first = live ? System.currentTimeMillis() * 1_000_000L + 1_000_000_000L
              : nowNanos - (metrics ? rounds * stepNanos : span.toNanos());
          // Built unframed, then compressed and framed here, so both signals share one codec step.
          Workload w = metrics
              ? OtlpMetricsWorkload.build(hosts, partitions, rounds, resourcesPerRequest, first, seed, false, live)
              : OtlpTraceWorkload.build(traces, tracesPerRequest, hosts, first, span.toNanos(), seed, false, live);
          return w.mapBodies(body -> {
            byte[] b = gzip ? Transport.gzip(body) : body;
            return grpc ? Transport.grpcFrame(b, gzip) : b;
          });
        },
        w -> repeat ? recycler(w, grpc) : null,
        uri -> grpc ? Transport.grpc(uri, headers, timeout, rejected)
            : Transport.http(uri, false, MediaType.create("application", "x-protobuf"), headers, timeout, rejected),
        out);
  }

  /** Rounds after the first send every request again with its trace ids rewritten ({@link TraceIdRewriter}). */
  static LoadDriver.Recycler recycler(Workload w, boolean grpc) {
    Map<Prepared, TraceIdRewriter> rewriters = new IdentityHashMap<>();
    for (Prepared p : w.requests()) {
      rewriters.put(p, TraceIdRewriter.of(p.body(), grpc));
    }
    return (p, round) -> rewriters.get(p).round(round);
  }

  static Transport.Rejection rejectedPoints(byte[] body) {
    try {
      var p = ExportMetricsServiceResponse.parseFrom(body).getPartialSuccess();
      return new Transport.Rejection(p.getRejectedDataPoints(), p.getErrorMessage());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return Transport.Rejection.NONE; // not a protobuf answer (e.g. JSON): nothing to count
    }
  }

  static Transport.Rejection rejectedSpans(byte[] body) {
    try {
      var p = ExportTraceServiceResponse.parseFrom(body).getPartialSuccess();
      return new Transport.Rejection(p.getRejectedSpans(), p.getErrorMessage());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return Transport.Rejection.NONE;
    }
  }

  public static void main(String[] args) {
    Runner.main(flags(), args, f -> run(f, System.out));
  }
}
