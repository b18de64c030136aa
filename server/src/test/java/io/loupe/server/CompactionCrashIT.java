package io.loupe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node killed with SIGKILL while the compactor writes a merged block, and again right after a merged block was
 * renamed into place (its sources still on disk), restarts with every sample once, no overlapping blocks, and
 * compacts to the end on the next try.
 */
class CompactionCrashIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int SERIES = 100;
  private static final long STEP_MS = 60_000;
  private static final int SAMPLES = 2 * 24 * 60; // two days at one per minute: 24 blocks of 2 h
  private static final long BASE = (System.currentTimeMillis() / 3_600_000 - 24 * 4) * 3_600_000; // 4 days ago

  @TempDir
  Path dir;

  @Test
  void killNineDuringCompactionLeavesEverySampleOnceAndNoOverlap() throws Exception {
    Path config = dir.resolve("loupe.yaml");
    Files.writeString(config, "tsdb:\n  retention: 0\n");
    Path data = dir.resolve("data");
    HttpClient http = HttpClient.newHttpClient();

    int blocksBefore;
    try (ChildNode node = ChildNode.start(data, "--config", config.toString())) {
      int port = node.awaitReady()[0];
      RemoteWriteClient rw = new RemoteWriteClient(port);
      for (int from = 0; from < SAMPLES; from += 60) {
        List<RemoteWriteClient.Series> batch = new ArrayList<>();
        for (int s = 0; s < SERIES; s++) {
          List<long[]> samples = new ArrayList<>();
          for (int i = from; i < Math.min(SAMPLES, from + 60); i++) {
            samples.add(new long[] {BASE + i * STEP_MS, Double.doubleToLongBits(i)});
          }
          batch.add(new RemoteWriteClient.Series(Map.of("__name__", "compaction_crash", "series", "s" + s), samples));
        }
        HttpResponse<String> res = rw.send(batch, null);
        assertThat(res.statusCode()).as(res.body()).isEqualTo(204);
      }
      assertThat(post(http, port, "/api/v1/admin/tsdb/flush").statusCode()).isEqualTo(200);
      blocksBefore = blockDirs(data).size();
      assertThat(blocksBefore).as("2 h blocks cut from two days of data").isGreaterThanOrEqualTo(20);

      // 1. Killed while the first merged block is being written (its .tmp directory exists).
      CompletableFuture<HttpResponse<String>> compacting = CompletableFuture.supplyAsync(() -> {
        try {
          return post(http, port, "/api/v1/admin/tsdb/compact");
        } catch (Exception e) {
          return null; // the node died under the request: expected
        }
      });
      awaitDir(data, d -> d.getFileName().toString().endsWith(".tmp"), compacting);
      node.kill9();
    }

    // 2. Killed as soon as a merged block is in place, before (or while) its sources are deleted.
    try (ChildNode node = ChildNode.start(data, "--config", config.toString())) {
      int port = node.awaitReady()[0];
      assertEverySampleOnce(node, port, data, http, "after a kill during a merged block's write");
      CompletableFuture<HttpResponse<String>> compacting = CompletableFuture.supplyAsync(() -> {
        try {
          return post(http, port, "/api/v1/admin/tsdb/compact");
        } catch (Exception e) {
          return null;
        }
      });
      awaitDir(data, d -> !d.getFileName().toString().endsWith(".tmp") && range(d)[1] - range(d)[0] > 2 * 3_600_000,
          compacting);
      node.kill9();
    }

    // 3. Left alone, the compactor finishes: fewer, larger blocks, same data, also after a restart.
    try (ChildNode node = ChildNode.start(data, "--config", config.toString())) {
      int port = node.awaitReady()[0];
      assertEverySampleOnce(node, port, data, http, "after a kill once a merged block was renamed into place");
      HttpResponse<String> res = post(http, port, "/api/v1/admin/tsdb/compact");
      assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
      assertThat(blockDirs(data).size()).isLessThan(blocksBefore / 2);
      assertThat(node.terminate()).as("graceful exit code").isIn(0, 143);
    }
    try (ChildNode node = ChildNode.start(data, "--config", config.toString())) {
      assertEverySampleOnce(node, node.awaitReady()[0], data, http, "after the compaction finished");
      assertThat(node.terminate()).as("graceful exit code").isIn(0, 143);
    }
  }

  /** The restarted node logged no error, its blocks do not overlap, and every series has every sample once. */
  private static void assertEverySampleOnce(ChildNode node, int port, Path data, HttpClient http, String when)
      throws Exception {
    assertThat(String.join("\n", node.lines())).as(when).doesNotContain("ERROR");
    assertThat(blockDirs(data)).as(when).noneMatch(d -> d.getFileName().toString().endsWith(".corrupt"));
    List<long[]> ranges = blockDirs(data).stream().map(CompactionCrashIT::range)
        .sorted((a, b) -> Long.compare(a[0], b[0])).toList();
    for (int i = 1; i < ranges.size(); i++) {
      assertThat(ranges.get(i)[0]).as("%s: block %d-%d overlaps the one before, %d-%d", when, ranges.get(i)[0],
          ranges.get(i)[1], ranges.get(i - 1)[0], ranges.get(i - 1)[1]).isGreaterThanOrEqualTo(ranges.get(i - 1)[1]);
    }
    long evalMs = BASE + (SAMPLES - 1) * STEP_MS;
    String q = "count_over_time(compaction_crash[3d]) * 1e9 + sum_over_time(compaction_crash[3d])";
    HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/api/v1/query?query=" + URLEncoder.encode(q, StandardCharsets.UTF_8) + "&time=" + evalMs / 1000.0))
        .build(), HttpResponse.BodyHandlers.ofString());
    JsonNode result = JSON.readTree(res.body()).path("data").path("result");
    assertThat(result).as("%s: %s", when, res.body().substring(0, Math.min(300, res.body().length())))
        .hasSize(SERIES);
    // SAMPLES samples valued 0..SAMPLES-1, each once: count * 1e9 + sum is exact in a double.
    double expected = SAMPLES * 1e9 + (double) SAMPLES * (SAMPLES - 1) / 2;
    for (JsonNode series : result) {
      assertThat(Double.parseDouble(series.path("value").get(1).asText())).as("%s: %s", when, series)
          .isEqualTo(expected);
    }
  }

  private static HttpResponse<String> post(HttpClient http, int port, String path)
      throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Complete block directories of every tenant (not .tmp ones). */
  private static List<Path> blockDirs(Path data) throws IOException {
    Path blocks = data.resolve("tsdb").resolve("blocks");
    if (!Files.isDirectory(blocks)) {
      return List.of();
    }
    try (Stream<Path> s = Files.find(blocks, 2, (p, a) -> a.isDirectory() && p.getParent() != null
        && !p.getParent().equals(blocks) && !p.equals(blocks))) {
      return s.filter(p -> !p.getFileName().toString().endsWith(".tmp")).toList();
    }
  }

  /** Polls every millisecond until a block directory matching {@code wanted} appears; fails if compaction ends. */
  private static void awaitDir(Path data, java.util.function.Predicate<Path> wanted,
      CompletableFuture<HttpResponse<String>> compacting) throws Exception {
    Path blocks = data.resolve("tsdb").resolve("blocks");
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline) {
      try (Stream<Path> s = Files.find(blocks, 2, (p, a) -> a.isDirectory() && !p.getParent().equals(blocks)
          && !p.equals(blocks))) {
        if (s.anyMatch(wanted)) {
          return;
        }
      } catch (IOException | java.io.UncheckedIOException e) {
        // a directory vanished while we listed it (a source being deleted): look again
      }
      assertThat(compacting.isDone()).as("compaction ended (%s) before the awaited directory appeared",
          compacting.isDone() ? compacting.get() : null).isFalse();
      Thread.sleep(1);
    }
    throw new AssertionError("no block directory as awaited within 60 s");
  }

  /** {minT, maxT} from a block directory's name, {@code <minT>-<maxT>-<hex>[.tmp]}. */
  private static long[] range(Path d) {
    String[] parts = d.getFileName().toString().split("-");
    return new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])};
  }
}
