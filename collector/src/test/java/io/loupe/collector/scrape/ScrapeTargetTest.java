package io.loupe.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.Labels;
import io.loupe.model.Tenant;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ScrapeTargetTest {
  static ScrapeTarget t(String url, long intervalMs) {
    return new ScrapeTarget("node", URI.create(url), Duration.ofMillis(intervalMs), Duration.ofMillis(intervalMs),
        Labels.EMPTY, Tenant.ANONYMOUS);
  }

  @Test
  void offsetsAreStableSpreadAndWithinTheInterval() {
    ScrapeTarget a = t("http://10.0.0.1:9100/metrics", 15_000);
    assertThat(a.offsetMillis()).isEqualTo(t("http://10.0.0.1:9100/metrics", 15_000).offsetMillis());
    // a frozen value: a change of hash would move every target's phase after an upgrade
    assertThat(a.offsetMillis()).isEqualTo(FROZEN_OFFSET);
    long distinct = java.util.stream.IntStream.range(0, 50)
        .mapToLong(i -> t("http://10.0.0." + i + ":9100/metrics", 15_000).offsetMillis()).distinct().count();
    assertThat(distinct).isGreaterThan(45);
    for (int i = 0; i < 50; i++) {
      assertThat(t("http://h" + i + ":1/metrics", 1000).offsetMillis()).isBetween(0L, 999L);
    }
  }

  static final long FROZEN_OFFSET = 8956;

  @Test
  void nextScrapeFallsOnTheOffset() {
    ScrapeTarget a = t("http://10.0.0.1:9100/metrics", 15_000);
    long off = a.offsetMillis();
    for (long now : new long[] {0, 1, off, off + 1, 1_700_000_000_123L}) {
      long next = a.nextScrapeMillis(now);
      assertThat(next).isGreaterThan(now).isLessThanOrEqualTo(now + 15_000);
      assertThat(Math.floorMod(next, 15_000L)).isEqualTo(off);
    }
  }

  @Test
  void instanceAndTargetLabels() {
    ScrapeTarget a = new ScrapeTarget("kafka", URI.create("https://broker-1/metrics"), Duration.ofSeconds(15),
        Duration.ofSeconds(10), Labels.of("cluster", "c1"), Tenant.ANONYMOUS);
    assertThat(a.instance()).isEqualTo("broker-1:443");
    assertThat((Object) a.targetLabels())
        .isEqualTo(Labels.of("job", "kafka", "instance", "broker-1:443", "cluster", "c1"));
    assertThat(t("http://[::1]:8080/m", 1000).instance()).isEqualTo("[::1]:8080");
    assertThat(t("http://h/m", 1000).instance()).isEqualTo("h:80");
    ScrapeTarget self = ScrapeTarget.self(9090, Duration.ofSeconds(15), Tenant.ANONYMOUS);
    assertThat(self.job()).isEqualTo("loupe");
    assertThat(self.url()).isEqualTo(URI.create("http://127.0.0.1:9090/metrics"));
    assertThat(self.timeout()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void validation() {
    assertThatThrownBy(() -> t("ftp://h/m", 1000)).hasMessage(
        "url: ftp://h/m (expected: an absolute http or https URL with a host)");
    assertThatThrownBy(() -> t("http://h/m", 0)).hasMessage("interval: PT0S (expected: >= 1ms)");
    assertThatThrownBy(() -> new ScrapeTarget("j", URI.create("http://h/m"), Duration.ofSeconds(1),
        Duration.ofSeconds(2), Labels.EMPTY, Tenant.ANONYMOUS))
        .hasMessage("timeout: PT2S (expected: >= 1ms and <= interval PT1S)");
    assertThatThrownBy(() -> new ScrapeTarget("", URI.create("http://h/m"), Duration.ofSeconds(1),
        Duration.ofSeconds(1), Labels.EMPTY, Tenant.ANONYMOUS)).hasMessage("job: '' (expected: a non-empty name)");
    assertThatThrownBy(() -> new ScrapeTarget("j", URI.create("http://h/m"), Duration.ofSeconds(1),
        Duration.ofSeconds(1), Labels.of("job", "x"), Tenant.ANONYMOUS))
        .hasMessage("labels: 'job' (expected: a valid label name other than job and __name__)");
    assertThatThrownBy(() -> ScrapeTarget.self(0, Duration.ofSeconds(15), Tenant.ANONYMOUS))
        .hasMessage("httpPort: 0 (expected: 1 to 65535)");
  }
}
