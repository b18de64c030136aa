package io.loupe.query.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.loupe.model.Exemplar;
import io.loupe.model.InvalidInputException;
import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.MetricMetadata;
import io.loupe.model.ResourceExhaustedException;
import io.loupe.model.StorageUnavailableException;
import io.loupe.model.Tenant;
import io.loupe.query.promql.Matrix;
import io.loupe.query.promql.QueryException;
import io.loupe.query.promql.QueryException.ErrorType;
import io.loupe.query.promql.Scalar;
import io.loupe.query.promql.StringValue;
import io.loupe.query.promql.Vector;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PrometheusApiTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final long NOW = 1_700_000_000_000L;
  static final InMemoryQueryable store = new InMemoryQueryable();
  static final StubEngine engine = new StubEngine();
  static final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  static final PromqlSyntax FAKE_SYNTAX = new PromqlSyntax() {
    @Override
    public String format(String query) {
      if (query.contains("(")) {
        throw new QueryException(ErrorType.BAD_DATA, "1:5: parse error: unclosed left parenthesis");
      }
      return query.strip().toLowerCase();
    }

    @Override
    public String astJson(String query) {
      return "{\"type\":\"vectorSelector\",\"name\":\"" + query + "\",\"offset\":0,"
          + "\"matchers\":[{\"type\":\"=\",\"name\":\"__name__\",\"value\":\"" + query + "\"}]}";
    }

    @Override
    public List<List<Matcher>> selectors(String query) {
      return List.of(List.of(Matcher.metricName(query)));
    }
  };

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      PrometheusApi api = PrometheusApi.builder(store, engine)
          .options(PrometheusApiOptions.defaults()
              .withMaxLimit(1000)
              .withBuildInfo(new BuildInfo("0.1.0", "abc", "main", "ci", "20261127", BuildInfo.javaVersion())))
          .meterRegistry(meters)
          .clock(Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC))
          .build();
      sb.serviceUnder("/api/v1/", api.httpService());
      PrometheusApi bare = PrometheusApi.builder(store, engine).build();
      sb.serviceUnder("/bare/api/v1/", bare.httpService());
      PrometheusApi withSyntax = PrometheusApi.builder(store, engine).syntax(FAKE_SYNTAX).build();
      sb.serviceUnder("/syntax/api/v1/", withSyntax.httpService());
    }
  };

  static {
    Labels up1 = Labels.of("__name__", "up", "job", "api", "instance", "a:1");
    Labels up2 = Labels.of("__name__", "up", "job", "db", "instance", "b:1");
    Labels dotted = Labels.of("__name__", "http_requests_total", "http.status_code", "200");
    store.add(up1, NOW - 60_000, 1).add(up2, NOW - 60_000, 0).add(dotted, NOW - 30_000, 5)
        .add(Labels.of("__name__", "old", "job", "api"), NOW - Duration.ofDays(3).toMillis(), 1)
        .add(new Tenant("team-a"), Labels.of("__name__", "secret", "job", "a"), NOW - 1000, 42);
    store.addExemplar(dotted, new Exemplar(Labels.of("trace_id", "0af7651916cd43dd8448eb211c80319c"), 6, NOW - 1500));
    store.addMetadata(new MetricMetadata("up", MetricMetadata.Type.GAUGE, "1 if the target is up", ""));
    store.addMetadata(new MetricMetadata("http_requests_total", MetricMetadata.Type.COUNTER, "Requests.", ""));
  }

  record Reply(int status, JsonNode json, com.linecorp.armeria.common.ResponseHeaders headers, String body) {}

  static Reply get(String path) {
    return exec(HttpRequest.of(HttpMethod.GET, path));
  }

  static Reply get(String path, String tenant) {
    return exec(HttpRequest.of(RequestHeaders.builder(HttpMethod.GET, path).set(Tenant.HEADER, tenant).build()));
  }

  static Reply post(String path, String form) {
    return exec(HttpRequest.of(HttpMethod.POST, path, MediaType.FORM_DATA, form));
  }

  static Reply exec(HttpRequest req) {
    AggregatedHttpResponse r = WebClient.of(server.httpUri()).execute(req).aggregate().join();
    String body = r.contentUtf8();
    JsonNode json;
    try {
      json = body.isEmpty() ? null : JSON.readTree(body);
    } catch (Exception e) {
      json = null;
    }
    return new Reply(r.status().code(), json, r.headers(), body);
  }

  @BeforeEach
  void reset() {
    engine.result = null;
    engine.failure = null;
    engine.blockUntilCancelled = false;
  }

  static Vector.Sample sample(Labels l, long t, double v) {
    return new Vector.Sample(l, t, v);
  }

  @Test
  void instantQueryVectorShapeAndValueStrings() {
    engine.result = new Vector(List.of(
        sample(Labels.of("__name__", "up", "job", "api"), 1_435_781_451_781L, 1),
        sample(Labels.of("job", "x"), 1_435_781_451_000L, Double.NaN),
        sample(Labels.of("job", "y"), 1_435_781_451_500L, Double.POSITIVE_INFINITY),
        sample(Labels.of("job", "z"), 1_435_781_451_005L, Double.NEGATIVE_INFINITY),
        sample(Labels.of("job", "w"), 1_435_781_451_050L, 1e21)));
    Reply r = get("/api/v1/query?query=up&time=1435781451.781");
    assertThat(r.status).isEqualTo(200);
    assertThat(r.headers.contentType()).isEqualTo(MediaType.JSON_UTF_8);
    assertThat(r.body).isEqualTo("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        + "{\"metric\":{\"__name__\":\"up\",\"job\":\"api\"},\"value\":[1435781451.781,\"1\"]},"
        + "{\"metric\":{\"job\":\"x\"},\"value\":[1435781451,\"NaN\"]},"
        + "{\"metric\":{\"job\":\"y\"},\"value\":[1435781451.500,\"+Inf\"]},"
        + "{\"metric\":{\"job\":\"z\"},\"value\":[1435781451.005,\"-Inf\"]},"
        + "{\"metric\":{\"job\":\"w\"},\"value\":[1435781451.050,\"1000000000000000000000\"]}]}}");
    assertThat(engine.query).isEqualTo("up");
    assertThat(engine.time).isEqualTo(1_435_781_451_781L);
    assertThat(engine.tenant).isEqualTo(Tenant.ANONYMOUS);
    assertThat(engine.timeout).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void instantQueryByPostFormAndDefaults() {
    engine.result = new Scalar(4000, 2);
    Reply r = post("/api/v1/query", "query=1%2B1&time=4&timeout=30s");
    assertThat(r.status).isEqualTo(200);
    assertThat(r.body).isEqualTo("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[4,\"2\"]}}");
    assertThat(engine.query).isEqualTo("1+1");
    assertThat(engine.time).isEqualTo(4000);
    assertThat(engine.timeout).isEqualTo(Duration.ofSeconds(30));

    // body values win over URL values, as Go's FormValue; time defaults to now; timeout is capped at 2 m
    post("/api/v1/query?query=wrong&timeout=1h", "query=right");
    assertThat(engine.query).isEqualTo("right");
    assertThat(engine.time).isEqualTo(NOW);
    assertThat(engine.timeout).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void stringAndRfc3339Time() {
    engine.result = new StringValue(1000, "hello");
    Reply r = get("/api/v1/query?query=%22hello%22&time=2015-07-01T20:10:51.781Z");
    assertThat(r.body).isEqualTo(
        "{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[1,\"hello\"]}}");
    assertThat(engine.time).isEqualTo(1_435_781_451_781L);
    get("/api/v1/query?query=x&time=2015-07-01T22:10:51%2B02:00");
    assertThat(engine.time).isEqualTo(1_435_781_451_000L);
  }

  @Test
  void rangeQueryMatrixAndLimit() {
    engine.result = new Matrix(List.of(
        new Matrix.Series(Labels.of("__name__", "up", "job", "a"), new long[] {0, 15_000}, new double[] {1, 0.5}, 2),
        new Matrix.Series(Labels.of("job", "empty"), new long[0], new double[0], 0),
        new Matrix.Series(Labels.of("job", "b"), new long[] {15_000}, new double[] {-2.25}, 1)));
    Reply r = post("/api/v1/query_range", "query=up&start=0&end=30&step=15");
    assertThat(r.status).isEqualTo(200);
    assertThat(r.body).isEqualTo("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
        + "{\"metric\":{\"__name__\":\"up\",\"job\":\"a\"},\"values\":[[0,\"1\"],[15,\"0.5\"]]},"
        + "{\"metric\":{\"job\":\"b\"},\"values\":[[15,\"-2.25\"]]}]}}");
    assertThat(engine.start).isEqualTo(0);
    assertThat(engine.end).isEqualTo(30_000);
    assertThat(engine.step).isEqualTo(15_000);

    r = get("/api/v1/query_range?query=up&start=0&end=30&step=15s&limit=1");
    assertThat(r.json.at("/data/result")).hasSize(1);
    assertThat(r.json.at("/warnings/0").asText()).isEqualTo("results truncated due to limit");
    assertThat(engine.step).isEqualTo(15_000);
  }

  @Test
  void rangeQueryValidationReadsAsPrometheus() {
    assertError(get("/api/v1/query_range?query=up&start=0&end=30&step=0"), 400, "bad_data",
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
    assertError(get("/api/v1/query_range?query=up&start=0&end=30&step=-5"), 400, "bad_data",
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
    assertError(get("/api/v1/query_range?query=up&start=0&end=11001&step=1ms"), 400, "bad_data",
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)");
    // exactly 11,000 steps is allowed
    engine.result = new Matrix(List.of());
    assertThat(get("/api/v1/query_range?query=up&start=0&end=11000&step=1").status).isEqualTo(200);
    assertError(get("/api/v1/query_range?query=up&start=30&end=0&step=15"), 400, "bad_data",
        "end timestamp must not be before start time");
    assertError(get("/api/v1/query_range?query=up&start=abc&end=0&step=15"), 400, "bad_data",
        "invalid parameter \"start\": cannot parse \"abc\" to a valid timestamp");
    assertError(get("/api/v1/query_range?query=up&end=0&step=15"), 400, "bad_data",
        "invalid parameter \"start\": cannot parse \"\" to a valid timestamp");
    assertError(get("/api/v1/query_range?query=up&start=0&end=1&step=1x"), 400, "bad_data",
        "invalid parameter \"step\": cannot parse \"1x\" to a valid duration");
    assertError(get("/api/v1/query?query=up&time=yesterday"), 400, "bad_data",
        "invalid parameter \"time\": invalid time value for 'time': cannot parse \"yesterday\" to a valid timestamp");
    assertError(get("/api/v1/query?query=up&limit=-1"), 400, "bad_data",
        "invalid parameter \"limit\": limit must be non-negative");
    assertError(get("/api/v1/query?query=up&timeout=soon"), 400, "bad_data",
        "invalid parameter \"timeout\": cannot parse \"soon\" to a valid duration");
  }

  @Test
  void oneMappingFromExceptionsToErrorAnswers() {
    engine.failure = new QueryException(ErrorType.BAD_DATA, "1:3: parse error: unexpected <op:+>");
    assertError(get("/api/v1/query?query=up%2B"), 400, "bad_data",
        "invalid parameter \"query\": 1:3: parse error: unexpected <op:+>");
    engine.failure = new QueryException(ErrorType.EXECUTION,
        "query processing would load too many samples into memory in query execution");
    assertError(get("/api/v1/query?query=up"), 422, "execution",
        "query processing would load too many samples into memory in query execution");
    engine.failure = new QueryException(ErrorType.TIMEOUT, "query timed out in expression evaluation");
    assertError(get("/api/v1/query?query=up"), 503, "timeout", "query timed out in expression evaluation");
    engine.failure = new QueryException(ErrorType.CANCELED, "query was canceled in expression evaluation");
    assertError(get("/api/v1/query?query=up"), 499, "canceled", "query was canceled in expression evaluation");
    engine.failure = new QueryException(ErrorType.INTERNAL, "broken");
    assertError(get("/api/v1/query?query=up"), 500, "internal", "broken");
    engine.failure = new InvalidInputException("matcher: bad");
    assertError(get("/api/v1/query?query=up"), 400, "bad_data", "matcher: bad");
    engine.failure = new StorageUnavailableException("tsdb is replaying its WAL");
    assertError(get("/api/v1/query?query=up"), 503, "unavailable", "tsdb is replaying its WAL");
    engine.failure = ResourceExhaustedException.tooLarge("query would select 2000000 series (expected: at most 1000000)");
    assertError(get("/api/v1/query?query=up"), 422, "execution",
        "query would select 2000000 series (expected: at most 1000000)");
    engine.failure = new ResourceExhaustedException("tenant anonymous runs 20 queries (expected: at most 20)",
        Duration.ofMillis(1500));
    Reply r = get("/api/v1/query?query=up");
    assertError(r, 429, "unavailable", "tenant anonymous runs 20 queries (expected: at most 20)");
    assertThat(r.headers.get("retry-after")).isEqualTo("2");
    engine.failure = new IllegalStateException("bug");
    assertError(get("/api/v1/query?query=up"), 500, "internal", "java.lang.IllegalStateException: bug");
  }

  @Test
  void tenantFromHeader() {
    engine.result = new Vector(List.of());
    get("/api/v1/query?query=up", "team-a");
    assertThat(engine.tenant).isEqualTo(new Tenant("team-a"));
    assertError(get("/api/v1/query?query=up", "bad/tenant"), 400, "bad_data",
        "tenant id: 'bad/tenant' has '/' at 3 (expected: letters, digits and !-_.*'())");

    Reply r = get("/api/v1/series?match[]=%7Bjob%3D%22a%22%7D&start=0", "team-a");
    assertThat(r.json.at("/data")).hasSize(1);
    assertThat(r.json.at("/data/0/__name__").asText()).isEqualTo("secret");
    r = get("/api/v1/series?match[]=%7Bjob%3D%22a%22%7D&start=0");
    assertThat(r.json.at("/data")).isEmpty();
  }

  @Test
  void seriesWithRepeatedMatchersAndLimit() {
    Reply r = get("/api/v1/series?match[]=up%7Bjob%3D%22api%22%7D&match[]=%7B__name__%3D~%22up%7Chttp.*%22%7D"
        + "&start=" + (NOW / 1000 - 3600) + "&end=" + NOW / 1000);
    assertThat(r.status).isEqualTo(200);
    assertThat(r.json.at("/data").toString()).isEqualTo("["
        + "{\"__name__\":\"http_requests_total\",\"http.status_code\":\"200\"},"
        + "{\"__name__\":\"up\",\"instance\":\"a:1\",\"job\":\"api\"},"
        + "{\"__name__\":\"up\",\"instance\":\"b:1\",\"job\":\"db\"}]");
    assertThat(r.json.has("warnings")).isFalse();

    r = post("/api/v1/series", "match[]=up&limit=1");
    assertThat(r.json.at("/data")).hasSize(1);
    assertThat(r.json.at("/warnings/0").asText()).isEqualTo("results truncated due to limit");
    assertThat(store.openQueriers.get()).isZero();

    assertError(get("/api/v1/series"), 400, "bad_data", "no match[] parameter provided");
    assertError(get("/api/v1/series?match[]=%7Bjob%3D~%22.*%22%7D"), 400, "bad_data",
        "1:1: parse error: vector selector must contain at least one non-empty matcher");
    assertError(get("/api/v1/series?match[]=up%7Bjob%3D%7D"), 400, "bad_data",
        "1:8: parse error: unexpected '}' in label matching, expected string");
  }

  @Test
  void metadataCallsDefaultToTheLookbackBeforeNow() {
    // "old" is 3 days old: outside the 1 d default range, inside an explicit one
    Reply r = get("/api/v1/label/__name__/values");
    assertThat(r.json.at("/data").toString()).isEqualTo("[\"http_requests_total\",\"up\"]");
    assertThat(store.lastMaxt).isEqualTo(NOW);
    assertThat(store.lastMint).isEqualTo(NOW - Duration.ofDays(1).toMillis());
    r = get("/api/v1/label/__name__/values?start=0");
    assertThat(r.json.at("/data").toString()).isEqualTo("[\"http_requests_total\",\"old\",\"up\"]");
  }

  @Test
  void labelsAndLabelValues() {
    Reply r = get("/api/v1/labels");
    assertThat(r.json.at("/data").toString())
        .isEqualTo("[\"__name__\",\"http.status_code\",\"instance\",\"job\"]");
    r = post("/api/v1/labels", "match[]=up&match[]=up%7Bjob%3D%22db%22%7D");
    assertThat(r.json.at("/data").toString()).isEqualTo("[\"__name__\",\"instance\",\"job\"]");
    r = get("/api/v1/labels?limit=2");
    assertThat(r.json.at("/data")).hasSize(2);
    assertThat(r.json.at("/warnings/0").asText()).isEqualTo("results truncated due to limit");

    r = get("/api/v1/label/job/values?match[]=up");
    assertThat(r.json.at("/data").toString()).isEqualTo("[\"api\",\"db\"]");
    // Grafana's U__ escaping of names outside [a-zA-Z0-9_]
    r = get("/api/v1/label/U__http_2e_status__code/values");
    assertThat(r.status).isEqualTo(200);
    assertThat(r.json.at("/data").toString()).isEqualTo("[\"200\"]");
    r = get("/api/v1/label/http.status_code/values");
    assertThat(r.json.at("/data").toString()).isEqualTo("[\"200\"]");
    assertThat(get("/api/v1/label/nope/values").json.at("/data").toString()).isEqualTo("[]");
    assertError(get("/api/v1/label/%ED%A0%80/values"), 400, "bad_data",
        "invalid label name: \"%ED%A0%80\" (expected: UTF-8)");
    assertThat(post("/api/v1/label/job/values", "").status).isEqualTo(405);
  }

  @Test
  void metadata() {
    Reply r = get("/api/v1/metadata");
    assertThat(r.json.at("/data").toString()).isEqualTo("{"
        + "\"http_requests_total\":[{\"type\":\"counter\",\"help\":\"Requests.\",\"unit\":\"\"}],"
        + "\"up\":[{\"type\":\"gauge\",\"help\":\"1 if the target is up\",\"unit\":\"\"}]}");
    assertThat(get("/api/v1/metadata?metric=up").json.at("/data").size()).isEqualTo(1);
    assertThat(get("/api/v1/metadata?limit=1").json.at("/data").size()).isEqualTo(1);
    assertThat(get("/api/v1/metadata?limit=0").json.at("/data").size()).isZero();
    assertThat(get("/api/v1/metadata?limit_per_metric=0").json.at("/data/up")).isEmpty();
    assertError(get("/api/v1/metadata?limit=x"), 400, "bad_data",
        "invalid parameter \"limit\": strconv.Atoi: parsing \"x\": invalid syntax");
  }

  @Test
  void exemplarsAcceptGrafanasMillisecondProbe() {
    Reply r = get("/api/v1/query_exemplars?query=http_requests_total&start=" + (NOW / 1000 - 60) + "&end="
        + NOW / 1000);
    assertThat(r.status).isEqualTo(200);
    assertThat(r.body).isEqualTo("{\"status\":\"success\",\"data\":[{\"seriesLabels\":{\"__name__\":\"http_requests_total\","
        + "\"http.status_code\":\"200\"},\"exemplars\":[{\"labels\":{\"trace_id\":\"0af7651916cd43dd8448eb211c80319c\"},"
        + "\"value\":\"6\",\"timestamp\":" + (NOW - 1500) / 1000 + ".500}]}]}");
    // Grafana's init probe sends milliseconds where seconds belong: Prometheus answers success, so must we
    r = get("/api/v1/query_exemplars?query=test&start=" + (NOW - 3_600_000) + "&end=" + NOW);
    assertThat(r.status).isEqualTo(200);
    assertThat(r.json.at("/status").asText()).isEqualTo("success");
    assertThat(r.json.at("/data")).isEmpty();
    r = get("/api/v1/query_exemplars?query=sum(x");
    assertThat(r.status).isEqualTo(400);
    assertThat(r.json.at("/error").asText()).startsWith("invalid parameter \"query\": 1:");
  }

  @Test
  void buildInfoHasNoFeaturesKey() {
    Reply r = get("/api/v1/status/buildinfo");
    assertThat(r.body).isEqualTo("{\"status\":\"success\",\"data\":{\"version\":\"0.1.0\",\"revision\":\"abc\","
        + "\"branch\":\"main\",\"buildUser\":\"ci\",\"buildDate\":\"20261127\",\"goVersion\":\"java"
        + Runtime.version() + "\"}}");
    assertThat(post("/api/v1/status/buildinfo", "").status).isEqualTo(405);
  }

  @Test
  void formatAndParseQueryGoThroughTheWiredSyntax() {
    Reply r = get("/syntax/api/v1/format_query?query=%20SUM%20");
    assertThat(r.body).isEqualTo("{\"status\":\"success\",\"data\":\"sum\"}");
    assertError(post("/syntax/api/v1/format_query", "query=sum(x"), 400, "bad_data",
        "invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis");
    r = post("/syntax/api/v1/parse_query", "query=up");
    assertThat(r.json.at("/data/type").asText()).isEqualTo("vectorSelector");
    assertThat(r.json.at("/data/offset").asInt()).isZero();
    assertThat(r.json.at("/data/matchers/0/value").asText()).isEqualTo("up");
    // the default syntax is the engine's own parser
    r = get("/bare/api/v1/format_query?query=sum(rate(x%5B5m%5D))by(job)");
    assertThat(r.json.at("/data").asText()).isEqualTo("sum by (job) (rate(x[5m]))");
    r = get("/bare/api/v1/parse_query?query=up%7Bjob%3D%22a%22%7D");
    assertThat(r.json.at("/data/type").asText()).isEqualTo("vectorSelector");
    r = get("/bare/api/v1/format_query?query=sum(");
    assertThat(r.status).isEqualTo(400);
    assertThat(r.json.at("/error").asText()).startsWith("invalid parameter \"query\": 1:");
    r = get("/bare/api/v1/query_exemplars?query=rate(http_requests_total%5B5m%5D)%2Bon()%20group_left%20up");
    assertThat(r.status).isEqualTo(200);
    assertThat(r.json.at("/data/0/seriesLabels/__name__").asText()).isEqualTo("http_requests_total");
  }

  @Test
  void emptyRulesAndAlertsUnknownPathsAndMethods() {
    assertThat(get("/api/v1/rules").body).isEqualTo("{\"status\":\"success\",\"data\":{\"groups\":[]}}");
    assertThat(get("/api/v1/alerts").body).isEqualTo("{\"status\":\"success\",\"data\":{\"alerts\":[]}}");
    assertError(get("/api/v1/targets"), 404, "not_found", "unknown API endpoint: /api/v1/targets");
    Reply r = exec(HttpRequest.of(HttpMethod.DELETE, "/api/v1/series?match[]=up"));
    assertThat(r.status).isEqualTo(405);
    assertThat(meters.find("loupe.query.api.requests").tag("endpoint", "query").timers()).isNotEmpty();
  }

  @Test
  void largeAnswersStreamInChunks() {
    int series = 200;
    int points = 500;
    List<Matrix.Series> all = new ArrayList<>();
    for (int s = 0; s < series; s++) {
      long[] ts = new long[points];
      double[] vs = new double[points];
      for (int i = 0; i < points; i++) {
        ts[i] = i * 15_000L;
        vs[i] = s + i / 7.0;
      }
      all.add(new Matrix.Series(Labels.of("__name__", "m", "s", Integer.toString(s)), ts, vs, points));
    }
    engine.result = new Matrix(all);
    Reply r = get("/api/v1/query_range?query=m&start=0&end=7500&step=15");
    assertThat(r.status).isEqualTo(200);
    assertThat(r.body.length()).isGreaterThan(10 * 32 * 1024);
    assertThat(r.json.at("/data/result")).hasSize(series);
    assertThat(r.json.at("/data/result/199/values/499/1").asText()).isEqualTo(Double.toString(199 + 499 / 7.0));
  }

  @Test
  void aClientThatDisconnectsCancelsItsQuery() throws Exception {
    engine.blockUntilCancelled = true;
    StubEngine e = engine;
    java.util.concurrent.CountDownLatch started = e.started;
    try (ClientFactory cf = ClientFactory.builder().build()) {
      WebClient client = WebClient.builder(server.httpUri()).factory(cf).responseTimeoutMillis(300).build();
      client.get("/api/v1/query?query=slow").aggregate().handle((res, err) -> null);
      assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(e.sawCancel.await(10, TimeUnit.SECONDS)).as("engine saw the cancellation").isTrue();
    }
  }

  @Test
  void aClientThatGoesAwayMidAnswerStopsTheWriting() throws Exception {
    List<Matrix.Series> all = new ArrayList<>();
    for (int s = 0; s < 2000; s++) {
      long[] ts = new long[200];
      double[] vs = new double[200];
      for (int i = 0; i < 200; i++) {
        ts[i] = i * 15_000L;
        vs[i] = i / 3.0;
      }
      all.add(new Matrix.Series(Labels.of("__name__", "m", "s", Integer.toString(s)), ts, vs, 200));
    }
    engine.result = new Matrix(all); // about 12 MiB of JSON
    // the client gives up after 64 KiB: the server must notice, stop writing and count a 499
    WebClient client = WebClient.builder(server.httpUri()).maxResponseLength(64 * 1024).build();
    Throwable failure = client.get("/api/v1/query_range?query=m&start=0&end=3000&step=15").aggregate()
        .handle((res, err) -> err).join();
    assertThat(failure).isNotNull();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (meters.find("loupe.query.api.requests").tag("endpoint", "query_range").tag("status", "499").timer() == null
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(meters.find("loupe.query.api.requests").tag("endpoint", "query_range").tag("status", "499").timer())
        .isNotNull();
  }

  static void assertError(Reply r, int status, String type, String message) {
    assertThat(r.status).as(r.body).isEqualTo(status);
    assertThat(r.json.at("/status").asText()).isEqualTo("error");
    assertThat(r.json.at("/errorType").asText()).isEqualTo(type);
    assertThat(r.json.at("/error").asText()).isEqualTo(message);
    assertThat(r.json.size()).isEqualTo(3);
  }
}
