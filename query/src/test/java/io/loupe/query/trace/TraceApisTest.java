package io.loupe.query.trace;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.CodedInputStream;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.loupe.model.Tenant;
import io.loupe.query.api.BuildInfo;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class TraceApisTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      InMemorySpanReader reader = TraceFixtures.reader();
      sb.serviceUnder("/tempo/", new TempoApi(reader, BuildInfo.of("0.1.0")).httpService());
      sb.serviceUnder("/jaeger/", new JaegerApi(reader).httpService());
    }
  };

  static AggregatedHttpResponse get(String path, String accept, String tenant) {
    com.linecorp.armeria.common.RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.GET, path);
    if (accept != null) {
      h.set("accept", accept);
    }
    if (tenant != null) {
      h.set(Tenant.HEADER, tenant);
    }
    return WebClient.of(server.httpUri()).execute(HttpRequest.of(h.build())).aggregate().join();
  }

  static JsonNode json(AggregatedHttpResponse r) throws Exception {
    return JSON.readTree(r.contentUtf8());
  }

  @Test
  void tempoEchoAndBuildInfo() throws Exception {
    AggregatedHttpResponse r = get("/tempo/api/echo", null, null);
    assertThat(r.status().code()).isEqualTo(200);
    assertThat(r.contentUtf8()).isEqualTo("echo");
    JsonNode b = json(get("/tempo/api/status/buildinfo", null, null));
    assertThat(b.get("version").asText()).isEqualTo("0.1.0");
    assertThat(b.has("status")).isFalse();
    assertThat(b.get("goVersion").asText()).startsWith("java");
  }

  @Test
  void tempoTraceAsOtlpJsonWithHexIds() throws Exception {
    // a 64-bit id is left-padded to 128 bits, as Tempo does
    AggregatedHttpResponse r = get("/tempo/api/traces/0AF7651916CD43DD", null, null);
    assertThat(r.status().code()).isEqualTo(200);
    assertThat(r.contentType()).isEqualTo(MediaType.JSON_UTF_8);
    JsonNode t = json(r);
    JsonNode rs = t.get("resourceSpans");
    assertThat(rs).hasSize(2);
    assertThat(rs.at("/0/resource/attributes/0").toString())
        .isEqualTo("{\"key\":\"service.name\",\"value\":{\"stringValue\":\"frontend\"}}");
    JsonNode scope = rs.at("/0/scopeSpans/0");
    assertThat(scope.at("/scope").toString()).isEqualTo("{\"name\":\"io.opentelemetry.http\",\"version\":\"1.0\"}");
    JsonNode span = scope.at("/spans/0");
    assertThat(span.get("traceId").asText()).isEqualTo(TraceFixtures.TRACE);
    assertThat(span.get("spanId").asText()).isEqualTo("b7ad6b7169203331");
    assertThat(span.has("parentSpanId")).isFalse();
    assertThat(span.get("traceState").asText()).isEqualTo("vendor=x");
    assertThat(span.get("kind").asInt()).isEqualTo(2);
    assertThat(span.get("flags").asInt()).isEqualTo(1);
    assertThat(span.get("startTimeUnixNano").asText()).isEqualTo(Long.toString(TraceFixtures.T0));
    assertThat(span.get("endTimeUnixNano").isTextual()).isTrue();
    assertThat(span.get("status").toString()).isEqualTo("{\"message\":\"boom\",\"code\":2}");
    assertThat(span.get("attributes").toString()).isEqualTo("["
        + "{\"key\":\"http.method\",\"value\":{\"stringValue\":\"GET\"}},"
        + "{\"key\":\"http.status_code\",\"value\":{\"intValue\":\"200\"}},"
        + "{\"key\":\"ratio\",\"value\":{\"doubleValue\":0.5}},"
        + "{\"key\":\"cached\",\"value\":{\"boolValue\":true}},"
        + "{\"key\":\"raw\",\"value\":{\"bytesValue\":\"AQID\"}},"
        + "{\"key\":\"tags\",\"value\":{\"arrayValue\":{\"values\":[{\"stringValue\":\"a\"},{\"intValue\":\"1\"}]}}},"
        + "{\"key\":\"nested\",\"value\":{\"kvlistValue\":{\"values\":[{\"key\":\"k\",\"value\":{\"stringValue\":\"v\"}}]}}}]");
    assertThat(span.at("/events/0/name").asText()).isEqualTo("exception");
    assertThat(span.at("/links/0/traceId").asText()).isEqualTo(TraceFixtures.OTHER_TENANTS_TRACE);
    JsonNode child = rs.at("/1/scopeSpans/0/spans/0");
    assertThat(child.get("parentSpanId").asText()).isEqualTo("b7ad6b7169203331");
    assertThat(child.get("status").toString()).isEqualTo("{}");

    JsonNode v2 = json(get("/tempo/api/v2/traces/" + TraceFixtures.TRACE, null, null));
    assertThat(v2.at("/trace/resourceSpans")).hasSize(2);
    assertThat(v2.get("status").asText()).isEqualTo("COMPLETE");
  }

  @Test
  void tempoTraceAsProtobuf() throws Exception {
    AggregatedHttpResponse r = get("/tempo/api/traces/" + TraceFixtures.TRACE, "application/protobuf", null);
    assertThat(r.status().code()).isEqualTo(200);
    assertThat(r.contentType().toString()).isEqualTo("application/protobuf");
    TracesData td = TracesData.parseFrom(r.content().array());
    assertThat(td.getResourceSpansCount()).isEqualTo(2);
    Span root = td.getResourceSpans(0).getScopeSpans(0).getSpans(0);
    assertThat(HexFormat.of().formatHex(root.getTraceId().toByteArray())).isEqualTo(TraceFixtures.TRACE);
    assertThat(root.getName()).isEqualTo("GET /");
    assertThat(root.getStatus().getCodeValue()).isEqualTo(2);
    assertThat(root.getAttributesList()).hasSize(7);

    // v2 wraps it: TraceByIDResponse { Trace trace = 1; ... } with status COMPLETE (0) left out
    r = get("/tempo/api/v2/traces/" + TraceFixtures.TRACE, "application/protobuf", null);
    CodedInputStream in = CodedInputStream.newInstance(r.content().array());
    assertThat(in.readTag()).isEqualTo((1 << 3) | 2);
    TracesData inner = TracesData.parseFrom(in.readBytes());
    assertThat(inner).isEqualTo(td);
    assertThat(in.isAtEnd()).isTrue();
  }

  @Test
  void tempoErrors() {
    AggregatedHttpResponse r = get("/tempo/api/traces/" + TraceFixtures.OTHER_TENANTS_TRACE, null, null);
    assertThat(r.status().code()).isEqualTo(404);
    assertThat(r.contentUtf8()).isEqualTo("trace not found");
    assertThat(get("/tempo/api/v2/traces/" + TraceFixtures.OTHER_TENANTS_TRACE, "application/protobuf", null)
        .status().code()).isEqualTo(404);
    assertThat(get("/tempo/api/traces/" + TraceFixtures.OTHER_TENANTS_TRACE, null, "team-b").status().code())
        .isEqualTo(200);
    r = get("/tempo/api/traces/xyz", null, null);
    assertThat(r.status().code()).isEqualTo(400);
    assertThat(r.contentUtf8()).isEqualTo("trace id: 'xyz' (expected: hex digits)");
    assertThat(get("/tempo/api/traces/" + "1".repeat(33), null, null).status().code()).isEqualTo(400);
    assertThat(get("/tempo/api/traces/0", null, null).status().code()).isEqualTo(400);
    assertThat(get("/tempo/api/traces/1", null, "bad tenant").status().code()).isEqualTo(400);
    assertThat(get("/tempo/api/search?q=%7B%7D", null, null).status().code()).isEqualTo(404);
  }

  @Test
  void jaegerTrace() throws Exception {
    AggregatedHttpResponse r = get("/jaeger/api/traces/" + TraceFixtures.TRACE + "?start=1&end=2", null, null);
    assertThat(r.status().code()).isEqualTo(200);
    JsonNode body = json(r);
    assertThat(body.get("errors").isNull()).isTrue();
    assertThat(body.get("total").asInt()).isZero();
    JsonNode t = body.at("/data/0");
    assertThat(t.get("traceID").asText()).isEqualTo("0af7651916cd43dd"); // Jaeger prints 64-bit ids short
    assertThat(t.get("processes").toString()).isEqualTo("{"
        + "\"p1\":{\"serviceName\":\"frontend\",\"tags\":[{\"key\":\"host.name\",\"type\":\"string\",\"value\":\"node-1\"}]},"
        + "\"p2\":{\"serviceName\":\"db\",\"tags\":[]}}");
    JsonNode root = t.at("/spans/0");
    assertThat(root.get("spanID").asText()).isEqualTo("b7ad6b7169203331");
    assertThat(root.get("operationName").asText()).isEqualTo("GET /");
    assertThat(root.get("startTime").asLong()).isEqualTo(TraceFixtures.T0 / 1000);
    assertThat(root.get("duration").asLong()).isEqualTo(5000);
    assertThat(root.get("processID").asText()).isEqualTo("p1");
    assertThat(root.get("references").toString()).isEqualTo("[{\"refType\":\"FOLLOWS_FROM\","
        + "\"traceID\":\"" + TraceFixtures.OTHER_TENANTS_TRACE + "\",\"spanID\":\"00f067aa0ba902b7\"}]");
    String tags = root.get("tags").toString();
    assertThat(tags).contains("{\"key\":\"http.status_code\",\"type\":\"int64\",\"value\":200}",
        "{\"key\":\"ratio\",\"type\":\"float64\",\"value\":0.5}",
        "{\"key\":\"cached\",\"type\":\"bool\",\"value\":true}",
        "{\"key\":\"raw\",\"type\":\"binary\",\"value\":\"AQID\"}",
        "{\"key\":\"tags\",\"type\":\"string\",\"value\":\"[\\\"a\\\",1]\"}",
        "{\"key\":\"span.kind\",\"type\":\"string\",\"value\":\"server\"}",
        "{\"key\":\"otel.status_code\",\"type\":\"string\",\"value\":\"ERROR\"}",
        "{\"key\":\"error\",\"type\":\"bool\",\"value\":true}",
        "{\"key\":\"otel.status_description\",\"type\":\"string\",\"value\":\"boom\"}",
        "{\"key\":\"otel.scope.name\",\"type\":\"string\",\"value\":\"io.opentelemetry.http\"}",
        "{\"key\":\"w3c.tracestate\",\"type\":\"string\",\"value\":\"vendor=x\"}");
    assertThat(root.at("/logs/0").toString()).isEqualTo("{\"timestamp\":" + (TraceFixtures.T0 + 1_000_000) / 1000
        + ",\"fields\":[{\"key\":\"event\",\"type\":\"string\",\"value\":\"exception\"},"
        + "{\"key\":\"exception.type\",\"type\":\"string\",\"value\":\"IOException\"}]}");
    JsonNode child = t.at("/spans/1");
    assertThat(child.get("references").toString()).isEqualTo("[{\"refType\":\"CHILD_OF\","
        + "\"traceID\":\"0af7651916cd43dd\",\"spanID\":\"b7ad6b7169203331\"}]");
    assertThat(child.get("processID").asText()).isEqualTo("p2");
  }

  @Test
  void jaegerErrors() throws Exception {
    AggregatedHttpResponse r = get("/jaeger/api/traces/" + TraceFixtures.OTHER_TENANTS_TRACE, null, null);
    assertThat(r.status().code()).isEqualTo(404);
    assertThat(r.contentUtf8()).isEqualTo("{\"data\":null,\"total\":0,\"limit\":0,\"offset\":0,"
        + "\"errors\":[{\"code\":404,\"msg\":\"trace not found\"}]}");
    r = get("/jaeger/api/traces/nothex", null, null);
    assertThat(r.status().code()).isEqualTo(400);
    assertThat(json(r).at("/errors/0/code").asInt()).isEqualTo(400);
    assertThat(get("/jaeger/api/traces/" + TraceFixtures.OTHER_TENANTS_TRACE, null, "team-b").status().code())
        .isEqualTo(200);
  }
}
