package io.loupe.collector.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.loupe.model.AppendResult;
import io.loupe.model.SpanRecord;
import io.loupe.model.Tenant;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Exemplar;
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
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random but well-formed OTLP messages with odd shapes (bucket counts that do not match, NaN values, zero and huge
 * timestamps, odd id lengths, strange names): translation must never throw, and every point must be either appended or
 * rejected. Seeded, so a failure reproduces.
 */
class RandomInputTest {
  private static final String[] NAMES = {"a", "a.b", "", "__", "_x", "9lives", "ü", "http.server.duration", "le",
      "job", "a_b", "@#$"};
  private static final String[] UNITS = {"", "1", "s", "By/s", "{x}", "/", "ms/"};

  private final Random random = new Random(42);

  private String pick(String[] a) {
    return a[random.nextInt(a.length)];
  }

  private long time() {
    return switch (random.nextInt(4)) {
      case 0 -> 0;
      case 1 -> -1;
      default -> 1_700_000_000_000_000_000L + random.nextInt(1_000_000) * 1_000_000L;
    };
  }

  private List<KeyValue> attrs() {
    int n = random.nextInt(4);
    KeyValue[] kvs = new KeyValue[n];
    for (int i = 0; i < n; i++) {
      AnyValue v = random.nextBoolean() ? AnyValue.newBuilder().setStringValue(pick(NAMES)).build()
          : AnyValue.newBuilder().setDoubleValue(random.nextGaussian()).build();
      kvs[i] = KeyValue.newBuilder().setKey(pick(NAMES)).setValue(v).build();
    }
    return List.of(kvs);
  }

  private ByteString bytes(int maxLength) {
    byte[] b = new byte[random.nextInt(maxLength + 1)];
    random.nextBytes(b);
    return ByteString.copyFrom(b);
  }

  private Exemplar exemplar() {
    return Exemplar.newBuilder().setAsDouble(random.nextDouble() * 10).setTimeUnixNano(time())
        .setTraceId(bytes(17)).setSpanId(bytes(9)).build();
  }

  private double value() {
    return switch (random.nextInt(5)) {
      case 0 -> Double.NaN;
      case 1 -> Double.POSITIVE_INFINITY;
      default -> random.nextGaussian() * 100;
    };
  }

  private Metric metric() {
    Metric.Builder m = Metric.newBuilder().setName(pick(NAMES)).setUnit(pick(UNITS));
    int temporality = random.nextInt(3);
    switch (random.nextInt(4)) {
      case 0 -> {
        Gauge.Builder g = Gauge.newBuilder();
        for (int i = 0; i < 3; i++) {
          NumberDataPoint.Builder p = NumberDataPoint.newBuilder().setTimeUnixNano(time()).addAllAttributes(attrs())
              .setFlags(random.nextInt(3));
          if (random.nextInt(4) > 0) {
            p.setAsDouble(value());
          }
          g.addDataPoints(p);
        }
        m.setGauge(g);
      }
      case 1 -> {
        Sum.Builder s = Sum.newBuilder().setIsMonotonic(random.nextBoolean()).setAggregationTemporalityValue(temporality);
        for (int i = 0; i < 3; i++) {
          s.addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(time()).setStartTimeUnixNano(time())
              .setAsInt(random.nextInt(100)).addAllAttributes(attrs()).addExemplars(exemplar()));
        }
        m.setSum(s);
      }
      case 2 -> {
        Histogram.Builder h = Histogram.newBuilder().setAggregationTemporalityValue(temporality);
        for (int i = 0; i < 3; i++) {
          HistogramDataPoint.Builder p = HistogramDataPoint.newBuilder().setTimeUnixNano(time())
              .setStartTimeUnixNano(time()).setCount(random.nextInt(10)).setFlags(random.nextInt(2))
              .addAllAttributes(attrs()).addExemplars(exemplar());
          int bounds = random.nextInt(4);
          for (int b = 0; b < bounds; b++) {
            p.addExplicitBounds(random.nextInt(3) == 0 ? value() : b);
          }
          int counts = random.nextInt(3) == 0 ? random.nextInt(5) : bounds + 1;
          for (int c = 0; c < counts; c++) {
            p.addBucketCounts(random.nextInt(5));
          }
          if (random.nextBoolean()) {
            p.setSum(value());
          }
          h.addDataPoints(p);
        }
        m.setHistogram(h);
      }
      default -> {
        SummaryDataPoint.Builder p = SummaryDataPoint.newBuilder().setTimeUnixNano(time()).setCount(3).setSum(value())
            .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(value()).setValue(value()));
        m.setSummary(Summary.newBuilder().addDataPoints(p));
      }
    }
    return m.build();
  }

  @Test
  void translationNeverThrowsAndAccountsForEveryPoint() {
    OtlpMetricsTranslator translator = new OtlpMetricsTranslator(TranslationOptions.defaults().withKeepScopeInfo(true));
    for (int round = 0; round < 300; round++) {
      ScopeMetrics.Builder sm = ScopeMetrics.newBuilder();
      sm.getScopeBuilder().setName(pick(NAMES)).addAllAttributes(attrs());
      for (int i = 0; i < 4; i++) {
        sm.addMetrics(metric());
      }
      Resource.Builder r = Resource.newBuilder().addAllAttributes(attrs());
      if (random.nextBoolean()) {
        r.addAttributes(KeyValue.newBuilder().setKey("service.name")
            .setValue(AnyValue.newBuilder().setStringValue(pick(NAMES))));
      }
      ExportMetricsServiceRequest req = ExportMetricsServiceRequest.newBuilder()
          .addResourceMetrics(ResourceMetrics.newBuilder().setResource(r).addScopeMetrics(sm)).build();
      RecordingAppender appender = new RecordingAppender();
      AppendResult.Builder result = new AppendResult.Builder();

      int appended = translator.translate(Tenant.ANONYMOUS, req, appender, result);

      assertThat(appended).isEqualTo(appender.points.size());
      int points = 0;
      for (Metric m : sm.getMetricsList()) {
        points += m.getGauge().getDataPointsCount() + m.getSum().getDataPointsCount()
            + m.getHistogram().getDataPointsCount() + m.getSummary().getDataPointsCount();
      }
      // Every point produced at least one sample or one rejection (exemplar rejections may add more).
      long distinctAppendedPoints = appender.points.stream()
          .filter(p -> !p.labels().metricName().equals("target_info")).count();
      assertThat(Math.min(distinctAppendedPoints, points) + result.rejectedCount())
          .as("round %d", round).isGreaterThanOrEqualTo(Math.min(points, 1));
    }
  }

  @Test
  void spanConversionNeverThrows() {
    for (int round = 0; round < 300; round++) {
      ScopeSpans.Builder ss = ScopeSpans.newBuilder();
      for (int i = 0; i < 5; i++) {
        ss.addSpans(Span.newBuilder().setTraceId(bytes(17)).setSpanId(bytes(9)).setParentSpanId(bytes(9))
            .setName(pick(NAMES)).setStartTimeUnixNano(time()).setEndTimeUnixNano(time())
            .setKindValue(random.nextInt(9)).addAllAttributes(attrs())
            .addLinks(Span.Link.newBuilder().setTraceId(bytes(17)).setSpanId(bytes(9))));
      }
      ExportTraceServiceRequest req = ExportTraceServiceRequest.newBuilder()
          .addResourceSpans(ResourceSpans.newBuilder().addScopeSpans(ss)).build();
      AppendResult.Builder result = new AppendResult.Builder();

      List<SpanRecord> spans = OtlpSpans.toSpanRecords(req, result);

      assertThat(spans.size() + result.rejectedCount()).isEqualTo(5);
    }
  }
}
