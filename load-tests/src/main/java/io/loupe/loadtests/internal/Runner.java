package io.loupe.loadtests.internal;

import io.loupe.loadtests.LoadReport;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What both generators share: the flags that pick the node (a URL and maybe a pid, or a node started here), encoding
 * before the clock starts, the run, CPU accounting and the summary.
 */
public final class Runner {
  private Runner() {}

  /** Declares the flags every generator takes. */
  public static Flags commonFlags(Flags f, String defaultUrl) {
    return f.flag("url", defaultUrl, "where to send (ignored with --start-node)")
        .flag("node-pid", "-1", "pid of the node at --url, to measure its CPU seconds and peak RSS")
        .bool("start-node", "start the node from --node-jar on a fresh temp data dir, measure it, stop it at the end")
        .flag("node-jar", "server/target/loupe.jar", "the node's runnable jar, for --start-node")
        .flag("node-jvm-args", "-Xmx2g", "JVM flags for the node started by --start-node, space-separated")
        .bool("keep-data", "keep the data dir and node.log of the node started by --start-node (else both are deleted)")
        .flag("duration", "60s", "stop sending after this long, even if requests remain")
        .flag("warmup", "0s", "report only what follows this first part of the run: its data and the node's CPU in"
            + " it are not counted (JIT compilation, first segments)")
        .flag("concurrency", "4", "requests in flight (worker threads)")
        .flag("max-retries", "10", "retries of a throttled (429/503) request before giving up on it")
        .flag("timeout", "30s", "response timeout per request")
        .flag("tenant", "", "X-Scope-OrgID header to send (none when empty)")
        .flag("seed", "42", "seed of the generated data: same seed, same bytes")
        .bool("allow-remote", "allow a target that is not a loopback address");
  }

  /**
   * Encodes the workload, finds or starts the node, sends, and returns the report (also printed to {@code out}).
   *
   * @param defaultUrl the target when --url is empty
   * @param nodeUrl the target on a node started here
   * @param transport opens the transport for the resolved target
   */
  public static LoadReport run(String kind, String unit, Flags flags, URI defaultUrl,
      Function<NodeProcess, URI> nodeUrl, Supplier<Workload> workload, Function<URI, Transport> transport,
      PrintStream out) throws Exception {
    return run(kind, unit, flags, defaultUrl, nodeUrl, workload, w -> null, transport, out);
  }

  /**
   * As above; {@code recycler} gives, for the encoded workload, how to send it again in later rounds until --duration
   * is up, or null to send it once.
   */
  public static LoadReport run(String kind, String unit, Flags flags, URI defaultUrl,
      Function<NodeProcess, URI> nodeUrl, Supplier<Workload> workload,
      Function<Workload, LoadDriver.Recycler> recycler, Function<URI, Transport> transport, PrintStream out)
      throws Exception {
    Duration duration = flags.duration("duration");
    Duration warmup = Flags.parseDuration(flags.string("warmup"));
    if (warmup == null || warmup.isNegative() || (!warmup.isZero() && warmup.compareTo(duration) >= 0)) {
      throw new IllegalArgumentException("flag --warmup: '" + flags.string("warmup") + "' (expected: 0s, or a"
          + " duration shorter than --duration " + flags.string("duration") + ")");
    }
    int concurrency = flags.intValue("concurrency", 1);
    int maxRetries = flags.intValue("max-retries", 0);
    boolean startNode = flags.bool("start-node");
    long nodePid = startNode ? -1 : flags.longValue("node-pid", -1);
    URI url = flags.string("url").isEmpty() ? defaultUrl : URI.create(flags.string("url"));
    if (!startNode) {
      Transport.checkLoopback(url, flags.bool("allow-remote"));
    }

    out.printf(Locale.ROOT, "%s: encoding the workload before the clock starts...%n", kind);
    Workload w = workload.get();
    out.printf(Locale.ROOT, "%s: %s%n  %,d requests, %,d %s, %,.1f MB encoded in %.1f s%n", kind, w.description(),
        w.requests().size(), w.totalSamples(), unit, w.totalBytes() / 1e6, w.encodeNanos() / 1e9);
    LoadDriver.Recycler again = recycler.apply(w);

    NodeProcess node = null;
    try {
      if (startNode) {
        List<String> jvm = Arrays.stream(flags.string("node-jvm-args").trim().split("\\s+"))
            .filter(s -> !s.isEmpty()).toList();
        out.printf(Locale.ROOT, "%s: starting %s ...%n", kind, flags.string("node-jar"));
        node = NodeProcess.start(Path.of(flags.string("node-jar")), jvm, Duration.ofSeconds(120),
            flags.bool("keep-data"));
        nodePid = node.pid();
        url = nodeUrl.apply(node);
        out.printf(Locale.ROOT, "%s: node pid %d ready (http=%d otlp-grpc=%d otlp-http=%d), data in %s, log %s%n",
            kind, nodePid, node.httpPort(), node.otlpGrpcPort(), node.otlpHttpPort(), node.dataDir(), node.log());
      }
      long self = ProcessHandle.current().pid();
      try (Transport t = transport.apply(url)) {
        out.printf(Locale.ROOT, "%s: sending to %s for up to %s with %d in flight%n", kind, url,
            duration.toString().substring(2).toLowerCase(Locale.ROOT), concurrency);
        for (int i = 0; i < concurrency; i++) {
          Outcome o = t.send(w.warmup());
          if (o.status() == -1) {
            throw new java.io.IOException("target " + url + " unreachable: " + o.message());
          }
          if (o.kind() != Outcome.Kind.ACCEPTED && i == 0) {
            out.printf(Locale.ROOT, "%s: warm-up request (no data) answered %s %d %s%n", kind, o.kind(), o.status(),
                o.message());
          }
        }
        final long pid = nodePid;
        double cpu0 = nodePid > 0 ? ProcStat.cpuSeconds(nodePid) : Double.NaN;
        double self0 = ProcStat.cpuSeconds(self);
        LoadDriver.Result r = LoadDriver.run(w, t, concurrency, duration, maxRetries,
            Progress.forStdout(nodePid, unit), warmup, again,
            () -> pid > 0 ? ProcStat.cpuSeconds(pid) : Double.NaN);
        double cpu1 = nodePid > 0 ? ProcStat.cpuSeconds(nodePid) : Double.NaN;
        double self1 = ProcStat.cpuSeconds(self);
        long endNanos = System.nanoTime();
        long peakRss = nodePid > 0 ? ProcStat.peakRssBytes(nodePid) : -1;
        long disk = -1;
        if (node != null) {
          int exit = node.stop();
          disk = node.dataDirBytes();
          out.printf(Locale.ROOT, "%s: node stopped (exit %d)%n", kind, exit);
        }
        RunStats s = r.stats();
        RunStats.Mark m = r.steady();
        LoadReport report;
        if (m == null) {
          if (!warmup.isZero()) {
            out.printf(Locale.ROOT, "%s: NOTE the run ended within the %s warm-up: the whole run is reported%n", kind,
                flags.string("warmup"));
          }
          report = new LoadReport(kind, url.toString(), w.description(), unit, r.elapsedNanos() / 1e9,
              r.exhausted(), s.attempts(), s.accepted(), s.throttled(), s.failed(), s.samplesSent(),
              s.samplesAccepted(), s.rejected(), s.bytesSent(), s.latencyMillis(0.5), s.latencyMillis(0.99),
              cpu1 - cpu0, peakRss, disk, s.samplesAccepted(), self1 - self0, s.firstError());
        } else {
          // The steady window only: from the mark to the last answer. Client CPU stays the whole run's.
          out.printf(Locale.ROOT, "%s: warm-up of %s left out: %,d %s accepted and %.1f node CPU s in it%n", kind,
              flags.string("warmup"), m.samplesAccepted(), unit, m.nodeCpuSeconds() - cpu0);
          String desc = w.description() + String.format(Locale.ROOT, "; steady window after a %s warm-up",
              flags.string("warmup"));
          report = new LoadReport(kind, url.toString(), desc, unit, (endNanos - m.nanoTime()) / 1e9,
              r.exhausted(), s.attempts() - m.attempts(), s.accepted() - m.accepted(),
              s.throttled() - m.throttled(), s.failed() - m.failed(), s.samplesSent() - m.samplesSent(),
              s.samplesAccepted() - m.samplesAccepted(), s.rejected() - m.rejected(), s.bytesSent() - m.bytesSent(),
              s.latencyMillisSince(m, 0.5), s.latencyMillisSince(m, 0.99), cpu1 - m.nodeCpuSeconds(), peakRss,
              disk, s.samplesAccepted(), self1 - self0, s.firstError());
        }
        out.print(report.format());
        return report;
      }
    } finally {
      if (node != null) {
        node.close();
      }
    }
  }

  /**
   * Parses {@code args} into {@code flags} for a main: on a bad flag prints it with the usage and exits 2; on --help
   * prints the usage and returns false (nothing to run).
   */
  public static boolean parseOrExit(Flags flags, String[] args) {
    try {
      flags.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.print(flags.usage());
      System.exit(2);
    }
    if (flags.helpRequested()) {
      System.out.print(flags.usage());
      return false;
    }
    return true;
  }

  /** Runs a generator's main: usage on --help or a bad flag (exit 2), exit 1 when nothing was accepted. */
  public static void main(Flags flags, String[] args, ThrowingFunction<Flags, LoadReport> body) {
    if (!parseOrExit(flags, args)) {
      return;
    }
    int code;
    try {
      LoadReport r = body.apply(flags);
      code = r.accepted() > 0 ? 0 : 1;
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      code = 2;
    } catch (Exception e) {
      e.printStackTrace();
      code = 1;
    }
    // Armeria's and the node stopper's non-daemon threads must not keep the JVM up after the summary.
    System.exit(code);
  }

  /** A function that may throw. */
  @FunctionalInterface
  public interface ThrowingFunction<T, R> {
    R apply(T t) throws Exception;
  }
}
