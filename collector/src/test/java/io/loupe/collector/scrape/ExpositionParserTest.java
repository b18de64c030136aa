package io.loupe.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.collector.scrape.ExpositionParser.Format;
import io.loupe.model.Appender;
import io.loupe.model.InvalidInputException;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import io.loupe.model.Tenant;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExpositionParserTest {
  static final long TS = 1_700_000_000_000L;
  static final Labels TARGET = Labels.of("job", "node", "instance", "host:9100");

  final RecordingSeriesAppender rec = new RecordingSeriesAppender();
  final Set<Labels> seen = new HashSet<>();

  int parse(Format f, String text) {
    Appender app = rec.appender(Tenant.ANONYMOUS);
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    int n = new ExpositionParser(TARGET).parse(b, b.length, f, TS, app, seen);
    app.commit();
    return n;
  }

  static Labels series(String name, String... labels) {
    return TARGET.toBuilder().set("__name__", name).build().toBuilder()
        .set(labels.length > 0 ? labels[0] : "x", labels.length > 0 ? labels[1] : "").build();
  }

  @Test
  void textFormatElements() {
    int n = parse(Format.PROMETHEUS_TEXT, """
        # HELP http_requests_total The total number of HTTP requests.
        # TYPE http_requests_total counter
        http_requests_total{method="post",code="200"} 1027 1395066363000
        http_requests_total{method="post",code="400"}    3 1395066363000

        # A plain comment
        msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
        metric_without_timestamp_and_labels 12.47
        # TYPE rpc_duration_seconds summary
        rpc_duration_seconds{quantile="0.5"} NaN
        rpc_duration_seconds_sum 1.7560473e+07
        # TYPE pos gauge
        pos +Inf
        neg -Inf
        trailing{a="1",} -3\r
        spaced { a = "x" , b="y" }\t7
        """);
    assertThat(n).isEqualTo(10);
    List<RecordedSeriesView> pts = rec.points().stream()
        .map(p -> new RecordedSeriesView(p.labels().toString(), p.timestampMs(), p.value())).toList();
    assertThat(pts.get(0)).isEqualTo(new RecordedSeriesView(
        "http_requests_total{code=\"200\", instance=\"host:9100\", job=\"node\", method=\"post\"}",
        1395066363000L, 1027));
    assertThat(pts.get(1).value()).isEqualTo(3);
    Labels msdos = rec.points().get(2).labels();
    assertThat(msdos.get("path")).isEqualTo("C:\\DIR\\FILE.TXT");
    assertThat(msdos.get("error")).isEqualTo("Cannot find file:\n\"FILE.TXT\"");
    assertThat(rec.points().get(2).value()).isEqualTo(1.458255915e9);
    assertThat(rec.points().get(2).timestampMs()).isEqualTo(TS);
    assertThat((Object) rec.points().get(3).labels()).isEqualTo(
        Labels.of("__name__", "metric_without_timestamp_and_labels", "job", "node", "instance", "host:9100"));
    assertThat(rec.points().get(4).value()).isNaN();
    assertThat(rec.points().get(5).value()).isEqualTo(1.7560473e+07);
    assertThat(rec.points().get(6).value()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(rec.points().get(7).value()).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(rec.points().get(8).labels().get("a")).isEqualTo("1");
    assertThat(rec.points().get(8).value()).isEqualTo(-3);
    assertThat(rec.points().get(9).labels().get("b")).isEqualTo("y");
    assertThat(rec.points().get(9).value()).isEqualTo(7);
    // series with explicit timestamps are not tracked for staleness
    assertThat(seen).hasSize(8).doesNotContain(rec.points().get(0).labels());

    assertThat(rec.metadata()).containsEntry("http_requests_total", new MetricMetadata(
        "http_requests_total", MetricMetadata.Type.COUNTER, "The total number of HTTP requests.", ""));
    assertThat(rec.metadata().get("rpc_duration_seconds").type()).isEqualTo(MetricMetadata.Type.SUMMARY);
    assertThat(rec.metadata().get("pos").type()).isEqualTo(MetricMetadata.Type.GAUGE);
  }

  record RecordedSeriesView(String labels, long ts, double value) {}

  @Test
  void helpEscapesAndUntyped() {
    parse(Format.PROMETHEUS_TEXT, """
        # HELP a Line one\\nline two with \\\\ and \\"quotes\\"
        # TYPE a untyped
        a 1
        """);
    assertThat(rec.metadata().get("a").help()).isEqualTo("Line one\nline two with \\ and \\\"quotes\\\"");
    assertThat(rec.metadata().get("a").type()).isEqualTo(MetricMetadata.Type.UNKNOWN);
  }

  @Test
  void honorLabelsFalseRenamesConflictingLabels() {
    parse(Format.PROMETHEUS_TEXT, """
        up_like{job="scraped",instance="other",exported_job="x",le="1"} 1
        """);
    Labels l = rec.points().get(0).labels();
    assertThat(l.get("job")).isEqualTo("node");
    assertThat(l.get("instance")).isEqualTo("host:9100");
    assertThat(l.get("exported_instance")).isEqualTo("other");
    // exported_job is taken by the scrape itself, so the scraped job goes one level further
    assertThat(l.get("exported_job")).isEqualTo("x");
    assertThat(l.get("exported_exported_job")).isEqualTo("scraped");
    assertThat(l.get("le")).isEqualTo("1");
  }

  @Test
  void openMetricsWithExemplarsUnitCreatedAndEof() {
    int n = parse(Format.OPENMETRICS, """
        # TYPE foo counter
        # UNIT foo seconds
        # HELP foo Time spent, with a \\"quote\\".
        foo_total 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67 1520879602.890
        foo_created 1520872607.123
        # TYPE req_seconds histogram
        req_seconds_bucket{le="0.1"} 8 # {trace_id="abc",span_id="def"} 0.05
        req_seconds_bucket{le="+Inf"} 10
        req_seconds_sum 1.5
        req_seconds_count 10
        req_seconds_created 1520872607.123
        # TYPE g gauge
        g_created 5
        # EOF
        """);
    assertThat(n).isEqualTo(6); // two _created series skipped; g_created is a gauge, kept
    assertThat(rec.named("foo_total")).singleElement().satisfies(p -> {
      assertThat(p.timestampMs()).isEqualTo(1520879607789L);
      assertThat(p.value()).isEqualTo(17.0);
    });
    assertThat(rec.named("foo_created")).isEmpty();
    assertThat(rec.named("req_seconds_created")).isEmpty();
    assertThat(rec.named("g_created")).hasSize(1);
    assertThat(rec.exemplars()).hasSize(2);
    var e0 = rec.exemplars().get(0);
    assertThat(e0.series().metricName()).isEqualTo("foo_total");
    assertThat((Object) e0.exemplar().labels()).isEqualTo(Labels.of("trace_id", "KOO5S4vxi0o"));
    assertThat(e0.exemplar().value()).isEqualTo(0.67);
    assertThat(e0.exemplar().timestampMs()).isEqualTo(1520879602890L);
    var e1 = rec.exemplars().get(1);
    assertThat(e1.series().get("le")).isEqualTo("0.1");
    assertThat((Object) e1.exemplar().labels()).isEqualTo(Labels.of("trace_id", "abc", "span_id", "def"));
    assertThat(e1.exemplar().timestampMs()).isEqualTo(TS);
    MetricMetadata foo = rec.metadata().get("foo");
    assertThat(foo).isEqualTo(new MetricMetadata("foo", MetricMetadata.Type.COUNTER,
        "Time spent, with a \"quote\".", "seconds"));
    assertThat(rec.metadata().get("req_seconds").type()).isEqualTo(MetricMetadata.Type.HISTOGRAM);
  }

  @Test
  void openMetricsNeedsEofAndNothingAfterIt() {
    assertThatThrownBy(() -> parse(Format.OPENMETRICS, "a 1\n"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("line 2: OpenMetrics exposition does not end with # EOF");
    assertThatThrownBy(() -> parse(Format.OPENMETRICS, "a 1\n# EOF\nb 2\n"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("line 3: unexpected content after # EOF");
    assertThat(parse(Format.OPENMETRICS, "a 1\n# EOF")).isEqualTo(1);
  }

  @Test
  void exemplarsAreOnlyOpenMetrics() {
    assertThatThrownBy(() -> parse(Format.PROMETHEUS_TEXT, "a_total 1 # {trace_id=\"x\"} 1\n"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("line 1: unexpected '#");
  }

  @Test
  void exemplarLabelsOver128CharactersAreRefused() {
    String id = "x".repeat(130);
    assertThatThrownBy(() -> parse(Format.OPENMETRICS, "a_total 1 # {trace_id=\"" + id + "\"} 1\n# EOF\n"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("line 1: exemplar labels of a_total are 138 characters (expected: at most 128)");
  }

  @Test
  void errorsNameTheLineAndTheProblem() {
    assertError("ok 1\n\n{a=\"b\"} 1\n", "line 3: expected a metric name, got '{a=\"b\"} 1'");
    assertError("m{a=\"b\" 1\n", "line 1: expected ',' or '}' after the value of label 'a', got '1'");
    assertError("m{a\"b\"} 1\n", "line 1: expected '=' after label name 'a', got '\"b\"} 1'");
    assertError("m{a=b} 1\n", "line 1: expected '\"' to open the value of label 'a', got 'b} 1'");
    assertError("m{a=\"b} 1\n", "line 1: unterminated value of label 'a': expected '\"'");
    assertError("m{a=\"\\t\"} 1\n", "line 1: invalid escape '\\t' in a label value (expected: \\\\, \\\" or \\n)");
    assertError("m{a=\"1\",a=\"2\"} 1\n", "line 1: duplicate label name 'a'");
    assertError("m{1a=\"1\"} 1\n", "line 1: expected a label name, got '1a=\"1\"} 1'");
    assertError("m\n", "line 1: expected a value for m, got end of line");
    assertError("m 1x\n", "line 1: invalid value of m '1x' (expected: a float, NaN, +Inf or -Inf)");
    assertError("m 1 12.5\n", "line 1: invalid timestamp of m '12.5' (expected: integer milliseconds since the epoch)");
    assertError("m 1 2 3\n", "line 1: unexpected '3' after the value of m");
    assertError("m-x 1\n", "line 1: expected a space after the series m, got '-x 1'");
    assertError("# TYPE m countr\nm 1\n", "line 1: unknown metric type 'countr' for m (expected: counter, gauge, "
        + "histogram, summary, untyped, unknown, gaugehistogram, info, stateset)");
    assertError("# HELP\n", "line 1: expected a metric name after # HELP, got end of line");
    assertError("m{a=\"1\"\n", "line 1: expected ',' or '}' after the value of label 'a', got end of line");
  }

  private void assertError(String text, String message) {
    assertThatThrownBy(() -> parse(Format.PROMETHEUS_TEXT, text))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage(message);
  }

  @Test
  void utf8LabelValuesAndNumbers() {
    parse(Format.PROMETHEUS_TEXT, "m{city=\"Zürich\",emoji=\"🚀\"} 1e-3\nn -12\no 0x10\n".replace("o 0x10\n", ""));
    assertThat(rec.points().get(0).labels().get("city")).isEqualTo("Zürich");
    assertThat(rec.points().get(0).labels().get("emoji")).isEqualTo("🚀");
    assertThat(rec.points().get(0).value()).isEqualTo(0.001);
    assertThat(rec.points().get(1).value()).isEqualTo(-12);
  }

  @Test
  void contentTypeSelectsFormat() {
    assertThat(Format.fromContentType("application/openmetrics-text; version=1.0.0; charset=utf-8"))
        .isEqualTo(Format.OPENMETRICS);
    assertThat(Format.fromContentType("text/plain; version=0.0.4; charset=utf-8")).isEqualTo(Format.PROMETHEUS_TEXT);
    assertThat(Format.fromContentType(null)).isEqualTo(Format.PROMETHEUS_TEXT);
  }

  @Test
  void repeatedScrapesReuseLabelsAndStillCheckTheRest() {
    ExpositionParser parser = new ExpositionParser(TARGET);
    byte[] one = "m{a=\"1\",job=\"x\"} 1\nm{a=\"2\"} 2\n".getBytes(StandardCharsets.UTF_8);
    Appender app = rec.appender(Tenant.ANONYMOUS);
    parser.parse(one, one.length, Format.PROMETHEUS_TEXT, 1, app, null);
    parser.parse(one, one.length, Format.PROMETHEUS_TEXT, 2, app, null);
    app.commit();
    List<RecordingSeriesAppender.Point> pts = rec.points();
    assertThat(pts).hasSize(4);
    assertThat((Object) pts.get(2).labels()).isSameAs(pts.get(0).labels()); // from the cache
    assertThat(pts.get(2).labels().get("exported_job")).isEqualTo("x");
    assertThat(pts.get(3).labels().get("a")).isEqualTo("2");
    byte[] bad = "m{a=\"1\",job=\"x\"}x 1\n".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> parser.parse(bad, bad.length, Format.PROMETHEUS_TEXT, 3, rec.appender(Tenant.ANONYMOUS),
        null)).hasMessage("line 1: expected a space after the series m, got 'x 1'");
  }
}
