package io.loupe.collector.internal;

import static java.util.Objects.requireNonNull;

import io.loupe.collector.otlp.OtlpMetricsTranslator;
import io.loupe.collector.otlp.OtlpSpans;
import io.loupe.collector.remotewrite.RemoteWrite;
import io.loupe.model.AppendResult;
import io.loupe.model.Appender;
import io.loupe.model.IngestLimits;
import io.loupe.model.SeriesAppender;
import io.loupe.model.SpanRecord;
import io.loupe.model.SpanWriter;
import io.loupe.model.Tenant;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.util.List;

/**
 * The protocol-independent part of ingestion: translate a decoded request into points, write them to the store, and
 * return what was kept and refused. Runs on a blocking thread, never on an event loop: the commit waits for the WAL.
 */
public final class IngestPipeline {
  private final OtlpMetricsTranslator translator;
  private final SeriesAppender series;
  private final SpanWriter spans;
  private final IngestLimits limits;
  private final IngestMeters meters;

  public IngestPipeline(OtlpMetricsTranslator translator, SeriesAppender series, SpanWriter spans,
      IngestLimits limits, IngestMeters meters) {
    this.translator = requireNonNull(translator, "translator");
    this.series = requireNonNull(series, "series");
    this.spans = requireNonNull(spans, "spans");
    this.limits = requireNonNull(limits, "limits");
    this.meters = requireNonNull(meters, "meters");
  }

  public AppendResult metrics(Tenant tenant, ExportMetricsServiceRequest request) {
    AppendResult.Builder result = new AppendResult.Builder();
    Appender appender = series.appender(tenant);
    try {
      translator.translate(tenant, request, appender, result);
    } catch (RuntimeException e) {
      appender.rollback();
      throw e;
    }
    return commit(appender, result);
  }

  public AppendResult remoteWrite(Tenant tenant, byte[] writeRequest) {
    AppendResult.Builder result = new AppendResult.Builder();
    Appender appender = series.appender(tenant);
    try {
      RemoteWrite.decode(tenant, writeRequest, appender, limits, result);
    } catch (RuntimeException e) {
      appender.rollback();
      throw e;
    }
    return commit(appender, result);
  }

  private AppendResult commit(Appender appender, AppendResult.Builder result) {
    AppendResult committed = appender.commit();
    result.merge(committed);
    AppendResult all = result.build();
    meters.samples(all);
    return all;
  }

  public AppendResult traces(Tenant tenant, ExportTraceServiceRequest request) {
    AppendResult.Builder result = new AppendResult.Builder();
    return traces(tenant, OtlpSpans.toSpanRecords(request, result), result);
  }

  /**
   * The spans of an OTLP/protobuf {@code ExportTraceServiceRequest} body, decoded straight into records.
   *
   * @throws io.loupe.model.InvalidInputException if the body is not a well-formed message
   */
  public AppendResult traces(Tenant tenant, byte[] exportTraceServiceRequest) {
    AppendResult.Builder result = new AppendResult.Builder();
    return traces(tenant, OtlpSpans.decode(exportTraceServiceRequest, result), result);
  }

  private AppendResult traces(Tenant tenant, List<SpanRecord> records, AppendResult.Builder result) {
    if (!records.isEmpty()) {
      result.merge(spans.write(tenant, records));
    }
    AppendResult all = result.build();
    meters.spans(all);
    return all;
  }
}
