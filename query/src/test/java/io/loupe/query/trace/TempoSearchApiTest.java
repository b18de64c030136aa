package io.loupe.query.trace;

import static io.loupe.query.trace.SearchFixtures.A;
import static io.loupe.query.trace.SearchFixtures.B;
import static io.loupe.query.trace.SearchFixtures.C;
import static io.loupe.query.trace.SearchFixtures.D;
import static io.loupe.query.trace.SearchFixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.QueryParams;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.loupe.model.Tenant;
import io.loupe.model.TraceQuery;
import io.loupe.query.api.BuildInfo;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class TempoSearchApiTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final InMemorySpanReader READER = SearchFixtures.reader();
  static final InMemoryTraceSearcher SEARCHER = new InMemoryTraceSearcher(READER);
  static final long NOW_S = SearchFixtures.NOW_MS / 1000;

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.serviceUnder("/tempo/",
          new TempoApi(READER, SEARCHER, BuildInfo.of("0.1.0"), SearchFixtures.CLOCK).httpService());
      sb.serviceUnder("/plain/", new TempoApi(READER, BuildInfo.of("0.1.0")).httpService());
      sb.serviceUnder("/public/", new TempoApi(READER, SEARCHER, BuildInfo.of("0.1.0")).httpService());
    }
  };

  static AggregatedHttpResponse get(String path, String tenant, String... params) {
    com.linecorp.armeria.common.QueryParamsBuilder qb = QueryParams.builder();
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
    return JSON.readTree(r.contentUtf8());
  }

  static List<String> ids(JsonNode search) {
    List<String> out = new ArrayList<>();
    search.get("traces").forEach(t -> out.add(t.get("traceID").asText()));
    return out;
  }

  static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(t -> out.add(t.asText()));
    return out;
  }

  static List<String> values(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(t -> out.add(t.get("value").asText()));
    return out;
  }

  static List<String> search(String... params) throws Exception {
    return ids(ok(get("/tempo/api/search", null, params)));
  }

  static String between(long agoMinutes) {
    return Long.toString(NOW_S - agoMinutes * 60);
  }

  @Test
  void searchDefaultsToTheLastHourAndTempoShape() throws Exception {
    JsonNode r = ok(get("/tempo/api/search", null));
    // newest first; ids without leading zeros, as Tempo prints them
    assertThat(ids(r)).containsExactly(A, "b0b");
    JsonNode a = r.at("/traces/0");
    assertThat(a.get("rootServiceName").asText()).isEqualTo("frontend");
    assertThat(a.get("rootTraceName").asText()).isEqualTo("GET /checkout");
    assertThat(a.get("startTimeUnixNano").isTextual()).isTrue();
    assertThat(a.get("startTimeUnixNano").asText()).isEqualTo(Long.toString(NOW - 10 * SearchFixtures.MIN));
    assertThat(a.get("durationMs").asLong()).isEqualTo(50);
    assertThat(r.at("/metrics/inspectedTraces").asInt()).isEqualTo(2);
    TraceQuery q = SEARCHER.lastQuery.get();
    assertThat(q.endEpochNanos()).isEqualTo(NOW);
    assertThat(q.startEpochNanos()).isEqualTo(NOW - 3_600_000_000_000L);
    assertThat(q.limit()).isEqualTo(20);
    // the id Grafana gets opens the trace
    assertThat(get("/tempo/api/traces/b0b", null).status().code()).isEqualTo(200);
  }

  @Test
  void traceQl() throws Exception {
    assertThat(search("q", "{ }")).containsExactly(A, "b0b");
    assertThat(search("q", "{ span.http.status_code >= 500 }")).containsExactly("b0b");
    assertThat(search("q", "{ .http.status_code = 200 }")).containsExactly(A);
    assertThat(search("q", "{ resource.service.name = \"db\" } && { name = \"GET /checkout\" }")).containsExactly(A);
    assertThat(search("q", "{ resource.service.name = \"db\" } && { name = \"GET /\" }")).isEmpty();
    assertThat(search("q", "{ status = error } || { span.db.system = \"postgresql\" }")).containsExactly(A, "b0b");
    assertThat(search("q", "{ kind = server && duration > 40ms }")).containsExactly(A);
    assertThat(search("q", "{ resource.host.name = \"node-2\" }")).containsExactly(A);
    assertThat(search("q", "{ span.host.name = \"node-2\" }")).isEmpty();
    assertThat(search("q", "{ name =~ \"GET.*\" && status != error }")).containsExactly(A);
    // trace-level fields, from the summaries
    assertThat(search("q", "{ traceDuration > 10ms }")).containsExactly(A);
    assertThat(search("q", "{ resource.service.name = \"cart\" && trace:duration < 10ms }")).containsExactly("b0b");
    assertThat(search("q", "{ rootName = \"GET /\" }")).containsExactly("b0b");
    assertThat(search("q", "{ trace:rootService = \"cart\" }")).isEmpty();
    assertThat(SEARCHER.lastQuery.get().limit()).isEqualTo(200);
  }

  @Test
  void spanSetsListTheMatchingSpansWithTheAttributesTheQueryNames() throws Exception {
    JsonNode r = ok(get("/tempo/api/search", null, "q", "{ resource.host.name = \"node-1\" && kind = server }"));
    assertThat(ids(r)).containsExactly(A, "b0b");
    JsonNode set = r.at("/traces/0/spanSets/0");
    // A: GET /checkout (frontend) and cart.get (cart) run on node-1 as servers; db's SELECT runs on node-2
    assertThat(set.get("matched").asInt()).isEqualTo(2);
    assertThat(set.get("spans")).hasSize(2);
    JsonNode span = set.at("/spans/1");
    assertThat(span.get("spanID").asText()).isEqualTo("a000000000000003");
    assertThat(span.get("name").asText()).isEqualTo("cart.get");
    assertThat(span.get("startTimeUnixNano").asText()).isEqualTo(Long.toString(NOW - 10 * SearchFixtures.MIN
        + 2 * SearchFixtures.MS));
    assertThat(span.get("durationNanos").asText()).isEqualTo("25000000");
    assertThat(span.get("attributes").toString()).isEqualTo("[{\"key\":\"service.name\",\"value\":"
        + "{\"stringValue\":\"cart\"}},{\"key\":\"host.name\",\"value\":{\"stringValue\":\"node-1\"}}]");
    assertThat(r.at("/traces/0/spanSet")).isEqualTo(set);
    // spss bounds the spans listed, not the count of matches
    JsonNode one = ok(get("/tempo/api/search", null, "q", "{ }", "spss", "1"));
    assertThat(one.at("/traces/0/spanSets/0/spans")).hasSize(1);
    assertThat(one.at("/traces/0/spanSets/0/matched").asInt()).isEqualTo(5);
    assertThat(ok(get("/tempo/api/search", null)).at("/traces/0/spanSets/0/spans")).hasSize(3);
    assertThat(get("/tempo/api/search", null, "spss", "0").status().code()).isEqualTo(400);
  }

  @Test
  void unsupportedTraceQlIs400NamingTheConstruct() {
    AggregatedHttpResponse r = get("/tempo/api/search", null, "q", "{ .a = 1 } | count() > 2");
    assertThat(r.status().code()).isEqualTo(400);
    assertThat(r.contentUtf8()).contains("line 1, col 12").contains("pipeline '|' is not supported");
    r = get("/tempo/api/search", null, "q", "{ .a = ");
    assertThat(r.status().code()).isEqualTo(400);
    assertThat(r.contentUtf8()).startsWith("TraceQL parse error at line 1, col 8");
  }

  @Test
  void timeRangeAndLimit() throws Exception {
    assertThat(search("start", between(240), "end", between(0))).containsExactly(A, "b0b", C);
    assertThat(search("start", between(240), "end", between(0), "limit", "1")).containsExactly(A);
    assertThat(search("start", between(240), "end", between(15))).containsExactly("b0b", C);
    // end covers its whole second
    assertThat(SEARCHER.lastQuery.get().endEpochNanos()).isEqualTo((NOW_S - 900) * 1_000_000_000L + 999_999_999L);
    // end alone: the hour before it
    assertThat(search("end", between(15))).containsExactly("b0b");
    assertThat(get("/tempo/api/search", null, "start", between(0), "end", between(10)).status().code())
        .isEqualTo(400);
    for (String bad : List.of("0", "-1", "10001", "x")) {
      AggregatedHttpResponse r = get("/tempo/api/search", null, "limit", bad);
      assertThat(r.status().code()).isEqualTo(400);
      assertThat(r.contentUtf8()).startsWith("limit: ");
    }
    assertThat(get("/tempo/api/search", null, "start", "yesterday").contentUtf8()).startsWith("start: 'yesterday'");
  }

  @Test
  void minAndMaxDurationBoundTheTraceDuration() throws Exception {
    assertThat(search("start", between(240), "minDuration", "1s")).containsExactly(C);
    assertThat(search("start", between(240), "maxDuration", "10ms")).containsExactly("b0b");
    assertThat(search("start", between(240), "minDuration", "6ms", "maxDuration", "1s")).containsExactly(A);
    // over-fetched, since the trace duration is checked here
    assertThat(SEARCHER.lastQuery.get().limit()).isEqualTo(200);
    assertThat(get("/tempo/api/search", null, "minDuration", "2s", "maxDuration", "1s").status().code())
        .isEqualTo(400);
    assertThat(get("/tempo/api/search", null, "minDuration", "fast").contentUtf8())
        .startsWith("minDuration: 'fast' (expected: a duration");
  }

  @Test
  void legacyTags() throws Exception {
    assertThat(search("tags", "service.name=cart http.status_code=200")).containsExactly(A);
    assertThat(search("tags", "error=true")).containsExactly("b0b");
    assertThat(search("tags", "name=\"GET /\"")).containsExactly("b0b");
    assertThat(search("tags", "span.kind=client service.name=frontend")).containsExactly(A, "b0b");
    assertThat(search("tags", "host.name=node-2 service.name=frontend")).isEmpty();
    AggregatedHttpResponse r = get("/tempo/api/search", null, "tags", "service.name");
    assertThat(r.status().code()).isEqualTo(400);
    assertThat(r.contentUtf8()).contains("without a value");
    assertThat(get("/tempo/api/search", null, "tags", "a=\"open").status().code()).isEqualTo(400);
  }

  @Test
  void tenantsAreIsolated() throws Exception {
    assertThat(ids(ok(get("/tempo/api/search", "team-b")))).containsExactly(D);
    assertThat(search("q", "{ resource.service.name = \"secret-svc\" }")).isEmpty();
    assertThat(texts(ok(get("/tempo/api/search/tags", "team-b")).get("tagNames")))
        .containsExactly("service.name", "team");
    assertThat(texts(ok(get("/tempo/api/search/tag/service.name/values", "team-b")).get("tagValues")))
        .containsExactly("secret-svc");
    assertThat(get("/tempo/api/search", "bad/tenant").status().code()).isEqualTo(400);
  }

  @Test
  void tagNames() throws Exception {
    assertThat(texts(ok(get("/tempo/api/search/tags", null)).get("tagNames")))
        .containsExactly("db.system", "host.name", "http.method", "http.status_code", "service.name");
    JsonNode v2 = ok(get("/tempo/api/v2/search/tags", null));
    assertThat(v2.get("scopes")).hasSize(3);
    assertThat(v2.at("/scopes/0/name").asText()).isEqualTo("resource");
    assertThat(texts(v2.at("/scopes/0/tags"))).containsExactly("host.name", "service.name");
    assertThat(v2.at("/scopes/1/name").asText()).isEqualTo("span");
    assertThat(texts(v2.at("/scopes/1/tags"))).containsExactly("db.system", "http.method", "http.status_code");
    assertThat(v2.at("/scopes/2/name").asText()).isEqualTo("intrinsic");
    assertThat(texts(v2.at("/scopes/2/tags")))
        .containsExactly("duration", "kind", "name", "rootName", "rootServiceName", "status", "traceDuration");
    JsonNode span = ok(get("/tempo/api/v2/search/tags", null, "scope", "span"));
    assertThat(span.get("scopes")).hasSize(1);
    assertThat(span.at("/scopes/0/name").asText()).isEqualTo("span");
    assertThat(ok(get("/tempo/api/v2/search/tags", null, "scope", "event")).at("/scopes/0/tags")).isEmpty();
    AggregatedHttpResponse bad = get("/tempo/api/v2/search/tags", null, "scope", "trace");
    assertThat(bad.status().code()).isEqualTo(400);
    assertThat(bad.contentUtf8()).startsWith("scope: 'trace'");
  }

  /** Grafana sends the time picker's range (unix seconds) with tag calls: only spans started in it count. */
  @Test
  void tagListingsHonourTheTimeRange() throws Exception {
    String[] last15m = {"start", String.valueOf(NOW_S - 900), "end", String.valueOf(NOW_S)};
    assertThat(texts(ok(get("/tempo/api/search/tags", null, last15m)).get("tagNames")))
        .containsExactly("db.system", "host.name", "http.status_code", "service.name"); // not B's http.method
    JsonNode v2 = ok(get("/tempo/api/v2/search/tags", null, "scope", "span", "start", last15m[1], "end", last15m[3]));
    assertThat(texts(v2.at("/scopes/0/tags"))).containsExactly("db.system", "http.status_code");
    assertThat(texts(ok(get("/tempo/api/search/tag/http.status_code/values", null, last15m)).get("tagValues")))
        .containsExactly("200");
    assertThat(values(ok(get("/tempo/api/v2/search/tag/name/values", null, last15m)).get("tagValues")))
        .containsExactly("GET /checkout", "SELECT", "SELECT cart", "cart.call", "cart.get");
    assertThat(values(ok(get("/tempo/api/v2/search/tag/name/values", null)).get("tagValues")))
        .contains("GET /", "GET /old");
    AggregatedHttpResponse bad = get("/tempo/api/search/tags", null, "start", "200", "end", "100");
    assertThat(bad.status().code()).isEqualTo(400);
    assertThat(bad.contentUtf8()).contains("expected: <= end");
  }

  @Test
  void tagValuesV1() throws Exception {
    assertThat(texts(ok(get("/tempo/api/search/tag/host.name/values", null)).get("tagValues")))
        .containsExactly("node-1", "node-2");
    assertThat(texts(ok(get("/tempo/api/search/tag/http.status_code/values", null)).get("tagValues")))
        .containsExactly("200", "500");
    assertThat(texts(ok(get("/tempo/api/search/tag/service.name/values", null)).get("tagValues")))
        .containsExactly("cart", "db", "frontend");
    assertThat(texts(ok(get("/tempo/api/search/tag/service.name/values", null, "limit", "2")).get("tagValues")))
        .containsExactly("cart", "db");
    assertThat(ok(get("/tempo/api/search/tag/nope/values", null)).get("tagValues")).isEmpty();
    assertThat(get("/tempo/api/search/tag/host.name/values", null, "limit", "0").status().code()).isEqualTo(400);
  }

  @Test
  void tagValuesV2AreTyped() throws Exception {
    JsonNode svc = ok(get("/tempo/api/v2/search/tag/resource.service.name/values", null));
    assertThat(svc.get("tagValues").toString()).isEqualTo("[{\"type\":\"string\",\"value\":\"cart\"},"
        + "{\"type\":\"string\",\"value\":\"db\"},{\"type\":\"string\",\"value\":\"frontend\"}]");
    JsonNode code = ok(get("/tempo/api/v2/search/tag/span.http.status_code/values", null));
    assertThat(code.get("tagValues").toString())
        .isEqualTo("[{\"type\":\"int\",\"value\":\"200\"},{\"type\":\"int\",\"value\":\"500\"}]");
    // scopes are honoured
    assertThat(ok(get("/tempo/api/v2/search/tag/span.host.name/values", null)).get("tagValues")).isEmpty();
    assertThat(values(ok(get("/tempo/api/v2/search/tag/.host.name/values", null)).get("tagValues")))
        .containsExactly("node-1", "node-2");
    // percent-encoded as Grafana sends it
    assertThat(ok(get("/tempo/api/v2/search/tag/resource%2Ehost%2Ename/values", null)).get("tagValues")).hasSize(2);
    JsonNode status = ok(get("/tempo/api/v2/search/tag/status/values", null));
    assertThat(status.get("tagValues").toString()).isEqualTo("[{\"type\":\"keyword\",\"value\":\"error\"},"
        + "{\"type\":\"keyword\",\"value\":\"ok\"},{\"type\":\"keyword\",\"value\":\"unset\"}]");
    assertThat(values(ok(get("/tempo/api/v2/search/tag/kind/values", null)).get("tagValues")))
        .contains("server", "client");
    assertThat(values(ok(get("/tempo/api/v2/search/tag/name/values", null)).get("tagValues")))
        .containsExactly("GET /", "GET /checkout", "GET /old", "SELECT", "SELECT cart", "cart.call", "cart.get");
    assertThat(ok(get("/tempo/api/v2/search/tag/name/values", null, "limit", "2")).get("tagValues")).hasSize(2);
    assertThat(ok(get("/tempo/api/v2/search/tag/duration/values", null)).get("tagValues")).isEmpty();
    assertThat(ok(get("/tempo/api/v2/search/tag/traceDuration/values", null)).get("tagValues")).isEmpty();
    assertThat(values(ok(get("/tempo/api/v2/search/tag/rootServiceName/values", null)).get("tagValues")))
        .containsExactly("cart", "db", "frontend");
    assertThat(values(ok(get("/tempo/api/v2/search/tag/trace:rootName/values", null, "limit", "1")).get("tagValues")))
        .containsExactly("GET /");
    AggregatedHttpResponse bad = get("/tempo/api/v2/search/tag/host.name/values", null);
    assertThat(bad.status().code()).isEqualTo(400);
    assertThat(bad.contentUtf8()).startsWith("tag: 'host.name' (expected: resource.<name>");
  }

  @Test
  void withoutASearcherSearchIs404AndTheOldConstructorStillServesTraces() {
    assertThat(get("/plain/api/search", null).status().code()).isEqualTo(404);
    assertThat(get("/plain/api/v2/search/tags", null).status().code()).isEqualTo(404);
    assertThat(get("/plain/api/traces/" + A, null).status().code()).isEqualTo(200);
    // the public constructor with a searcher uses the system clock: the fixtures are long past the last hour
    assertThat(get("/public/api/search", null).contentUtf8()).contains("\"traces\":[]");
  }
}
