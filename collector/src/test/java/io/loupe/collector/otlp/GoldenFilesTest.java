package io.loupe.collector.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.AppendResult;
import io.loupe.model.SpanRecord;
import io.loupe.model.Tenant;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Runs the OTLP/JSON golden files of testdata/otlp (see its README). */
class GoldenFilesTest {

  @ParameterizedTest
  @ValueSource(strings = {"metrics-sdk"})
  void metrics(String name) throws IOException {
    RecordingAppender appender = new RecordingAppender();
    AppendResult.Builder result = new AppendResult.Builder();
    int n = new OtlpMetricsTranslator(TranslationOptions.defaults())
        .translate(Tenant.ANONYMOUS, OtlpJson.parseMetrics(resource(name + ".json")), appender, result);

    List<String> lines = new ArrayList<>(appender.lines());
    for (RecordingAppender.RecordedExemplar e : appender.exemplars) {
      lines.add("exemplar " + e.series() + " " + e.exemplar().labels() + " " + e.exemplar().timestampMs() + " "
          + e.exemplar().value());
    }
    appender.metadata.values().forEach(m -> lines.add(
        "metadata " + m.metricFamily() + " type=" + m.type().text() + " unit='" + m.unit() + "' help='" + m.help()
            + "'"));
    lines.addAll(rejections(result.build()));
    assertThat(n).isEqualTo(appender.points.size());
    compare(name, lines);
  }

  @ParameterizedTest
  @ValueSource(strings = {"traces-sdk"})
  void traces(String name) throws IOException {
    AppendResult.Builder result = new AppendResult.Builder();
    List<SpanRecord> spans = OtlpSpans.toSpanRecords(OtlpJson.parseTraces(resource(name + ".json")), result);

    List<String> lines = new ArrayList<>();
    for (SpanRecord s : spans) {
      lines.add("span " + s.traceId() + " " + s.spanId() + " parent=" + s.parentSpanId() + " '" + s.name() + "' "
          + s.kind() + " " + s.statusCode() + " '" + s.statusMessage() + "' " + s.startEpochNanos() + " "
          + s.durationNanos() + " service=" + s.serviceName() + " scope=" + s.scopeName() + "@" + s.scopeVersion()
          + " attributes=" + s.attributes() + " events=" + s.events().stream().map(e -> e.name() + "@" + e.epochNanos())
          .toList() + " resource=" + s.resourceAttributes());
    }
    lines.addAll(rejections(result.build()));
    compare(name, lines);
  }

  private static void compare(String name, List<String> lines) throws IOException {
    List<String> actual = lines.stream().sorted().toList();
    List<String> expected = expected(name);
    if (!actual.equals(expected)) {
      // The whole actual file, so that a deliberate change can be reviewed and pasted into the .expected file.
      System.out.println("---- actual " + name + ".expected\n" + String.join("\n", actual) + "\n----");
    }
    assertThat(actual).containsExactlyElementsOf(expected);
  }

  private static List<String> rejections(AppendResult r) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<io.loupe.model.RejectReason, Long> e : r.rejected().entrySet()) {
      out.add("rejected " + e.getKey().metricTag() + " " + e.getValue());
    }
    if (!r.firstErrors().isEmpty()) {
      out.add("rejected messages: " + r.firstErrors());
    }
    return out;
  }

  private static byte[] resource(String file) throws IOException {
    try (InputStream in = GoldenFilesTest.class.getResourceAsStream("/testdata/otlp/" + file)) {
      assertThat(in).as("testdata/otlp/%s", file).isNotNull();
      return in.readAllBytes();
    }
  }

  private static List<String> expected(String name) throws IOException {
    String text = new String(resource(name + ".expected"), StandardCharsets.UTF_8);
    return Stream.of(text.split("\n")).filter(l -> !l.isBlank()).toList();
  }
}
