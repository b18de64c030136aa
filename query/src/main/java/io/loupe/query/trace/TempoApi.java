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
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The part of Grafana Tempo's HTTP API that Grafana's Tempo datasource needs to open a trace: {@code /api/echo}, {@code
 * /api/status/buildinfo}, {@code /api/traces/<id>} and {@code /api/v2/traces/<id>}, over a {@link SpanReader}. Mount
 * with {@code serverBuilder.serviceUnder("/tempo/", tempo.httpService())}.
 *
 * <p>Traces are OTLP JSON (hex ids) by default, protobuf with {@code Accept: application/protobuf} ({@code
 * tempopb.Trace} for v1, {@code tempopb.TraceByIDResponse} for v2); 404 when the trace is unknown; ids shorter than
 * 32 hex digits are left-padded with zeros. {@code start}/{@code end} are accepted and ignored (the store finds a
 * trace by id alone). Search, tags and tag values wait for the trace store's search SPI.
 */
public final class TempoApi {
  static final MediaType PROTOBUF = MediaType.parse("application/protobuf");

  private final SpanReader reader;
  private final BuildInfo buildInfo;

  /**
   * @param buildInfo what {@code /api/status/buildinfo} reports; Grafana reads its {@code version} as a Tempo version
   *     and turns streaming search on at 2.2.0 and above, which Loupe does not serve: keep it below 2.2.0 (Loupe's own
   *     0.x is).
   */
  public TempoApi(SpanReader reader, BuildInfo buildInfo) {
    this.reader = requireNonNull(reader, "reader");
    this.buildInfo = requireNonNull(buildInfo, "buildInfo");
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
