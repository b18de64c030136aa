package io.loupe.loadtests.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class SystemsTest {
  @Test
  void everySystemListensOnLoopbackOnlyWithItsOwnDataDir() {
    Path data = Path.of("/tmp/x/data");
    assertThat(Systems.loupeCommand(Path.of("/jdk/bin/java"), List.of("-Xmx2g"), Path.of("/a/loupe.jar"), data))
        .containsSequence("--data-dir", "/tmp/x/data").containsSequence("--listen-address", "127.0.0.1")
        .containsSequence("--http-port", "0").startsWith("/jdk/bin/java", "-Xmx2g", "-jar", "/a/loupe.jar");
    assertThat(Systems.prometheusCommand("prometheus", Path.of("/tmp/x/p.yml"), data, 12345)).containsExactly(
        "prometheus", "--config.file=/tmp/x/p.yml", "--storage.tsdb.path=/tmp/x/data",
        "--web.listen-address=127.0.0.1:12345", "--web.enable-remote-write-receiver", "--web.enable-admin-api");
    assertThat(Systems.victoriaMetricsCommand("victoria-metrics", data, 12345)).contains(
        "-storageDataPath=/tmp/x/data", "-httpListenAddr=127.0.0.1:12345", "-retentionPeriod=1y",
        "-search.disableCache");
  }

  @Test
  void prometheusGetsLoupesOutOfOrderWindowAndNoScrapeJobs() {
    assertThat(Systems.prometheusConfig()).contains("storage:\n  tsdb:\n    out_of_order_time_window: 30m\n")
        .doesNotContain("scrape_configs");
  }

  @Test
  void everySystemTakesRemoteWriteAtTheSamePath() throws Exception {
    Systems.Running r = new Systems.Running("x", null, URI.create("http://127.0.0.1:1234"), Path.of("d"));
    assertThat(r.writeUri()).hasToString("http://127.0.0.1:1234/api/v1/write");
  }

  @Test
  void unknownSystemsAndAMissingJarAreRejected() {
    Systems.Settings s = new Systems.Settings(Path.of("/nonexistent/loupe.jar"), List.of(), "prometheus",
        "victoria-metrics", java.time.Duration.ofSeconds(1), false);
    assertThatThrownBy(() -> Systems.start("Mimir", s)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("system: Mimir (expected: one of Loupe, Prometheus, VictoriaMetrics)");
    assertThatThrownBy(() -> Systems.start(Systems.LOUPE, s)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("/nonexistent/loupe.jar does not exist");
  }

  @Test
  void queriesStepBetweenScrapes() {
    // 20,000 series = 193 targets of 104: scraped at t * 15000 / 193 ms into each interval (0, 77, 155, ...).
    long q = QueryWindow.offsetBetweenScrapes(20_000, 4);
    assertThat(q).isEqualTo(38);
    for (int t = 0; t < 193; t++) {
      assertThat(t * 15_000L / 193).isNotEqualTo(q);
    }
    assertThat(QueryWindow.offsetBetweenScrapes(104, 4)).isEqualTo(7_500);
    assertThatThrownBy(() -> QueryWindow.offsetBetweenScrapes(1_000_000, 4))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void queryRangeUriEncodesTheExpressionAndTimes() {
    URI u = QueryRunner.uri(URI.create("http://127.0.0.1:9"), "sum by (mode) (rate(x{m=~\"/|a\"}[5m]))",
        1_700_000_000_038L, 1_700_001_800_038L, 15);
    assertThat(u.getPath()).isEqualTo("/api/v1/query_range");
    assertThat(u.getRawQuery()).isEqualTo("query=sum+by+%28mode%29+%28rate%28x%7Bm%3D%7E%22%2F%7Ca%22%7D%5B5m%5D%29"
        + "%29&start=1700000000.038&end=1700001800.038&step=15");
  }
}
