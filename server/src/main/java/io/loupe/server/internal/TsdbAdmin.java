package io.loupe.server.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.QueryParams;
import com.linecorp.armeria.server.HttpService;
import io.loupe.model.InvalidInputException;
import io.loupe.model.Tenant;
import io.loupe.tsdb.Tsdb;
import io.loupe.tsdb.TsdbStats;
import java.io.IOException;
import java.io.StringWriter;
import java.util.List;

/**
 * The tsdb's status and admin endpoints: {@code GET /api/v1/status/tsdb} (the tenant's head cardinality in
 * Prometheus's shape, so users find which metrics and labels cost them) and {@code POST /api/v1/admin/tsdb/flush}
 * (cut the head into blocks now: before a backup, or to measure the size on disk) and {@code POST
 * /api/v1/admin/tsdb/compact} (run the compactor now: cut due ranges, merge blocks, apply retention) and {@code POST
 * /api/v1/admin/tsdb/snapshot[?skip_head=true]} (as Prometheus's: blocks hard-linked and the head written as blocks
 * into {@code <data>/tsdb/snapshots/<name>}, for backups).
 */
public final class TsdbAdmin implements HttpService {
  private static final JsonFactory JSON = new JsonFactory();
  private final Tsdb tsdb;

  public TsdbAdmin(Tsdb tsdb) {
    this.tsdb = tsdb;
  }

  @Override
  public HttpResponse serve(com.linecorp.armeria.server.ServiceRequestContext ctx,
      com.linecorp.armeria.common.HttpRequest req) {
    if (ctx.path().equals("/api/v1/admin/tsdb/flush") || ctx.path().equals("/api/v1/admin/tsdb/compact")) {
      boolean flush = ctx.path().endsWith("/flush");
      if (req.method() != HttpMethod.POST && req.method() != HttpMethod.PUT) {
        return error(HttpStatus.METHOD_NOT_ALLOWED, "bad_data", "method " + req.method() + " (expected: POST)");
      }
      return HttpResponse.of(() -> {
        int blocks = flush ? tsdb.flushHead() : tsdb.compact();
        return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8,
            "{\"status\":\"success\",\"data\":{\"blocksWritten\":" + blocks + "}}");
      }, ctx.blockingTaskExecutor()).recover(e -> error(e instanceof io.loupe.model.StorageUnavailableException
          ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.INTERNAL_SERVER_ERROR, "unavailable", e.toString()));
    }
    if (ctx.path().equals("/api/v1/admin/tsdb/snapshot")) {
      if (req.method() != HttpMethod.POST && req.method() != HttpMethod.PUT) {
        return error(HttpStatus.METHOD_NOT_ALLOWED, "bad_data", "method " + req.method() + " (expected: POST)");
      }
      String skip = QueryParams.fromQueryString(ctx.query()).get("skip_head", "false");
      if (!skip.equals("true") && !skip.equals("false")) {
        return error(HttpStatus.BAD_REQUEST, "bad_data", "skip_head: " + skip + " (expected: true or false)");
      }
      return HttpResponse.of(() -> HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8,
          "{\"status\":\"success\",\"data\":{\"name\":\"" + tsdb.snapshot(skip.equals("false")) + "\"}}"),
          ctx.blockingTaskExecutor()).recover(e -> error(e instanceof io.loupe.model.StorageUnavailableException
          ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.INTERNAL_SERVER_ERROR, "unavailable", e.toString()));
    }
    if (!ctx.path().equals("/api/v1/status/tsdb")) {
      return error(HttpStatus.NOT_FOUND, "not_found", "no admin endpoint at " + ctx.path());
    }
    if (req.method() != HttpMethod.GET) {
      return error(HttpStatus.METHOD_NOT_ALLOWED, "bad_data", "method " + req.method() + " (expected: GET)");
    }
    final Tenant tenant;
    final int limit;
    try {
      tenant = Tenant.fromHeader(req.headers().get(Tenant.HEADER));
      String l = QueryParams.fromQueryString(ctx.query()).get("limit", "10");
      limit = Integer.parseInt(l);
      if (limit <= 0) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      return error(HttpStatus.BAD_REQUEST, "bad_data", "limit: expected a positive integer");
    } catch (InvalidInputException e) {
      return error(HttpStatus.BAD_REQUEST, "bad_data", e.getMessage());
    }
    return HttpResponse.of(() -> {
      try {
        return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, render(tsdb.stats(tenant, limit)));
      } catch (IOException e) {
        return error(HttpStatus.INTERNAL_SERVER_ERROR, "internal", e.toString());
      }
    }, ctx.blockingTaskExecutor());
  }

  static String render(TsdbStats s) throws IOException {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(w)) {
      g.writeStartObject();
      g.writeStringField("status", "success");
      g.writeObjectFieldStart("data");
      g.writeObjectFieldStart("headStats");
      TsdbStats.HeadStats h = s.headStats();
      g.writeNumberField("numSeries", h.numSeries());
      g.writeNumberField("numLabelPairs", h.numLabelPairs());
      g.writeNumberField("chunkCount", h.chunkCount());
      // Prometheus reports the int64 extremes when the head is empty; so do we.
      g.writeNumberField("minTime", h.minTime());
      g.writeNumberField("maxTime", h.maxTime());
      g.writeEndObject();
      entries(g, "seriesCountByMetricName", s.seriesCountByMetricName());
      entries(g, "labelValueCountByLabelName", s.labelValueCountByLabelName());
      entries(g, "memoryInBytesByLabelName", s.memoryInBytesByLabelName());
      entries(g, "seriesCountByLabelValuePair", s.seriesCountByLabelValuePair());
      g.writeEndObject();
      g.writeEndObject();
    }
    return w.toString();
  }

  private static void entries(JsonGenerator g, String name, List<TsdbStats.Entry> list) throws IOException {
    g.writeArrayFieldStart(name);
    for (TsdbStats.Entry e : list) {
      g.writeStartObject();
      g.writeStringField("name", e.name());
      g.writeNumberField("value", e.value());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static HttpResponse error(HttpStatus status, String type, String message) {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(w)) {
      g.writeStartObject();
      g.writeStringField("status", "error");
      g.writeStringField("errorType", type);
      g.writeStringField("error", message);
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return HttpResponse.of(status, MediaType.JSON_UTF_8, w.toString());
  }
}
