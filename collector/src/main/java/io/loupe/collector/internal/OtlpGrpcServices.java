package io.loupe.collector.internal;

import com.linecorp.armeria.server.ServiceRequestContext;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.loupe.model.AppendResult;
import io.loupe.model.Tenant;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * OTLP/gRPC services. Armeria runs them on the blocking executor (the commit waits for the WAL); the tenant comes from
 * the {@code x-scope-orgid} metadata.
 */
public final class OtlpGrpcServices {
  private final IngestPipeline pipeline;
  private final InflightLimiter limiter;
  private final IngestMeters meters;

  public OtlpGrpcServices(IngestPipeline pipeline, InflightLimiter limiter, IngestMeters meters) {
    this.pipeline = pipeline;
    this.limiter = limiter;
    this.meters = meters;
  }

  private static Tenant tenant() {
    ServiceRequestContext ctx = ServiceRequestContext.current();
    return Tenant.fromHeader(ctx.request().headers().get("x-scope-orgid"));
  }

  /** {@code opentelemetry.proto.collector.metrics.v1.MetricsService}. */
  public MetricsServiceGrpc.MetricsServiceImplBase metrics() {
    return new MetricsServiceGrpc.MetricsServiceImplBase() {
      @Override
      public void export(ExportMetricsServiceRequest request,
          StreamObserver<ExportMetricsServiceResponse> observer) {
        OtlpGrpcServices.this.export(IngestMeters.Signal.METRICS, request, request.getSerializedSize(), observer,
            pipeline::metrics, r -> {
          ExportMetricsServiceResponse.Builder res = ExportMetricsServiceResponse.newBuilder();
          if (r.rejectedCount() > 0) {
            res.setPartialSuccess(ExportMetricsPartialSuccess.newBuilder()
                .setRejectedDataPoints(r.rejectedCount()).setErrorMessage(r.firstErrors()));
          }
          return res.build();
        });
      }
    };
  }

  /**
   * {@code opentelemetry.proto.collector.trace.v1.TraceService}, with {@code Export} bound to the raw request bytes,
   * which {@link IngestPipeline#traces(Tenant, byte[])} decodes straight into spans: the generated message objects
   * cost more than the translation (and the request's size, which the in-flight budget needs, another walk over them).
   */
  public BindableService traces() {
    MethodDescriptor<byte[], ExportTraceServiceResponse> method = TraceServiceGrpc.getExportMethod()
        .toBuilder(RAW, ProtoUtils.marshaller(ExportTraceServiceResponse.getDefaultInstance()))
        .build();
    ServiceDescriptor service = ServiceDescriptor.newBuilder(TraceServiceGrpc.SERVICE_NAME)
        .setSchemaDescriptor(TraceServiceGrpc.getServiceDescriptor().getSchemaDescriptor())
        .addMethod(method)
        .build();
    ServerServiceDefinition definition = ServerServiceDefinition.builder(service)
        .addMethod(method, ServerCalls.asyncUnaryCall((byte[] body, StreamObserver<ExportTraceServiceResponse> o)
            -> export(IngestMeters.Signal.TRACES, body, body.length, o, pipeline::traces,
                OtlpGrpcServices::traceResponse)))
        .build();
    return () -> definition;
  }

  private static ExportTraceServiceResponse traceResponse(AppendResult r) {
    ExportTraceServiceResponse.Builder res = ExportTraceServiceResponse.newBuilder();
    if (r.rejectedCount() > 0) {
      res.setPartialSuccess(ExportTracePartialSuccess.newBuilder()
          .setRejectedSpans(r.rejectedCount()).setErrorMessage(r.firstErrors()));
    }
    return res.build();
  }

  /** A request message as the bytes that arrived (after gRPC deframing and decompression). */
  private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream in) {
      try {
        return readMessage(in);
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("reading the request message: " + e).withCause(e).asRuntimeException();
      }
    }
  };

  /**
   * The bytes of {@code in}, read into one array of their exact size when the stream says how many there are.
   * Armeria hands an uncompressed message over as a {@code ByteBufInputStream}, whose {@code available()} is the
   * message's size: {@code readAllBytes} read a 150 KB request through 8 KiB chunks and copied it once more (26 % of
   * a node's allocation). A decompressing stream says 1 (or 0) until its end and takes the general path.
   */
  static byte[] readMessage(InputStream in) throws IOException {
    int n = in.available();
    if (n <= 1) {
      return in.readAllBytes();
    }
    byte[] b = new byte[n];
    int read = in.readNBytes(b, 0, n);
    if (read < n) {
      return Arrays.copyOf(b, read);
    }
    int next = in.read();
    if (next < 0) {
      return b;
    }
    // more than available() said: a stream that guessed low
    byte[] rest = in.readAllBytes();
    byte[] all = Arrays.copyOf(b, n + 1 + rest.length);
    all[n] = (byte) next;
    System.arraycopy(rest, 0, all, n + 1, rest.length);
    return all;
  }

  /** One export: reserve the request's bytes, ingest, answer with the partial success or the mapped failure. */
  private <Q, R> void export(IngestMeters.Signal signal, Q request, int requestBytes, StreamObserver<R> observer,
      BiFunction<Tenant, Q, AppendResult> ingest, Function<AppendResult, R> response) {
    long start = System.nanoTime();
    try {
      Tenant tenant = tenant();
      AppendResult r;
      try (InflightLimiter.Permit p = limiter.acquire(tenant, requestBytes)) {
        meters.requestBytes(requestBytes);
        r = ingest.apply(tenant, request);
      }
      meters.request("otlp_grpc", signal, "ok", System.nanoTime() - start);
      observer.onNext(response.apply(r));
      observer.onCompleted();
    } catch (RuntimeException | LinkageError e) {
      fail(observer, signal, e, start);
    }
  }

  /** {@code LogsService}: present so that clients get a clear UNIMPLEMENTED, not "method not found". */
  public LogsServiceGrpc.LogsServiceImplBase logs() {
    return new LogsServiceGrpc.LogsServiceImplBase() {
      @Override
      public void export(ExportLogsServiceRequest request, StreamObserver<ExportLogsServiceResponse> observer) {
        meters.request("otlp_grpc", IngestMeters.Signal.LOGS, "unsupported", 0);
        observer.onError(Status.UNIMPLEMENTED
            .withDescription("logs are not supported by Loupe (metrics and traces are)").asRuntimeException());
      }
    };
  }

  private void fail(StreamObserver<?> observer, IngestMeters.Signal signal, Throwable e, long start) {
    IngestErrors.Failure f = IngestErrors.classify(e);
    meters.request("otlp_grpc", signal, f.grpcCode().name().toLowerCase(java.util.Locale.ROOT),
        System.nanoTime() - start);
    observer.onError(f.toGrpc());
  }
}
