package io.loupe.query.api.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.Matcher;
import io.loupe.query.promql.QueryException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Times, durations, numbers, selectors and escaped label names as Prometheus reads and writes them. */
class ParamSyntaxTest {
  @Test
  void times() {
    assertThat(TimeParams.parseTime("1435781451.781")).isEqualTo(1_435_781_451_781L);
    assertThat(TimeParams.parseTime("1435781451.7815")).isEqualTo(1_435_781_451_782L);
    assertThat(TimeParams.parseTime("4")).isEqualTo(4000);
    assertThat(TimeParams.parseTime("-1.5")).isEqualTo(-1500);
    assertThat(TimeParams.parseTime("1e3")).isEqualTo(1_000_000);
    assertThat(TimeParams.parseTime("2015-07-01T20:10:51.781Z")).isEqualTo(1_435_781_451_781L);
    assertThat(TimeParams.parseTime("2015-07-01T20:10:51Z")).isEqualTo(1_435_781_451_000L);
    assertThat(TimeParams.parseTime("2015-07-01T22:10:51+02:00")).isEqualTo(1_435_781_451_000L);
    // Grafana's exemplar probe: milliseconds read as seconds, no range check
    assertThat(TimeParams.parseTime("1700000000000")).isEqualTo(1_700_000_000_000_000L);
    assertThat(TimeParams.parseTime("1e300")).isEqualTo(TimeParams.MAX_TIME_MS);
    assertThat(TimeParams.parseTime("-292273086-05-16T16:47:06Z")).isEqualTo(TimeParams.MIN_TIME_MS);
    assertThat(TimeParams.parseTime("292277025-08-18T07:12:54.999999999Z")).isEqualTo(TimeParams.MAX_TIME_MS);
    for (String bad : List.of("", "abc", "NaN", "Inf", "1d", "0x10", "2015-07-01 20:10:51Z")) {
      assertThatThrownBy(() -> TimeParams.parseTime(bad))
          .hasMessage("cannot parse \"" + bad + "\" to a valid timestamp");
    }
  }

  @Test
  void durations() {
    assertThat(TimeParams.parseDurationMs("15")).isEqualTo(15_000);
    assertThat(TimeParams.parseDurationMs("0.5")).isEqualTo(500);
    assertThat(TimeParams.parseDurationMs("1h30m")).isEqualTo(5_400_000);
    assertThat(TimeParams.parseDurationMs("1y2w3d4h5m6s7ms")).isEqualTo(
        365L * 86_400_000 + 14L * 86_400_000 + 3L * 86_400_000 + 4 * 3_600_000 + 5 * 60_000 + 6_000 + 7);
    assertThat(TimeParams.parseDurationMs("0")).isZero();
    assertThat(TimeParams.parseDurationMs("-5")).isEqualTo(-5000);
    assertThatThrownBy(() -> TimeParams.parseDurationMs("5m1h")).hasMessage("cannot parse \"5m1h\" to a valid duration");
    assertThatThrownBy(() -> TimeParams.parseDurationMs("")).hasMessage("cannot parse \"\" to a valid duration");
    assertThatThrownBy(() -> TimeParams.parseDurationMs("1e300"))
        .hasMessage("cannot parse \"1e300\" to a valid duration. It overflows int64");
  }

  @Test
  void valuesAndTimestampsAsPrometheusWritesThem() {
    assertThat(ValueFormat.value(1)).isEqualTo("1");
    assertThat(ValueFormat.value(-0.0)).isEqualTo("-0");
    assertThat(ValueFormat.value(0.1)).isEqualTo("0.1");
    assertThat(ValueFormat.value(1e-7)).isEqualTo("0.0000001");
    assertThat(ValueFormat.value(1.5e21)).isEqualTo("1500000000000000000000");
    assertThat(ValueFormat.value(123456789.125)).isEqualTo("123456789.125");
    assertThat(ValueFormat.value(0.1 + 0.2)).isEqualTo("0.30000000000000004");
    assertThat(ValueFormat.value(1e15 + 0.5)).isEqualTo("1000000000000000.5");
    assertThat(ValueFormat.value(-2.5e-5)).isEqualTo("-0.000025");
    assertThat(ValueFormat.value(Double.NaN)).isEqualTo("NaN");
    assertThat(ValueFormat.value(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
    assertThat(ValueFormat.value(Double.NEGATIVE_INFINITY)).isEqualTo("-Inf");
    assertThat(ValueFormat.timestamp(1_435_781_451_781L)).isEqualTo("1435781451.781");
    assertThat(ValueFormat.timestamp(1_000)).isEqualTo("1");
    assertThat(ValueFormat.timestamp(1_005)).isEqualTo("1.005");
    assertThat(ValueFormat.timestamp(1_050)).isEqualTo("1.050");
    assertThat(ValueFormat.timestamp(-1_500)).isEqualTo("-1.500");
  }

  @Test
  void seriesSelectors() {
    assertThat(SeriesSelectorParser.parse("up")).containsExactly(Matcher.metricName("up"));
    assertThat(SeriesSelectorParser.parse(" ns:rate_5m { job = \"a\" , env!~'p.*', } ")).containsExactly(
        Matcher.metricName("ns:rate_5m"), Matcher.equal("job", "a"), Matcher.notRegex("env", "p.*"));
    assertThat(SeriesSelectorParser.parse("{__name__!=\"\", job=~`a\\d`}")).containsExactly(
        Matcher.notEqual("__name__", ""), Matcher.regex("job", "a\\d"));
    assertThat(SeriesSelectorParser.parse("{\"http.requests\", \"http.status\"=\"2\\x30\\u0030\"}")).containsExactly(
        Matcher.metricName("http.requests"), Matcher.equal("http.status", "200"));
    assertThat(SeriesSelectorParser.parse("{a=\"\\n\\t\\\"\\101\"}"))
        .containsExactly(Matcher.equal("a", "\n\t\"A"));
    assertBad("", "1:1: parse error: unexpected end of input");
    assertBad("{}", "1:1: parse error: vector selector must contain at least one non-empty matcher");
    assertBad("{a=~\".*\"}", "1:1: parse error: vector selector must contain at least one non-empty matcher");
    assertBad("up{a=\"b\"", "1:9: parse error: unexpected end of input inside braces");
    assertBad("up{a=\"b}", "1:6: parse error: unterminated quoted string");
    assertBad("up{a~\"b\"}", "1:5: parse error: unexpected '~' in label matching, expected label matching operator");
    assertBad("up{__name__=\"x\"}", "1:17: parse error: metric name must not be set twice: \"up\" or \"x\"");
    assertBad("up[5m]", "1:3: parse error: unexpected character after selector: '['");
    assertBad("up{a=\"\\q\"}", "1:7: parse error: unknown escape sequence '\\q'");
    assertThatThrownBy(() -> SeriesSelectorParser.parse("{a=~\"(\"}"))
        .hasMessageStartingWith("matcher a=~\"(\": invalid regular expression");
  }

  private static void assertBad(String selector, String message) {
    assertThatThrownBy(() -> SeriesSelectorParser.parse(selector))
        .isInstanceOf(QueryException.class)
        .hasMessage(message)
        .extracting(e -> ((QueryException) e).type()).isEqualTo(QueryException.ErrorType.BAD_DATA);
  }

  @Test
  void escapedLabelNames() {
    assertThat(LabelNames.unescape("U__http_2e_status__code")).isEqualTo("http.status_code");
    assertThat(LabelNames.unescape("U___1f600_")).isEqualTo("\uD83D\uDE00");
    assertThat(LabelNames.unescape("job")).isEqualTo("job");
    assertThat(LabelNames.unescape("U__a_zz_")).isEqualTo("U__a_zz_");
    assertThat(LabelNames.unescape("U__a_2e")).isEqualTo("U__a_2e");
    assertThat(LabelNames.unescape("U__a_")).isEqualTo("U__a_");
    assertThat(LabelNames.unescape("U___d800_")).isEqualTo("U___d800_");
    assertThat(LabelNames.isValid("http.status")).isTrue();
    assertThat(LabelNames.isValid("")).isFalse();
    assertThat(LabelNames.isValid("a\uD800")).isFalse();
  }
}
