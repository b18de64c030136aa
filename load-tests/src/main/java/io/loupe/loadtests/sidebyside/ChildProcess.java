package io.loupe.loadtests.sidebyside;

import static java.util.Objects.requireNonNull;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A system under test started as a child process, its output copied to a log file. {@link #close} stops it by its own
 * pid (SIGTERM, SIGKILL after a grace period) and deletes its work directory; a shutdown hook does the same on Ctrl-C
 * or when the benchmark fails, so no process or temp directory is left behind.
 */
public final class ChildProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path workDir;
  private final Path log;
  private final Duration grace;
  private final boolean keep;
  private final Thread hook;
  private final CompletableFuture<Void> outputClosed = new CompletableFuture<>();
  private final Object linesLock = new Object();
  private final StringBuilder lines = new StringBuilder();
  private volatile boolean deleted;

  private ChildProcess(String name, Process process, Path workDir, Path log, Duration grace, boolean keep) {
    this.name = name;
    this.keep = keep;
    this.process = process;
    this.workDir = workDir;
    this.log = log;
    this.grace = grace;
    this.hook = new Thread(this::closeQuietly, "stop-" + name);
  }

  /**
   * Starts {@code command} with its output (stdout and stderr) written to {@code log}. {@code workDir} is deleted by
   * {@link #close} (pass the temp directory that holds the data directory and the log) unless {@code keep}.
   */
  public static ChildProcess start(String name, List<String> command, Path workDir, Path log, Duration grace,
      boolean keep) throws IOException {
    requireNonNull(name, "name");
    requireNonNull(command, "command");
    requireNonNull(workDir, "workDir");
    requireNonNull(log, "log");
    requireNonNull(grace, "grace");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    ChildProcess c = new ChildProcess(name, p, workDir, log, grace, keep);
    Runtime.getRuntime().addShutdownHook(c.hook);
    Thread pump = new Thread(c::pump, name + "-log");
    pump.setDaemon(true);
    pump.start();
    return c;
  }

  private void pump() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        BufferedWriter w = Files.newBufferedWriter(log)) {
      String line;
      while ((line = r.readLine()) != null) {
        w.write(line);
        w.newLine();
        w.flush();
        synchronized (linesLock) {
          // Only the start is kept in memory, for awaitLine: ready lines come early.
          if (lines.length() < 1 << 20) {
            lines.append(line).append('\n');
          }
          linesLock.notifyAll();
        }
      }
    } catch (IOException e) {
      // the log is best effort: the process may be killed while we copy
    } finally {
      outputClosed.complete(null);
      synchronized (linesLock) {
        linesLock.notifyAll();
      }
    }
  }

  /** A free TCP port on 127.0.0.1 right now (for systems that cannot bind port 0 and report it). */
  public static int freeLoopbackPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Waits until a line of output matches {@code pattern} and returns the match; fails if the process exits first. */
  public Matcher awaitLine(Pattern pattern, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (linesLock) {
      while (true) {
        Matcher m = pattern.matcher(lines);
        if (m.find()) {
          return m;
        }
        if (outputClosed.isDone()) {
          throw new IOException(name + " (pid " + pid() + ") exited before logging /" + pattern + "/; see " + log);
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IOException(name + " (pid " + pid() + ") did not log /" + pattern + "/ within " + timeout
              + "; see " + log);
        }
        linesLock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
    }
  }

  /** Polls {@code uri} until it answers 200; fails if the process exits or {@code timeout} passes. */
  public void awaitHttpOk(URI uri, Duration timeout) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException(name + " (pid " + pid() + ") exited with " + process.exitValue() + " before " + uri
            + " answered 200; see " + log);
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
        last = "status " + r.statusCode();
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(100);
    }
    throw new IOException(name + " (pid " + pid() + "): " + uri + " did not answer 200 within " + timeout + " (last: "
        + last + "); see " + log);
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Path log() {
    return log;
  }

  /**
   * Stops the process gracefully: SIGTERM to its pid only, SIGKILL if it is still running after the grace period.
   * Returns its exit code, or -1 if it had to be killed.
   */
  public synchronized int stop() {
    if (!process.isAlive()) {
      awaitOutput();
      return process.exitValue();
    }
    // SIGTERM through the ProcessHandle, not Process.destroy(): the latter also closes our end of the child's output
    // pipe at once, so a child that logs while shutting down (Prometheus, VictoriaMetrics) dies of SIGPIPE (exit 141)
    // before it has written its data.
    process.toHandle().destroy();
    try {
      if (process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        awaitOutput();
        return process.exitValue();
      }
      process.toHandle().destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      process.toHandle().destroyForcibly();
      Thread.currentThread().interrupt();
    }
    return -1;
  }

  private void awaitOutput() {
    try {
      outputClosed.get(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // a grandchild may hold the pipe open: the log is best effort
    }
  }

  /** Bytes of regular files under {@code dir}, or -1 if it cannot be walked. */
  public static long sizeOf(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(f -> {
        try {
          return Files.size(f);
        } catch (IOException e) {
          return 0; // deleted while we walked
        }
      }).sum();
    } catch (IOException | UncheckedIOException e) {
      return -1;
    }
  }

  /** Stops the process and deletes its work directory. */
  @Override
  public void close() {
    closeQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // shutting down: the hook runs closeQuietly itself
    }
  }

  private void closeQuietly() {
    stop();
    if (!deleted && !keep) {
      deleted = true;
      deleteTree(workDir);
    }
  }

  /** Deletes {@code dir} and everything under it, best effort (a temp directory). */
  public static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // already gone, or a file vanished while we walked
    }
  }
}
