package io.loupe.collector.internal;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.loupe.collector.remotewrite.RemoteWrite;
import io.loupe.model.AppendResult;
import io.loupe.model.Tenant;
import java.util.Locale;

/**
 * Prometheus remote write 1.0 at {@code POST /api/v1/write}: a snappy-compressed {@code WriteRequest}. Answers 204
 * when every sample was kept; 400 naming the refused points when some were not (the valid ones are kept, as
 * Prometheus does, and a 4xx tells the sender not to retry them); 429 with {@code Retry-After} under overload.
 */
public final class RemoteWriteService implements HttpService {
  private final IngestPipeline pipeline;
  private final InflightLimiter limiter;
  private final IngestMeters meters;
  private final int maxRequestBytes;

  public RemoteWriteService(IngestPipeline pipeline, InflightLimiter limiter, IngestMeters meters,
      int maxRequestBytes) {
    this.pipeline = pipeline;
    this.limiter = limiter;
    this.meters = meters;
    this.maxRequestBytes = maxRequestBytes;
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
    long start = System.nanoTime();
    if (req.method() != HttpMethod.POST) {
      return HttpResponse.of(HttpStatus.METHOD_NOT_ALLOWED, MediaType.PLAIN_TEXT_UTF_8,
          "method %s not allowed on /api/v1/write (expected: POST)", req.method());
    }
    String encoding = req.headers().get(HttpHeaderNames.CONTENT_ENCODING, "snappy").toLowerCase(Locale.ROOT);
    if (!encoding.equals("snappy")) {
      return HttpResponse.of(HttpStatus.UNSUPPORTED_MEDIA_TYPE, MediaType.PLAIN_TEXT_UTF_8,
          "content encoding '%s' not supported (expected: snappy, remote write 1.0)", encoding);
    }
    MediaType ct = req.contentType();
    if (ct != null && !ct.is(MediaType.PROTOBUF) && !ct.is(OtlpHttpService.PROTOBUF)
        && !ct.is(MediaType.OCTET_STREAM)) {
      return HttpResponse.of(HttpStatus.UNSUPPORTED_MEDIA_TYPE, MediaType.PLAIN_TEXT_UTF_8,
          "content type '%s' not supported (expected: application/x-protobuf)", ct);
    }
    if (ct != null && "io.prometheus.write.v2.Request".equals(ct.parameters().getOrDefault("proto",
        java.util.List.of("")).get(0))) {
      return HttpResponse.of(HttpStatus.UNSUPPORTED_MEDIA_TYPE, MediaType.PLAIN_TEXT_UTF_8,
          "remote write 2.0 (io.prometheus.write.v2.Request) not supported yet (expected: prometheus.WriteRequest)");
    }
    final Tenant tenant;
    final InflightLimiter.Permit permit;
    try {
      tenant = Tenant.fromHeader(req.headers().get(Tenant.HEADER));
      permit = limiter.acquire(tenant, Math.max(req.headers().contentLength(), 0));
    } catch (RuntimeException e) {
      return fail(e, start);
    }
    ctx.setMaxRequestLength(maxRequestBytes);
    return HttpResponse.of(req.aggregate().handleAsync((agg, cause) -> {
      try (permit) {
        if (cause != null) {
          throw cause instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(cause);
        }
        byte[] raw = agg.content().array();
        permit.grow(Math.max(0, raw.length - Math.max(agg.headers().contentLength(), 0)), tenant);
        byte[] proto = RemoteWrite.decompress(raw, maxRequestBytes);
        permit.grow(proto.length, tenant);
        meters.requestBytes(proto.length);
        AppendResult r = pipeline.remoteWrite(tenant, proto);
        meters.request("remote_write", IngestMeters.Signal.METRICS, "ok", System.nanoTime() - start);
        if (r.rejectedCount() > 0) {
          return HttpResponse.of(HttpStatus.BAD_REQUEST, MediaType.PLAIN_TEXT_UTF_8,
              "%d of %d samples refused: %s", r.rejectedCount(), r.rejectedCount() + r.accepted(), r.firstErrors());
        }
        return HttpResponse.of(HttpStatus.NO_CONTENT);
      } catch (RuntimeException | LinkageError e) {
        return fail(e, start);
      }
    }, ctx.blockingTaskExecutor()));
  }

  private HttpResponse fail(Throwable e, long start) {
    IngestErrors.Failure f = IngestErrors.classify(e);
    meters.request("remote_write", IngestMeters.Signal.METRICS, String.valueOf(f.httpStatus()),
        System.nanoTime() - start);
    com.linecorp.armeria.common.ResponseHeadersBuilder headers = ResponseHeaders.builder(f.httpStatus()).contentType(MediaType.PLAIN_TEXT_UTF_8);
    if (f.retryAfter() != null) {
      headers.add(HttpHeaderNames.RETRY_AFTER, Long.toString(Math.max(1, (f.retryAfter().toMillis() + 999) / 1000)));
    }
    return HttpResponse.of(headers.build(), com.linecorp.armeria.common.HttpData.ofUtf8(f.message() + "\n"));
  }
}
