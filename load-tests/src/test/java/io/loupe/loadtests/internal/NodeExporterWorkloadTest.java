package io.loupe.loadtests.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NodeExporterWorkloadTest {
  private static final long FIRST = 1_790_000_000_000L;

  private static List<RemoteWriteProto.DecodedSample> decodeAll(Workload w) throws Exception {
    List<RemoteWriteProto.DecodedSample> all = new ArrayList<>();
    for (Prepared p : w.requests()) {
      List<RemoteWriteProto.DecodedSample> got = RemoteWriteProto.decodeCompressed(p.body());
      assertThat(got).hasSize(p.samples());
      all.addAll(got);
    }
    return all;
  }

  @Test
  void sendsEverySeriesOncePerRoundInBatches() throws Exception {
    int perTarget = NodeExporterWorkload.seriesPerTarget(4);
    assertThat(perTarget).isEqualTo(104);
    Workload w = NodeExporterWorkload.build(250, 4, 3, 100, FIRST, 7);

    // 250 series in batches of 100: 3 requests per round (100, 100, 50), 3 rounds.
    assertThat(w.requests()).extracting(Prepared::samples).containsExactly(100, 100, 50, 100, 100, 50, 100, 100, 50);
    assertThat(w.series()).isEqualTo(250);
    assertThat(w.totalSamples()).isEqualTo(750);
    List<RemoteWriteProto.DecodedSample> all = decodeAll(w);
    Set<Map<String, String>> series = new HashSet<>();
    all.forEach(s -> series.add(s.labels()));
    assertThat(series).hasSize(250);
    // Three targets: 104 + 104 + 42 series.
    assertThat(series).extracting(l -> l.get("instance")).containsOnly(
        "node-00000.dc1.example:9100", "node-00001.dc1.example:9100", "node-00002.dc1.example:9100");
    assertThat(series).allSatisfy(l -> assertThat(l).containsEntry("job", "node").containsKey("__name__"));
    assertThat(series).filteredOn(l -> l.get("__name__").equals("node_cpu_seconds_total")).hasSize(3 * 32)
        .allSatisfy(l -> assertThat(l).containsKeys("cpu", "mode"));
    assertThat(all).allSatisfy(s -> assertThat(s.labelOrder()).isSorted());
  }

  @Test
  void valuesComeAtTheResolutionNodeExporterReports() throws Exception {
    Workload w = NodeExporterWorkload.build(300, 2, 6, 2000, FIRST, 7);
    List<RemoteWriteProto.DecodedSample> all = decodeAll(w);
    for (RemoteWriteProto.DecodedSample s : all) {
      String name = s.labels().get("__name__");
      double v = s.value();
      if (name.equals("node_cpu_seconds_total")) { // USER_HZ ticks / 100: the shortest decimal has 2 places at most
        assertThat(Double.toString(v)).matches("\\d+\\.\\d{1,2}");
      } else if (name.startsWith("node_memory_")) {
        assertThat(v % 1024).isZero();
      } else if (name.startsWith("node_network_") || name.startsWith("node_context_switches")) {
        assertThat(v).isEqualTo(Math.rint(v));
      }
    }
    // Not everything is quantized: durations and the clock keep full precision.
    assertThat(all).filteredOn(s -> s.labels().get("__name__").equals("scrape_duration_seconds"))
        .anySatisfy(s -> assertThat(Double.toString(s.value()).length()).isGreaterThan(8));
  }

  @Test
  void timestampsMoveForwardFifteenSecondsPerRoundAndCountersNeverDecrease() throws Exception {
    Workload w = NodeExporterWorkload.build(300, 2, 4, 2000, FIRST, 7);
    Map<Map<String, String>, List<RemoteWriteProto.DecodedSample>> bySeries = new HashMap<>();
    for (RemoteWriteProto.DecodedSample s : decodeAll(w)) {
      bySeries.computeIfAbsent(s.labels(), k -> new ArrayList<>()).add(s);
    }
    assertThat(bySeries).allSatisfy((labels, samples) -> {
      assertThat(samples).hasSize(4);
      long t0 = samples.get(0).timestamp();
      assertThat(t0).isBetween(FIRST, FIRST + 14_999);
      for (int r = 1; r < 4; r++) {
        assertThat(samples.get(r).timestamp() - samples.get(r - 1).timestamp()).isEqualTo(15_000);
        if (labels.get("__name__").endsWith("_total")) {
          assertThat(samples.get(r).value()).isGreaterThanOrEqualTo(samples.get(r - 1).value());
        }
      }
    });
    // Targets are spread over the interval, as Prometheus spreads scrapes.
    assertThat(bySeries.values().stream().map(s -> s.get(0).timestamp()).distinct().count()).isGreaterThan(1);
  }

  @Test
  void sameSeedSameBytes() {
    Workload a = NodeExporterWorkload.build(500, 4, 2, 200, FIRST, 42);
    Workload b = NodeExporterWorkload.build(500, 4, 2, 200, FIRST, 42);
    Workload c = NodeExporterWorkload.build(500, 4, 2, 200, FIRST, 43);
    for (int i = 0; i < a.requests().size(); i++) {
      assertThat(a.requests().get(i).body()).isEqualTo(b.requests().get(i).body());
    }
    assertThat(a.requests().get(3).body()).isNotEqualTo(c.requests().get(3).body());
  }

  @Test
  void liveRequestsAreDueAtTheirNewestSample() throws Exception {
    Workload w = NodeExporterWorkload.build(300, 4, 2, 150, FIRST, 7, true);
    for (Prepared p : w.requests()) {
      long newest = RemoteWriteProto.decodeCompressed(p.body()).stream()
          .mapToLong(RemoteWriteProto.DecodedSample::timestamp).max().orElseThrow();
      assertThat(p.notBeforeMillis()).isEqualTo(newest);
    }
    assertThat(NodeExporterWorkload.build(300, 4, 2, 150, FIRST, 7).requests())
        .allSatisfy(p -> assertThat(p.notBeforeMillis()).isZero());
  }
}
