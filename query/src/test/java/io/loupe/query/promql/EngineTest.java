package io.loupe.query.promql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.Labels;
import io.loupe.model.Sample;
import io.loupe.model.Tenant;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EngineTest {
  private final TestStorage storage = new TestStorage();
  private static final Duration T = Duration.ofSeconds(30);

  @BeforeEach
  void load() {
    for (int s = 0; s < 10; s++) {
      Labels l = Labels.of("__name__", "req_total", "instance", "i" + s, "job", s % 2 == 0 ? "a" : "b");
      for (int i = 0; i <= 120; i++) {
        storage.append(l, i * 15_000L, i * (s + 1));
      }
    }
    storage.append(Labels.of("__name__", "gone"), 0, 1);
    storage.append(Labels.of("__name__", "gone"), 15_000, Sample.STALE_NAN);
  }

  @Test
  void instantAndRangeAgree() {
    Engine e = new Engine(storage);
    Value v = e.instantQuery(Tenant.ANONYMOUS, "sum by (job) (rate(req_total[1m]))", 600_000, T, () -> false);
    assertThat(v).isInstanceOf(Vector.class);
    Vector vec = (Vector) v;
    assertThat(vec.samples()).hasSize(2);
    double a = vec.samples().stream().filter(s -> s.labels().get("job").equals("a")).findFirst().orElseThrow()
        .value();
    assertThat(a).isCloseTo((1 + 3 + 5 + 7 + 9) / 15.0, org.assertj.core.data.Offset.offset(1e-9));
    Matrix m = (Matrix) e.rangeQuery(Tenant.ANONYMOUS, "sum by (job) (rate(req_total[1m]))", 300_000, 600_000,
        60_000, T, () -> false);
    assertThat(m.series()).hasSize(2);
    assertThat(m.series().get(0).labels().toString()).isEqualTo(Labels.of("job", "a").toString());
    assertThat(m.series().get(0).length()).isEqualTo(6);
    assertThat(m.series().get(0).values()[5]).isCloseTo(a, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void staleMarkerEndsSeries() {
    Engine e = new Engine(storage);
    assertThat(((Vector) e.instantQuery(Tenant.ANONYMOUS, "gone", 10_000, T, () -> false)).samples()).hasSize(1);
    assertThat(((Vector) e.instantQuery(Tenant.ANONYMOUS, "gone", 20_000, T, () -> false)).samples()).isEmpty();
  }

  @Test
  void tooManySamplesFailsWithExecutionError() {
    Engine e = new Engine(storage, EngineOptions.defaults().withMaxSamples(100));
    assertThatThrownBy(() -> e.instantQuery(Tenant.ANONYMOUS, "sum(rate(req_total[30m]))", 1_800_000, T,
        () -> false))
        .isInstanceOf(QueryException.class)
        .hasMessage("query processing would load too many samples into memory in query execution")
        .extracting(x -> ((QueryException) x).type()).isEqualTo(QueryException.ErrorType.EXECUTION);
  }

  @Test
  void tooManySeriesFails() {
    Engine e = new Engine(storage, EngineOptions.defaults().withMaxSeries(5));
    assertThatThrownBy(() -> e.instantQuery(Tenant.ANONYMOUS, "req_total", 0, T, () -> false))
        .isInstanceOf(QueryException.class).hasMessageContaining("too many series");
  }

  @Test
  void cancellationAndTimeoutStopTheQuery() {
    Engine e = new Engine(storage);
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(() -> e.rangeQuery(Tenant.ANONYMOUS, "rate(req_total[5m])", 0, 1_800_000, 15_000, T,
        () -> calls.incrementAndGet() > 3))
        .isInstanceOf(QueryException.class)
        .extracting(x -> ((QueryException) x).type()).isEqualTo(QueryException.ErrorType.CANCELED);
    assertThatThrownBy(() -> e.rangeQuery(Tenant.ANONYMOUS, "rate(req_total[5m])", 0, 1_800_000, 15_000,
        Duration.ofNanos(1), () -> false))
        .isInstanceOf(QueryException.class)
        .extracting(x -> ((QueryException) x).type()).isEqualTo(QueryException.ErrorType.TIMEOUT);
  }

  @Test
  void rangeQueryOfRangeVectorIsBadData() {
    Engine e = new Engine(storage);
    assertThatThrownBy(() -> e.rangeQuery(Tenant.ANONYMOUS, "req_total[5m]", 0, 60_000, 15_000, T, () -> false))
        .isInstanceOf(QueryException.class)
        .hasMessageContaining("invalid expression type \"range vector\" for range query");
  }

  @Test
  void annotationsAreReported() {
    Engine e = new Engine(storage, EngineOptions.defaults().withExperimentalFunctions(true));
    QueryResult r = e.range(Tenant.ANONYMOUS, "sort(req_total)", 0, 60_000, 15_000, T, () -> false);
    assertThat(r.warnings()).containsExactly(
        "PromQL warning: sort is ineffective for range queries since results are always ordered by labels");
    QueryResult q = e.instant(Tenant.ANONYMOUS, "rate(gone[5m])", 15_000, T, () -> false);
    assertThat(q.value()).isInstanceOf(Vector.class);
  }
}
