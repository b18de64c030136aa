package io.loupe.query.trace;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.loupe.model.SpanReader;
import io.loupe.model.SpanRecord;
import io.loupe.model.Tenant;
import io.loupe.query.api.BuildInfo;
import io.loupe.query.api.internal.ApiError;
import io.loupe.query.api.internal.JsonResponses;
import io.loupe.query.promql.QueryException;
import io.loupe.query.trace.internal.BlockingHttp;
import io.loupe.query.trace.internal.OtlpJson;
import io.loupe.query.trace.internal.OtlpProto;
import io.loupe.query.trace.internal.SpanGroups;
import io.loupe.query.trace.internal.TraceIds;
import io.loupe.model.InvalidInputException;
import io.loupe.model.TagScope;
import io.loupe.model.TraceQuery;
import io.loupe.model.TraceSearcher;
import io.loupe.model.TraceSummary;
import io.loupe.query.api.internal.Params;
import com.fasterxml.jackson.core.JsonGenerator;
import io.loupe.query.trace.internal.GoDurations;
import io.loupe.query.trace.internal.SpanSets;
import io.loupe.query.trace.internal.TraceQl;
import io.loupe.query.trace.internal.TraceSearchParams;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The part of Grafana Tempo's HTTP API that Grafana's Tempo datasource needs to open a trace: {@code /api/echo}, {@code
 * /api/status/buildinfo}, {@code /api/traces/<id>} and {@code /api/v2/traces/<id>}, over a {@link SpanReader}. Mount
 * with {@code serverBuilder.serviceUnder("/tempo/", tempo.httpService())}.
 *
 * <p>Traces are OTLP JSON (hex ids) by default, protobuf with {@code Accept: application/protobuf} ({@code
 * tempopb.Trace} for v1, {@code tempopb.TraceByIDResponse} for v2); 404 when the trace is unknown; ids shorter than
 * 32 hex digits are left-padded with zeros. {@code start}/{@code end} are accepted and ignored (the store finds a
 * trace by id alone).
 *
 * <p>With a {@link TraceSearcher} it also answers {@code /api/search} (a TraceQL subset in {@code q}, see {@link
 * TraceQl}, or legacy logfmt {@code tags}), {@code /api/search/tags}, {@code /api/v2/search/tags}, {@code
 * /api/search/tag/<t>/values} and {@code /api/v2/search/tag/<t>/values}; without one these answer 404.
 */
public final class TempoApi {
  static final MediaType PROTOBUF = MediaType.parse("application/protobuf");

  /** Tempo's default search limit. */
  static final int DEFAULT_LIMIT = 20;
  /** The search window when {@code start} and {@code end} are absent: the last hour. */
  static final long DEFAULT_WINDOW_NANOS = 3_600_000_000_000L;
  /** Spans listed per trace ({@code spss}): Tempo's default, and a bound. */
  static final int DEFAULT_SPSS = 3;
  static final int MAX_SPSS = 1000;
  /** Hits whose spans are listed: each costs a trace read, and a search may ask for 10,000 traces. */
  static final int MAX_SPAN_SET_TRACES = 200;
  static final int DEFAULT_TAG_VALUES_LIMIT = 5000;
  static final int MAX_TAG_VALUES_LIMIT = 100_000;
  /** The intrinsics the TraceQL subset serves, in Tempo's order of its intrinsic scope. */
  static final List<String> INTRINSICS = List.of("duration", "kind", "name", "rootName", "rootServiceName", "status",
      "traceDuration");
  static final List<String> STATUS_VALUES = List.of("error", "ok", "unset");
  static final List<String> KIND_VALUES = List.of("client", "consumer", "internal", "producer", "server",
      "unspecified");

  private final SpanReader reader;
  private final TraceSearcher searcher;
  private final BuildInfo buildInfo;
  private final Clock clock;

  /**
   * @param buildInfo what {@code /api/status/buildinfo} reports; Grafana reads its {@code version} as a Tempo version
   *     and turns streaming search on at 2.2.0 and above, which Loupe does not serve: keep it below 2.2.0 (Loupe's own
   *     0.x is).
   */
  public TempoApi(SpanReader reader, BuildInfo buildInfo) {
    this(reader, null, buildInfo, Clock.systemUTC());
  }

  /** Trace by id and search; {@code searcher} sees the same tenants as {@code reader}. */
  public TempoApi(SpanReader reader, TraceSearcher searcher, BuildInfo buildInfo) {
    this(reader, requireNonNull(searcher, "searcher"), buildInfo, Clock.systemUTC());
  }

  TempoApi(SpanReader reader, TraceSearcher searcher, BuildInfo buildInfo, Clock clock) {
    this.reader = requireNonNull(reader, "reader");
    this.searcher = searcher;
    this.buildInfo = requireNonNull(buildInfo, "buildInfo");
    this.clock = requireNonNull(clock, "clock");
  }

  /** The service to mount under {@code /tempo/}. */
  public HttpService httpService() {
    return (ctx, req) -> BlockingHttp.serve(ctx, req, (agg, res) -> handle(ctx, agg, res), TempoApi::error);
  }

  private void handle(ServiceRequestContext ctx, AggregatedHttpRequest req, HttpResponseWriter res) throws Exception {
    String path = ctx.mappedPath();
    if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
      throw new QueryException(QueryException.ErrorType.NOT_FOUND, "no such endpoint: " + req.method() + " " + path);
    }
    if (path.equals("/api/echo")) {
      text(res, HttpStatus.OK, "echo");
    } else if (path.equals("/api/status/buildinfo")) {
      // flat, not wrapped in {status, data}: Grafana reads the top-level version
      JsonResponses.send(res, HttpStatus.OK, null, g -> {
        g.writeStartObject();
        g.writeStringField("version", buildInfo.version());
        g.writeStringField("revision", buildInfo.revision());
        g.writeStringField("branch", buildInfo.branch());
        g.writeStringField("buildDate", buildInfo.buildDate());
        g.writeStringField("buildUser", buildInfo.buildUser());
        g.writeStringField("goVersion", buildInfo.goVersion());
        g.writeEndObject();
      });
    } else if (searcher != null && path.equals("/api/search")) {
      search(req, res);
    } else if (searcher != null && path.equals("/api/search/tags")) {
      tags(req, res, false);
    } else if (searcher != null && path.equals("/api/v2/search/tags")) {
      tags(req, res, true);
    } else if (searcher != null && tagOf(ctx, "/api/search/tag/") != null) {
      tagValues(req, res, tagOf(ctx, "/api/search/tag/"), false);
    } else if (searcher != null && tagOf(ctx, "/api/v2/search/tag/") != null) {
      tagValues(req, res, tagOf(ctx, "/api/v2/search/tag/"), true);
    } else if (path.startsWith("/api/traces/") && path.indexOf('/', 12) < 0) {
      trace(req, res, path.substring("/api/traces/".length()), false);
    } else if (path.startsWith("/api/v2/traces/") && path.indexOf('/', 15) < 0) {
      trace(req, res, path.substring("/api/v2/traces/".length()), true);
    } else {
      throw new QueryException(QueryException.ErrorType.NOT_FOUND, "no such endpoint: " + path);
    }
  }

  private void trace(AggregatedHttpRequest req, HttpResponseWriter res, String rawId, boolean v2) throws Exception {
    String traceId = TraceIds.normalize(rawId);
    Tenant tenant = Tenant.fromHeader(req.headers().get(Tenant.HEADER));
    List<SpanRecord> spans = reader.trace(tenant, traceId);
    if (spans.isEmpty()) {
      throw new QueryException(QueryException.ErrorType.NOT_FOUND, "trace not found");
    }
    List<SpanGroups.Resource> groups = SpanGroups.of(spans);
    String accept = req.headers().get(HttpHeaderNames.ACCEPT, "");
    if (accept.contains("application/protobuf") || accept.contains("application/x-protobuf")) {
      byte[] body = v2 ? OtlpProto.traceByIdResponse(groups) : OtlpProto.trace(groups);
      res.write(ResponseHeaders.builder(HttpStatus.OK).contentType(PROTOBUF).contentLength(body.length).build());
      res.write(HttpData.wrap(body));
      res.close();
      return;
    }
    JsonResponses.send(res, HttpStatus.OK, null, g -> {
      g.writeStartObject();
      if (v2) {
        g.writeObjectFieldStart("trace");
        OtlpJson.resourceSpansField(g, groups);
        g.writeEndObject();
        g.writeStringField("status", "COMPLETE");
      } else {
        OtlpJson.resourceSpansField(g, groups);
      }
      g.writeEndObject();
    });
  }

  /** The tag of {@code <prefix><tag>/values}, percent-decoded, or null when the path is not that. */
  private static String tagOf(ServiceRequestContext ctx, String prefix) {
    String path = ctx.decodedMappedPath();
    if (!path.startsWith(prefix) || !path.endsWith("/values") || path.length() <= prefix.length() + 7) {
      return null;
    }
    return path.substring(prefix.length(), path.length() - "/values".length());
  }

  private void search(AggregatedHttpRequest req, HttpResponseWriter res) throws Exception {
    Tenant tenant = Tenant.fromHeader(req.headers().get(Tenant.HEADER));
    Params p = Params.of(req);
    int limit = TraceSearchParams.intParam(p, "limit", DEFAULT_LIMIT, 1, TraceQuery.MAX_LIMIT);
    int spss = TraceSearchParams.intParam(p, "spss", DEFAULT_SPSS, 1, MAX_SPSS);
    long nowNanos = clock.millis() * 1_000_000L;
    // unix seconds; end covers its whole second, so that spans of the second Grafana rounds to are found
    long end = p.get("end").isEmpty() ? nowNanos
        : TraceSearchParams.seconds(p, "end") * 1_000_000_000L + 999_999_999L;
    long start = p.get("start").isEmpty() ? end - DEFAULT_WINDOW_NANOS
        : TraceSearchParams.seconds(p, "start") * 1_000_000_000L;
    if (start > end) {
      throw new InvalidInputException("start: " + p.get("start") + " (expected: <= end " + p.get("end") + ")");
    }
    long minDuration = p.get("minDuration").isEmpty() ? 0 : GoDurations.parseNanos("minDuration", p.get("minDuration"));
    long maxDuration = p.get("maxDuration").isEmpty() ? Long.MAX_VALUE
        : GoDurations.parseNanos("maxDuration", p.get("maxDuration"));
    if (maxDuration < minDuration) {
      throw new InvalidInputException("maxDuration: " + p.get("maxDuration") + " (expected: >= minDuration "
          + p.get("minDuration") + ")");
    }
    String traceQl = p.get("q");
    TraceQl.Query parsed = traceQl.isBlank() ? new TraceQl.Query(List.of(), List.of()) : TraceQl.parse(traceQl);
    boolean traceFilter = minDuration > 0 || maxDuration != Long.MAX_VALUE || !parsed.traceConditions().isEmpty();
    // Tempo's min/maxDuration and TraceQL's traceDuration, rootName, rootServiceName are about the whole trace, which
    // the SPI does not index (its conditions are per span): ask for more traces and filter their summaries here
    int fetch = traceFilter ? (int) Math.min(TraceQuery.MAX_LIMIT, limit * 10L) : limit;
    TraceQuery q = TraceQuery.between(start, end, fetch).withSpanFilters(parsed.spanFilters());
    if (!p.get("tags").isBlank()) {
      q = TraceSearchParams.applyTags(q, TraceSearchParams.logfmt("tags", p.get("tags")));
    }
    List<TraceSummary> found = searcher.search(tenant, q);
    List<TraceSummary> out = new ArrayList<>(Math.min(found.size(), limit));
    for (TraceSummary t : found) {
      if (out.size() < limit && t.durationNanos() >= minDuration && t.durationNanos() <= maxDuration
          && parsed.traceConditions().stream().allMatch(c -> c.matches(t))) {
        out.add(t);
      }
    }
    // one trace read per hit for the spans Grafana lists under each trace, for the first MAX_SPAN_SET_TRACES hits
    List<SpanSets.SpanSet> spanSets = new ArrayList<>(out.size());
    for (TraceSummary t : out) {
      spanSets.add(spanSets.size() < MAX_SPAN_SET_TRACES
          ? SpanSets.of(reader.trace(tenant, t.traceId()), q.spanFilters(), spss)
          : new SpanSets.SpanSet(List.of(), 0, List.of()));
    }
    JsonResponses.send(res, HttpStatus.OK, null, g -> {
      g.writeStartObject();
      g.writeArrayFieldStart("traces");
      for (int i = 0; i < out.size(); i++) {
        TraceSummary t = out.get(i);
        g.writeStartObject();
        g.writeStringField("traceID", tempoId(t.traceId()));
        g.writeStringField("rootServiceName", t.rootServiceName());
        g.writeStringField("rootTraceName", t.rootSpanName());
        g.writeStringField("startTimeUnixNano", Long.toUnsignedString(t.startEpochNanos()));
        g.writeNumberField("durationMs", t.durationNanos() / 1_000_000);
        SpanSets.SpanSet set = spanSets.get(i);
        if (set.matched() > 0) {
          // spanSets is current; spanSet, the same first set, is what Grafana before 10 reads
          g.writeArrayFieldStart("spanSets");
          spanSet(g, set);
          g.writeEndArray();
          g.writeFieldName("spanSet");
          spanSet(g, set);
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeObjectFieldStart("metrics");
      g.writeNumberField("inspectedTraces", found.size());
      g.writeEndObject();
      g.writeEndObject();
    });
  }

  private static void spanSet(JsonGenerator g, SpanSets.SpanSet set) throws java.io.IOException {
    g.writeStartObject();
    g.writeArrayFieldStart("spans");
    for (SpanRecord s : set.spans()) {
      g.writeStartObject();
      g.writeStringField("spanID", s.spanId());
      g.writeStringField("name", s.name());
      g.writeStringField("startTimeUnixNano", Long.toUnsignedString(s.startEpochNanos()));
      g.writeStringField("durationNanos", Long.toString(s.durationNanos()));
      OtlpJson.attributesField(g, SpanSets.attributes(s, set.attributeKeys()));
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeNumberField("matched", set.matched());
    g.writeEndObject();
  }

  /** Tempo prints search hits' ids without leading zeros ({@code util.TraceIDToHexString}). */
  static String tempoId(String traceId32) {
    int i = 0;
    while (i < traceId32.length() - 1 && traceId32.charAt(i) == '0') {
      i++;
    }
    return traceId32.substring(i);
  }

  /**
   * The {@code [start, end]} of a tag listing in nanoseconds: Grafana sends {@code start} and {@code end} (unix
   * seconds) when it limits tags to the time picker's range; without them every stored span counts.
   */
  private static long[] tagRange(Params p) {
    long start = p.get("start").isEmpty() ? Long.MIN_VALUE : TraceSearchParams.seconds(p, "start") * 1_000_000_000L;
    long end = p.get("end").isEmpty() ? Long.MAX_VALUE
        : TraceSearchParams.seconds(p, "end") * 1_000_000_000L + 999_999_999L;
    if (start > end) {
      throw new InvalidInputException("start: " + p.get("start") + " (expected: <= end " + p.get("end") + ")");
    }
    return new long[] {start, end};
  }

  private void tags(AggregatedHttpRequest req, HttpResponseWriter res, boolean v2) throws Exception {
    Tenant tenant = Tenant.fromHeader(req.headers().get(Tenant.HEADER));
    long[] range = tagRange(Params.of(req));
    if (!v2) {
      List<String> names = searcher.tagNames(tenant, TagScope.ANY, range[0], range[1]);
      JsonResponses.send(res, HttpStatus.OK, null, g -> {
        g.writeStartObject();
        g.writeArrayFieldStart("tagNames");
        for (String n : names) {
          g.writeString(n);
        }
        g.writeEndArray();
        g.writeEndObject();
      });
      return;
    }
    String scope = Params.of(req).get("scope");
    List<String> scopes = switch (scope) {
      case "", "all", "none" -> List.of("resource", "span", "intrinsic");
      case "resource", "span", "intrinsic", "event", "link", "instrumentation" -> List.of(scope);
      default -> throw new InvalidInputException("scope: '" + scope
          + "' (expected: resource, span, intrinsic, event, link, instrumentation or none)");
    };
    List<List<String>> tagLists = new ArrayList<>();
    for (String s : scopes) {
      tagLists.add(switch (s) {
        case "resource" -> searcher.tagNames(tenant, TagScope.RESOURCE, range[0], range[1]);
        case "span" -> searcher.tagNames(tenant, TagScope.SPAN, range[0], range[1]);
        case "intrinsic" -> INTRINSICS;
        default -> List.of(); // events, links and scopes are not indexed
      });
    }
    JsonResponses.send(res, HttpStatus.OK, null, g -> {
      g.writeStartObject();
      g.writeArrayFieldStart("scopes");
      for (int i = 0; i < scopes.size(); i++) {
        g.writeStartObject();
        g.writeStringField("name", scopes.get(i));
        g.writeArrayFieldStart("tags");
        for (String t : tagLists.get(i)) {
          g.writeString(t);
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    });
  }

  private void tagValues(AggregatedHttpRequest req, HttpResponseWriter res, String tag, boolean v2) throws Exception {
    Tenant tenant = Tenant.fromHeader(req.headers().get(Tenant.HEADER));
    int limit = TraceSearchParams.intParam(Params.of(req), "limit", DEFAULT_TAG_VALUES_LIMIT, 1,
        MAX_TAG_VALUES_LIMIT);
    long[] range = tagRange(Params.of(req));
    String type = null; // null: typed per value
    List<String> values;
    if (!v2) {
      values = attributeValues(tenant, TagScope.ANY, tag, limit, range);
    } else {
      switch (tag) {
        case "rootServiceName", "trace:rootService" -> {
          values = searcher.services(tenant, range[0], range[1]).stream().limit(limit).toList();
          type = "string";
        }
        case "name", "span:name", "rootName", "trace:rootName" -> {
          TreeSet<String> names = new TreeSet<>();
          // the first names in sort order over all services; the set never holds more than limit of them
          for (String svc : searcher.services(tenant, range[0], range[1])) {
            names.addAll(searcher.operations(tenant, svc, range[0], range[1]));
            while (names.size() > limit) {
              names.pollLast();
            }
          }
          values = names.stream().limit(limit).toList();
          type = "string";
        }
        case "status", "span:status" -> {
          values = STATUS_VALUES;
          type = "keyword";
        }
        case "kind", "span:kind" -> {
          values = KIND_VALUES;
          type = "keyword";
        }
        case "duration", "span:duration", "traceDuration", "trace:duration" -> values = List.of();
        default -> {
          TagScope scope;
          String key;
          if (tag.startsWith("resource.")) {
            scope = TagScope.RESOURCE;
            key = tag.substring("resource.".length());
          } else if (tag.startsWith("span.")) {
            scope = TagScope.SPAN;
            key = tag.substring("span.".length());
          } else if (tag.startsWith(".")) {
            scope = TagScope.ANY;
            key = tag.substring(1);
          } else {
            throw new InvalidInputException("tag: '" + tag
                + "' (expected: resource.<name>, span.<name>, .<name> or one of name, status, kind, duration)");
          }
          if (key.length() > 2 && key.startsWith("\"") && key.endsWith("\"")) {
            key = key.substring(1, key.length() - 1);
          }
          if (key.isEmpty()) {
            throw new InvalidInputException("tag: '" + tag + "' (expected: a name after the scope)");
          }
          values = attributeValues(tenant, scope, key, limit, range);
        }
      }
    }
    String fixedType = type;
    JsonResponses.send(res, HttpStatus.OK, null, g -> {
      g.writeStartObject();
      g.writeArrayFieldStart("tagValues");
      for (String v : values) {
        if (v2) {
          g.writeStartObject();
          g.writeStringField("type", fixedType != null ? fixedType : TraceSearchParams.typeOf(v));
          g.writeStringField("value", v);
          g.writeEndObject();
        } else {
          g.writeString(v);
        }
      }
      g.writeEndArray();
      g.writeEndObject();
    });
  }

  /** Values of an attribute; {@code service.name} of resources also from the service list the store keeps. */
  private List<String> attributeValues(Tenant tenant, TagScope scope, String key, int limit, long[] range) {
    List<String> values = searcher.tagValues(tenant, scope, key, limit, range[0], range[1]);
    if (scope != TagScope.SPAN && key.equals(SpanRecord.SERVICE_NAME)) {
      TreeSet<String> merged = new TreeSet<>(values);
      merged.addAll(searcher.services(tenant, range[0], range[1]));
      return merged.stream().limit(limit).toList();
    }
    return values;
  }

  /** Tempo answers errors as plain text with the status. */
  private static void error(HttpResponseWriter res, ApiError e) {
    text(res, e.status(), e.message());
  }

  private static void text(HttpResponseWriter res, HttpStatus status, String body) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    res.write(ResponseHeaders.builder(status).contentType(MediaType.PLAIN_TEXT_UTF_8).contentLength(b.length).build());
    res.write(HttpData.wrap(b));
    res.close();
  }
}
