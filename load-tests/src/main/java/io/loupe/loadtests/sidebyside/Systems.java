package io.loupe.loadtests.sidebyside;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How each system under test is started on loopback with a fresh data directory, and how its data is flushed before
 * it is stopped. Every command binds 127.0.0.1 only.
 */
public final class Systems {
  public static final String LOUPE = "Loupe";
  public static final String PROMETHEUS = "Prometheus";
  public static final String VICTORIA_METRICS = "VictoriaMetrics";

  /** Exit code of a JVM ended by SIGTERM after its shutdown hooks ran: Loupe's graceful stop. */
  public static final int JVM_SIGTERM_EXIT = 143;

  static final Pattern LOUPE_READY = Pattern.compile("Loupe ready: http=(\\d+)");

  private Systems() {}

  /** Where the binaries are and how to run them. */
  public record Settings(Path loupeJar, List<String> loupeJvmArgs, String prometheus, String victoriaMetrics,
      Duration startTimeout, boolean keepData) {
    public Settings {
      requireNonNull(loupeJar, "loupeJar");
      loupeJvmArgs = List.copyOf(requireNonNull(loupeJvmArgs, "loupeJvmArgs"));
      requireNonNull(prometheus, "prometheus");
      requireNonNull(victoriaMetrics, "victoriaMetrics");
      requireNonNull(startTimeout, "startTimeout");
    }
  }

  /** A running system: its process, its HTTP base (http://127.0.0.1:port) and its data directory. */
  public record Running(String system, ChildProcess process, URI base, Path dataDir) {
    public URI writeUri() {
      return base.resolve("/api/v1/write");
    }
  }

  static List<String> loupeCommand(Path java, List<String> jvmArgs, Path jar, Path dataDir) {
    List<String> cmd = new ArrayList<>();
    cmd.add(java.toString());
    cmd.addAll(jvmArgs);
    cmd.addAll(List.of("-jar", jar.toAbsolutePath().toString(), "--data-dir", dataDir.toString(),
        "--listen-address", "127.0.0.1", "--http-port", "0", "--otlp-grpc-port", "0", "--otlp-http-port", "0"));
    return cmd;
  }

  /**
   * No scrape jobs (data comes by remote write only) and the same 30 m out-of-order window as Loupe's default, which
   * Prometheus 2.42 reads from the config file only.
   */
  static String prometheusConfig() {
    return """
        # written by io.loupe.loadtests.SideBySide: remote write only, no scraping
        global:
          scrape_interval: 15s
        storage:
          tsdb:
            out_of_order_time_window: 30m
        """;
  }

  static List<String> prometheusCommand(String binary, Path config, Path dataDir, int port) {
    return List.of(binary, "--config.file=" + config, "--storage.tsdb.path=" + dataDir,
        "--web.listen-address=127.0.0.1:" + port, "--web.enable-remote-write-receiver", "--web.enable-admin-api");
  }

  /**
   * One year of retention so the data is never too old; the rollup result cache off, because repeating the same
   * range query would otherwise measure VictoriaMetrics's cache and not its storage and engine (Prometheus and Loupe
   * cache no query results).
   */
  static List<String> victoriaMetricsCommand(String binary, Path dataDir, int port) {
    return List.of(binary, "-storageDataPath=" + dataDir, "-httpListenAddr=127.0.0.1:" + port, "-retentionPeriod=1y",
        "-search.disableCache");
  }

  /** Starts {@code system} on a fresh temp directory and waits until it is ready to take writes and queries. */
  public static Running start(String system, Settings s) throws IOException, InterruptedException {
    requireNonNull(system, "system");
    requireNonNull(s, "s");
    check(system, s); // before a temp dir is made for nothing
    Path work = Files.createTempDirectory("loupe-sbs-" + system.toLowerCase(java.util.Locale.ROOT) + "-");
    return startIn(system, s, work, s.keepData(), "output.log");
  }

  /** Throws if {@code system} is unknown or, for Loupe, its jar is missing. */
  public static void check(String system, Settings s) {
    if (!List.of(LOUPE, PROMETHEUS, VICTORIA_METRICS).contains(system)) {
      throw new IllegalArgumentException("system: " + system + " (expected: one of " + LOUPE + ", " + PROMETHEUS
          + ", " + VICTORIA_METRICS + ")");
    }
    if (system.equals(LOUPE) && !Files.isRegularFile(s.loupeJar())) {
      throw new IllegalArgumentException("loupe jar: " + s.loupeJar().toAbsolutePath()
          + " does not exist (expected: the runnable jar built by ./mvnw -pl server -am package)");
    }
  }

  /**
   * Starts {@code system} on {@code work}/data, fresh or as a previous run left it (a restart), logging to {@code
   * work}/{@code logName}; {@code work} is deleted when the process is closed unless {@code keep}.
   */
  public static Running startIn(String system, Settings s, Path work, boolean keep, String logName)
      throws IOException, InterruptedException {
    requireNonNull(system, "system");
    requireNonNull(s, "s");
    requireNonNull(work, "work");
    Path data = work.resolve("data");
    Path log = work.resolve(logName);
    Duration grace = Duration.ofSeconds(60);
    ChildProcess p = null;
    try {
      switch (system) {
        case LOUPE -> {
          check(system, s);
          Path java = Path.of(System.getProperty("java.home"), "bin", "java");
          p = ChildProcess.start(system, loupeCommand(java, s.loupeJvmArgs(), s.loupeJar(), data), work, log, grace,
              keep);
          Matcher m = p.awaitLine(LOUPE_READY, s.startTimeout());
          return new Running(system, p, URI.create("http://127.0.0.1:" + m.group(1)), data);
        }
        case PROMETHEUS -> {
          Path config = work.resolve("prometheus.yml");
          Files.writeString(config, prometheusConfig());
          int port = ChildProcess.freeLoopbackPort();
          p = ChildProcess.start(system, prometheusCommand(s.prometheus(), config, data, port), work, log, grace,
              keep);
          URI base = URI.create("http://127.0.0.1:" + port);
          p.awaitHttpOk(base.resolve("/-/ready"), s.startTimeout());
          return new Running(system, p, base, data);
        }
        case VICTORIA_METRICS -> {
          int port = ChildProcess.freeLoopbackPort();
          p = ChildProcess.start(system, victoriaMetricsCommand(s.victoriaMetrics(), data, port), work, log, grace,
              keep);
          URI base = URI.create("http://127.0.0.1:" + port);
          p.awaitHttpOk(base.resolve("/health"), s.startTimeout());
          return new Running(system, p, base, data);
        }
        default -> throw new IllegalArgumentException("system: " + system + " (expected: one of " + LOUPE + ", "
            + PROMETHEUS + ", " + VICTORIA_METRICS + ")");
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      if (p != null) {
        p.close();
      }
      throw e;
    }
  }

  /**
   * What is done before the graceful stop so the data dir holds the data: Loupe is asked to flush its head to a
   * block and compact; Prometheus and VictoriaMetrics write their in-memory data on SIGTERM by themselves.
   */
  public static List<String> flushBeforeStop(Running r, HttpClient http) throws IOException, InterruptedException {
    List<String> done = new ArrayList<>();
    if (r.system().equals(LOUPE)) {
      for (String path : List.of("/api/v1/admin/tsdb/flush", "/api/v1/admin/tsdb/compact")) {
        HttpResponse<String> resp = http.send(HttpRequest.newBuilder(r.base().resolve(path))
            .timeout(Duration.ofMinutes(5)).POST(HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() / 100 != 2) {
          throw new IOException("POST " + path + " answered " + resp.statusCode() + ": " + resp.body());
        }
        done.add("POST " + path);
      }
    }
    return done;
  }

  /**
   * Bytes of the data in its compacted, long-term form, measured while the system runs (after {@link
   * #flushBeforeStop}): for Loupe and Prometheus, a snapshot that includes the head (written as blocks, deleted again
   * after measuring); for VictoriaMetrics, its data and index
   * directories after a forced flush and merge (the merge runs in the background, so the size is read once it stops
   * changing). What was done is added to {@code steps}.
   */
  public static long compactedBytes(Running r, HttpClient http, List<String> steps)
      throws IOException, InterruptedException {
    switch (r.system()) {
      case LOUPE, PROMETHEUS -> { // the same API: POST .../snapshot answers {"data":{"name":...}}
        String path = "/api/v1/admin/tsdb/snapshot?skip_head=false";
        HttpResponse<String> resp = http.send(HttpRequest.newBuilder(r.base().resolve(path))
            .timeout(Duration.ofMinutes(5)).POST(HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString());
        Matcher m = SNAPSHOT_NAME.matcher(resp.body());
        if (resp.statusCode() / 100 != 2 || !m.find()) {
          throw new IOException("POST " + path + " answered " + resp.statusCode() + ": " + resp.body());
        }
        Path snapshots = r.system().equals(LOUPE) ? r.dataDir().resolve("tsdb").resolve("snapshots")
            : r.dataDir().resolve("snapshots");
        Path snapshot = snapshots.resolve(m.group(1));
        long bytes = ChildProcess.sizeOf(snapshot);
        ChildProcess.deleteTree(snapshot);
        steps.add("POST " + path);
        return bytes;
      }
      default -> {
        for (String path : List.of("/internal/force_flush", "/internal/force_merge")) {
          HttpResponse<String> resp = http.send(HttpRequest.newBuilder(r.base().resolve(path))
              .timeout(Duration.ofMinutes(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
          if (resp.statusCode() / 100 == 2) {
            steps.add("GET " + path);
          }
        }
        long last = -1;
        long size = vmDataBytes(r.dataDir());
        for (int stable = 0, i = 0; stable < 3 && i < 120; i++) { // 3 s without change, 2 min at most
          Thread.sleep(1_000);
          last = size;
          size = vmDataBytes(r.dataDir());
          stable = size == last ? stable + 1 : 0;
        }
        return size;
      }
    }
  }

  private static final Pattern SNAPSHOT_NAME =
      Pattern.compile("\"name\"\\s*:\\s*\"([^\"]+)\"");

  private static long vmDataBytes(Path dataDir) throws IOException {
    long bytes = 0;
    for (String d : List.of("data", "indexdb")) {
      if (Files.isDirectory(dataDir.resolve(d))) {
        bytes += ChildProcess.sizeOf(dataDir.resolve(d));
      }
    }
    return bytes;
  }

  /** The version of the Debian package {@code pkg}, or "?" (VictoriaMetrics 1.79's -version prints nothing). */
  public static String packageVersion(String pkg) {
    String v = version(List.of("dpkg-query", "-W", "-f=${Version}", pkg));
    return v.contains("no packages found") || v.isEmpty() ? "?" : pkg + " " + v + " (Debian package)";
  }

  /** The first line of {@code binary --version} (or {@code -version}), for the report; "?" when it fails. */
  public static String version(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      p.waitFor();
      return out.lines().filter(l -> !l.isBlank()).findFirst().orElse("?").trim();
    } catch (IOException e) {
      return "?";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "?";
    }
  }
}
