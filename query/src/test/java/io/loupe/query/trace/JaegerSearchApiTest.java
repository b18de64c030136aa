package io.loupe.query.trace;

import static io.loupe.query.trace.SearchFixtures.A;
import static io.loupe.query.trace.SearchFixtures.B;
import static io.loupe.query.trace.SearchFixtures.C;
import static io.loupe.query.trace.SearchFixtures.MIN;
import static io.loupe.query.trace.SearchFixtures.NOW;
import static io.loupe.query.trace.SearchFixtures.NOW_MS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.QueryParams;
import com.linecorp.armeria.common.QueryParamsBuilder;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.loupe.model.AttributeCondition;
import io.loupe.model.Tenant;
import io.loupe.model.TraceQuery;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class JaegerSearchApiTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final InMemorySpanReader READER = SearchFixtures.reader();
  static final InMemoryTraceSearcher SEARCHER = new InMemoryTraceSearcher(READER);
  static final long NOW_US = NOW / 1000;
  static final long MIN_US = MIN / 1000;

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.serviceUnder("/jaeger/", new JaegerApi(READER, SEARCHER, SearchFixtures.CLOCK).httpService());
      sb.serviceUnder("/plain/", new JaegerApi(READER).httpService());
    }
  };

  static AggregatedHttpResponse get(String path, String tenant, String... params) {
    QueryParamsBuilder qb = QueryParams.builder();
    for (int i = 0; i < params.length; i += 2) {
      qb.add(params[i], params[i + 1]);
    }
    String query = params.length == 0 ? "" : "?" + qb.build().toQueryString();
    RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.GET, path + query);
    if (tenant != null) {
      h.set(Tenant.HEADER, tenant);
    }
    return WebClient.of(server.httpUri()).execute(HttpRequest.of(h.build())).aggregate().join();
  }

  static JsonNode ok(AggregatedHttpResponse r) throws Exception {
    assertThat(r.status().code()).as(r.contentUtf8()).isEqualTo(200);
    JsonNode n = JSON.readTree(r.contentUtf8());
    assertThat(n.get("limit").asInt()).isZero();
    assertThat(n.get("offset").asInt()).isZero();
    assertThat(n.get("errors").isNull()).isTrue();
    return n;
  }

  static JsonNode bad(AggregatedHttpResponse r) throws Exception {
    assertThat(r.status().code()).as(r.contentUtf8()).isEqualTo(400);
    JsonNode n = JSON.readTree(r.contentUtf8());
    assertThat(n.get("data").isNull()).isTrue();
    assertThat(n.at("/errors/0/code").asInt()).isEqualTo(400);
    return n.at("/errors/0/msg");
  }

  static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(t -> out.add(t.asText()));
    return out;
  }

  static List<String> traceIds(String... params) throws Exception {
    JsonNode r = ok(get("/jaeger/api/traces", null, params));
    List<String> out = new ArrayList<>();
    r.get("data").forEach(t -> out.add(t.get("traceID").asText()));
    assertThat(r.get("total").asInt()).isEqualTo(out.size());
    return out;
  }

  @Test
  void services() throws Exception {
    JsonNode r = ok(get("/jaeger/api/services", null));
    assertThat(texts(r.get("data"))).containsExactly("cart", "db", "frontend");
    assertThat(r.get("total").asInt()).isEqualTo(3);
    assertThat(r.toString()).isEqualTo(
        "{\"data\":[\"cart\",\"db\",\"frontend\"],\"total\":3,\"limit\":0,\"offset\":0,\"errors\":null}");
    assertThat(texts(ok(get("/jaeger/api/services", "team-b")).get("data"))).containsExactly("secret-svc");
  }

  @Test
  void operations() throws Exception {
    JsonNode r = ok(get("/jaeger/api/services/cart/operations", null));
    assertThat(texts(r.get("data"))).containsExactly("SELECT cart", "cart.get");
    assertThat(r.get("total").asInt()).isEqualTo(2);
    assertThat(ok(get("/jaeger/api/services/nope/operations", null)).get("data")).isEmpty();
    assertThat(ok(get("/jaeger/api/services/secret-svc/operations", null)).get("data")).isEmpty();
    assertThat(texts(ok(get("/jaeger/api/services/secret-svc/operations", "team-b")).get("data")))
        .containsExactly("secret-op");

    JsonNode objects = ok(get("/jaeger/api/operations", null, "service", "frontend"));
    assertThat(objects.get("data").toString()).isEqualTo("[{\"name\":\"GET /\",\"spanKind\":\"\"},"
        + "{\"name\":\"GET /checkout\",\"spanKind\":\"\"},{\"name\":\"GET /old\",\"spanKind\":\"\"},"
        + "{\"name\":\"cart.call\",\"spanKind\":\"\"}]");
    JsonNode clients = ok(get("/jaeger/api/operations", null, "service", "frontend", "spanKind", "client"));
    assertThat(clients.get("data").toString()).isEqualTo("[{\"name\":\"cart.call\",\"spanKind\":\"client\"}]");
    assertThat(bad(get("/jaeger/api/operations", null, "service", "frontend", "spanKind", "boss")).asText())
        .startsWith("spanKind: 'boss'");
    assertThat(bad(get("/jaeger/api/operations", null)).asText()).startsWith("service: ''");
  }

  @Test
  void searchReturnsFullTracesWithJaegersDefaults() throws Exception {
    JsonNode r = ok(get("/jaeger/api/traces", null, "service", "frontend"));
    assertThat(r.get("data")).hasSize(3); // the last 2 days: C, 3 h ago, too
    JsonNode a = r.at("/data/0");
    assertThat(a.get("traceID").asText()).isEqualTo(A);
    assertThat(a.get("spans")).hasSize(5);
    assertThat(a.at("/spans/0/operationName").asText()).isEqualTo("GET /checkout");
    assertThat(a.at("/spans/1/references/0/refType").asText()).isEqualTo("CHILD_OF");
    assertThat(a.at("/processes/p1/serviceName").asText()).isEqualTo("frontend");
    // Jaeger prints ids whose high half is zero with 16 digits
    assertThat(r.at("/data/1/traceID").asText()).isEqualTo(B.substring(16));
    TraceQuery q = SEARCHER.lastQuery.get();
    assertThat(q.endEpochNanos()).isEqualTo(NOW);
    assertThat(q.startEpochNanos()).isEqualTo(NOW - 2 * 24 * 60 * MIN);
    assertThat(q.limit()).isEqualTo(100);
    assertThat(q.serviceName()).isEqualTo("frontend");
  }

  @Test
  void searchParameters() throws Exception {
    String b16 = io.loupe.query.trace.internal.TraceIds.jaeger(B);
    assertThat(traceIds("service", "frontend", "operation", "GET /")).containsExactly(b16);
    assertThat(traceIds("service", "cart", "operation", "GET /")).isEmpty();
    assertThat(traceIds("service", "frontend", "tags", "{\"http.status_code\":\"500\"}")).containsExactly(b16);
    assertThat(traceIds("service", "frontend", "tags", "{\"http.status_code\":500}")).containsExactly(b16);
    assertThat(traceIds("service", "frontend", "tags", "{\"error\":\"true\"}")).containsExactly(b16);
    assertThat(traceIds("service", "cart", "tags", "{\"span.kind\":\"client\"}")).containsExactly(A);
    assertThat(traceIds("service", "cart", "tag", "db.system:postgresql")).containsExactly(A);
    assertThat(SEARCHER.lastQuery.get().attributes()).containsExactly(AttributeCondition.any("db.system", "postgresql"));
    // durations are per span, as Jaeger's: a frontend span of at least 40 ms
    assertThat(traceIds("service", "frontend", "minDuration", "40ms")).containsExactly(A, C);
    assertThat(traceIds("service", "frontend", "minDuration", "40ms", "maxDuration", "1s")).containsExactly(A);
    assertThat(traceIds("service", "frontend", "limit", "1")).containsExactly(A);
    assertThat(traceIds("service", "frontend", "limit", "0")).hasSize(3);
    // start and end in µs
    assertThat(traceIds("service", "frontend", "start", Long.toString(NOW_US - 15 * MIN_US), "end",
        Long.toString(NOW_US))).containsExactly(A);
    assertThat(traceIds("service", "frontend", "start", Long.toString(NOW_US - 300 * MIN_US), "end",
        Long.toString(NOW_US - 15 * MIN_US))).containsExactly(b16, C);
    assertThat(traceIds("traceID", A, "traceID", "b0b", "traceID", "eeee")).containsExactly(A, b16);
  }

  @Test
  void searchErrors() throws Exception {
    assertThat(bad(get("/jaeger/api/traces", null)).asText()).isEqualTo("parameter 'service' is required");
    assertThat(bad(get("/jaeger/api/traces", null, "service", "x", "tags", "{bad")).asText())
        .startsWith("tags: '{bad' (expected: a JSON object");
    assertThat(bad(get("/jaeger/api/traces", null, "service", "x", "tags", "[\"a\"]")).asText()).startsWith("tags:");
    assertThat(bad(get("/jaeger/api/traces", null, "service", "x", "tag", "nocolon")).asText()).startsWith("tag:");
    assertThat(bad(get("/jaeger/api/traces", null, "service", "x", "minDuration", "2s", "maxDuration", "1s"))
        .asText()).startsWith("maxDuration: 1s (expected: >= minDuration 2s)");
    assertThat(bad(get("/jaeger/api/traces", null, "service", "x", "minDuration", "soon")).asText())
        .startsWith("minDuration: 'soon'");
    assertThat(bad(get("/jaeger/api/traces", null, "service", "x", "start", "5", "end", "4")).asText())
        .startsWith("start: 5 (expected: <= end 4)");
    assertThat(bad(get("/jaeger/api/traces", null, "service", "x", "end", "-4")).asText()).startsWith("end: -4");
    assertThat(bad(get("/jaeger/api/traces", null, "service", "x", "limit", "many")).asText()).startsWith("limit:");
    assertThat(bad(get("/jaeger/api/traces", null, "service", "x", "tags", "{\"span.kind\":\"boss\"}")).asText())
        .startsWith("span.kind: 'boss'");
  }

  @Test
  void tenantsAreIsolated() throws Exception {
    assertThat(traceIds("service", "secret-svc")).isEmpty();
    JsonNode r = ok(get("/jaeger/api/traces", "team-b", "service", "secret-svc"));
    assertThat(r.get("data")).hasSize(1);
    assertThat(ok(get("/jaeger/api/traces", "team-b", "service", "frontend")).get("data")).isEmpty();
    assertThat(ok(get("/jaeger/api/dependencies", "team-b")).get("data")).isEmpty();
    assertThat(ok(get("/jaeger/api/traces", "team-b", "traceID", A)).get("data")).isEmpty();
  }

  @Test
  void dependenciesCountCallsBetweenServices() throws Exception {
    JsonNode r = ok(get("/jaeger/api/dependencies", null, "endTs", Long.toString(NOW_MS)));
    assertThat(r.get("data").toString()).isEqualTo("[{\"parent\":\"cart\",\"child\":\"db\",\"callCount\":1},"
        + "{\"parent\":\"frontend\",\"child\":\"cart\",\"callCount\":2}]");
    // the last 15 minutes: only trace A
    r = ok(get("/jaeger/api/dependencies", null, "endTs", Long.toString(NOW_MS), "lookback", "900000"));
    assertThat(r.get("data").toString()).isEqualTo("[{\"parent\":\"cart\",\"child\":\"db\",\"callCount\":1},"
        + "{\"parent\":\"frontend\",\"child\":\"cart\",\"callCount\":1}]");
    TraceQuery q = SEARCHER.lastQuery.get();
    assertThat(q.startEpochNanos()).isEqualTo(NOW - 15 * MIN);
    assertThat(q.limit()).isEqualTo(JaegerApi.DEPENDENCY_TRACES);
    // defaults: now and the last day
    ok(get("/jaeger/api/dependencies", null));
    assertThat(SEARCHER.lastQuery.get().startEpochNanos()).isEqualTo(NOW - 24 * 60 * MIN);
    assertThat(bad(get("/jaeger/api/dependencies", null, "lookback", "1h")).asText()).startsWith("lookback: '1h'");
  }

  @Test
  void withoutASearcherOnlyTraceByIdIsServed() {
    assertThat(get("/plain/api/services", null).status().code()).isEqualTo(404);
    assertThat(get("/plain/api/traces", null, "service", "frontend").status().code()).isEqualTo(404);
    assertThat(get("/plain/api/traces/" + A, null).status().code()).isEqualTo(200);
  }
}
