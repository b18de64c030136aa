package io.loupe.loadtests.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class QueryRunnerTest {
  private HttpServer server;
  private final ConcurrentHashMap<String, AtomicInteger> byQuery = new ConcurrentHashMap<>();

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/api/v1/query_range", ex -> {
      byQuery.computeIfAbsent(ex.getRequestURI().getRawQuery().replaceAll("&.*", ""), k -> new AtomicInteger())
          .incrementAndGet();
      byte[] body = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}"
          .getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private URI base() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @Test
  void warmSendsWholeRoundsOfTheMixUntilItsTimeIsUp() throws Exception {
    List<DashboardQuery> mix = List.of(new DashboardQuery("a", "up"), new DashboardQuery("b", "vector(1)"),
        new DashboardQuery("c", "sum(up)"));
    QueryRunner r = new QueryRunner(HttpClient.newHttpClient(), Duration.ofMillis(300), 0, 1, Duration.ofSeconds(5));
    long t0 = System.nanoTime();
    long sent = r.warm(base(), mix, 1_000, 61_000, 15);
    assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos());
    assertThat(sent).isGreaterThanOrEqualTo(3).isEqualTo(byQuery.values().stream().mapToInt(AtomicInteger::get).sum());
    assertThat(sent % 3).isZero(); // whole rounds: every query as often as the others
    assertThat(byQuery).hasSize(3);
    assertThat(byQuery.values()).extracting(AtomicInteger::get).containsOnly((int) (sent / 3));
  }

  @Test
  void noWarmUpTimeSendsNothing() throws Exception {
    QueryRunner r = new QueryRunner(HttpClient.newHttpClient(), 0, 1, Duration.ofSeconds(5));
    assertThat(r.warm(base(), List.of(new DashboardQuery("a", "up")), 1_000, 61_000, 15)).isZero();
    assertThat(byQuery).isEmpty();
    assertThatThrownBy(() -> new QueryRunner(HttpClient.newHttpClient(), Duration.ofSeconds(-1), 0, 1,
        Duration.ofSeconds(5))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("warmupTime");
  }
}
