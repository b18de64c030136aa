package io.loupe.collector.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.loupe.collector.otlp.OtlpJson;
import io.loupe.model.AppendResult;
import io.loupe.model.InvalidInputException;
import io.loupe.model.Tenant;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.util.Locale;

/**
 * OTLP/HTTP: {@code POST /v1/metrics}, {@code /v1/traces} (protobuf or JSON, optionally gzip), and {@code /v1/logs}
 * answered 501. The body is aggregated under the size limit on the event loop; decoding and the store commit run on
 * the blocking executor.
 */
public final class OtlpHttpService implements HttpService {
  static final MediaType PROTOBUF = MediaType.parse("application/x-protobuf");
  private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

  private final IngestPipeline pipeline;
  private final InflightLimiter limiter;
  private final IngestMeters meters;
  private final int maxRequestBytes;

  public OtlpHttpService(IngestPipeline pipeline, InflightLimiter limiter, IngestMeters meters, int maxRequestBytes) {
    this.pipeline = pipeline;
    this.limiter = limiter;
    this.meters = meters;
    this.maxRequestBytes = maxRequestBytes;
  }

  private enum Encoding { PROTOBUF, JSON }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
    long start = System.nanoTime();
    String path = ctx.path();
    IngestMeters.Signal signal = switch (path) {
      case "/v1/metrics" -> IngestMeters.Signal.METRICS;
      case "/v1/traces" -> IngestMeters.Signal.TRACES;
      case "/v1/logs" -> IngestMeters.Signal.LOGS;
      default -> null;
    };
    Encoding encoding = encodingOf(req);
    if (signal == null) {
      return error(encoding, 404, io.grpc.Status.Code.NOT_FOUND.value(),
          "no OTLP endpoint at " + path + " (expected: /v1/metrics or /v1/traces)");
    }
    if (signal == IngestMeters.Signal.LOGS) {
      meters.request("otlp_http", signal, "unsupported", 0);
      return error(encoding, 501, io.grpc.Status.Code.UNIMPLEMENTED.value(),
          "logs are not supported by Loupe (metrics: /v1/metrics, traces: /v1/traces)");
    }
    if (req.method() != HttpMethod.POST) {
      return error(encoding, 405, io.grpc.Status.Code.UNIMPLEMENTED.value(),
          "method " + req.method() + " not allowed on " + path + " (expected: POST)");
    }
    if (encoding == null) {
      return error(Encoding.PROTOBUF, 415, io.grpc.Status.Code.INVALID_ARGUMENT.value(),
          "content type '" + req.contentType() + "' not supported (expected: application/x-protobuf or application/json)");
    }
    String contentEncoding = req.headers().get(HttpHeaderNames.CONTENT_ENCODING, "identity").toLowerCase(Locale.ROOT);
    if (!contentEncoding.equals("identity") && !contentEncoding.equals("gzip")) {
      return error(encoding, 415, io.grpc.Status.Code.INVALID_ARGUMENT.value(),
          "content encoding '" + contentEncoding + "' not supported (expected: gzip or identity)");
    }
    final Tenant tenant;
    final InflightLimiter.Permit permit;
    try {
      tenant = Tenant.fromHeader(req.headers().get(Tenant.HEADER));
      long declared = req.headers().contentLength();
      permit = limiter.acquire(tenant, Math.max(declared, 0));
    } catch (RuntimeException e) {
      return fail(encoding, signal, e, start);
    }
    ctx.setMaxRequestLength(maxRequestBytes);
    return HttpResponse.of(req.aggregate().handleAsync((agg, cause) -> {
      try (permit) {
        if (cause != null) {
          throw cause instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(cause);
        }
        byte[] body = body(agg, contentEncoding, permit, tenant);
        meters.requestBytes(body.length);
        HttpResponse res = switch (signal) {
          case METRICS -> metrics(tenant, body, encoding);
          case TRACES -> traces(tenant, body, encoding);
          case LOGS -> throw new IllegalStateException("unreachable");
        };
        meters.request("otlp_http", signal, "ok", System.nanoTime() - start);
        return res;
      } catch (RuntimeException | LinkageError e) {
        return fail(encoding, signal, e, start);
      }
    }, ctx.blockingTaskExecutor()));
  }

  private byte[] body(AggregatedHttpRequest agg, String contentEncoding, InflightLimiter.Permit permit, Tenant tenant) {
    byte[] raw = agg.content().array();
    // The permit so far covers the declared Content-Length; a chunked body is counted once it has arrived.
    permit.grow(Math.max(0, raw.length - Math.max(agg.headers().contentLength(), 0)), tenant);
    if (!contentEncoding.equals("gzip")) {
      return raw;
    }
    byte[] inflated = Bodies.gunzip(raw, maxRequestBytes);
    permit.grow(inflated.length, tenant);
    return inflated;
  }

  private HttpResponse metrics(Tenant tenant, byte[] body, Encoding encoding) {
    ExportMetricsServiceRequest request = encoding == Encoding.JSON
        ? OtlpJson.parseMetrics(body) : parse(() -> ExportMetricsServiceRequest.parseFrom(body));
    AppendResult r = pipeline.metrics(tenant, request);
    ExportMetricsServiceResponse.Builder res = ExportMetricsServiceResponse.newBuilder();
    if (r.rejectedCount() > 0) {
      res.setPartialSuccess(ExportMetricsPartialSuccess.newBuilder()
          .setRejectedDataPoints(r.rejectedCount()).setErrorMessage(r.firstErrors()));
    }
    return body(encoding, 200, res.build());
  }

  private HttpResponse traces(Tenant tenant, byte[] body, Encoding encoding) {
    // protobuf bodies are decoded straight into spans, without the generated message objects
    AppendResult r = encoding == Encoding.JSON
        ? pipeline.traces(tenant, OtlpJson.parseTraces(body)) : pipeline.traces(tenant, body);
    ExportTraceServiceResponse.Builder res = ExportTraceServiceResponse.newBuilder();
    if (r.rejectedCount() > 0) {
      res.setPartialSuccess(ExportTracePartialSuccess.newBuilder()
          .setRejectedSpans(r.rejectedCount()).setErrorMessage(r.firstErrors()));
    }
    return body(encoding, 200, res.build());
  }

  private interface ProtoParser<T> {
    T parse() throws InvalidProtocolBufferException;
  }

  private static <T> T parse(ProtoParser<T> p) {
    try {
      return p.parse();
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidInputException("request body: malformed protobuf: " + e.getMessage(), e);
    }
  }

  private static Encoding encodingOf(HttpRequest req) {
    MediaType ct = req.contentType();
    if (ct == null) {
      return null;
    }
    if (ct.is(MediaType.JSON) || ct.subtype().endsWith("+json")) {
      return Encoding.JSON;
    }
    if (ct.is(MediaType.PROTOBUF) || ct.is(PROTOBUF) || ct.is(MediaType.OCTET_STREAM)) {
      return Encoding.PROTOBUF;
    }
    return null;
  }

  private HttpResponse fail(Encoding encoding, IngestMeters.Signal signal, Throwable e, long start) {
    IngestErrors.Failure f = IngestErrors.classify(e);
    meters.request("otlp_http", signal, String.valueOf(f.httpStatus()), System.nanoTime() - start);
    Encoding enc = encoding == null ? Encoding.PROTOBUF : encoding;
    com.linecorp.armeria.common.ResponseHeadersBuilder headers = ResponseHeaders.builder(f.httpStatus()).contentType(mediaType(enc));
    if (f.retryAfter() != null) {
      headers.add(HttpHeaderNames.RETRY_AFTER, Long.toString(Math.max(1, (f.retryAfter().toMillis() + 999) / 1000)));
    }
    return HttpResponse.of(headers.build(), HttpData.wrap(serialize(f.toStatus(), enc)));
  }

  private static HttpResponse error(Encoding encoding, int status, int grpcCode, String message) {
    com.google.rpc.Status s = com.google.rpc.Status.newBuilder().setCode(grpcCode).setMessage(message).build();
    return body(encoding == null ? Encoding.PROTOBUF : encoding, status, s);
  }

  private static HttpResponse body(Encoding encoding, int status, Message m) {
    return HttpResponse.of(HttpStatus.valueOf(status), mediaType(encoding), serialize(m, encoding));
  }

  private static MediaType mediaType(Encoding e) {
    return e == Encoding.JSON ? MediaType.JSON : PROTOBUF;
  }

  private static byte[] serialize(Message m, Encoding encoding) {
    if (encoding == Encoding.JSON) {
      try {
        return JSON.print(m).getBytes(java.nio.charset.StandardCharsets.UTF_8);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException(e);
      }
    }
    return m.toByteArray();
  }
}
