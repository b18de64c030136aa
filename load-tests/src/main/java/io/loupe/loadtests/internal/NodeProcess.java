package io.loupe.loadtests.internal;

import static java.util.Objects.requireNonNull;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Loupe node started from its runnable jar as a child process on a fresh data directory, listening on 127.0.0.1 with
 * ephemeral ports read from its "Loupe ready" log line. {@link #close} stops it by its own pid (SIGTERM, then SIGKILL
 * after a grace period) and is also registered as a shutdown hook, so Ctrl-C or a failed run never leaves it behind.
 */
public final class NodeProcess implements AutoCloseable {
  private static final Pattern READY = Pattern.compile("Loupe ready: http=(\\d+) otlp-grpc=(\\d+) otlp-http=(\\d+)");

  private final Process process;
  private final Path dataDir;
  private final Path log;
  private final boolean deleteDataDir;
  private final Thread hook;
  private int httpPort;
  private int otlpGrpcPort;
  private int otlpHttpPort;

  private NodeProcess(Process process, Path dataDir, Path log, boolean deleteDataDir) {
    this.process = process;
    this.dataDir = dataDir;
    this.log = log;
    this.deleteDataDir = deleteDataDir;
    this.hook = new Thread(this::stop, "loupe-node-stopper");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * Starts {@code java [jvmArgs] -jar jar --data-dir <temp> ...} and waits up to {@code readyTimeout} for its ready
   * line. The node's output goes to {@code node.log} beside the data directory.
   */
  public static NodeProcess start(Path jar, List<String> jvmArgs, Duration readyTimeout, boolean keepData)
      throws IOException, InterruptedException {
    requireNonNull(jar, "jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("node jar: " + jar.toAbsolutePath()
          + " does not exist (expected: the runnable jar built by ./mvnw -pl server package)");
    }
    Path work = Files.createTempDirectory("loupe-load-");
    Path dataDir = work.resolve("data");
    Path log = work.resolve("node.log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.addAll(List.of("-jar", jar.toAbsolutePath().toString(), "--data-dir", dataDir.toString(),
        "--listen-address", "127.0.0.1", "--http-port", "0", "--otlp-grpc-port", "0", "--otlp-http-port", "0"));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    NodeProcess node = new NodeProcess(p, dataDir, log, !keepData);
    CompletableFuture<int[]> ports = new CompletableFuture<>();
    Thread pump = new Thread(() -> node.pump(ports), "loupe-node-log");
    pump.setDaemon(true);
    pump.start();
    try {
      int[] v = ports.get(readyTimeout.toMillis(), TimeUnit.MILLISECONDS);
      node.httpPort = v[0];
      node.otlpGrpcPort = v[1];
      node.otlpHttpPort = v[2];
      return node;
    } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
      node.close(false); // its node.log says why: kept
      throw new IOException("node pid " + p.pid() + " did not log 'Loupe ready' within " + readyTimeout
          + " (alive: " + p.isAlive() + "); see " + log, e);
    }
  }

  private void pump(CompletableFuture<int[]> ports) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        BufferedWriter w = Files.newBufferedWriter(log)) {
      String line;
      while ((line = r.readLine()) != null) {
        w.write(line);
        w.newLine();
        w.flush();
        Matcher m = READY.matcher(line);
        if (!ports.isDone() && m.find()) {
          ports.complete(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
              Integer.parseInt(m.group(3))});
        }
      }
      ports.completeExceptionally(new IOException("node exited with output closed before it was ready"));
    } catch (IOException e) {
      ports.completeExceptionally(e);
    }
  }

  public long pid() {
    return process.pid();
  }

  public int httpPort() {
    return httpPort;
  }

  public int otlpGrpcPort() {
    return otlpGrpcPort;
  }

  public int otlpHttpPort() {
    return otlpHttpPort;
  }

  public Path dataDir() {
    return dataDir;
  }

  public Path log() {
    return log;
  }

  /** Bytes under the data directory right now. */
  public long dataDirBytes() {
    try (Stream<Path> s = Files.walk(dataDir)) {
      return s.filter(Files::isRegularFile).mapToLong(f -> {
        try {
          return Files.size(f);
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    } catch (IOException | UncheckedIOException e) {
      return -1;
    }
  }

  /** Asks the node to shut down gracefully and waits for it; returns its exit code (-1 if it had to be killed). */
  public synchronized int stop() {
    if (!process.isAlive()) {
      return process.exitValue();
    }
    // SIGTERM to this pid only: the node flushes and closes its stores. Through the handle: Process.destroy() also
    // closes our end of the child's output pipe, and a child still logging then dies of SIGPIPE before it has flushed.
    process.toHandle().destroy();
    try {
      if (process.waitFor(30, TimeUnit.SECONDS)) {
        return process.exitValue();
      }
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    return -1;
  }

  @Override
  public void close() {
    close(true);
  }

  private void close(boolean withLog) {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // already shutting down: the hook runs (or ran) stop() itself
    }
    if (deleteDataDir) {
      // the whole temp directory, node.log included, unless the node failed: runs left one per run behind
      try (Stream<Path> s = Files.walk(withLog ? dataDir.getParent() : dataDir)) {
        s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException e) {
        // best effort: a temp directory
      }
    }
  }
}
