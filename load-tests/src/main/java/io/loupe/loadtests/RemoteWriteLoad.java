package io.loupe.loadtests;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.MediaType;
import io.loupe.loadtests.internal.Flags;
import io.loupe.loadtests.internal.NodeExporterWorkload;
import io.loupe.loadtests.internal.Runner;
import io.loupe.loadtests.internal.Transport;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Prometheus remote-write 1.0 load: node-exporter-like series scraped every 15 s, sent as snappy-compressed protobuf
 * in batches of (by default) 2,000 samples, Prometheus's {@code max_samples_per_send}. Every request is encoded before
 * the clock starts. Round {@code r} is stamped {@code now - span + r * 15 s}: every series only moves forward (a
 * batch of series is one stream, sent in order by one worker) and the last round lands at about now.
 *
 * <pre>
 * java -cp load-tests/target/loupe-load-tests.jar io.loupe.loadtests.RemoteWriteLoad --start-node --series 20k
 * </pre>
 */
public final class RemoteWriteLoad {
  private RemoteWriteLoad() {}

  /** The flags this generator takes, with their defaults. */
  public static Flags flags() {
    Flags f = new Flags("RemoteWriteLoad");
    Runner.commonFlags(f, "http://127.0.0.1:9090/api/v1/write");
    return f.flag("series", "20000", "active series (whole node-exporter targets, the last one cut short)")
        .flag("cpus", "4", "CPUs per simulated machine (8 node_cpu_seconds_total series each)")
        .flag("span", "30m", "time covered by the data: span / 15 s rounds, the last at about now")
        .flag("batch-size", "2000", "samples per request (Prometheus's max_samples_per_send)")
        .bool("http2", "send over h2c instead of HTTP/1.1 (Prometheus uses HTTP/1.1)")
        .bool("live", "send each round when it is due, stamped now, for --duration (a demo feed, not a benchmark)");
  }

  /** Runs with parsed {@code flags}, printing progress and the summary to {@code out}. */
  public static LoadReport run(Flags flags, PrintStream out) throws Exception {
    requireNonNull(flags, "flags");
    requireNonNull(out, "out");
    int series = flags.intValue("series", 1);
    int cpus = flags.intValue("cpus", 1);
    int batch = flags.intValue("batch-size", 1);
    Duration span = flags.duration("span");
    boolean live = flags.bool("live");
    Duration duration = flags.duration("duration");
    int rounds = live ? (int) (duration.toMillis() / NodeExporterWorkload.STEP_MILLIS) + 1
        : (int) Math.max(1, span.toMillis() / NodeExporterWorkload.STEP_MILLIS);
    long seed = flags.longValue("seed", Long.MIN_VALUE);
    boolean http2 = flags.bool("http2");
    Duration timeout = flags.duration("timeout");
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("content-encoding", "snappy");
    headers.put("x-prometheus-remote-write-version", "0.1.0");
    headers.put("user-agent", "loupe-load-tests/RemoteWriteLoad");
    if (!flags.string("tenant").isEmpty()) {
      headers.put("x-scope-orgid", flags.string("tenant"));
    }
    return Runner.run("remote-write", "samples", flags, URI.create("http://127.0.0.1:9090/api/v1/write"),
        node -> URI.create("http://127.0.0.1:" + node.httpPort() + "/api/v1/write"),
        () -> {
          // Aligned to the step so that two runs with the same flags in the same minute send the same bytes.
          long now = System.currentTimeMillis() / NodeExporterWorkload.STEP_MILLIS * NodeExporterWorkload.STEP_MILLIS;
          if (live) { // the first round is due a second from now, then one every 15 s
            return NodeExporterWorkload.build(series, cpus, rounds, batch, System.currentTimeMillis() + 1_000, seed,
                true);
          }
          long first = now - rounds * NodeExporterWorkload.STEP_MILLIS;
          return NodeExporterWorkload.build(series, cpus, rounds, batch, first, seed);
        },
        uri -> Transport.http(uri, http2, MediaType.create("application", "x-protobuf"), headers, timeout,
            body -> Transport.Rejection.NONE),
        out);
  }

  public static void main(String[] args) {
    Runner.main(flags(), args, f -> run(f, System.out));
  }
}
