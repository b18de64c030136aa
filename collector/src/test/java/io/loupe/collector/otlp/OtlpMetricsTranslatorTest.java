package io.loupe.collector.otlp;

import static io.loupe.collector.otlp.Otlp.T0;
import static io.loupe.collector.otlp.Otlp.T0_MS;
import static io.loupe.collector.otlp.Otlp.hex;
import static io.loupe.collector.otlp.Otlp.kv;
import static io.loupe.collector.otlp.Otlp.point;
import static io.loupe.collector.otlp.Otlp.request;
import static io.loupe.collector.otlp.Otlp.resource;
import static io.loupe.collector.otlp.Otlp.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.AppendResult;
import io.loupe.model.Exemplar;
import io.loupe.model.IngestLimits;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import io.loupe.model.RejectReason;
import io.loupe.model.Sample;
import io.loupe.model.Tenant;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OtlpMetricsTranslatorTest {
  private static final Tenant TENANT = new Tenant("t1");
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String SPAN = "00f067aa0ba902b7";

  private final RecordingAppender appender = new RecordingAppender();
  private final AppendResult.Builder result = new AppendResult.Builder();
  private OtlpMetricsTranslator translator = new OtlpMetricsTranslator(TranslationOptions.defaults());

  private int translate(ExportMetricsServiceRequest req) {
    return translator.translate(TENANT, req, appender, result);
  }

  private static Metric gauge(String name, String unit, NumberDataPoint.Builder... points) {
    Gauge.Builder g = Gauge.newBuilder();
    for (NumberDataPoint.Builder p : points) {
      g.addDataPoints(p);
    }
    return Metric.newBuilder().setName(name).setUnit(unit).setDescription("help of " + name).setGauge(g).build();
  }

  private static Metric sum(String name, String unit, boolean monotonic, AggregationTemporality t,
      NumberDataPoint.Builder... points) {
    Sum.Builder s = Sum.newBuilder().setIsMonotonic(monotonic).setAggregationTemporality(t);
    for (NumberDataPoint.Builder p : points) {
      s.addDataPoints(p);
    }
    return Metric.newBuilder().setName(name).setUnit(unit).setSum(s).build();
  }

  private static final AggregationTemporality CUMULATIVE = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE;
  private static final AggregationTemporality DELTA = AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA;

  /** Series labels with the resource's job, instance and promoted host_name. */
  private static Labels series(String... namesAndValues) {
    Labels.Builder b = Labels.of(namesAndValues).toBuilder();
    b.set("job", "shop/checkout").set("instance", "pod-1").set("host_name", "node-7");
    return b.build();
  }

  @Test
  void gaugeGetsJobInstancePromotedLabelsAndUnitSuffix() {
    int n = translate(request(service(), gauge("process.cpu.utilization", "1",
        point(T0, 0.25, kv("cpu", "0"), kv("http.method", "GET")))));

    Labels expected = series("__name__", "process_cpu_utilization_ratio", "cpu", "0", "http_method", "GET");
    assertThat(appender.only(expected).value()).isEqualTo(0.25);
    assertThat(appender.only(expected).timestampMs()).isEqualTo(T0_MS);
    assertThat(appender.metadata.get("process_cpu_utilization_ratio"))
        .isEqualTo(new MetricMetadata("process_cpu_utilization_ratio", MetricMetadata.Type.GAUGE,
            "help of process.cpu.utilization", ""));
    assertThat(n).isEqualTo(2); // the gauge and target_info
    assertThat(result.rejectedCount()).isZero();
  }

  @Test
  void targetInfoCarriesTheOtherResourceAttributesAtTheLatestTimestamp() {
    translate(request(service(), gauge("g", "", point(T0, 1), point(T0 + 30_000_000_000L, 2))));

    Labels target = Labels.of("__name__", "target_info", "job", "shop/checkout", "instance", "pod-1",
        "host_name", "node-7", "cloud_region", "eu-west-1");
    assertThat(appender.only(target).timestampMs()).isEqualTo(T0_MS + 30_000);
    assertThat(appender.only(target).value()).isEqualTo(1);
    assertThat(appender.metadata.get("target_info").help()).isEqualTo("Target metadata");
  }

  @Test
  void noTargetInfoWhenOnlyIdentifyingAttributesOrNoJob() {
    translate(request(resource(kv("service.name", "a"), kv("service.instance.id", "i")), gauge("g", "", point(T0, 1))));
    translate(request(resource(kv("k8s.pod.name", "p")), gauge("g", "", point(T0, 1))));

    assertThat(appender.named("target_info")).isEmpty();
    assertThat(appender.named("g")).extracting(p -> p.labels().toString())
        .containsExactly("g{instance=\"i\", job=\"a\"}", "g{}");
  }

  @Test
  void jobAndInstanceFromTheResourceWinOverPointAttributes() {
    translate(request(service(), gauge("g", "", point(T0, 1, kv("job", "mine"), kv("host_name", "mine")))));

    // job comes from the resource; a point's own host_name stays (promotion only fills a missing label).
    Labels l = appender.named("g").get(0).labels();
    assertThat(l.get("job")).isEqualTo("shop/checkout");
    assertThat(l.get("host_name")).isEqualTo("mine");
  }

  @Test
  void monotonicCumulativeSumIsACounterWithExemplars() {
    NumberDataPoint.Builder p = point(T0, 42, kv("route", "/a"));
    p.addExemplars(io.opentelemetry.proto.metrics.v1.Exemplar.newBuilder()
        .setTimeUnixNano(T0 - 5_000_000L).setAsDouble(0.7).setTraceId(hex(TRACE)).setSpanId(hex(SPAN))
        .addFilteredAttributes(kv("user.id", "u1")));
    translate(request(service(), sum("http.server.requests", "{request}", true, CUMULATIVE, p)));

    Labels counter = series("__name__", "http_server_requests_total", "route", "/a");
    assertThat(appender.only(counter).value()).isEqualTo(42);
    assertThat(appender.metadata.get("http_server_requests_total").type()).isEqualTo(MetricMetadata.Type.COUNTER);
    assertThat(appender.exemplars).hasSize(1);
    RecordingAppender.RecordedExemplar e = appender.exemplars.get(0);
    assertThat((Object) e.series()).isEqualTo(counter);
    assertThat(e.exemplar()).isEqualTo(
        new Exemplar(Labels.of("trace_id", TRACE, "span_id", SPAN, "user_id", "u1"), 0.7, T0_MS - 5));
  }

  @Test
  void nonMonotonicSumIsAGaugeWithoutTotalNorExemplars() {
    NumberDataPoint.Builder p = point(T0, 3);
    p.addExemplars(io.opentelemetry.proto.metrics.v1.Exemplar.newBuilder().setAsDouble(1).setTraceId(hex(TRACE)));
    translate(request(service(), sum("db.connections", "{connection}", false, CUMULATIVE, p)));

    assertThat(appender.named("db_connections")).hasSize(1);
    assertThat(appender.metadata.get("db_connections").type()).isEqualTo(MetricMetadata.Type.GAUGE);
    assertThat(appender.exemplars).isEmpty();
  }

  private static Metric histogram(String name, String unit, AggregationTemporality t, HistogramDataPoint.Builder p) {
    return Metric.newBuilder().setName(name).setUnit(unit)
        .setHistogram(Histogram.newBuilder().setAggregationTemporality(t).addDataPoints(p)).build();
  }

  private static HistogramDataPoint.Builder hpoint(long t, List<Double> bounds, List<Long> counts, double sum) {
    long count = counts.stream().mapToLong(Long::longValue).sum();
    return HistogramDataPoint.newBuilder().setTimeUnixNano(t).addAllExplicitBounds(bounds)
        .addAllBucketCounts(counts).setCount(count).setSum(sum);
  }

  @Test
  void histogramBucketsAreCumulativeWithInfSumAndCount() {
    HistogramDataPoint.Builder p = hpoint(T0, List.of(0.005, 0.1, 1.0), List.of(2L, 3L, 4L, 1L), 5.5);
    p.addExemplars(io.opentelemetry.proto.metrics.v1.Exemplar.newBuilder()
        .setAsDouble(0.05).setTraceId(hex(TRACE)).setSpanId(hex(SPAN)));
    p.addExemplars(io.opentelemetry.proto.metrics.v1.Exemplar.newBuilder()
        .setAsDouble(7).setTraceId(hex(TRACE)).setSpanId(hex(SPAN)));
    int n = translate(request(service(), histogram("http.server.request.duration", "s", CUMULATIVE, p)));

    String b = "http_server_request_duration_seconds_bucket";
    assertThat(appender.only(series("__name__", b, "le", "0.005")).value()).isEqualTo(2);
    assertThat(appender.only(series("__name__", b, "le", "0.1")).value()).isEqualTo(5);
    assertThat(appender.only(series("__name__", b, "le", "1")).value()).isEqualTo(9);
    assertThat(appender.only(series("__name__", b, "le", "+Inf")).value()).isEqualTo(10);
    assertThat(appender.only(series("__name__", "http_server_request_duration_seconds_sum")).value())
        .isEqualTo(5.5);
    assertThat(appender.only(series("__name__", "http_server_request_duration_seconds_count")).value())
        .isEqualTo(10);
    assertThat(n).isEqualTo(7); // 4 buckets, sum, count, target_info
    assertThat(appender.metadata.get("http_server_request_duration_seconds"))
        .isEqualTo(new MetricMetadata("http_server_request_duration_seconds", MetricMetadata.Type.HISTOGRAM, "",
            "seconds"));
    // Each exemplar sits on the first bucket whose bound holds its value.
    assertThat(appender.exemplars).extracting(e -> e.series().get("le")).containsExactly("0.1", "+Inf");
    assertThat(appender.exemplars.get(0).exemplar().timestampMs()).isEqualTo(T0_MS);
  }

  @Test
  void histogramWithoutBucketsOrSumStillHasInfAndCount() {
    HistogramDataPoint.Builder p = HistogramDataPoint.newBuilder().setTimeUnixNano(T0).setCount(4);
    translate(request(service(), histogram("h", "", CUMULATIVE, p)));

    assertThat(appender.named("h_bucket")).extracting(x -> x.labels().get("le")).containsExactly("+Inf");
    assertThat(appender.named("h_sum")).isEmpty();
    assertThat(appender.named("h_count")).extracting(RecordingAppender.Point::value).containsExactly(4.0);
  }

  @Test
  void histogramWithBoundsButNoBucketCountsHasOnlyTheInfBucket() {
    HistogramDataPoint.Builder p = HistogramDataPoint.newBuilder().setTimeUnixNano(T0).setCount(3).setSum(1)
        .addAllExplicitBounds(List.of(1.0, 2.0));
    translate(request(service(), histogram("h", "", CUMULATIVE, p)));
    translate(request(service(), histogram("d", "", DELTA, p.setStartTimeUnixNano(T0 - 1))));

    assertThat(appender.named("h_bucket")).extracting(x -> x.labels().get("le") + "=" + x.value())
        .containsExactly("+Inf=3.0");
    assertThat(appender.named("d_bucket")).extracting(x -> x.labels().get("le") + "=" + x.value())
        .containsExactly("+Inf=3.0");
    assertThat(result.rejectedCount()).isZero();
  }

  @Test
  void malformedHistogramIsRejected() {
    HistogramDataPoint.Builder bad = hpoint(T0, List.of(1.0, 2.0), List.of(1L, 2L), 1);
    HistogramDataPoint.Builder unsorted = hpoint(T0, List.of(2.0, 1.0), List.of(1L, 2L, 3L), 1);
    translate(request(service(), histogram("h", "", CUMULATIVE, bad), histogram("h2", "", CUMULATIVE, unsorted)));

    assertThat(appender.points).isEmpty();
    assertThat(result.build().rejected()).containsEntry(RejectReason.MALFORMED_POINT, 2L);
    assertThat(result.build().firstErrors()).contains("histogram h has a point with 2 bucket counts for 2 explicit"
        + " bounds").contains("histogram h2 has a point with explicit bounds [2.0, 1.0]");
  }

  @Test
  void histogramWithAnInvalidSeriesIsRejectedWhole() {
    translator = new OtlpMetricsTranslator(TranslationOptions.defaults()
        .withLimits(IngestLimits.defaults().withMaxLabelValueLength(13)));
    // "0.00000000001" is 13 characters; "0.000000000001" is 14: its bucket series is invalid, so is the point.
    translate(request(service(),
        histogram("ok", "", CUMULATIVE, hpoint(T0, List.of(1e-11), List.of(1L, 1L), 1)),
        histogram("bad", "", CUMULATIVE, hpoint(T0, List.of(1e-12), List.of(1L, 1L), 1))));

    assertThat(appender.named("ok_bucket")).hasSize(2);
    assertThat(appender.points.stream().filter(p -> p.labels().metricName().startsWith("bad"))).isEmpty();
    assertThat(result.build().rejected()).isEqualTo(Map.of(RejectReason.INVALID_LABELS, 1L));
    assertThat(result.build().firstErrors()).contains("label 'le' of series bad_bucket");
  }

  @Test
  void summaryHasQuantileSeriesSumAndCount() {
    SummaryDataPoint.Builder p = SummaryDataPoint.newBuilder().setTimeUnixNano(T0).setCount(10).setSum(20)
        .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.5).setValue(1.5))
        .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.99).setValue(3));
    translate(request(service(), Metric.newBuilder().setName("rpc.latency").setUnit("ms")
        .setSummary(Summary.newBuilder().addDataPoints(p)).build()));

    assertThat(appender.only(series("__name__", "rpc_latency_milliseconds", "quantile", "0.5")).value())
        .isEqualTo(1.5);
    assertThat(appender.only(series("__name__", "rpc_latency_milliseconds", "quantile", "0.99")).value())
        .isEqualTo(3);
    assertThat(appender.only(series("__name__", "rpc_latency_milliseconds_sum")).value()).isEqualTo(20);
    assertThat(appender.only(series("__name__", "rpc_latency_milliseconds_count")).value()).isEqualTo(10);
    assertThat(appender.metadata.get("rpc_latency_milliseconds").type()).isEqualTo(MetricMetadata.Type.SUMMARY);
  }

  @Test
  void noRecordedValueBecomesAStaleMarkerOnEverySeriesOfThePoint() {
    HistogramDataPoint.Builder h = hpoint(T0, List.of(1.0), List.of(0L, 0L), 0).setFlags(1);
    NumberDataPoint.Builder g = NumberDataPoint.newBuilder().setTimeUnixNano(T0).setFlags(1); // no value at all
    translate(request(service(), histogram("h", "", CUMULATIVE, h), gauge("g", "", g)));

    List<RecordingAppender.Point> data = appender.points.stream()
        .filter(p -> !p.labels().metricName().equals("target_info")).toList();
    assertThat(data).hasSize(5); // le=1, le=+Inf, sum, count, gauge
    assertThat(data).allSatisfy(p -> assertThat(Sample.isStaleMarker(p.value())).isTrue());
    assertThat(result.rejectedCount()).isZero();
  }

  @Test
  void exponentialHistogramsAreRejectedPerPoint() {
    Metric m = Metric.newBuilder().setName("latency").setExponentialHistogram(ExponentialHistogram.newBuilder()
        .addDataPoints(ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(T0))
        .addDataPoints(ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(T0 + 1))).build();
    translate(request(service(), m, gauge("ok", "", point(T0, 1))));

    AppendResult r = result.build();
    assertThat(r.rejected()).isEqualTo(Map.of(RejectReason.UNSUPPORTED_TYPE, 2L));
    assertThat(r.firstErrors()).startsWith(
        "unsupported point type: exponential histogram latency is not supported yet (native histograms)");
    assertThat(appender.named("ok")).hasSize(1);
  }

  @Test
  void invalidLabelsRejectThePointAndKeepTheOthers() {
    TranslationOptions opts = TranslationOptions.defaults()
        .withLimits(IngestLimits.defaults().withMaxLabelNamesPerSeries(5).withMaxLabelValueLength(15));
    translator = new OtlpMetricsTranslator(opts);
    translate(request(service(), gauge("g", "",
        point(T0, 1, kv("a", "1"), kv("b", "2")), // 3 resource labels + a, b + __name__ = 6 > 5
        point(T0, 2, kv("a", "1")),
        point(T0, 3, kv("a", "much too long a value")))));

    assertThat(appender.named("g")).extracting(RecordingAppender.Point::value).containsExactly(2.0);
    AppendResult r = result.build();
    assertThat(r.rejected()).isEqualTo(Map.of(RejectReason.INVALID_LABELS, 2L));
    assertThat(appender.named("target_info")).hasSize(1); // job, instance, host_name, cloud_region, __name__
    assertThat(r.firstErrors()).contains("has 6 labels (expected: at most 5)")
        .contains("label 'a' of series g{a=\"much too long a value\"");
  }

  @Test
  void attributeNamesThatCannotBeTranslatedRejectThePoint() {
    translate(request(service(), gauge("g", "", point(T0, 1, kv("__", "x")), point(T0, 2))));

    assertThat(appender.named("g")).hasSize(1);
    assertThat(result.build().firstErrors()).isEqualTo(
        "invalid labels: metric g: attribute '__': normalization for label name \"__\" resulted in invalid name \"__\"");
  }

  @Test
  void metricNamesThatCannotBeTranslatedRejectEveryPoint() {
    translate(request(service(), gauge("@#$%", "", point(T0, 1), point(T0, 2))));

    assertThat(appender.points).isEmpty();
    assertThat(result.build().rejected()).isEqualTo(Map.of(RejectReason.INVALID_LABELS, 2L));
    assertThat(result.build().firstErrors()).contains("metric name '@#$%': normalization for metric \"@#$%\""
        + " resulted in empty name");
  }

  @Test
  void missingOrOverflowingTimestampsAreRejected() {
    translate(request(service(), gauge("g", "", point(0, 1), point(-5, 2), point(T0, 3))));

    assertThat(appender.named("g")).extracting(RecordingAppender.Point::value).containsExactly(3.0);
    assertThat(result.build().rejected()).isEqualTo(Map.of(RejectReason.INVALID_TIMESTAMP, 2L));
    assertThat(result.build().firstErrors()).contains("metric g has a point with time_unix_nano 0")
        .contains("time_unix_nano 18446744073709551611 (expected: before the year 2262)");
  }

  @Test
  void collidingAttributeNamesAreJoinedInKeyOrder() {
    translate(request(service(), gauge("g", "", point(T0, 1, kv("a_b", "second"), kv("a.b", "first")))));

    assertThat(appender.named("g").get(0).labels().get("a_b")).isEqualTo("first;second");
  }

  @Test
  void nonStringAttributesAreStringified() {
    AnyValue arr = AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder()
        .addValues(AnyValue.newBuilder().setStringValue("x")).addValues(AnyValue.newBuilder().setIntValue(2))).build();
    translate(request(service(), gauge("g", "", point(T0, 1,
        kv("i", AnyValue.newBuilder().setIntValue(-7).build()),
        kv("d", AnyValue.newBuilder().setDoubleValue(0.5).build()),
        kv("b", AnyValue.newBuilder().setBoolValue(true).build()),
        kv("arr", arr)))));

    Labels l = appender.named("g").get(0).labels();
    assertThat(l.get("i")).isEqualTo("-7");
    assertThat(l.get("d")).isEqualTo("0.5");
    assertThat(l.get("b")).isEqualTo("true");
    assertThat(l.get("arr")).isEqualTo("[\"x\",2]");
  }

  @Test
  void scopeLabelsOnlyWhenAsked() {
    translate(request(service(), gauge("g", "", point(T0, 1))));
    assertThat(appender.named("g").get(0).labels().has("otel_scope_name")).isFalse();

    translator = new OtlpMetricsTranslator(TranslationOptions.defaults().withKeepScopeInfo(true));
    appender.points.clear();
    translate(request(service(), gauge("g", "", point(T0, 1))));
    Labels l = appender.named("g").get(0).labels();
    assertThat(l.get("otel_scope_name")).isEqualTo("io.example.lib");
    assertThat(l.get("otel_scope_version")).isEqualTo("1.2.3");
    assertThat(l.get("job")).isEqualTo("shop/checkout");
    assertThat(appender.named("target_info").get(0).labels().has("otel_scope_name")).isFalse();
  }

  @Test
  void scopeLabelsDoNotLeakFromOneScopeToTheNext() {
    translator = new OtlpMetricsTranslator(TranslationOptions.defaults().withKeepScopeInfo(true));
    ScopeMetrics.Builder a = ScopeMetrics.newBuilder().addMetrics(gauge("a", "", point(T0, 1)));
    a.getScopeBuilder().setName("lib-a").addAttributes(kv("team", "x"));
    ScopeMetrics.Builder b = ScopeMetrics.newBuilder().addMetrics(gauge("b", "", point(T0, 1)));
    b.getScopeBuilder().setName("lib-b");
    translate(ExportMetricsServiceRequest.newBuilder().addResourceMetrics(ResourceMetrics.newBuilder()
        .setResource(service()).addScopeMetrics(a).addScopeMetrics(b)).build());

    assertThat(appender.named("a").get(0).labels().get("otel_scope_team")).isEqualTo("x");
    Labels lb = appender.named("b").get(0).labels();
    assertThat(lb.get("otel_scope_name")).isEqualTo("lib-b");
    assertThat(lb.has("otel_scope_team")).isFalse();
    assertThat(lb.get("job")).isEqualTo("shop/checkout");
  }

  @Test
  void deltaSumsBecomeCumulativeAndRetriesAreIdempotent() {
    long s = T0;
    long t1 = T0 + 10_000_000_000L;
    long t2 = T0 + 20_000_000_000L;
    Metric first = sum("jobs.done", "", true, DELTA, point(t1, 5).setStartTimeUnixNano(s));
    Metric second = sum("jobs.done", "", true, DELTA, point(t2, 3).setStartTimeUnixNano(t1));
    translate(request(service(), first));
    translate(request(service(), second));
    translate(request(service(), second)); // a retry of the same request
    translate(request(service(), first)); // older than the stream: refused

    assertThat(appender.named("jobs_done_total")).extracting(RecordingAppender.Point::value)
        .containsExactly(5.0, 8.0, 8.0);
    assertThat(result.build().rejected()).isEqualTo(Map.of(RejectReason.DELTA_TEMPORALITY, 1L));
    assertThat(result.build().firstErrors()).contains("is not after the last point of this delta series");
    assertThat(translator.deltaSeries()).isEqualTo(1);
  }

  @Test
  void deltaStreamsAreKeptPerTenant() {
    Metric m = sum("c", "", true, DELTA, point(T0, 5).setStartTimeUnixNano(T0 - 1));
    translator.translate(new Tenant("a"), request(service(), m), appender, result);
    translator.translate(new Tenant("b"), request(service(), m), appender, result);

    assertThat(appender.named("c_total")).extracting(RecordingAppender.Point::value).containsExactly(5.0, 5.0);
  }

  @Test
  void deltaPointsAreRejectedWhenConversionIsOff() {
    translator = new OtlpMetricsTranslator(TranslationOptions.defaults()
        .withDeltaHandling(TranslationOptions.DeltaHandling.REJECT));
    translate(request(service(), sum("c", "", true, DELTA, point(T0, 5), point(T0 + 1, 6))));

    assertThat(appender.named("c_total")).isEmpty();
    assertThat(result.build().rejected()).isEqualTo(Map.of(RejectReason.DELTA_TEMPORALITY, 2L));
    assertThat(result.build().firstErrors()).contains("sum c has delta temporality (delta-to-cumulative conversion"
        + " is off)");
  }

  @Test
  void deltaStateIsBoundedAndIdleSeriesMakeRoom() {
    AtomicLong clock = new AtomicLong(0);
    translator = new OtlpMetricsTranslator(TranslationOptions.defaults().withMaxDeltaSeries(2)
        .withDeltaIdleTimeout(Duration.ofMinutes(1)), clock::get);
    translate(request(service(), sum("c", "", true, DELTA,
        point(T0, 1, kv("k", "1")), point(T0, 1, kv("k", "2")), point(T0, 1, kv("k", "3")))));
    assertThat(appender.named("c_total")).hasSize(2);
    assertThat(result.build().firstErrors()).contains("delta-to-cumulative state is full (2 streams)");

    clock.set(Duration.ofMinutes(2).toNanos());
    translate(request(service(), sum("c", "", true, DELTA, point(T0, 1, kv("k", "3")))));
    assertThat(appender.named("c_total")).hasSize(3);
  }

  @Test
  void deltaHistogramsBecomeCumulative() {
    List<Double> bounds = List.of(1.0, 2.0);
    translate(request(service(), histogram("h", "", DELTA,
        hpoint(T0 + 1, bounds, List.of(1L, 0L, 1L), 3).setStartTimeUnixNano(T0))));
    translate(request(service(), histogram("h", "", DELTA,
        hpoint(T0 + 2, bounds, List.of(0L, 2L, 0L), 3).setStartTimeUnixNano(T0 + 1))));

    assertThat(appender.named("h_bucket").stream().filter(p -> p.timestampMs() == T0_MS)
        .map(p -> p.labels().get("le") + "=" + p.value()).toList())
        .containsExactly("1=1.0", "2=1.0", "+Inf=2.0", "1=1.0", "2=3.0", "+Inf=4.0");
    assertThat(appender.named("h_sum")).extracting(RecordingAppender.Point::value).containsExactly(3.0, 6.0);
    assertThat(appender.named("h_count")).extracting(RecordingAppender.Point::value).containsExactly(2.0, 4.0);
  }

  @Test
  void invalidExemplarIdsAreRejectedButTheSampleIsKept() {
    NumberDataPoint.Builder p = point(T0, 1);
    p.addExemplars(io.opentelemetry.proto.metrics.v1.Exemplar.newBuilder().setAsDouble(1).setTraceId(hex("abcd")));
    translate(request(service(), sum("c", "", true, CUMULATIVE, p)));

    assertThat(appender.named("c_total")).hasSize(1);
    assertThat(appender.exemplars).isEmpty();
    assertThat(result.build().rejected()).isEqualTo(Map.of(RejectReason.INVALID_EXEMPLAR, 1L));
  }

  @Test
  void withoutSuffixesStrategyKeepsBareNames() {
    translator = new OtlpMetricsTranslator(TranslationOptions.defaults()
        .withNamingStrategy(NamingStrategy.UNDERSCORE_ESCAPING_WITHOUT_SUFFIXES)
        .withPromotedResourceAttributes(Map.of()));
    translate(request(service(), sum("http.requests", "1", true, CUMULATIVE, point(T0, 1))));

    assertThat(appender.named("http_requests")).hasSize(1);
    assertThat(appender.named("http_requests").get(0).labels().has("host_name")).isFalse();
  }
}
