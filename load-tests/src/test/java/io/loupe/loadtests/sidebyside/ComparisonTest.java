package io.loupe.loadtests.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ComparisonTest {
  private static final DashboardQuery Q = new DashboardQuery("cpu", "sum(rate(x[5m]))");

  private static QueryTiming answer(double value, double... millis) {
    QueryResult r = new QueryResult(List.of(new QueryResult.Series(Map.of("mode", "user"), new long[] {1000},
        new double[] {value})));
    return new QueryTiming(r, millis, "");
  }

  private static Measurement run(String system, QueryTiming q) {
    return new Measurement(system, "v", 1000, 2_000_000, 20.0, 10.0, 100L << 20, 120L << 20, 24_000_000, 2_000_000, 0,
        List.of("SIGTERM"), q == null ? Map.of() : Map.of(Q.name(), q), Map.of());
  }

  @Test
  void derivedFiguresAndRatios() {
    Comparison c = Comparison.of(List.of(run("Loupe", answer(1.0, 2, 4)), run("Prometheus", answer(1.0, 4, 8)),
        run("VictoriaMetrics", answer(1.0, 8, 16))), List.of(Q));
    assertThat(c.problems()).isEmpty();
    Map<String, Table.Row> rows = byMetric(c);
    assertThat(rows.get("samples/s accepted").values()).containsOnly(100_000.0);
    assertThat(rows.get("backend CPU s / M samples").values()).containsOnly(5.0);
    assertThat(rows.get("bytes per active series (peak RSS / series)").values()).containsOnly(104_857.6);
    assertThat(rows.get("disk bytes per sample (after flush + stop)").values()).containsOnly(12.0);
    assertThat(rows.get("disk bytes per sample (compacted)").values()).containsOnly(1.0);
    Table.Row p50 = rows.get("`sum(rate(x[5m]))` p50 (ms)");
    assertThat(p50.values()).containsExactly(2.0, 4.0, 8.0);
    assertThat(p50.ratio(1)).isEqualTo(0.5);
    assertThat(p50.ratio(2)).isEqualTo(0.25);
    assertThat(rows.get("`sum(rate(x[5m]))` p90 (ms)").values()).containsExactly(4.0, 8.0, 16.0);
  }

  @Test
  void aDifferentAnswerIsReportedAndExcludedFromThatPairOnly() {
    Comparison c = Comparison.of(List.of(run("Loupe", answer(1.0, 2)), run("Prometheus", answer(1.0, 4)),
        run("VictoriaMetrics", answer(1.5, 8))), List.of(Q));
    assertThat(c.problems()).singleElement().asString().startsWith("cpu: Loupe vs VictoriaMetrics differ: ")
        .contains("1.0 vs 1.5");
    Table.Row p50 = byMetric(c).get("`sum(rate(x[5m]))` p50 (ms)");
    assertThat(p50.excluded()).containsExactly(2);
    assertThat(p50.ratio(1)).isEqualTo(0.5);
    assertThat(c.table().text()).contains("excluded");
  }

  @Test
  void emptyOrFailedAnswersAreProblemsAndNeverRatios() {
    QueryTiming empty = new QueryTiming(new QueryResult(List.of()), new double[] {1}, "");
    Comparison c = Comparison.of(List.of(run("Loupe", empty), run("Prometheus", empty),
        run("VictoriaMetrics", QueryTiming.failed("status 422: bad"))), List.of(Q));
    assertThat(c.problems()).containsExactly("cpu: empty result on Loupe", "cpu: empty result on Prometheus",
        "cpu: failed on VictoriaMetrics: status 422: bad");
    Table.Row p50 = byMetric(c).get("`sum(rate(x[5m]))` p50 (ms)");
    assertThat(p50.excluded()).containsExactlyInAnyOrder(1, 2);
    assertThat(p50.values().get(2)).isNaN();
  }

  @Test
  void answersAfterARestartGetTheirOwnRowsAndChecks() {
    List<Measurement> runs = List.of(run("Loupe", answer(1.0, 2)), run("Prometheus", answer(1.0, 4)));
    assertThat(byMetric(Comparison.of(runs, List.of(Q))))
        .doesNotContainKey("`sum(rate(x[5m]))` p50 after restart (ms)");
    Measurement loupe = runs.get(0);
    Measurement restarted = new Measurement(loupe.system(), loupe.version(), loupe.series(), loupe.samplesAccepted(),
        loupe.sendSeconds(), loupe.cpuSeconds(), loupe.peakRssAfterIngest(), loupe.peakRssAfterQueries(),
        loupe.diskBytes(), loupe.compactedBytes(), loupe.exitCode(), loupe.flush(), loupe.queries(), Map.of(Q.name(), answer(2.0, 3)));
    Measurement prom = runs.get(1);
    Measurement promRestarted = new Measurement(prom.system(), prom.version(), prom.series(), prom.samplesAccepted(),
        prom.sendSeconds(), prom.cpuSeconds(), prom.peakRssAfterIngest(), prom.peakRssAfterQueries(),
        prom.diskBytes(), prom.compactedBytes(), prom.exitCode(), prom.flush(), prom.queries(), Map.of(Q.name(), answer(1.0, 6)));
    Comparison c = Comparison.of(List.of(restarted, promRestarted), List.of(Q));
    Table.Row before = byMetric(c).get("`sum(rate(x[5m]))` p50 (ms)");
    Table.Row after = byMetric(c).get("`sum(rate(x[5m]))` p50 after restart (ms)");
    assertThat(before.ratio(1)).isEqualTo(0.5);
    assertThat(after.values()).containsExactly(3.0, 6.0);
    assertThat(after.excluded()).containsExactly(1);
    assertThat(c.problems()).singleElement().asString().startsWith("cpu after restart: Loupe vs Prometheus differ");
  }

  private static Map<String, Table.Row> byMetric(Comparison c) {
    return c.table().rows().stream().collect(java.util.stream.Collectors.toMap(Table.Row::metric, r -> r));
  }
}
