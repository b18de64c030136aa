package io.loupe.query.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import io.loupe.query.promql.Matrix;
import io.loupe.query.promql.QueryException;
import io.loupe.query.promql.Scalar;
import io.loupe.query.promql.StringValue;
import io.loupe.query.promql.Value;
import io.loupe.query.promql.Vector;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every answer of the API, success and error, checked against Prometheus's OpenAPI 3.1 golden file. */
class PrometheusApiShapesTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final long NOW = System.currentTimeMillis();
  static final InMemoryQueryable store = new InMemoryQueryable();
  static final StubEngine engine = new StubEngine();
  static OpenApiSchema openApi;

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.serviceUnder("/api/v1/", PrometheusApi.builder(store, engine).build().httpService());
    }
  };

  @BeforeAll
  static void setUp() throws Exception {
    openApi = OpenApiSchema.load();
    Labels up = Labels.of("__name__", "up", "job", "api");
    store.add(up, NOW - 10_000, 1);
    store.addExemplar(up, new Exemplar(Labels.of("trace_id", "abc"), 1.5, NOW - 10_000));
    store.addMetadata(new MetricMetadata("up", MetricMetadata.Type.GAUGE, "help", ""));
  }

  static JsonNode call(HttpMethod method, String path, String form, String schemaPath, int expectStatus)
      throws Exception {
    HttpRequest req = method == HttpMethod.POST
        ? HttpRequest.of(HttpMethod.POST, "/api/v1" + path, MediaType.FORM_DATA, form)
        : HttpRequest.of(HttpMethod.GET, "/api/v1" + path + (form.isEmpty() ? "" : "?" + form));
    AggregatedHttpResponse r = WebClient.of(server.httpUri()).execute(req).aggregate().join();
    assertThat(r.status().code()).as(r.contentUtf8()).isEqualTo(expectStatus);
    JsonNode body = JSON.readTree(r.contentUtf8());
    String status = expectStatus == 200 ? "200" : "default";
    JsonNode schema = openApi.responseSchema(schemaPath, method.name().toLowerCase(), status);
    assertThat(openApi.validate(schema, body)).as(method + " " + path + ": " + body).isEmpty();
    return body;
  }

  static void query(Value v) throws Exception {
    engine.result = v;
    call(HttpMethod.GET, "/query", "query=x&time=1", "/query", 200);
    call(HttpMethod.POST, "/query", "query=x&time=1", "/query", 200);
    call(HttpMethod.POST, "/query_range", "query=x&start=1&end=2&step=1", "/query_range", 200);
  }

  @Test
  void queryResultsOfEveryType() throws Exception {
    query(new Vector(List.of(new Vector.Sample(Labels.of("__name__", "up"), 1000, Double.NaN))));
    query(new Vector(List.of()));
    query(new Scalar(1500, 2));
    // The golden file types both items of a string result as strings, but Prometheus itself writes the time as a
    // number (promql.String.MarshalJSON: [float64(T)/1000, V]); Loupe follows Prometheus, so only this differs.
    engine.result = new StringValue(1500, "s");
    AggregatedHttpResponse r = WebClient.of(server.httpUri()).get("/api/v1/query?query=x").aggregate().join();
    assertThat(r.contentUtf8())
        .isEqualTo("{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[1.500,\"s\"]}}");
    JsonNode schema = openApi.responseSchema("/query", "get", "200");
    assertThat(openApi.validate(schema, JSON.readTree(r.contentUtf8())))
        .singleElement().asString().contains("/data/result/0: 1.5 is not of type string");
    query(new Matrix(List.of(new Matrix.Series(Labels.of("a", "b"), new long[] {1000, 2000},
        new double[] {1, Double.POSITIVE_INFINITY}, 2))));
  }

  @Test
  void warningsAreAllowed() throws Exception {
    engine.result = new Vector(List.of(new Vector.Sample(Labels.of("a", "1"), 1000, 1),
        new Vector.Sample(Labels.of("a", "2"), 1000, 2)));
    JsonNode body = call(HttpMethod.GET, "/query", "query=x&time=1&limit=1", "/query", 200);
    assertThat(body.has("warnings")).isTrue();
  }

  @Test
  void metadataEndpoints() throws Exception {
    String range = "start=" + (NOW / 1000 - 60) + "&end=" + (NOW / 1000 + 60);
    call(HttpMethod.GET, "/series", "match[]=up&" + range, "/series", 200);
    call(HttpMethod.POST, "/series", "match[]=up&" + range, "/series", 200);
    call(HttpMethod.GET, "/labels", range, "/labels", 200);
    call(HttpMethod.POST, "/labels", "match[]=up&" + range, "/labels", 200);
    call(HttpMethod.GET, "/label/job/values", range, "/label/{name}/values", 200);
    call(HttpMethod.GET, "/metadata", "", "/metadata", 200);
    JsonNode ex = call(HttpMethod.GET, "/query_exemplars", "query=up&" + range, "/query_exemplars", 200);
    assertThat(ex.at("/data/0/exemplars/0/value").asText()).isEqualTo("1.5");
    call(HttpMethod.GET, "/status/buildinfo", "", "/status/buildinfo", 200);
    call(HttpMethod.GET, "/format_query", "query=sum(up)by(job)", "/format_query", 200);
    call(HttpMethod.POST, "/parse_query", "query=sum(up)by(job)", "/parse_query", 200);
    call(HttpMethod.GET, "/rules", "", "/rules", 200);
    call(HttpMethod.GET, "/alerts", "", "/alerts", 200);
  }

  @Test
  void errors() throws Exception {
    call(HttpMethod.GET, "/query_range", "query=x&start=1&end=2&step=0", "/query_range", 400);
    call(HttpMethod.GET, "/series", "", "/series", 400);
    call(HttpMethod.GET, "/label/%ED%A0%80/values", "", "/label/{name}/values", 400);
    engine.result = null;
    engine.failure = new QueryException(QueryException.ErrorType.EXECUTION, "too many samples");
    try {
      call(HttpMethod.POST, "/query", "query=x", "/query", 422);
    } finally {
      engine.failure = null;
    }
  }
}
