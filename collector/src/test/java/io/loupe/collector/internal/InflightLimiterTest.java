package io.loupe.collector.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.ResourceExhaustedException;
import io.loupe.model.Tenant;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class InflightLimiterTest {
  private final Tenant a = new Tenant("a");
  private final Tenant b = new Tenant("b");

  @Test
  void tenantBudgetRefusesTheOverflowWithARetryHintAndReleasesOnClose() {
    InflightLimiter l = new InflightLimiter(1000, 600, Duration.ofSeconds(2));
    InflightLimiter.Permit p = l.acquire(a, 500);
    assertThatThrownBy(() -> l.acquire(a, 200))
        .isInstanceOf(ResourceExhaustedException.class)
        .hasMessageContaining("tenant a")
        .satisfies(e -> assertThat(((ResourceExhaustedException) e).retryAfter()).isEqualTo(Duration.ofSeconds(2)));
    assertThat(l.inflightBytes()).isEqualTo(500);
    p.close();
    p.close(); // idempotent
    assertThat(l.inflightBytes()).isZero();
    l.acquire(a, 600).close();
  }

  @Test
  void totalBudgetIsSharedAcrossTenants() {
    InflightLimiter l = new InflightLimiter(1000, 600, Duration.ofSeconds(1));
    l.acquire(a, 600);
    assertThatThrownBy(() -> l.acquire(b, 500)).hasMessageContaining("node has 600");
    assertThat(l.inflightBytes()).isEqualTo(600);
    l.acquire(b, 400);
    assertThat(l.inflightBytes()).isEqualTo(1000);
  }

  @Test
  void aLoneRequestAlwaysFitsAndGrowIsChecked() {
    InflightLimiter l = new InflightLimiter(1000, 600, Duration.ofSeconds(1));
    InflightLimiter.Permit p = l.acquire(a, 900); // bounded by the request size limit elsewhere
    assertThatThrownBy(() -> p.grow(10, a)).isInstanceOf(ResourceExhaustedException.class);
    p.close();
    assertThat(l.inflightBytes()).isZero();
  }
}
