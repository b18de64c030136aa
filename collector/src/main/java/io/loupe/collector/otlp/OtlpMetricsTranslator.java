package io.loupe.collector.otlp;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.loupe.collector.otlp.internal.AnyValues;
import io.loupe.collector.otlp.internal.DeltaToCumulative;
import io.loupe.collector.otlp.internal.Hex;
import io.loupe.collector.otlp.internal.LabelNamer;
import io.loupe.collector.otlp.internal.MetricNamer;
import io.loupe.collector.otlp.internal.MetricType;
import io.loupe.collector.otlp.internal.NamingException;
import io.loupe.model.AppendResult;
import io.loupe.model.Appender;
import io.loupe.model.Exemplar;
import io.loupe.model.IngestLimits;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import io.loupe.model.RejectReason;
import io.loupe.model.Sample;
import io.loupe.model.Tenant;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.DataPointFlags;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * OTLP metrics → Prometheus series, samples, exemplars and metadata, by the rules of
 * ../shared/conformance/otlp/MAPPING.md (Loupe's choices are in docs/otlp-mapping.md). One instance serves every
 * request and tenant; it is thread-safe (the only shared state is the delta-to-cumulative table and name caches).
 *
 * <p>Valid points go to the appender; every refused point is recorded in the result with a reason and a message naming
 * the metric. Acceptance is the appender's to report on commit.
 */
public final class OtlpMetricsTranslator {
  static final String TARGET_INFO = "target_info";
  private static final String JOB = "job";
  private static final String INSTANCE = "instance";
  private static final String SERVICE_NAME = "service.name";
  private static final String SERVICE_NAMESPACE = "service.namespace";
  private static final String SERVICE_INSTANCE_ID = "service.instance.id";
  private static final int NO_RECORDED_VALUE = DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE;
  private static final int MAX_CACHED_NAMES = 10_000;

  private final TranslationOptions options;
  private final IngestLimits limits;
  private final MetricNamer metricNamer;
  private final LabelNamer labelNamer;
  private final DeltaToCumulative delta; // null when delta points are rejected
  // Attribute keys and metric names repeat across requests; translating each once saves most of the string work.
  private final Map<String, String> labelNames = new ConcurrentHashMap<>();
  private final Map<NameKey, String> metricNames = new ConcurrentHashMap<>();

  public OtlpMetricsTranslator(TranslationOptions options) {
    this(options, System::nanoTime);
  }

  /** For tests: {@code nanoClock} decides when delta series count as idle. */
  OtlpMetricsTranslator(TranslationOptions options, LongSupplier nanoClock) {
    this.options = requireNonNull(options, "options");
    this.limits = options.limits();
    NamingStrategy s = options.namingStrategy();
    this.metricNamer = new MetricNamer("", !s.escapes(), s.addsSuffixes());
    this.labelNamer = LabelNamer.prometheusDefaults(!s.escapes());
    this.delta = options.deltaHandling() == TranslationOptions.DeltaHandling.CONVERT_TO_CUMULATIVE
        ? new DeltaToCumulative(options.maxDeltaSeries(), options.deltaIdleTimeout().toNanos(), nanoClock)
        : null;
  }

  public TranslationOptions options() {
    return options;
  }

  /**
   * Appends every valid point of {@code request} to {@code appender} and records every refused one in {@code result}.
   *
   * @return the number of samples appended (the appender's commit decides how many are accepted)
   */
  public int translate(Tenant tenant, ExportMetricsServiceRequest request, Appender appender,
      AppendResult.Builder result) {
    requireNonNull(tenant, "tenant");
    requireNonNull(request, "request");
    requireNonNull(appender, "appender");
    requireNonNull(result, "result");
    Call call = new Call(tenant, appender, result);
    for (ResourceMetrics rm : request.getResourceMetricsList()) {
      call.resource(rm);
    }
    return call.appended;
  }

  /** Number of delta series whose running totals are kept (for a gauge meter). */
  public int deltaSeries() {
    return delta == null ? 0 : delta.size();
  }

  private String labelName(String key) throws NamingException {
    String cached = labelNames.get(key);
    if (cached != null) {
      return cached;
    }
    String name = labelNamer.build(key);
    if (labelNames.size() < MAX_CACHED_NAMES) {
      labelNames.put(key, name);
    }
    return name;
  }

  private String metricName(String name, String unit, MetricType type) throws NamingException {
    NameKey key = new NameKey(name, unit, type);
    String cached = metricNames.get(key);
    if (cached != null) {
      return cached;
    }
    if (name.isEmpty()) {
      throw new NamingException("normalization for metric \"\" resulted in empty name");
    }
    String built = metricNamer.build(name, unit, type);
    if (metricNames.size() < MAX_CACHED_NAMES) {
      metricNames.put(key, built);
    }
    return built;
  }

  private record NameKey(String name, String unit, MetricType type) {}

  /** Key of one delta stream: tenant, series (with the family name for histograms) and whether it is a histogram. */
  private record DeltaKey(String tenant, Labels labels, boolean histogram) {}

  /** The work of one request: scratch buffers reused for every point, and per-resource label context. */
  private final class Call {
    final Tenant tenant;
    final Appender appender;
    final AppendResult.Builder result;
    int appended;

    // Labels from the resource and scope, computed once per ResourceMetrics / ScopeMetrics.
    final List<String> promoted = new ArrayList<>(4); // name, value, ...: added unless the point has the label
    final List<String> overrides = new ArrayList<>(8); // name, value, ...: scope labels, job, instance
    long resourceMaxTimestampMs;

    // The point's attribute labels (sanitised name, original key, value), reused point after point.
    String[] names = new String[16];
    String[] keys = new String[16];
    String[] values = new String[16];
    int attrCount;
    String attrProblem;

    // Series of the point being translated, validated together before anything is appended.
    final List<Labels> series = new ArrayList<>(16);
    final double[] cumulative = new double[1];
    double[] lastBounds;
    String[] lastLe;
    final DeltaToCumulative.HistogramOut histogramOut = new DeltaToCumulative.HistogramOut();

    Call(Tenant tenant, Appender appender, AppendResult.Builder result) {
      this.tenant = tenant;
      this.appender = appender;
      this.result = result;
    }

    void resource(ResourceMetrics rm) {
      List<KeyValue> attrs = rm.getResource().getAttributesList();
      promoted.clear();
      overrides.clear();
      String serviceName = "";
      String serviceNamespace = "";
      String serviceInstance = "";
      for (KeyValue kv : attrs) {
        switch (kv.getKey()) {
          case SERVICE_NAME -> serviceName = AnyValues.toLabelValue(kv.getValue());
          case SERVICE_NAMESPACE -> serviceNamespace = AnyValues.toLabelValue(kv.getValue());
          case SERVICE_INSTANCE_ID -> serviceInstance = AnyValues.toLabelValue(kv.getValue());
          default -> { }
        }
      }
      options.promotedResourceAttributes().forEach((attr, label) -> {
        for (KeyValue kv : attrs) {
          if (kv.getKey().equals(attr)) {
            promoted.add(label);
            promoted.add(AnyValues.toLabelValue(kv.getValue()));
            break;
          }
        }
      });
      // job needs service.name; a namespace alone is ignored, as Prometheus does.
      String job = serviceName.isEmpty() ? ""
          : serviceNamespace.isEmpty() ? serviceName : serviceNamespace + "/" + serviceName;
      if (!job.isEmpty()) {
        overrides.add(JOB);
        overrides.add(job);
      }
      if (!serviceInstance.isEmpty()) {
        overrides.add(INSTANCE);
        overrides.add(serviceInstance);
      }
      resourceMaxTimestampMs = Long.MIN_VALUE;
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        scope(sm);
      }
      if (resourceMaxTimestampMs != Long.MIN_VALUE) {
        targetInfo(attrs, job, serviceInstance);
      }
    }

    void scope(ScopeMetrics sm) {
      List<String> scopeLabels = options.keepScopeInfo() ? scopeLabels(sm) : List.of();
      // Scope labels go before job and instance, so that those still win; they are removed again after the scope.
      overrides.addAll(0, scopeLabels);
      for (Metric m : sm.getMetricsList()) {
        metric(m);
      }
      overrides.subList(0, scopeLabels.size()).clear();
    }

    private List<String> scopeLabels(ScopeMetrics sm) {
      InstrumentationScope scope = sm.getScope();
      List<String> out = new ArrayList<>();
      for (KeyValue kv : scope.getAttributesList()) {
        String k = kv.getKey();
        if (k.equals("name") || k.equals("version") || k.equals("schema_url")) {
          continue; // would collide with the fixed scope labels: the spec says drop them
        }
        try {
          out.add(labelName("otel_scope_" + k));
          out.add(AnyValues.toLabelValue(kv.getValue()));
        } catch (NamingException e) {
          // unreachable: a name starting with "otel_scope_" is never empty nor only underscores
        }
      }
      out.addAll(List.of("otel_scope_name", scope.getName(), "otel_scope_version", scope.getVersion(),
          "otel_scope_schema_url", sm.getSchemaUrl()));
      return out;
    }

    void metric(Metric m) {
      switch (m.getDataCase()) {
        case GAUGE -> gauge(m);
        case SUM -> sum(m);
        case HISTOGRAM -> histogram(m);
        case SUMMARY -> summary(m);
        case EXPONENTIAL_HISTOGRAM -> {
          String detail = "exponential histogram " + m.getName() + " is not supported yet (native histograms)";
          for (ExponentialHistogramDataPoint ignored : m.getExponentialHistogram().getDataPointsList()) {
            result.reject(RejectReason.UNSUPPORTED_TYPE, detail);
          }
        }
        default -> { } // no data: nothing to keep or refuse
      }
    }

    // ---- gauges and sums

    void gauge(Metric m) {
      List<NumberDataPoint> points = m.getGauge().getDataPointsList();
      MetricMetadata.Type metaType = gaugeMetadataType(m);
      MetricType nameType = metaType == MetricMetadata.Type.UNKNOWN ? MetricType.UNKNOWN : MetricType.GAUGE;
      String name = name(m, nameType, points.size());
      if (name == null) {
        return;
      }
      metadata(name, metaType, m);
      for (NumberDataPoint p : points) {
        number(m, name, p, false, false);
      }
    }

    void sum(Metric m) {
      List<NumberDataPoint> points = m.getSum().getDataPointsList();
      AggregationTemporality t = m.getSum().getAggregationTemporality();
      if (t != AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
          && t != AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA) {
        rejectAll(RejectReason.MALFORMED_POINT, points.size(),
            "sum " + m.getName() + " has aggregation temporality " + m.getSum().getAggregationTemporalityValue()
                + " (expected: cumulative or delta)");
        return;
      }
      boolean isDelta = t == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA;
      if (isDelta && delta == null) {
        rejectAll(RejectReason.DELTA_TEMPORALITY, points.size(),
            "sum " + m.getName() + " has delta temporality (delta-to-cumulative conversion is off)");
        return;
      }
      boolean monotonic = m.getSum().getIsMonotonic();
      String name = name(m, monotonic ? MetricType.MONOTONIC_COUNTER : MetricType.NON_MONOTONIC_COUNTER,
          points.size());
      if (name == null) {
        return;
      }
      metadata(name, monotonic ? MetricMetadata.Type.COUNTER : MetricMetadata.Type.GAUGE, m);
      for (NumberDataPoint p : points) {
        number(m, name, p, isDelta, monotonic);
      }
    }

    private MetricMetadata.Type gaugeMetadataType(Metric m) {
      for (KeyValue kv : m.getMetadataList()) {
        if (kv.getKey().equals("prometheus.type")) {
          String v = kv.getValue().getStringValue();
          if (v.equals("unknown")) {
            return MetricMetadata.Type.UNKNOWN;
          } else if (v.equals("info")) {
            return MetricMetadata.Type.INFO;
          } else if (v.equals("stateset")) {
            return MetricMetadata.Type.STATESET;
          }
        }
      }
      return MetricMetadata.Type.GAUGE;
    }

    void number(Metric m, String name, NumberDataPoint p, boolean isDelta, boolean exemplars) {
      long tsMs = timestampMs(m, p.getTimeUnixNano());
      if (tsMs == Long.MIN_VALUE || !attributes(m, p.getAttributesList())) {
        return;
      }
      boolean stale = (p.getFlags() & NO_RECORDED_VALUE) != 0;
      double value;
      switch (p.getValueCase()) {
        case AS_DOUBLE -> value = p.getAsDouble();
        case AS_INT -> value = p.getAsInt();
        default -> {
          if (!stale) {
            result.reject(RejectReason.MALFORMED_POINT, "metric " + m.getName() + " has a point without a value"
                + " (expected: as_double or as_int, or the no-recorded-value flag)");
            return;
          }
          value = 0;
        }
      }
      series.clear();
      Labels labels = labels(name, null, null);
      if (!valid(labels)) {
        return;
      }
      if (stale) {
        value = Sample.STALE_NAN;
      } else if (isDelta) {
        String problem = delta.sum(new DeltaKey(tenant.id(), labels, false), p.getStartTimeUnixNano(),
            p.getTimeUnixNano(), value, cumulative);
        if (problem != null) {
          result.reject(RejectReason.DELTA_TEMPORALITY, "sum " + m.getName() + " " + labels + ": " + problem);
          return;
        }
        value = cumulative[0];
      }
      append(labels, tsMs, value);
      if (exemplars && !stale) {
        for (io.opentelemetry.proto.metrics.v1.Exemplar e : p.getExemplarsList()) {
          exemplar(m, labels, e, tsMs);
        }
      }
    }

    // ---- histograms

    void histogram(Metric m) {
      List<HistogramDataPoint> points = m.getHistogram().getDataPointsList();
      AggregationTemporality t = m.getHistogram().getAggregationTemporality();
      if (t != AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
          && t != AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA) {
        rejectAll(RejectReason.MALFORMED_POINT, points.size(), "histogram " + m.getName()
            + " has aggregation temporality " + m.getHistogram().getAggregationTemporalityValue()
            + " (expected: cumulative or delta)");
        return;
      }
      boolean isDelta = t == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA;
      if (isDelta && delta == null) {
        rejectAll(RejectReason.DELTA_TEMPORALITY, points.size(),
            "histogram " + m.getName() + " has delta temporality (delta-to-cumulative conversion is off)");
        return;
      }
      String name = name(m, MetricType.HISTOGRAM, points.size());
      if (name == null) {
        return;
      }
      metadata(name, MetricMetadata.Type.HISTOGRAM, m);
      String bucketName = name + "_bucket";
      String sumName = name + "_sum";
      String countName = name + "_count";
      for (HistogramDataPoint p : points) {
        histogramPoint(m, p, isDelta, name, bucketName, sumName, countName);
      }
    }

    void histogramPoint(Metric m, HistogramDataPoint p, boolean isDelta, String name, String bucketName,
        String sumName, String countName) {
      long tsMs = timestampMs(m, p.getTimeUnixNano());
      if (tsMs == Long.MIN_VALUE || !attributes(m, p.getAttributesList())) {
        return;
      }
      List<Long> counts = p.getBucketCountsList();
      // Bounds without bucket counts say nothing about the buckets: such a point has only the +Inf bucket.
      List<Double> bounds = counts.isEmpty() ? List.of() : p.getExplicitBoundsList();
      String shape = histogramShapeProblem(bounds, counts);
      if (shape != null) {
        result.reject(RejectReason.MALFORMED_POINT, "histogram " + m.getName() + " has a point with " + shape);
        return;
      }
      boolean stale = (p.getFlags() & NO_RECORDED_VALUE) != 0;
      // Series: one bucket per finite bound, +Inf, then _sum (when the point has one) and _count.
      series.clear();
      String[] le = leValues(bounds);
      for (int i = 0; i < le.length; i++) {
        if (le[i] != null) {
          series.add(labels(bucketName, "le", le[i]));
        }
      }
      int finiteBuckets = series.size();
      series.add(labels(bucketName, "le", "+Inf"));
      boolean hasSum = p.hasSum();
      if (hasSum) {
        series.add(labels(sumName, null, null));
      }
      series.add(labels(countName, null, null));
      // The +Inf bucket has every label the other series have, plus le, and the longest name: if it is valid, the
      // others are too, except that a finite le value could be longer than the limit. Saves 10+ checks a point.
      if (!valid(series.get(finiteBuckets))) {
        return;
      }
      for (int i = 0; i < finiteBuckets; i++) {
        if (series.get(i).get("le").length() > limits.maxLabelValueLength() && !valid(series.get(i))) {
          return;
        }
      }
      int n = series.size();
      if (stale) {
        for (int i = 0; i < n; i++) {
          append(series.get(i), tsMs, Sample.STALE_NAN);
        }
        return;
      }
      long count = p.getCount();
      double sum = p.getSum();
      long[] perBucket = null;
      if (isDelta) {
        Labels familyLabels = labels(name, null, null);
        String problem = delta.histogram(new DeltaKey(tenant.id(), familyLabels, true), p.getStartTimeUnixNano(),
            p.getTimeUnixNano(), bounds, count, hasSum ? sum : 0, counts, histogramOut);
        if (problem != null) {
          result.reject(RejectReason.DELTA_TEMPORALITY, "histogram " + m.getName() + " " + familyLabels + ": "
              + problem);
          return;
        }
        count = histogramOut.count;
        sum = histogramOut.sum;
        perBucket = histogramOut.buckets;
      }
      // OTLP bucket counts are per bucket; Prometheus buckets are cumulative.
      long running = 0;
      int bucket = 0;
      for (int i = 0; i < bounds.size(); i++) {
        running += perBucket != null ? perBucket[i] : counts.get(i);
        if (bounds.get(i) != Double.POSITIVE_INFINITY) {
          append(series.get(bucket++), tsMs, unsigned(running));
        }
      }
      append(series.get(finiteBuckets), tsMs, unsigned(count));
      if (hasSum) {
        append(series.get(finiteBuckets + 1), tsMs, sum);
      }
      append(series.get(n - 1), tsMs, unsigned(count));
      for (io.opentelemetry.proto.metrics.v1.Exemplar e : p.getExemplarsList()) {
        double v = exemplarValue(e);
        // The exemplar goes to the first bucket whose upper bound holds its value, as Prometheus does.
        int target = finiteBuckets;
        int b = 0;
        for (int i = 0; i < bounds.size(); i++) {
          double bound = bounds.get(i);
          if (bound == Double.POSITIVE_INFINITY) {
            continue;
          }
          if (v <= bound) {
            target = b;
            break;
          }
          b++;
        }
        exemplar(m, series.get(target), e, tsMs);
      }
    }

    /**
     * The le label values of {@code bounds} (null for a +Inf bound), remembered for the next point: the points of a
     * histogram nearly always share their bounds, and formatting a double is the costliest step of a bucket.
     */
    private String[] leValues(List<Double> bounds) {
      int n = bounds.size();
      if (lastBounds != null && lastBounds.length == n) {
        boolean same = true;
        for (int i = 0; i < n && same; i++) {
          same = Double.compare(lastBounds[i], bounds.get(i)) == 0;
        }
        if (same) {
          return lastLe;
        }
      }
      double[] b = new double[n];
      String[] le = new String[n];
      for (int i = 0; i < n; i++) {
        b[i] = bounds.get(i);
        le[i] = b[i] == Double.POSITIVE_INFINITY ? null : AnyValues.formatDouble(b[i]);
      }
      lastBounds = b;
      lastLe = le;
      return le;
    }

    private String histogramShapeProblem(List<Double> bounds, List<Long> counts) {
      if (!counts.isEmpty() && counts.size() != bounds.size() + 1) {
        return counts.size() + " bucket counts for " + bounds.size()
            + " explicit bounds (expected: bounds + 1, or none)";
      }
      double prev = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < bounds.size(); i++) {
        double b = bounds.get(i);
        if (Double.isNaN(b) || (i > 0 && b <= prev)) {
          return "explicit bounds " + bounds + " (expected: strictly increasing numbers)";
        }
        prev = b;
      }
      return null;
    }

    // ---- summaries

    void summary(Metric m) {
      List<SummaryDataPoint> points = m.getSummary().getDataPointsList();
      String name = name(m, MetricType.SUMMARY, points.size());
      if (name == null) {
        return;
      }
      metadata(name, MetricMetadata.Type.SUMMARY, m);
      String sumName = name + "_sum";
      String countName = name + "_count";
      for (SummaryDataPoint p : points) {
        long tsMs = timestampMs(m, p.getTimeUnixNano());
        if (tsMs == Long.MIN_VALUE || !attributes(m, p.getAttributesList())) {
          continue;
        }
        series.clear();
        List<SummaryDataPoint.ValueAtQuantile> qs = p.getQuantileValuesList();
        for (SummaryDataPoint.ValueAtQuantile q : qs) {
          series.add(labels(name, "quantile", AnyValues.formatDouble(q.getQuantile())));
        }
        series.add(labels(sumName, null, null));
        series.add(labels(countName, null, null));
        boolean ok = true;
        for (Labels l : series) {
          if (!valid(l)) {
            ok = false;
            break;
          }
        }
        if (!ok) {
          continue;
        }
        boolean stale = (p.getFlags() & NO_RECORDED_VALUE) != 0;
        int q = qs.size();
        for (int i = 0; i < q; i++) {
          append(series.get(i), tsMs, stale ? Sample.STALE_NAN : qs.get(i).getValue());
        }
        append(series.get(q), tsMs, stale ? Sample.STALE_NAN : p.getSum());
        append(series.get(q + 1), tsMs, stale ? Sample.STALE_NAN : unsigned(p.getCount()));
      }
    }

    // ---- target_info

    void targetInfo(List<KeyValue> attrs, String job, String instance) {
      if (job.isEmpty() && instance.isEmpty()) {
        return;
      }
      Labels.Builder b = Labels.builder();
      attrCount = 0;
      attrProblem = null;
      boolean any = false;
      for (KeyValue kv : attrs) {
        String k = kv.getKey();
        if (k.equals(SERVICE_NAME) || k.equals(SERVICE_NAMESPACE) || k.equals(SERVICE_INSTANCE_ID)) {
          continue;
        }
        any = true;
        addAttribute(k, kv.getValue());
      }
      if (!any) {
        return; // only identifying attributes: job and instance already say it all
      }
      if (attrProblem != null) {
        result.reject(RejectReason.INVALID_LABELS, "target_info of job " + job + ": " + attrProblem);
        return;
      }
      mergeCollisions();
      for (int i = 0; i < attrCount; i++) {
        b.set(names[i], values[i]);
      }
      b.set(JOB, job);
      b.set(INSTANCE, instance);
      b.set(Labels.METRIC_NAME, TARGET_INFO);
      Labels labels = b.build();
      String problem = limits.validate(labels);
      if (problem != null) {
        result.reject(RejectReason.INVALID_LABELS, "target_info: " + problem);
        return;
      }
      appender.updateMetadata(new MetricMetadata(TARGET_INFO, MetricMetadata.Type.GAUGE, "Target metadata", ""));
      append(labels, resourceMaxTimestampMs, 1);
    }

    // ---- shared steps

    /** The Prometheus name, or null after rejecting every point of the metric. */
    private String name(Metric m, MetricType type, int points) {
      try {
        return metricName(m.getName(), m.getUnit(), type);
      } catch (NamingException e) {
        rejectAll(RejectReason.INVALID_LABELS, points, "metric name '" + m.getName() + "': " + e.getMessage());
        return null;
      }
    }

    private void metadata(String name, MetricMetadata.Type type, Metric m) {
      String help = m.getDescription();
      int max = limits.maxMetadataLength();
      if (help.length() > max) {
        help = help.substring(0, max); // HELP is advisory: cut it rather than refuse the samples
      }
      String unit = MetricNamer.unitName(m.getUnit(), metricNamer.utf8Allowed());
      appender.updateMetadata(new MetricMetadata(name, type, help, unit.length() > max ? "" : unit));
    }

    /** The point time in ms, or Long.MIN_VALUE after rejecting the point. */
    private long timestampMs(Metric m, long timeUnixNano) {
      if (timeUnixNano == 0) {
        result.reject(RejectReason.INVALID_TIMESTAMP,
            "metric " + m.getName() + " has a point with time_unix_nano 0 (expected: the time of the point)");
        return Long.MIN_VALUE;
      }
      if (timeUnixNano < 0) { // fixed64 past 2^63: after the year 2262
        result.reject(RejectReason.INVALID_TIMESTAMP, "metric " + m.getName() + " has a point with time_unix_nano "
            + Long.toUnsignedString(timeUnixNano) + " (expected: before the year 2262)");
        return Long.MIN_VALUE;
      }
      return timeUnixNano / 1_000_000L;
    }

    /** Reads the point's attributes into the scratch arrays; false after rejecting the point. */
    private boolean attributes(Metric m, List<KeyValue> attrs) {
      attrCount = 0;
      attrProblem = null;
      for (int i = 0; i < attrs.size(); i++) {
        KeyValue kv = attrs.get(i);
        addAttribute(kv.getKey(), kv.getValue());
      }
      if (attrProblem != null) {
        result.reject(RejectReason.INVALID_LABELS, "metric " + m.getName() + ": " + attrProblem);
        return false;
      }
      mergeCollisions();
      return true;
    }

    private void addAttribute(String key, AnyValue value) {
      String name;
      try {
        name = labelName(key);
      } catch (NamingException e) {
        if (attrProblem == null) {
          attrProblem = "attribute '" + key + "': " + e.getMessage();
        }
        return;
      }
      if (attrCount == names.length) {
        names = Arrays.copyOf(names, attrCount * 2);
        keys = Arrays.copyOf(keys, attrCount * 2);
        values = Arrays.copyOf(values, attrCount * 2);
      }
      names[attrCount] = name;
      keys[attrCount] = key;
      values[attrCount] = AnyValues.toLabelValue(value);
      attrCount++;
    }

    /**
     * Attributes whose names collide once sanitised ({@code a.b} and {@code a_b}) become one label whose values are
     * joined with ';' in the order of the original keys, as the spec says.
     */
    private void mergeCollisions() {
      for (int i = 1; i < attrCount; i++) {
        for (int j = 0; j < i; j++) {
          if (names[i].equals(names[j])) {
            mergeSlow();
            return;
          }
        }
      }
    }

    private void mergeSlow() {
      Integer[] order = new Integer[attrCount];
      for (int i = 0; i < attrCount; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> keys[a].compareTo(keys[b]));
      String[] n2 = new String[attrCount];
      String[] k2 = new String[attrCount];
      String[] v2 = new String[attrCount];
      int out = 0;
      for (int idx : order) {
        int existing = -1;
        for (int j = 0; j < out; j++) {
          if (n2[j].equals(names[idx])) {
            existing = j;
            break;
          }
        }
        if (existing >= 0) {
          v2[existing] = v2[existing] + ";" + values[idx];
        } else {
          n2[out] = names[idx];
          k2[out] = keys[idx];
          v2[out] = values[idx];
          out++;
        }
      }
      System.arraycopy(n2, 0, names, 0, out);
      System.arraycopy(k2, 0, keys, 0, out);
      System.arraycopy(v2, 0, values, 0, out);
      attrCount = out;
    }

    /**
     * The labels of one series of the current point: attributes, promoted resource attributes (unless the point has
     * the label), scope labels, job and instance (which win over attributes), the metric name and an extra label.
     */
    private Labels labels(String metricName, String extraName, String extraValue) {
      Labels.Builder b = Labels.builder();
      for (int i = 0; i < attrCount; i++) {
        b.set(names[i], values[i]);
      }
      for (int i = 0; i < promoted.size(); i += 2) {
        if (b.get(promoted.get(i)).isEmpty()) {
          b.set(promoted.get(i), promoted.get(i + 1));
        }
      }
      for (int i = 0; i < overrides.size(); i += 2) {
        b.set(overrides.get(i), overrides.get(i + 1));
      }
      b.set(Labels.METRIC_NAME, metricName);
      if (extraName != null) {
        b.set(extraName, extraValue);
      }
      return b.build();
    }

    private boolean valid(Labels labels) {
      String problem = limits.validate(labels);
      if (problem != null) {
        result.reject(RejectReason.INVALID_LABELS, problem);
        return false;
      }
      return true;
    }

    private void append(Labels labels, long tsMs, double value) {
      appender.append(labels, tsMs, value);
      appended++;
      if (tsMs > resourceMaxTimestampMs) {
        resourceMaxTimestampMs = tsMs;
      }
    }

    private void exemplar(Metric m, Labels seriesLabels, io.opentelemetry.proto.metrics.v1.Exemplar e, long pointMs) {
      ByteString traceId = e.getTraceId();
      ByteString spanId = e.getSpanId();
      if ((!traceId.isEmpty() && traceId.size() != 16) || (!spanId.isEmpty() && spanId.size() != 8)) {
        result.reject(RejectReason.INVALID_EXEMPLAR, "metric " + m.getName() + ": exemplar with a " + traceId.size()
            + "-byte trace_id and a " + spanId.size() + "-byte span_id (expected: 16 and 8 bytes)");
        return;
      }
      Labels.Builder b = Labels.builder();
      int runes = 0;
      String traceHex = traceId.isEmpty() ? "" : Hex.encode(traceId);
      String spanHex = spanId.isEmpty() ? "" : Hex.encode(spanId);
      if (!traceHex.isEmpty()) {
        runes += Exemplar.TRACE_ID.length() + traceHex.length();
      }
      if (!spanHex.isEmpty()) {
        runes += Exemplar.SPAN_ID.length() + spanHex.length();
      }
      // Filtered attributes fill what is left of the 128-character budget; trace_id and span_id always fit.
      for (KeyValue kv : e.getFilteredAttributesList()) {
        String name;
        try {
          name = labelName(kv.getKey());
        } catch (NamingException ex) {
          continue;
        }
        if (name.equals(Exemplar.TRACE_ID) || name.equals(Exemplar.SPAN_ID)) {
          continue;
        }
        String value = AnyValues.toLabelValue(kv.getValue());
        int r = name.codePointCount(0, name.length()) + value.codePointCount(0, value.length());
        if (runes + r <= Exemplar.MAX_LABELS_RUNES && IngestLimits.validLabelName(name)) {
          b.set(name, value);
          runes += r;
        }
      }
      b.set(Exemplar.TRACE_ID, traceHex);
      b.set(Exemplar.SPAN_ID, spanHex);
      long ts = e.getTimeUnixNano() > 0 ? e.getTimeUnixNano() / 1_000_000L : pointMs;
      appender.appendExemplar(seriesLabels, new Exemplar(b.build(), exemplarValue(e), ts));
    }

    private double exemplarValue(io.opentelemetry.proto.metrics.v1.Exemplar e) {
      return e.getValueCase() == io.opentelemetry.proto.metrics.v1.Exemplar.ValueCase.AS_INT
          ? e.getAsInt() : e.getAsDouble();
    }

    private void rejectAll(RejectReason reason, int points, String detail) {
      result.reject(reason, detail, points);
    }
  }

  /** uint64 counts → double. */
  private static double unsigned(long v) {
    return v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
  }
}
