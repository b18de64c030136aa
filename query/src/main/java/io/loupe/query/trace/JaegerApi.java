package io.loupe.query.trace;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonGenerator;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.loupe.model.InvalidInputException;
import io.loupe.model.SpanReader;
import io.loupe.model.SpanRecord;
import io.loupe.model.Tenant;
import io.loupe.model.TraceQuery;
import io.loupe.model.TraceSearcher;
import io.loupe.model.TraceSummary;
import io.loupe.query.api.internal.ApiError;
import io.loupe.query.api.internal.JsonResponses;
import io.loupe.query.api.internal.Params;
import io.loupe.query.promql.QueryException;
import io.loupe.query.trace.internal.BlockingHttp;
import io.loupe.query.trace.internal.GoDurations;
import io.loupe.query.trace.internal.JaegerJson;
import io.loupe.query.trace.internal.TraceIds;
import io.loupe.query.trace.internal.TraceSearchParams;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON of Jaeger's query API ({@code /api/...} of jaeger-query), over a {@link SpanReader} and, for everything
 * but trace by id, a {@link TraceSearcher}, for Grafana's Jaeger datasource. Mount with {@code
 * serverBuilder.serviceUnder("/jaeger/", jaeger.httpService())}.
 *
 * <p>Answers are Jaeger's envelope {@code {"data":...,"total":N,"limit":0,"offset":0,"errors":null}}; on failure
 * {@code "data":null} with {@code "errors":[{"code":400,"msg":"..."}]} and that status, as Jaeger does. Endpoints:
 * {@code /api/traces/<id>}; with a searcher also {@code /api/services}, {@code /api/services/<svc>/operations},
 * {@code /api/operations?service=&spanKind=}, {@code /api/traces?service=&operation=&tags=&minDuration=
 * &maxDuration=&limit=&start=&end=} (µs) and {@code /api/dependencies?endTs=&lookback=} (ms).
 */
public final class JaegerApi {
  /** jaeger-query's defaults: 100 traces, the last 2 days; dependencies over the last day. */
  static final int DEFAULT_LIMIT = 100;
  static final long DEFAULT_LOOKBACK_NANOS = 2 * 24 * 3_600_000_000_000L;
  static final long DEFAULT_DEPENDENCY_LOOKBACK_MS = 24 * 3_600_000L;
  /** How many traces of the window {@code /api/dependencies} reads: a bounded, newest-first sample. */
  static final int DEPENDENCY_TRACES = 1000;
  /** How many operations {@code /api/operations?spanKind=} checks the kind of, one search each. */
  static final int MAX_KIND_CHECKS = 1000;

  private final SpanReader reader;
  private final TraceSearcher searcher;
  private final Clock clock;

  /** Trace by id only; the search endpoints answer 404. */
  public JaegerApi(SpanReader reader) {
    this(reader, null, Clock.systemUTC());
  }

  /** Trace by id and search; {@code searcher} sees the same tenants as {@code reader}. */
  public JaegerApi(SpanReader reader, TraceSearcher searcher) {
    this(reader, requireNonNull(searcher, "searcher"), Clock.systemUTC());
  }

  JaegerApi(SpanReader reader, TraceSearcher searcher, Clock clock) {
    this.reader = requireNonNull(reader, "reader");
    this.searcher = searcher;
    this.clock = requireNonNull(clock, "clock");
  }

  /** The service to mount under {@code /jaeger/}. */
  public HttpService httpService() {
    return (ctx, req) -> BlockingHttp.serve(ctx, req, (agg, res) -> handle(ctx, agg, res), JaegerApi::error);
  }

  private void handle(ServiceRequestContext ctx, AggregatedHttpRequest req, HttpResponseWriter res) throws Exception {
    String path = ctx.mappedPath();
    if (req.method() != HttpMethod.GET) {
      throw new QueryException(QueryException.ErrorType.NOT_FOUND, "no such endpoint: " + req.method() + " " + path);
    }
    Tenant tenant = Tenant.fromHeader(req.headers().get(Tenant.HEADER));
    if (path.startsWith("/api/traces/") && path.indexOf('/', 12) < 0) {
      String traceId = TraceIds.normalize(path.substring("/api/traces/".length()));
      List<SpanRecord> spans = reader.trace(tenant, traceId);
      if (spans.isEmpty()) {
        throw new QueryException(QueryException.ErrorType.NOT_FOUND, "trace not found");
      }
      envelope(res, 0, g -> {
        g.writeStartArray();
        JaegerJson.trace(g, traceId, spans);
        g.writeEndArray();
      });
      return;
    }
    String decoded = ctx.decodedMappedPath();
    if (searcher == null) {
      throw new QueryException(QueryException.ErrorType.NOT_FOUND, "no such endpoint: " + path);
    } else if (path.equals("/api/services")) {
      strings(res, searcher.services(tenant));
    } else if (decoded.startsWith("/api/services/") && decoded.endsWith("/operations")
        && decoded.length() > "/api/services//operations".length()) {
      String service = decoded.substring("/api/services/".length(), decoded.length() - "/operations".length());
      strings(res, searcher.operations(tenant, service));
    } else if (path.equals("/api/operations")) {
      operations(tenant, Params.of(req), res);
    } else if (path.equals("/api/traces")) {
      traces(tenant, Params.of(req), res);
    } else if (path.equals("/api/dependencies")) {
      dependencies(tenant, Params.of(req), res);
    } else {
      throw new QueryException(QueryException.ErrorType.NOT_FOUND, "no such endpoint: " + path);
    }
  }

  private void operations(Tenant tenant, Params p, HttpResponseWriter res) throws Exception {
    String service = p.get("service");
    if (service.isEmpty()) {
      throw new InvalidInputException("service: '' (expected: a service name)");
    }
    String spanKind = p.get("spanKind");
    List<String> names = searcher.operations(tenant, service);
    List<String> out = new ArrayList<>();
    if (spanKind.isEmpty()) {
      out.addAll(names);
    } else {
      // the SPI keeps no kind per operation: one search per operation (bounded) answers whether it has that kind
      SpanRecord.Kind kind = kindParam(spanKind);
      if (names.size() > MAX_KIND_CHECKS) {
        throw new InvalidInputException("spanKind: " + service + " has " + names.size()
            + " operations (expected: at most " + MAX_KIND_CHECKS + " to filter by kind)");
      }
      for (String n : names) {
        TraceQuery q = TraceQuery.between(0, Long.MAX_VALUE, 1).withService(service).withSpanName(n).withKind(kind);
        if (!searcher.search(tenant, q).isEmpty()) {
          out.add(n);
        }
      }
    }
    envelope(res, out.size(), g -> {
      g.writeStartArray();
      for (String n : out) {
        g.writeStartObject();
        g.writeStringField("name", n);
        g.writeStringField("spanKind", spanKind.isEmpty() ? "" : spanKind);
        g.writeEndObject();
      }
      g.writeEndArray();
    });
  }

  private static SpanRecord.Kind kindParam(String v) {
    return switch (v) {
      case "server" -> SpanRecord.Kind.SERVER;
      case "client" -> SpanRecord.Kind.CLIENT;
      case "producer" -> SpanRecord.Kind.PRODUCER;
      case "consumer" -> SpanRecord.Kind.CONSUMER;
      case "internal" -> SpanRecord.Kind.INTERNAL;
      case "unspecified" -> SpanRecord.Kind.UNSPECIFIED;
      default -> throw new InvalidInputException(
          "spanKind: '" + v + "' (expected: server, client, producer, consumer, internal or unspecified)");
    };
  }

  private void traces(Tenant tenant, Params p, HttpResponseWriter res) throws Exception {
    List<String> ids = p.getAll("traceID");
    List<Map.Entry<String, List<SpanRecord>>> traces = new ArrayList<>();
    if (!ids.isEmpty()) {
      for (String raw : ids) {
        String id = TraceIds.normalize(raw);
        List<SpanRecord> spans = reader.trace(tenant, id);
        if (!spans.isEmpty()) {
          traces.add(Map.entry(id, spans));
        }
      }
    } else {
      TraceQuery q = query(p);
      for (TraceSummary t : searcher.search(tenant, q)) {
        List<SpanRecord> spans = reader.trace(tenant, t.traceId());
        if (!spans.isEmpty()) { // gone by retention since the search
          traces.add(Map.entry(t.traceId(), spans));
        }
      }
    }
    envelope(res, traces.size(), g -> {
      g.writeStartArray();
      for (Map.Entry<String, List<SpanRecord>> t : traces) {
        JaegerJson.trace(g, t.getKey(), t.getValue());
      }
      g.writeEndArray();
    });
  }

  /** The search of {@code /api/traces}, with jaeger-query's rules and defaults. */
  TraceQuery query(Params p) {
    String service = p.get("service");
    if (service.isEmpty()) {
      throw new InvalidInputException("parameter 'service' is required");
    }
    int limit = TraceSearchParams.intParam(p, "limit", DEFAULT_LIMIT, 0, TraceQuery.MAX_LIMIT);
    if (limit == 0) {
      limit = DEFAULT_LIMIT; // jaeger-query takes 0 as "the default"
    }
    long maxMicros = Long.MAX_VALUE / 1000;
    long now = clock.millis() * 1_000_000L;
    long end = p.get("end").isEmpty() ? now : TraceSearchParams.longParam(p, "end", maxMicros) * 1000;
    long start = p.get("start").isEmpty() ? Math.max(0, end - DEFAULT_LOOKBACK_NANOS)
        : TraceSearchParams.longParam(p, "start", maxMicros) * 1000;
    if (start > end) {
      throw new InvalidInputException("start: " + p.get("start") + " (expected: <= end " + p.get("end") + ")");
    }
    long min = p.get("minDuration").isEmpty() ? 0 : GoDurations.parseNanos("minDuration", p.get("minDuration"));
    long max = p.get("maxDuration").isEmpty() ? Long.MAX_VALUE
        : GoDurations.parseNanos("maxDuration", p.get("maxDuration"));
    if (max < min) {
      throw new InvalidInputException("maxDuration: " + p.get("maxDuration") + " (expected: >= minDuration "
          + p.get("minDuration") + ")");
    }
    TraceQuery q = TraceQuery.between(start, end, limit).withService(service).withSpanName(p.get("operation"))
        .withDuration(min, max);
    Map<String, String> tags = new LinkedHashMap<>();
    for (String t : p.getAll("tag")) { // jaeger-query's other form: tag=key:value, repeated
      int colon = t.indexOf(':');
      if (colon <= 0) {
        throw new InvalidInputException("tag: '" + t + "' (expected: key:value)");
      }
      tags.put(t.substring(0, colon), t.substring(colon + 1));
    }
    if (!p.get("tags").isEmpty()) {
      tags.putAll(TraceSearchParams.jsonTags(p.get("tags")));
    }
    return TraceSearchParams.applyTags(q, tags);
  }

  private void dependencies(Tenant tenant, Params p, HttpResponseWriter res) throws Exception {
    long maxMs = Long.MAX_VALUE / 1_000_000;
    long endMs = p.get("endTs").isEmpty() ? clock.millis() : TraceSearchParams.longParam(p, "endTs", maxMs);
    long lookbackMs = p.get("lookback").isEmpty() ? DEFAULT_DEPENDENCY_LOOKBACK_MS
        : TraceSearchParams.longParam(p, "lookback", maxMs);
    long end = endMs * 1_000_000L;
    long start = Math.max(0, end - lookbackMs * 1_000_000L);
    // a bounded, newest-first sample of the window's traces; counts are calls seen in those traces
    Map<String, Long> counts = new TreeMap<>();
    for (TraceSummary t : searcher.search(tenant, TraceQuery.between(start, end, DEPENDENCY_TRACES))) {
      List<SpanRecord> spans = reader.trace(tenant, t.traceId());
      Map<String, String> serviceOf = new HashMap<>();
      for (SpanRecord s : spans) {
        serviceOf.put(s.spanId(), s.serviceName());
      }
      for (SpanRecord s : spans) {
        String parent = serviceOf.get(s.parentSpanId());
        if (parent != null && !parent.equals(s.serviceName())) {
          counts.merge(parent + '\u0000' + s.serviceName(), 1L, Long::sum);
        }
      }
    }
    envelope(res, counts.size(), g -> {
      g.writeStartArray();
      for (Map.Entry<String, Long> e : counts.entrySet()) {
        int sep = e.getKey().indexOf('\u0000');
        g.writeStartObject();
        g.writeStringField("parent", e.getKey().substring(0, sep));
        g.writeStringField("child", e.getKey().substring(sep + 1));
        g.writeNumberField("callCount", e.getValue());
        g.writeEndObject();
      }
      g.writeEndArray();
    });
  }

  private static void strings(HttpResponseWriter res, List<String> values) throws Exception {
    envelope(res, values.size(), g -> {
      g.writeStartArray();
      for (String v : values) {
        g.writeString(v);
      }
      g.writeEndArray();
    });
  }

  /** Writes the value of {@code data}. */
  @FunctionalInterface
  private interface Data {
    void write(JsonGenerator g) throws IOException;
  }

  private static void envelope(HttpResponseWriter res, int total, Data data) throws Exception {
    JsonResponses.send(res, HttpStatus.OK, null, g -> {
      g.writeStartObject();
      g.writeFieldName("data");
      data.write(g);
      g.writeNumberField("total", total);
      g.writeNumberField("limit", 0);
      g.writeNumberField("offset", 0);
      g.writeNullField("errors");
      g.writeEndObject();
    });
  }

  private static void error(HttpResponseWriter res, ApiError e) throws Exception {
    JsonResponses.send(res, e.status(), e.retryAfter(), g -> {
      g.writeStartObject();
      g.writeNullField("data");
      g.writeNumberField("total", 0);
      g.writeNumberField("limit", 0);
      g.writeNumberField("offset", 0);
      g.writeArrayFieldStart("errors");
      g.writeStartObject();
      g.writeNumberField("code", e.status().code());
      g.writeStringField("msg", e.message());
      g.writeEndObject();
      g.writeEndArray();
      g.writeEndObject();
    });
  }
}
