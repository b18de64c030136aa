package io.loupe.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Loupe node in a child JVM started from the packaged jar ({@code java -jar server/target/loupe.jar}), so a test
 * can {@code kill -9} it. Ports are ephemeral and read from the node's "Loupe ready" log line. Always stopped by pid.
 */
final class ChildNode implements AutoCloseable {
  private static final Pattern READY = Pattern.compile("Loupe ready: http=(\\d+) otlp-grpc=(\\d+) otlp-http=(\\d+)");

  private final Process process;
  private final Path tmpDir; // the child's java.io.tmpdir, deleted when it is closed
  private final List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());
  private final CompletableFuture<int[]> ports = new CompletableFuture<>();
  private final Thread reader;

  private ChildNode(Process process, Path tmpDir) {
    this.process = process;
    this.tmpDir = tmpDir;
    reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          output.add(line);
          Matcher m = READY.matcher(line);
          if (m.find()) {
            ports.complete(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3))});
          }
        }
      } catch (IOException ignored) {
        // the process died; the test sees it through ports() or exit
      }
      ports.completeExceptionally(new IllegalStateException("node exited before ready:\n" + tail()));
    }, "child-node-output");
    reader.setDaemon(true);
    reader.start();
  }

  static Path jar() {
    Path jar = Path.of("target", "loupe.jar").toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: integration tests run after 'package' (./mvnw verify)");
    }
    return jar;
  }

  static ChildNode start(Path dataDir, String... extraArgs) throws IOException {
    // A temp dir of its own: what the child extracts there (snappy-java's native library) outlives a kill -9, which
    // skips deleteOnExit; two such files were left in /tmp per CI run.
    Path tmpDir = Files.createTempDirectory("loupe-child-tmp");
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-XX:+UseParallelGC",
        "-Djava.io.tmpdir=" + tmpDir, "-jar", jar().toString(), "--data-dir", dataDir.toString(), "--listen-address", "127.0.0.1",
        "--http-port", "0", "--otlp-grpc-port", "0", "--otlp-http-port", "0"));
    cmd.addAll(List.of(extraArgs));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    try {
      return new ChildNode(pb.start(), tmpDir);
    } catch (IOException | RuntimeException e) {
      deleteTree(tmpDir);
      throw e;
    }
  }

  /** {http, otlpGrpc, otlpHttp} once the node is ready. */
  int[] awaitReady() throws Exception {
    return ports.get(120, TimeUnit.SECONDS);
  }

  long pid() {
    return process.pid();
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed. */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM: the graceful path. Returns the exit code once the node's last output line is in {@link #lines}. */
  int terminate() throws InterruptedException {
    // Through the handle: Process.destroy() also closes the pipes, and the node's shutdown log would be lost.
    process.toHandle().destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
    reader.join(10_000);
    return process.exitValue();
  }

  String tail() {
    synchronized (output) {
      return String.join("\n", output.subList(Math.max(0, output.size() - 40), output.size()));
    }
  }

  List<String> lines() {
    synchronized (output) {
      return new ArrayList<>(output);
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
    deleteTree(tmpDir);
  }

  private static void deleteTree(Path dir) {
    try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      System.err.println("could not delete the child's temp dir " + dir + ": " + e);
    }
  }
}
