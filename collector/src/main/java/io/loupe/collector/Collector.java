package io.loupe.collector;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.grpc.GrpcService;
import io.loupe.collector.internal.InflightLimiter;
import io.loupe.collector.internal.IngestMeters;
import io.loupe.collector.internal.IngestPipeline;
import io.loupe.collector.internal.OtlpGrpcServices;
import io.loupe.collector.internal.OtlpHttpService;
import io.loupe.collector.internal.RemoteWriteService;
import io.loupe.collector.otlp.OtlpMetricsTranslator;
import io.loupe.collector.otlp.TranslationOptions;
import io.loupe.model.SeriesAppender;
import io.loupe.model.SpanWriter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The receivers of one node: OTLP/gRPC, OTLP/HTTP and Prometheus remote write, sharing one in-flight budget and one
 * translation stage, writing to the given stores. The server mounts the services this returns on its ports.
 */
public final class Collector {
  private final CollectorOptions options;
  private final InflightLimiter limiter;
  private final IngestMeters meters;
  private final IngestPipeline pipeline;

  public Collector(CollectorOptions options, TranslationOptions translation, SeriesAppender series,
      SpanWriter spans, MeterRegistry registry) {
    this.options = requireNonNull(options, "options");
    requireNonNull(translation, "translation");
    requireNonNull(series, "series");
    requireNonNull(spans, "spans");
    requireNonNull(registry, "registry");
    limiter = new InflightLimiter(options.maxInflightBytes(), options.maxInflightBytesPerTenant(),
        options.retryAfter());
    meters = new IngestMeters(registry, limiter);
    pipeline = new IngestPipeline(new OtlpMetricsTranslator(translation), series, spans, options.limits(), meters);
  }

  /** OTLP/gRPC: {@code MetricsService}, {@code TraceService}, and {@code LogsService} answering UNIMPLEMENTED. */
  public GrpcService grpcService() {
    OtlpGrpcServices services = new OtlpGrpcServices(pipeline, limiter, meters);
    return GrpcService.builder()
        .addService(services.metrics())
        .addService(services.traces())
        .addService(services.logs())
        .useBlockingTaskExecutor(true) // the commit waits for the WAL
        .maxRequestMessageLength(options.maxRequestBytes())
        .build();
  }

  /** OTLP/HTTP: serve it for the paths {@code /v1/metrics}, {@code /v1/traces} and {@code /v1/logs}. */
  public HttpService otlpHttpService() {
    return new OtlpHttpService(pipeline, limiter, meters, options.maxRequestBytes());
  }

  /** Prometheus remote write 1.0: serve it at {@code /api/v1/write}. */
  public HttpService remoteWriteService() {
    return new RemoteWriteService(pipeline, limiter, meters, options.maxRequestBytes());
  }
}
