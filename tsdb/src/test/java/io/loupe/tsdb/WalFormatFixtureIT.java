package io.loupe.tsdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.Querier;
import io.loupe.model.Tenant;
import io.loupe.tsdb.manual.FixtureWriterMain;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The frozen version-2 WAL (src/test/resources/testdata/wal-v2) still reads: checkpoint and compact samples. */
class WalFormatFixtureIT {
  static final long H = FixtureWriterMain.H;
  static final long B0 = FixtureWriterMain.B0;

  @TempDir
  Path dir;

  @Test
  void version2WalStillReads() throws Exception {
    Path src = Path.of("src/test/resources/testdata/wal-v2");
    try (Stream<Path> s = Files.walk(src)) {
      for (Path p : s.toList()) {
        Path to = dir.resolve(src.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to);
        }
      }
    }
    assertThat(Files.readAllBytes(src.resolve("wal/shard-000/00000001"))[9]).as("segment version").isEqualTo((byte) 2);
    Tenant t = new Tenant("fixture");
    SimpleMeterRegistry reg = new SimpleMeterRegistry();
    try (Tsdb db = Tsdb.open(FixtureWriterMain.options(dir), reg);
        Querier q = db.querier(t, Long.MIN_VALUE, Long.MAX_VALUE)) {
      assertThat(reg.get("loupe.tsdb.wal.corruptions").counter().count()).isZero();
      List<String> got = TsdbIT.dump(q, List.of(Matcher.regex("job", ".+")), Long.MIN_VALUE, Long.MAX_VALUE);
      StringBuilder up = new StringBuilder("up{job=\"a\"}");
      StringBuilder req = new StringBuilder("req_total{job=\"a\"}");
      for (long ts = B0 + 2 * H; ts < B0 + 3 * H; ts += 60_000) {
        up.append(' ').append(ts - TsdbIT.T0).append("=1.0");
        req.append(' ').append(ts - TsdbIT.T0).append('=').append((ts - B0) / 1000.0);
      }
      up.append(' ').append(B0 + 3 * H - TsdbIT.T0).append("=stale");
      assertThat(got).containsExactly("late{job=\"b\"} " + (B0 + 3 * H - TsdbIT.T0) + "=42.0", req.toString(),
          up.toString());
      assertThat(db.exemplars(t, B0, B0 + 3 * H, List.of(List.of(Matcher.metricName("req_total")))))
          .singleElement().satisfies(e -> assertThat(e.exemplars()).singleElement()
              .satisfies(x -> assertThat(x.labels().get("trace_id")).isEqualTo("0af7651916cd43dd8448eb211c80319c")));
      assertThat(db.metadata(t, "req_total", 0).get("req_total").get(0).help()).isEqualTo("Requests.");
      assertThat(db.seriesId(t, Labels.of("__name__", "late", "job", "b"))).isPresent();
    }
  }
}
