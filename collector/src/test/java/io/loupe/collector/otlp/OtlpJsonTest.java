package io.loupe.collector.otlp;

import static io.loupe.collector.otlp.Otlp.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.InvalidInputException;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OtlpJsonTest {
  private static final String TRACE = "5b8efff798038103d269b633813fc60c";
  private static final String SPAN = "eee19b7ec3c1b174";

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void tracesWithHexIdsCamelCaseAndIntegerEnums() {
    String json = """
        {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
          "scopeSpans":[{"scope":{"name":"lib"},"spans":[{
            "traceId":"%s","spanId":"%s","parentSpanId":"","name":"op","kind":2,
            "startTimeUnixNano":"1544712660000000000","endTimeUnixNano":1544712661000000000,
            "attributes":[{"key":"n","value":{"intValue":"3"}}],
            "links":[{"traceId":"%s","spanId":"%s"}],
            "status":{"code":"STATUS_CODE_ERROR"},
            "someFutureField":{"x":1}}]}]}]}
        """.formatted(TRACE, SPAN, TRACE.toUpperCase(), SPAN);
    ExportTraceServiceRequest req = OtlpJson.parseTraces(utf8(json));

    Span s = req.getResourceSpans(0).getScopeSpans(0).getSpans(0);
    assertThat(s.getTraceId()).isEqualTo(hex(TRACE));
    assertThat(s.getSpanId()).isEqualTo(hex(SPAN));
    assertThat(s.getParentSpanId().isEmpty()).isTrue();
    assertThat(s.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
    assertThat(s.getStartTimeUnixNano()).isEqualTo(1544712660000000000L);
    assertThat(s.getEndTimeUnixNano()).isEqualTo(1544712661000000000L);
    assertThat(s.getAttributes(0).getValue().getIntValue()).isEqualTo(3);
    assertThat(s.getLinks(0).getTraceId()).isEqualTo(hex(TRACE));
    assertThat(s.getStatus().getCodeValue()).isEqualTo(2);
  }

  @Test
  void metricsWithSnakeCaseKeysAndExemplarIds() {
    String json = """
        {"resource_metrics":[{"scope_metrics":[{"metrics":[{"name":"c","unit":"1",
          "sum":{"aggregation_temporality":2,"is_monotonic":true,"data_points":[{
            "time_unix_nano":"1700000000000000000","as_int":"42",
            "exemplars":[{"trace_id":"%s","span_id":"%s","as_double":1.5}]}]}}]}]}]}
        """.formatted(TRACE, SPAN);
    ExportMetricsServiceRequest req = OtlpJson.parseMetrics(utf8(json));

    Metric m = req.getResourceMetrics(0).getScopeMetrics(0).getMetrics(0);
    assertThat(m.getSum().getAggregationTemporality())
        .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    assertThat(m.getSum().getIsMonotonic()).isTrue();
    assertThat(m.getSum().getDataPoints(0).getAsInt()).isEqualTo(42);
    assertThat(m.getSum().getDataPoints(0).getTimeUnixNano()).isEqualTo(1_700_000_000_000_000_000L);
    assertThat(m.getSum().getDataPoints(0).getExemplars(0).getTraceId()).isEqualTo(hex(TRACE));
    assertThat(m.getSum().getDataPoints(0).getExemplars(0).getSpanId()).isEqualTo(hex(SPAN));
  }

  @Test
  void attributeKeysNamedLikeIdsAreNotTouched() {
    // "traceId" as an attribute key is a value of "key", not a JSON key: it must stay as it is.
    String json = """
        {"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"%s","spanId":"%s","name":"x",
          "attributes":[{"key":"traceId","value":{"stringValue":"not-hex"}}]}]}]}]}
        """.formatted(TRACE, SPAN);
    Span s = OtlpJson.parseTraces(utf8(json)).getResourceSpans(0).getScopeSpans(0).getSpans(0);
    assertThat(s.getAttributes(0).getValue().getStringValue()).isEqualTo("not-hex");
  }

  @Test
  void escapedStringsDoNotConfuseTheIdRewrite() {
    String json = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"say \\\"traceId\\\": x\","
        + "\"traceId\" : \"" + TRACE + "\",\"spanId\":\"" + SPAN + "\"}]}]}]}";
    Span s = OtlpJson.parseTraces(utf8(json)).getResourceSpans(0).getScopeSpans(0).getSpans(0);
    assertThat(s.getName()).isEqualTo("say \"traceId\": x");
    assertThat(s.getTraceId()).isEqualTo(hex(TRACE));
  }

  @Test
  void malformedJsonNamesThePosition() {
    assertThatThrownBy(() -> OtlpJson.parseMetrics(utf8("{\"resourceMetrics\":[{\"resource\": }]}")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("request body: malformed OTLP/JSON: ")
        .hasMessageContaining("column");
  }

  @Test
  void deeplyNestedJsonFailsWithAShortMessage() {
    assertThatThrownBy(() -> OtlpJson.parseTraces(utf8("{\"resourceSpans\":" + "[".repeat(100_000))))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("request body: malformed OTLP/JSON: ")
        .hasMessageContaining("line 1 column")
        .matches(e -> e.getMessage().length() < 400, "message under 400 characters");
  }

  @Test
  void wrongTypeNamesTheField() {
    assertThatThrownBy(() -> OtlpJson.parseMetrics(utf8(
        "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"gauge\":{\"dataPoints\":[{\"timeUnixNano\":\"soon\"}]}}]}]}]}")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("soon");
  }

  @Test
  void nonHexIdsAreRejectedWithTheField() {
    assertThatThrownBy(() -> OtlpJson.parseTraces(utf8(
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"W47/95gDgQPSabYzgT/GDA==\"}]}]}]}")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("traceId 'W47/95gDgQPSabYzgT/GDA=='")
        .hasMessageContaining("at offset 55");
    assertThatThrownBy(() -> OtlpJson.parseTraces(utf8("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"spanId\":\"abc\"}]}]}]}")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("odd number of hex digits");
  }

  @Test
  void emptyBodyIsRejected() {
    assertThatThrownBy(() -> OtlpJson.parseTraces(new byte[0])).isInstanceOf(InvalidInputException.class)
        .hasMessage("request body: empty (expected: an OTLP/JSON object)");
  }

  @Test
  void emptyObjectIsAnEmptyRequest() {
    assertThat(OtlpJson.parseMetrics(utf8("{}"))).isEqualTo(ExportMetricsServiceRequest.getDefaultInstance());
    assertThat(OtlpJson.parseLogs(utf8("{\"resourceLogs\":[]}")).getResourceLogsCount()).isZero();
  }

  @Test
  void printsResponsesWithPartialSuccess() {
    assertThat(OtlpJson.print(ExportMetricsServiceResponse.getDefaultInstance())).isEqualTo("{}");
    ExportMetricsServiceResponse r = ExportMetricsServiceResponse.newBuilder().setPartialSuccess(
        ExportMetricsPartialSuccess.newBuilder().setRejectedDataPoints(3).setErrorMessage("bad \"x\"")).build();
    assertThat(OtlpJson.print(r))
        .isEqualTo("{\"partialSuccess\":{\"rejectedDataPoints\":\"3\",\"errorMessage\":\"bad \\\"x\\\"\"}}");
    // and it reads back
    assertThat(new String(OtlpJson.printBytes(r), StandardCharsets.UTF_8)).contains("rejectedDataPoints");
  }
}
