package io.loupe.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acknowledged means durable: a node killed with SIGKILL in the middle of heavy ingest, then restarted on the same data
 * directory, still has every sample it acknowledged, exactly once.
 */
class CrashRecoveryIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int SERIES_PER_WRITER = 50;
  private static final int WRITERS = 4;

  @TempDir
  Path dir;

  @Test
  void killNineDuringIngestLosesNothingAcknowledged() throws Exception {
    long base = System.currentTimeMillis() - 10 * 60_000; // 10 minutes ago: inside any query range below
    Map<String, ConcurrentSkipListSet<Long>> acked = new ConcurrentHashMap<>();
    List<String> refusals = java.util.Collections.synchronizedList(new ArrayList<>());
    try (ChildNode node = ChildNode.start(dir)) {
      int httpPort = node.awaitReady()[0];
      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
      List<Future<Integer>> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        int writer = w;
        writers.add(pool.submit(() -> {
          RemoteWriteClient rw = new RemoteWriteClient(httpPort);
          int batches = 0;
          for (long i = 0; !stop.get(); i++) {
            long ts = base + i * 100; // one sample per series per batch, 100 ms apart
            List<RemoteWriteClient.Series> batch = new ArrayList<>();
            for (int s = 0; s < SERIES_PER_WRITER; s++) {
              batch.add(new RemoteWriteClient.Series(
                  Map.of("__name__", "crash_test", "writer", "w" + writer, "series", "s" + s),
                  List.of(new long[] {ts, Double.doubleToLongBits(i)})));
            }
            try {
              java.net.http.HttpResponse<String> res = rw.send(batch, null);
              if (res.statusCode() == 204) {
                acked.computeIfAbsent("w" + writer, k -> new ConcurrentSkipListSet<>()).add(i);
                batches++;
              } else {
                refusals.add(res.statusCode() + " " + res.body());
              }
            } catch (java.io.IOException e) {
              break; // the node was killed mid-request: that batch was never acknowledged
            }
          }
          return batches;
        }));
      }
      Thread.sleep(3000);
      node.kill9();
      stop.set(true);
      int total = 0;
      for (Future<Integer> f : writers) {
        total += f.get(30, TimeUnit.SECONDS);
      }
      pool.shutdownNow();
      assertThat(total).as("batches acknowledged before the kill; refusals: %s", refusals.subList(0,
          Math.min(3, refusals.size()))).isGreaterThan(20);
    }

    try (ChildNode node = ChildNode.start(dir)) {
      int httpPort = node.awaitReady()[0];
      assertThat(String.join("\n", node.lines())).doesNotContain("ERROR");
      HttpClient http = HttpClient.newHttpClient();
      for (Map.Entry<String, ConcurrentSkipListSet<Long>> e : acked.entrySet()) {
        long maxIndex = e.getValue().last();
        long evalMs = base + maxIndex * 100;
        long windowSec = (maxIndex * 100) / 1000 + 5;
        // count_over_time over raw samples: every acknowledged index must be there, once per series.
        String q = "crash_test{writer=\"" + e.getKey() + "\"}[" + windowSec + "s]";
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
            + "/api/v1/query?query=" + URLEncoder.encode(q, StandardCharsets.UTF_8) + "&time=" + evalMs / 1000.0))
            .build(), HttpResponse.BodyHandlers.ofString());
        JsonNode result = JSON.readTree(res.body()).path("data").path("result");
        assertThat(result).as(res.body().substring(0, Math.min(500, res.body().length())))
            .hasSize(SERIES_PER_WRITER);
        for (JsonNode series : result) {
          java.util.Set<Long> seen = new java.util.HashSet<>();
          for (JsonNode v : series.path("values")) {
            long index = (long) Double.parseDouble(v.get(1).asText());
            assertThat(seen.add(index)).as("sample %d of %s duplicated", index, series.path("metric")).isTrue();
          }
          for (long index : e.getValue()) {
            assertThat(seen).as("acknowledged sample %d of %s", index, series.path("metric")).contains(index);
          }
        }
      }
      assertThat(node.terminate()).as("graceful exit code").isIn(0, 143);
      // A clean stop closes every store itself (Chronicle Map's own exit hook once closed the trace id maps under
      // the trace store's close: "Closing the trace store failed", and the shards after the first never sealed).
      assertThat(String.join("\n", node.lines())).contains("Loupe stopped").doesNotContain("ERROR");
    }
  }
}
