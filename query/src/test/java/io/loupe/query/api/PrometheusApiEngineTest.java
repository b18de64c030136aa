package io.loupe.query.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.loupe.model.Labels;
import io.loupe.model.Tenant;
import io.loupe.query.promql.Engine;
import io.loupe.query.promql.EngineOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** query and query_range end to end through the real PromQL engine over an in-memory Queryable. */
class PrometheusApiEngineTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final InMemoryQueryable store = new InMemoryQueryable();

  static {
    // up: 1 for api, 0 for db, every 15 s over the first 10 minutes; a counter growing 2/s
    for (long t = 0; t <= 600_000; t += 15_000) {
      store.add(Labels.of("__name__", "up", "job", "api", "instance", "a:1"), t, 1);
      store.add(Labels.of("__name__", "up", "job", "db", "instance", "b:1"), t, 0);
      store.add(Labels.of("__name__", "requests_total", "job", "api"), t, 2.0 * t / 1000);
    }
    store.add(new Tenant("team-a"), Labels.of("__name__", "up", "job", "secret"), 0, 7);
  }

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.serviceUnder("/api/v1/", PrometheusApi.builder(store, new Engine(store)).build().httpService());
      Engine tiny = new Engine(store, EngineOptions.defaults().withMaxSamples(10));
      sb.serviceUnder("/tiny/api/v1/", PrometheusApi.builder(store, tiny).build().httpService());
    }
  };

  static AggregatedHttpResponse post(String path, String form) {
    return WebClient.of(server.httpUri())
        .execute(HttpRequest.of(HttpMethod.POST, path, MediaType.FORM_DATA, form)).aggregate().join();
  }

  static JsonNode json(AggregatedHttpResponse r) throws Exception {
    return JSON.readTree(r.contentUtf8());
  }

  @Test
  void grafanaHealthCheck() {
    // "Save & test": 1+1 at time=4, by POST
    AggregatedHttpResponse r = post("/api/v1/query", "query=1%2B1&time=4");
    assertThat(r.status().code()).isEqualTo(200);
    assertThat(r.contentUtf8())
        .isEqualTo("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[4,\"2\"]}}");
  }

  @Test
  void instantVectorAndAggregation() throws Exception {
    JsonNode r = json(post("/api/v1/query", "query=up&time=300"));
    assertThat(r.at("/data/resultType").asText()).isEqualTo("vector");
    assertThat(r.at("/data/result")).hasSize(2);
    assertThat(r.at("/data/result/0/metric/job").asText()).isEqualTo("api");
    assertThat(r.at("/data/result/0/value/0").asLong()).isEqualTo(300);
    assertThat(r.at("/data/result/0/value/1").asText()).isEqualTo("1");

    r = json(post("/api/v1/query", "query=sum+by+(job)+(up)&time=300"));
    assertThat(r.at("/data/result/0/metric").toString()).isEqualTo("{\"job\":\"api\"}");

    r = json(post("/api/v1/query", "query=%22hello%22&time=300"));
    assertThat(r.at("/data").toString()).isEqualTo("{\"resultType\":\"string\",\"result\":[300,\"hello\"]}");

    AggregatedHttpResponse team = WebClient.of(server.httpUri()).execute(HttpRequest.of(
        RequestHeaders.builder(HttpMethod.GET, "/api/v1/query?query=up&time=1").set(Tenant.HEADER, "team-a").build()))
        .aggregate().join();
    assertThat(json(team).at("/data/result/0/metric/job").asText()).isEqualTo("secret");
  }

  @Test
  void rangeQuery() throws Exception {
    JsonNode r = json(post("/api/v1/query_range", "query=rate(requests_total%5B1m%5D)&start=120&end=240&step=60"));
    assertThat(r.at("/status").asText()).as(r.toString()).isEqualTo("success");
    assertThat(r.at("/data/resultType").asText()).isEqualTo("matrix");
    JsonNode values = r.at("/data/result/0/values");
    assertThat(values).hasSize(3);
    assertThat(values.at("/0/0").asLong()).isEqualTo(120);
    assertThat(values.at("/2/0").asLong()).isEqualTo(240);
    assertThat(Double.parseDouble(values.at("/1/1").asText())).isCloseTo(2.0, org.assertj.core.api.Assertions.within(1e-9));
  }

  @Test
  void engineAnnotationsBecomeWarnings() throws Exception {
    JsonNode r = json(post("/api/v1/query_range", "query=sort(up)&start=0&end=60&step=15"));
    assertThat(r.at("/warnings").toString()).isEqualTo(
        "[\"PromQL warning: sort is ineffective for range queries since results are always ordered by labels\"]");
    assertThat(r.has("infos")).isFalse();
  }

  @Test
  void engineErrorsKeepPrometheusTypes() throws Exception {
    AggregatedHttpResponse r = post("/api/v1/query", "query=sum(up");
    assertThat(r.status().code()).isEqualTo(400);
    assertThat(json(r).at("/errorType").asText()).isEqualTo("bad_data");
    assertThat(json(r).at("/error").asText()).startsWith("invalid parameter \"query\": 1:");

    r = post("/tiny/api/v1/query_range", "query=up&start=0&end=600&step=15");
    assertThat(r.status().code()).as(r.contentUtf8()).isEqualTo(422);
    assertThat(json(r).at("/errorType").asText()).isEqualTo("execution");
  }
}
