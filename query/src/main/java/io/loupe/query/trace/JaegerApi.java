package io.loupe.query.trace;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.loupe.model.SpanReader;
import io.loupe.model.SpanRecord;
import io.loupe.model.Tenant;
import io.loupe.query.api.internal.ApiError;
import io.loupe.query.api.internal.JsonResponses;
import io.loupe.query.promql.QueryException;
import io.loupe.query.trace.internal.BlockingHttp;
import io.loupe.query.trace.internal.JaegerJson;
import io.loupe.query.trace.internal.TraceIds;
import java.util.List;

/**
 * Trace by id in the JSON of Jaeger's query API ({@code GET /api/traces/<id>}), over a {@link SpanReader}, for
 * Grafana's Jaeger datasource. Mount with {@code serverBuilder.serviceUnder("/jaeger/", jaeger.httpService())}.
 * Answers {@code {"data":[trace],"total":0,"limit":0,"offset":0,"errors":null}}, and on failure {@code "data":null}
 * with {@code "errors":[{"code":404,"msg":"trace not found"}]} and that status, as Jaeger does. Services, operations,
 * search and dependencies wait for the trace store's search SPI.
 */
public final class JaegerApi {
  private final SpanReader reader;

  public JaegerApi(SpanReader reader) {
    this.reader = requireNonNull(reader, "reader");
  }

  /** The service to mount under {@code /jaeger/}. */
  public HttpService httpService() {
    return (ctx, req) -> BlockingHttp.serve(ctx, req, (agg, res) -> handle(ctx, agg, res), JaegerApi::error);
  }

  private void handle(ServiceRequestContext ctx, AggregatedHttpRequest req, HttpResponseWriter res) throws Exception {
    String path = ctx.mappedPath();
    if (req.method() != HttpMethod.GET || !path.startsWith("/api/traces/") || path.indexOf('/', 12) >= 0) {
      throw new QueryException(QueryException.ErrorType.NOT_FOUND, "no such endpoint: " + req.method() + " " + path);
    }
    String traceId = TraceIds.normalize(path.substring("/api/traces/".length()));
    Tenant tenant = Tenant.fromHeader(req.headers().get(Tenant.HEADER));
    List<SpanRecord> spans = reader.trace(tenant, traceId);
    if (spans.isEmpty()) {
      throw new QueryException(QueryException.ErrorType.NOT_FOUND, "trace not found");
    }
    JsonResponses.send(res, HttpStatus.OK, null, g -> {
      g.writeStartObject();
      g.writeArrayFieldStart("data");
      JaegerJson.trace(g, traceId, spans);
      g.writeEndArray();
      g.writeNumberField("total", 0);
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
