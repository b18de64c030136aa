package io.loupe.tsdb.head;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.Tenant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.roaringbitmap.RoaringBitmap;

/** Prometheus matcher semantics over postings; each row also cross-checks against brute-force evaluation. */
class TenantIndexTest {
  private static final List<Labels> SERIES = List.of(
      Labels.of("__name__", "up", "job", "api", "env", "prod"), // 0
      Labels.of("__name__", "up", "job", "api", "env", "dev"), // 1
      Labels.of("__name__", "up", "job", "db"), // 2 (no env)
      Labels.of("__name__", "http_requests_total", "job", "api", "code", "200"), // 3
      Labels.of("__name__", "http_requests_total", "job", "api", "code", "500"), // 4
      Labels.of("__name__", "http_errors", "job", "apiserver")); // 5

  static Stream<Arguments> table() {
    return Stream.of(
        Arguments.of(List.of(Matcher.metricName("up")), List.of(0, 1, 2)),
        Arguments.of(List.of(Matcher.metricName("nope")), List.of()),
        Arguments.of(List.of(Matcher.metricName("up"), Matcher.equal("env", "prod")), List.of(0)),
        // env="" selects series without env
        Arguments.of(List.of(Matcher.metricName("up"), Matcher.equal("env", "")), List.of(2)),
        // != keeps series lacking the label
        Arguments.of(List.of(Matcher.metricName("up"), Matcher.notEqual("env", "prod")), List.of(1, 2)),
        // env!="" means: has the label
        Arguments.of(List.of(Matcher.metricName("up"), Matcher.notEqual("env", "")), List.of(0, 1)),
        // regexes are fully anchored
        Arguments.of(List.of(Matcher.regex("job", "api")), List.of(0, 1, 3, 4)),
        Arguments.of(List.of(Matcher.regex("job", "api.*")), List.of(0, 1, 3, 4, 5)),
        Arguments.of(List.of(Matcher.regex("job", "a.i")), List.of(0, 1, 3, 4)),
        Arguments.of(List.of(Matcher.regex("__name__", "up|http_errors")), List.of(0, 1, 2, 5)),
        Arguments.of(List.of(Matcher.regex("__name__", "http_.*")), List.of(3, 4, 5)),
        Arguments.of(List.of(Matcher.regex("__name__", "http_.*"), Matcher.regex("code", "5..")), List.of(4)),
        // a regex matching "" also selects series without the label
        Arguments.of(List.of(Matcher.metricName("up"), Matcher.regex("env", "prod|")), List.of(0, 2)),
        Arguments.of(List.of(Matcher.metricName("up"), Matcher.regex("env", ".*")), List.of(0, 1, 2)),
        Arguments.of(List.of(Matcher.metricName("up"), Matcher.regex("env", ".+")), List.of(0, 1)),
        Arguments.of(List.of(Matcher.metricName("up"), Matcher.notRegex("env", "prod|dev")), List.of(2)),
        Arguments.of(List.of(Matcher.metricName("up"), Matcher.notRegex("env", "")), List.of(0, 1)),
        Arguments.of(List.of(Matcher.metricName("up"), Matcher.notRegex("env", "p.*")), List.of(1, 2)),
        Arguments.of(List.of(Matcher.notRegex("job", "api|db")), List.of(5)),
        // a label no series has
        Arguments.of(List.of(Matcher.metricName("up"), Matcher.equal("zone", "")), List.of(0, 1, 2)),
        Arguments.of(List.of(Matcher.metricName("up"), Matcher.notEqual("zone", "a")), List.of(0, 1, 2)),
        Arguments.of(List.of(Matcher.metricName("up"), Matcher.equal("zone", "a")), List.of()),
        Arguments.of(List.of(), List.of(0, 1, 2, 3, 4, 5)));
  }

  @ParameterizedTest
  @MethodSource("table")
  void selectsLikePrometheus(List<Matcher> matchers, List<Integer> expected) {
    TenantIndex ti = new TenantIndex(new Tenant("t"), 0);
    for (int i = 0; i < SERIES.size(); i++) {
      ti.add(100 + i, SERIES.get(i));
    }
    RoaringBitmap got = ti.select(matchers);
    List<Integer> refs = new ArrayList<>();
    got.forEach((int r) -> refs.add(r));
    assertThat(refs).isEqualTo(expected);
    List<Integer> brute = new ArrayList<>();
    for (int i = 0; i < SERIES.size(); i++) {
      Labels l = SERIES.get(i);
      if (matchers.stream().allMatch(m -> m.matches(l.get(m.name())))) {
        brute.add(i);
      }
    }
    assertThat(refs).isEqualTo(brute);
  }

  @org.junit.jupiter.api.Test
  void seriesShareTheStringsOfEarlierSeries() {
    TenantIndex ti = new TenantIndex(new Tenant("t"), 0);
    ti.add(1, Labels.of(new String("__name__"), new String("up"), new String("job"), new String("api")));
    MemSeries second = ti.add(2, Labels.of(new String("__name__"), new String("up"), new String("job"),
        new String("db")));
    MemSeries first = ti.get(0);
    assertThat(second.labels.name(0)).isSameAs(first.labels.name(0));
    assertThat(second.labels.value(0)).isSameAs(first.labels.value(0)); // "up"
    assertThat(second.labels.name(1)).isSameAs(first.labels.name(1));
    assertThat(second.labels.value(1)).isEqualTo("db");
    assertThat(ti.byLabels.get(Labels.of("__name__", "up", "job", "db"))).isSameAs(second);
  }
}
