package io.loupe.query.api;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonGenerator;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.util.TimeoutMode;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.MetricMetadata;
import io.loupe.model.Querier;
import io.loupe.model.Queryable;
import io.loupe.model.SelectHints;
import io.loupe.model.Series;
import io.loupe.model.SeriesExemplars;
import io.loupe.model.Tenant;
import io.loupe.query.api.internal.ApiError;
import io.loupe.query.api.internal.JsonOut;
import io.loupe.query.api.internal.JsonResponses;
import io.loupe.query.api.internal.LabelNames;
import io.loupe.query.api.internal.MergedLabels;
import io.loupe.query.api.internal.Params;
import io.loupe.query.api.internal.PromJson;
import io.loupe.query.api.internal.ResponseBodyStream.ClientGoneException;
import io.loupe.query.api.internal.SeriesSelectorParser;
import io.loupe.query.api.internal.TimeParams;
import io.loupe.query.promql.Engine;
import io.loupe.query.promql.QueryEngine;
import io.loupe.query.promql.QueryException;
import io.loupe.query.promql.QueryException.ErrorType;
import io.loupe.query.promql.QueryResult;
import io.loupe.query.promql.Value;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prometheus's HTTP API v1 over a {@link Queryable} and a {@link QueryEngine}: {@code query}, {@code query_range},
 * {@code series}, {@code labels}, {@code label/<name>/values}, {@code metadata}, {@code query_exemplars}, {@code
 * status/buildinfo}, {@code format_query}, {@code parse_query}, and empty {@code rules} and {@code alerts} while no rules
 * engine runs. Mount it with {@code serverBuilder.serviceUnder("/api/v1/", api.httpService())}; {@code write}, {@code
 * admin/*} and {@code status/tsdb} are not served here. docs/http-api.md describes every endpoint.
 *
 * <p>Requests are decoded on the event loop, then everything else (parameters, store and engine calls, writing the
 * answer) runs on the request's blocking-task executor. Answers stream to the client in 32 KiB chunks. A client that
 * disconnects cancels its query. {@code X-Scope-OrgID} selects the tenant.
 */
public final class PrometheusApi {
  private static final Logger log = LoggerFactory.getLogger(PrometheusApi.class);

  /** Prometheus's cap on points per series of a range query. */
  static final long MAX_POINTS_PER_SERIES = 11_000;

  /** Armeria's request timeout must outlast the query timeout so the engine, not the server, reports it. */
  private static final Duration REQUEST_TIMEOUT_SLACK = Duration.ofSeconds(30);

  private final Queryable queryable;
  private final QueryEngine engine;
  private final PromqlSyntax syntax;
  private final PrometheusApiOptions options;
  private final MeterRegistry registry;
  private final Clock clock;
  private final Map<String, Endpoint> endpoints = new LinkedHashMap<>();

  private PrometheusApi(Builder b) {
    this.queryable = b.queryable;
    this.engine = b.engine;
    this.syntax = b.syntax;
    this.options = b.options;
    this.registry = b.registry;
    this.clock = b.clock;
    Set<HttpMethod> getPost = Set.of(HttpMethod.GET, HttpMethod.POST);
    Set<HttpMethod> get = Set.of(HttpMethod.GET);
    endpoints.put("query", new Endpoint("query", getPost, this::query));
    endpoints.put("query_range", new Endpoint("query_range", getPost, this::queryRange));
    endpoints.put("query_exemplars", new Endpoint("query_exemplars", getPost, this::queryExemplars));
    endpoints.put("series", new Endpoint("series", getPost, this::series));
    endpoints.put("labels", new Endpoint("labels", getPost, this::labels));
    endpoints.put("metadata", new Endpoint("metadata", get, this::metadata));
    endpoints.put("status/buildinfo", new Endpoint("status/buildinfo", get, this::buildInfo));
    endpoints.put("format_query", new Endpoint("format_query", getPost, this::formatQuery));
    endpoints.put("parse_query", new Endpoint("parse_query", getPost, this::parseQuery));
    if (options.serveEmptyRules()) {
      endpoints.put("rules", new Endpoint("rules", get, c -> new Reply(g -> emptyList(g, "groups"))));
      endpoints.put("alerts", new Endpoint("alerts", get, c -> new Reply(g -> emptyList(g, "alerts"))));
    }
  }

  /** A builder over the store and the engine; syntax, options, meters and clock have defaults. */
  public static Builder builder(Queryable queryable, QueryEngine engine) {
    return new Builder(queryable, engine);
  }

  /** The service to mount under {@code /api/v1/}. */
  public HttpService httpService() {
    return this::serve;
  }

  // ---------------------------------------------------------------------------------------------- dispatch

  private HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
    String path = ctx.mappedPath();
    if (path.startsWith("/")) {
      path = path.substring(1);
    }
    Endpoint ep = endpoints.get(path);
    if (ep == null && path.startsWith("label/") && path.endsWith("/values")) {
      ep = new Endpoint("label_values", Set.of(HttpMethod.GET), labelValuesHandler(path));
    }
    HttpResponseWriter res = HttpResponse.streaming();
    Endpoint endpoint = ep;
    ctx.setRequestTimeout(TimeoutMode.SET_FROM_NOW, options.queryTimeout().plus(REQUEST_TIMEOUT_SLACK));
    req.aggregate().handleAsync((agg, cause) -> {
      run(ctx, res, endpoint, agg, cause);
      return null;
    }, ctx.blockingTaskExecutor());
    return res;
  }

  private void run(ServiceRequestContext ctx, HttpResponseWriter res, Endpoint ep, AggregatedHttpRequest agg,
      Throwable cause) {
    long startNanos = System.nanoTime();
    String name = ep == null ? "unknown" : ep.name;
    HttpStatus status = HttpStatus.OK;
    Reply reply = null;
    try {
      if (cause != null) {
        throw cause;
      }
      if (ep == null) {
        throw new QueryException(ErrorType.NOT_FOUND, "unknown API endpoint: " + ctx.path());
      }
      if (!ep.methods.contains(agg.method())) {
        status = HttpStatus.METHOD_NOT_ALLOWED;
        sendError(res, new ApiError(ErrorType.BAD_DATA.text(), status,
            "method " + agg.method() + " not allowed on " + ctx.path() + " (expected: " + ep.methods + ")", null));
        return;
      }
      Call call = new Call(ctx, res, Params.of(agg), Tenant.fromHeader(agg.headers().get(Tenant.HEADER)));
      reply = ep.handler.handle(call);
      Reply r = reply;
      if (r.bytes != null) {
        JsonResponses.sendBytes(res, HttpStatus.OK, out -> {
          out.raw("{\"status\":\"success\",\"data\":");
          r.bytes.write(out);
          annotations(out, "warnings", r.warnings);
          annotations(out, "infos", r.infos);
          out.raw('}');
        });
      } else {
        JsonResponses.send(res, HttpStatus.OK, null, g -> {
          g.writeStartObject();
          g.writeStringField("status", "success");
          g.writeFieldName("data");
          r.data.write(g);
          annotations(g, "warnings", r.warnings);
          annotations(g, "infos", r.infos);
          g.writeEndObject();
        });
      }
    } catch (ClientGoneException e) {
      status = ApiError.CLIENT_CLOSED_REQUEST;
      res.abort();
    } catch (JsonResponses.AnswerBrokenException e) {
      // the answer had begun: a status can no longer be sent, so end the stream so the client sees it broken
      log.warn("{} failed after its answer began: {}", name, e.getCause().toString());
      status = HttpStatus.INTERNAL_SERVER_ERROR;
      res.abort(e.getCause());
    } catch (Throwable t) {
      if (res.isOpen()) {
        ApiError err = ApiError.of(ctx.isCancelled() ? new java.util.concurrent.CancellationException() : t);
        status = err.status();
        try {
          sendError(res, err);
        } catch (IOException | RuntimeException e) {
          res.abort(e);
        }
      } else {
        status = ApiError.CLIENT_CLOSED_REQUEST;
      }
    } finally {
      if (reply != null && reply.resource != null) {
        try {
          reply.resource.close();
        } catch (Exception e) {
          log.warn("closing the querier of {} failed", name, e);
        }
      }
      Timer.builder("loupe.query.api.requests")
          .description("Prometheus API requests by endpoint and HTTP status")
          .tag("endpoint", name)
          .tag("status", Integer.toString(status.code()))
          .register(registry)
          .record(Duration.ofNanos(System.nanoTime() - startNanos));
    }
  }

  private static void annotations(JsonGenerator g, String field, List<String> list) throws IOException {
    if (list.isEmpty()) {
      return;
    }
    g.writeArrayFieldStart(field);
    for (String w : list) {
      g.writeString(w);
    }
    g.writeEndArray();
  }

  private static void annotations(JsonOut out, String field, List<String> list) throws IOException {
    if (list.isEmpty()) {
      return;
    }
    out.raw(",\"").raw(field).raw("\":[");
    for (int i = 0; i < list.size(); i++) {
      if (i > 0) {
        out.raw(',');
      }
      out.string(list.get(i));
    }
    out.raw(']');
  }

  private static void sendError(HttpResponseWriter res, ApiError err) throws IOException {
    JsonResponses.send(res, err.status(), err.retryAfter(), g -> {
      g.writeStartObject();
      g.writeStringField("status", "error");
      g.writeStringField("errorType", err.errorType());
      g.writeStringField("error", err.message());
      g.writeEndObject();
    });
  }

  private static void emptyList(JsonGenerator g, String field) throws IOException {
    g.writeStartObject();
    g.writeArrayFieldStart(field);
    g.writeEndArray();
    g.writeEndObject();
  }

  // ---------------------------------------------------------------------------------------------- endpoints

  private Reply query(Call c) {
    int limit = limitParam(c.params, false);
    long time = TimeParams.timeParam(c.params, "time", clock.millis());
    Duration timeout = timeoutParam(c.params);
    String q = c.params.get("query");
    Value v;
    try {
      if (engine instanceof Engine e) {
        v = annotated(c, e.instant(c.tenant, q, time, timeout, c.cancelled));
      } else {
        v = engine.instantQuery(c.tenant, q, time, timeout, c.cancelled);
      }
    } catch (QueryException e) {
      throw queryParamError(e);
    }
    return Reply.bytes(out -> PromJson.queryData(out, v, limit, c.warnings), c.warnings, c.infos);
  }

  private Reply queryRange(Call c) {
    int limit = limitParam(c.params, false);
    long start = TimeParams.requiredTime(c.params, "start");
    long end = TimeParams.requiredTime(c.params, "end");
    if (end < start) {
      throw new QueryException(ErrorType.BAD_DATA, "end timestamp must not be before start time");
    }
    long step;
    try {
      step = TimeParams.parseDurationMs(c.params.get("step"));
    } catch (IllegalArgumentException e) {
      throw TimeParams.invalidParam("step", e.getMessage());
    }
    if (step <= 0) {
      throw new QueryException(ErrorType.BAD_DATA,
          "zero or negative query resolution step widths are not accepted. Try a positive integer");
    }
    // For safety, Prometheus limits the points per series: 60 s resolution for a week, 1 h for a year.
    if ((end - start) / step > MAX_POINTS_PER_SERIES) {
      throw new QueryException(ErrorType.BAD_DATA,
          "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)");
    }
    Duration timeout = timeoutParam(c.params);
    String q = c.params.get("query");
    Value v;
    try {
      if (engine instanceof Engine e) {
        v = annotated(c, e.range(c.tenant, q, start, end, step, timeout, c.cancelled));
      } else {
        v = engine.rangeQuery(c.tenant, q, start, end, step, timeout, c.cancelled);
      }
    } catch (QueryException e) {
      throw queryParamError(e);
    }
    return Reply.bytes(out -> PromJson.queryData(out, v, limit, c.warnings), c.warnings, c.infos);
  }

  private Reply queryExemplars(Call c) {
    long start = TimeParams.timeParam(c.params, "start", TimeParams.MIN_TIME_MS);
    long end = TimeParams.timeParam(c.params, "end", TimeParams.MAX_TIME_MS);
    if (end < start) {
      throw new QueryException(ErrorType.BAD_DATA, "end timestamp must not be before start time");
    }
    List<List<Matcher>> selectors;
    try {
      selectors = syntax.selectors(c.params.get("query"));
    } catch (QueryException e) {
      throw queryParamError(e);
    }
    List<SeriesExemplars> found = selectors.isEmpty() ? List.of()
        : queryable.exemplars(c.tenant, start, end, selectors);
    return new Reply(g -> PromJson.exemplars(g, found));
  }

  private Reply series(Call c) {
    List<String> match = c.params.getAll("match[]");
    if (match.isEmpty()) {
      throw new QueryException(ErrorType.BAD_DATA, "no match[] parameter provided");
    }
    int limit = limitParam(c.params, true);
    long[] range = metadataRange(c.params);
    List<List<Matcher>> sets = matcherSets(match);
    Querier querier = queryable.querier(c.tenant, range[0], range[1]);
    try {
      // one more than the limit, to know whether the answer was cut
      SelectHints hints = SelectHints.labelsOnly(range[0], range[1], limit == Integer.MAX_VALUE ? 0 : limit + 1);
      List<Iterator<Series>> its = new ArrayList<>(sets.size());
      for (List<Matcher> set : sets) {
        its.add(querier.select(hints, set));
      }
      MergedLabels merged = new MergedLabels(its);
      return new Reply(g -> {
        g.writeStartArray();
        int n = 0;
        while (merged.hasNext()) {
          if (n == limit) {
            c.warnings.add(PromJson.TRUNCATED);
            break;
          }
          if ((n & 1023) == 0 && c.cancelled.getAsBoolean()) {
            throw new ClientGoneException();
          }
          PromJson.labels(g, merged.next());
          n++;
        }
        g.writeEndArray();
      }, c.warnings, List.of(), querier);
    } catch (RuntimeException e) {
      querier.close();
      throw e;
    }
  }

  private Reply labels(Call c) {
    int limit = limitParam(c.params, true);
    long[] range = metadataRange(c.params);
    List<String> match = c.params.getAll("match[]");
    List<List<Matcher>> sets = matcherSets(match);
    List<String> names;
    try (Querier querier = queryable.querier(c.tenant, range[0], range[1])) {
      if (sets.isEmpty()) {
        names = querier.labelNames(List.of());
      } else {
        TreeSet<String> all = new TreeSet<>();
        for (List<Matcher> set : sets) {
          all.addAll(querier.labelNames(set));
        }
        names = new ArrayList<>(all);
      }
    }
    return stringList(c, names, limit);
  }

  private Handler labelValuesHandler(String path) {
    String raw = path.substring("label/".length(), path.length() - "/values".length());
    return c -> {
      String decoded = percentDecode(raw);
      if (decoded == null) {
        throw new QueryException(ErrorType.BAD_DATA, "invalid label name: \"" + raw + "\" (expected: UTF-8)");
      }
      String name = LabelNames.unescape(decoded);
      if (!LabelNames.isValid(name)) {
        throw new QueryException(ErrorType.BAD_DATA, "invalid label name: \"" + name + "\"");
      }
      int limit = limitParam(c.params, true);
      long[] range = metadataRange(c.params);
      List<List<Matcher>> sets = matcherSets(c.params.getAll("match[]"));
      List<String> values;
      try (Querier querier = queryable.querier(c.tenant, range[0], range[1])) {
        if (sets.isEmpty()) {
          values = querier.labelValues(name, List.of());
        } else {
          TreeSet<String> all = new TreeSet<>();
          for (List<Matcher> set : sets) {
            all.addAll(querier.labelValues(name, set));
          }
          values = new ArrayList<>(all);
        }
      }
      return stringList(c, values, limit);
    };
  }

  private Reply metadata(Call c) {
    int limit = intParam(c.params, "limit", -1);
    int perMetric = intParam(c.params, "limit_per_metric", -1);
    String metric = c.params.get("metric");
    if (limit == 0) {
      return new Reply(g -> {
        g.writeStartObject();
        g.writeEndObject();
      });
    }
    Map<String, List<MetricMetadata>> found =
        queryable.metadata(c.tenant, metric.isEmpty() ? null : metric, limit < 0 ? 0 : limit);
    // sorted so that equal requests give equal answers (Prometheus's are in map order)
    Map<String, List<MetricMetadata>> sorted = new TreeMap<>(found);
    if (limit > 0 && sorted.size() > limit) {
      TreeMap<String, List<MetricMetadata>> cut = new TreeMap<>();
      for (Map.Entry<String, List<MetricMetadata>> e : sorted.entrySet()) {
        if (cut.size() == limit) {
          break;
        }
        cut.put(e.getKey(), e.getValue());
      }
      sorted = cut;
    }
    Map<String, List<MetricMetadata>> out = sorted;
    return new Reply(g -> PromJson.metadata(g, out, perMetric));
  }

  private Reply buildInfo(Call c) {
    BuildInfo b = options.buildInfo();
    return new Reply(g -> {
      // no "features" key: Grafana would take a non-empty one for Mimir and call its ruler API
      g.writeStartObject();
      g.writeStringField("version", b.version());
      g.writeStringField("revision", b.revision());
      g.writeStringField("branch", b.branch());
      g.writeStringField("buildUser", b.buildUser());
      g.writeStringField("buildDate", b.buildDate());
      g.writeStringField("goVersion", b.goVersion());
      g.writeEndObject();
    });
  }

  private Reply formatQuery(Call c) {
    String formatted;
    try {
      formatted = syntax.format(c.params.get("query"));
    } catch (QueryException e) {
      throw queryParamError(e);
    }
    return new Reply(g -> g.writeString(formatted));
  }

  private Reply parseQuery(Call c) {
    String json;
    try {
      json = syntax.astJson(c.params.get("query"));
    } catch (QueryException e) {
      throw queryParamError(e);
    }
    return new Reply(g -> g.writeRawValue(json));
  }

  // ---------------------------------------------------------------------------------------------- parameters

  private Reply stringList(Call c, List<String> all, int limit) {
    return new Reply(g -> {
      g.writeStartArray();
      int n = 0;
      for (String s : all) {
        if (n == limit) {
          c.warnings.add(PromJson.TRUNCATED);
          break;
        }
        g.writeString(s);
        n++;
      }
      g.writeEndArray();
    }, c.warnings);
  }

  /**
   * Keeps the warnings and infos of the engine's answer for the response. Only {@link Engine} reports them today:
   * {@link QueryEngine} returns a bare value (a default {@code QueryResult} method there would remove this test).
   */
  private static Value annotated(Call c, QueryResult r) {
    c.warnings.addAll(r.warnings());
    c.infos.addAll(r.infos());
    return r.value();
  }

  /** A parse error of the query reads {@code invalid parameter "query": 1:5: parse error: ...}, as Prometheus's. */
  private static QueryException queryParamError(QueryException e) {
    String msg = String.valueOf(e.getMessage());
    if (e.type() != ErrorType.BAD_DATA || msg.startsWith("invalid parameter")) {
      return e;
    }
    return TimeParams.invalidParam("query", msg);
  }

  private static List<List<Matcher>> matcherSets(List<String> match) {
    List<List<Matcher>> sets = new ArrayList<>(match.size());
    for (String m : match) {
      sets.add(SeriesSelectorParser.parse(m));
    }
    return sets;
  }

  /** {@code [start, end]} of a metadata call: end defaults to now, start to end minus the metadata lookback. */
  private long[] metadataRange(Params p) {
    long now = clock.millis();
    boolean hasStart = !p.get("start").isEmpty();
    long start = hasStart ? TimeParams.timeParam(p, "start", 0) : 0;
    long end = TimeParams.timeParam(p, "end", hasStart ? Math.max(now, start) : now);
    if (!hasStart) {
      start = end - options.metadataLookback().toMillis();
    }
    if (end < start) {
      throw new QueryException(ErrorType.BAD_DATA, "end timestamp must not be before start time");
    }
    return new long[] {start, end};
  }

  /**
   * Prometheus's {@code limit}: absent or 0 means none, negative is bad_data. For metadata calls the answer is also
   * capped at {@link PrometheusApiOptions#maxLimit()}; for queries 0 stays "all" (the engine has its own limits).
   */
  private int limitParam(Params p, boolean capped) {
    int limit = intParam(p, "limit", 0);
    if (limit < 0) {
      throw TimeParams.invalidParam("limit", "limit must be non-negative");
    }
    if (capped && (limit == 0 || limit > options.maxLimit())) {
      return options.maxLimit();
    }
    return limit;
  }

  private static int intParam(Params p, String name, int dflt) {
    String v = p.get(name);
    if (v.isEmpty()) {
      return dflt;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw TimeParams.invalidParam(name, "strconv.Atoi: parsing \"" + v + "\": invalid syntax");
    }
  }

  /** The request's {@code timeout}, capped by the configured query timeout. */
  private Duration timeoutParam(Params p) {
    String v = p.get("timeout");
    if (v.isEmpty()) {
      return options.queryTimeout();
    }
    long ms;
    try {
      ms = TimeParams.parseDurationMs(v);
    } catch (IllegalArgumentException e) {
      throw TimeParams.invalidParam("timeout", e.getMessage());
    }
    if (ms <= 0) {
      throw TimeParams.invalidParam("timeout", "timeout: " + v + " (expected: > 0)");
    }
    Duration d = Duration.ofMillis(ms);
    return d.compareTo(options.queryTimeout()) < 0 ? d : options.queryTimeout();
  }

  /** Decodes %XX sequences of a path segment as UTF-8 ({@code +} stays a plus in paths); null if not UTF-8. */
  static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '%' && i + 2 < s.length()
          && Character.digit(s.charAt(i + 1), 16) >= 0 && Character.digit(s.charAt(i + 2), 16) >= 0) {
        out.write(Character.digit(s.charAt(i + 1), 16) * 16 + Character.digit(s.charAt(i + 2), 16));
        i += 2;
      } else {
        byte[] b = String.valueOf(ch).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(out.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  // ---------------------------------------------------------------------------------------------- plumbing

  /** One request being answered. */
  private static final class Call {
    final ServiceRequestContext ctx;
    final Params params;
    final Tenant tenant;
    final BooleanSupplier cancelled;
    final List<String> warnings = new ArrayList<>(1);
    final List<String> infos = new ArrayList<>(1);

    Call(ServiceRequestContext ctx, HttpResponseWriter res, Params params, Tenant tenant) {
      this.ctx = ctx;
      this.params = params;
      this.tenant = tenant;
      this.cancelled = () -> ctx.isCancelled() || !res.isOpen();
    }
  }

  @FunctionalInterface
  private interface Handler {
    Reply handle(Call c) throws Exception;
  }

  private record Endpoint(String name, Set<HttpMethod> methods, Handler handler) {}

  /**
   * The {@code data} of a success answer, the warnings (which writing it may add to, so they follow it) and infos, and
   * what to close once it is written.
   */
  private record Reply(JsonResponses.Body data, JsonResponses.BytesBody bytes, List<String> warnings,
      List<String> infos, AutoCloseable resource) {
    Reply(JsonResponses.Body data, List<String> warnings, List<String> infos, AutoCloseable resource) {
      this(data, null, warnings, infos, resource);
    }

    Reply(JsonResponses.Body data) {
      this(data, List.of(), List.of(), null);
    }

    Reply(JsonResponses.Body data, List<String> warnings) {
      this(data, warnings, List.of(), null);
    }

    /** A query's answer, written as bytes: the points of a range answer are most of what the API ever writes. */
    static Reply bytes(JsonResponses.BytesBody bytes, List<String> warnings, List<String> infos) {
      return new Reply(null, bytes, warnings, infos, null);
    }
  }

  /** Builds a {@link PrometheusApi}. */
  public static final class Builder {
    private final Queryable queryable;
    private final QueryEngine engine;
    private PromqlSyntax syntax = PromqlSyntax.standard();
    private PrometheusApiOptions options = PrometheusApiOptions.defaults();
    private MeterRegistry registry = new SimpleMeterRegistry();
    private Clock clock = Clock.systemUTC();

    private Builder(Queryable queryable, QueryEngine engine) {
      this.queryable = requireNonNull(queryable, "queryable");
      this.engine = requireNonNull(engine, "engine");
    }

    /** The PromQL parser's formatting, syntax tree and selectors; default {@link PromqlSyntax#standard()}. */
    public Builder syntax(PromqlSyntax syntax) {
      this.syntax = requireNonNull(syntax, "syntax");
      return this;
    }

    public Builder options(PrometheusApiOptions options) {
      this.options = requireNonNull(options, "options");
      return this;
    }

    /** Where {@code loupe.query.api.requests} (a timer tagged by endpoint and status) is registered. */
    public Builder meterRegistry(MeterRegistry registry) {
      this.registry = requireNonNull(registry, "registry");
      return this;
    }

    /** The clock for defaulted times ("now"); tests fix it. */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    public PrometheusApi build() {
      return new PrometheusApi(this);
    }
  }
}
