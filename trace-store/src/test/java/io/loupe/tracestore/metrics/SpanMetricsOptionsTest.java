package io.loupe.tracestore.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpanMetricsOptionsTest {
  @Test
  void defaultsAreTempos() {
    SpanMetricsOptions o = SpanMetricsOptions.defaults();
    assertThat(o.flushInterval()).isEqualTo(Duration.ofSeconds(15));
    assertThat(o.latencyBuckets()).containsExactly(
        0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.02, 2.05, 4.10);
    assertThat(o.maxSeriesPerTenant()).isEqualTo(10_000);
    assertThat(o.serviceGraphMaxItems()).isEqualTo(10_000);
    assertThat(o.serviceGraphWait()).isEqualTo(Duration.ofSeconds(10));
    assertThat(o.withServiceGraphWait(Duration.ofSeconds(3)).serviceGraphWait()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void invalidValuesAreRefusedWithTheValueAndTheExpectation() {
    SpanMetricsOptions o = SpanMetricsOptions.defaults();
    assertThatThrownBy(() -> o.withMaxSeriesPerTenant(0))
        .hasMessage("maxSeriesPerTenant: 0 (expected: > 0)");
    assertThatThrownBy(() -> o.withLatencyBuckets(List.of(0.1, 0.1)))
        .hasMessageContaining("latencyBuckets[1]: 0.1 (expected:");
    assertThatThrownBy(() -> o.withLatencyBuckets(List.of(Double.POSITIVE_INFINITY)))
        .hasMessageContaining("+Inf is implicit");
    assertThatThrownBy(() -> o.withLatencyBuckets(List.of())).hasMessageContaining("latencyBuckets: empty");
    assertThatThrownBy(() -> o.withFlushInterval(Duration.ofSeconds(-1)))
        .hasMessage("flushInterval: PT-1S (expected: >= 0)");
  }

  @Test
  void bucketBoundsPrintAsPrometheusClientsDo() {
    assertThat(Histogram.Layout.formatLe(4.10)).isEqualTo("4.1");
    assertThat(Histogram.Layout.formatLe(1.0)).isEqualTo("1");
    assertThat(Histogram.Layout.formatLe(0.0001)).isEqualTo("0.0001");
    assertThat(Histogram.Layout.formatLe(2.05)).isEqualTo("2.05");
  }
}
