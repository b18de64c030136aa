package io.loupe.loadtests.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TableTest {
  @Test
  void ratiosPutTheFirstSystemOverEachOther() {
    Table.Row r = new Table.Row("samples/s", List.of(100.0, 50.0, 400.0), 0);
    assertThat(r.ratio(1)).isEqualTo(2.0);
    assertThat(r.ratio(2)).isEqualTo(0.25);
  }

  @Test
  void missingZeroAndExcludedGiveNoRatio() {
    assertThat(new Table.Row("x", List.of(Double.NaN, 1.0, 1.0), 0).ratio(1)).isNaN();
    assertThat(new Table.Row("x", List.of(1.0, 0.0, 1.0), 0).ratio(1)).isNaN();
    assertThat(new Table.Row("x", List.of(1.0, 2.0, 1.0), 0, Set.of(2)).ratio(2)).isNaN();
  }

  @Test
  void textAndMarkdownShowValuesRatiosAndExclusions() {
    Table t = new Table(List.of("Loupe", "Prometheus", "VictoriaMetrics"))
        .add(new Table.Row("samples/s accepted", List.of(120_000.0, 40_000.0, Double.NaN), 0))
        .add(new Table.Row("`up{a=~\"x|y\"}` p50 (ms)", List.of(2.0, 4.0, 8.0), 1, Set.of(2)));
    String text = t.text();
    assertThat(text.lines().toList()).hasSize(3);
    assertThat(text.lines().toList().get(0)).contains("Loupe/Prometheus").contains("Loupe/VictoriaMetrics");
    assertThat(text).contains("120,000").contains("3.00").contains("excluded").contains("0.50");
    // a value not measured shows "-", and so does its ratio
    assertThat(text.lines().toList().get(1)).matches(".*40,000 +- +3.00 +-$");
    String md = t.markdown();
    assertThat(md).startsWith("| metric | Loupe | Prometheus | VictoriaMetrics | Loupe/Prometheus | "
        + "Loupe/VictoriaMetrics |\n|---|---:|---:|---:|---:|---:|\n");
    assertThat(md).contains("| `up{a=~\"x\\|y\"}` p50 (ms) | 2.0 | 4.0 | 8.0 | 0.50 | excluded |");
  }

  @Test
  void rowsMustHaveOneValuePerSystem() {
    Table t = new Table(List.of("a", "b"));
    assertThatThrownBy(() -> t.add(new Table.Row("x", List.of(1.0), 0)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 values (expected: 2)");
    assertThatThrownBy(() -> new Table(List.of("a"))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void latencyQuantilesAreNearestRank() {
    double[] ms = new double[20];
    for (int i = 0; i < 20; i++) {
      ms[i] = 20 - i; // 20..1, unsorted on purpose
    }
    assertThat(Latencies.quantile(ms, 0.5)).isEqualTo(10.0);
    assertThat(Latencies.quantile(ms, 0.9)).isEqualTo(18.0);
    assertThat(Latencies.quantile(ms, 1.0)).isEqualTo(20.0);
    assertThat(Latencies.quantile(new double[] {7}, 0.9)).isEqualTo(7.0);
    assertThat(Latencies.quantile(new double[0], 0.5)).isNaN();
    assertThatThrownBy(() -> Latencies.quantile(ms, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
