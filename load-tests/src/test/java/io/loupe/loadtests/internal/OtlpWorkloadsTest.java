package io.loupe.loadtests.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class OtlpWorkloadsTest {
  private static final long FIRST = 1_790_000_000_000_000_000L;

  private static String attr(List<KeyValue> attrs, String key) {
    return attrs.stream().filter(kv -> kv.getKey().equals(key)).map(kv -> kv.getValue().getStringValue())
        .findFirst().orElse(null);
  }

  @Test
  void metricsParseAndCountPrometheusSamples() throws Exception {
    Workload w = OtlpMetricsWorkload.build(2, 3, 2, 1, FIRST, 1, false);
    // 2 hosts x 3 services, one instance per request, 2 rounds.
    assertThat(w.requests()).hasSize(12);
    Set<String> services = new HashSet<>();
    long samples = 0;
    for (Prepared p : w.requests()) {
      ExportMetricsServiceRequest req = ExportMetricsServiceRequest.parseFrom(p.body());
      assertThat(req.getResourceMetricsCount()).isEqualTo(1);
      ResourceMetrics rm = req.getResourceMetrics(0);
      services.add(attr(rm.getResource().getAttributesList(), "service.name"));
      assertThat(attr(rm.getResource().getAttributesList(), "host.name")).startsWith("pipeline-");
      int s = 0;
      int points = 0;
      for (Metric m : rm.getScopeMetrics(0).getMetricsList()) {
        s += OtlpMetricsWorkload.samplesOf(m);
        points += switch (m.getDataCase()) {
          case SUM -> m.getSum().getDataPointsCount();
          case GAUGE -> m.getGauge().getDataPointsCount();
          default -> m.getHistogram().getDataPointsCount();
        };
        if (m.hasHistogram()) {
          for (HistogramDataPoint hp : m.getHistogram().getDataPointsList()) {
            assertThat(hp.getBucketCountsCount()).isEqualTo(hp.getExplicitBoundsCount() + 1);
            assertThat(hp.getBucketCountsList().stream().mapToLong(Long::longValue).sum()).isEqualTo(hp.getCount());
            assertThat(hp.getExemplarsCount()).isEqualTo(1);
            assertThat(hp.getExemplars(0).getTraceId().size()).isEqualTo(16);
            assertThat(hp.getExemplars(0).getSpanId().size()).isEqualTo(8);
            assertThat(hp.getTimeUnixNano()).isGreaterThan(hp.getStartTimeUnixNano());
          }
        }
      }
      assertThat(p.samples()).isEqualTo(s);
      assertThat(p.points()).isEqualTo(points);
      samples += s;
    }
    assertThat(services).containsExactlyInAnyOrder("ingest-gateway", "stream-processor", "cassandra-store");
    assertThat(w.totalSamples()).isEqualTo(samples);
    assertThat(w.series() * 2).isEqualTo(samples);
  }

  @Test
  void cumulativeSumsGrowAndRoundsAreFifteenSecondsApart() throws Exception {
    Workload w = OtlpMetricsWorkload.build(1, 2, 3, 3, FIRST, 1, false);
    assertThat(w.requests()).hasSize(3); // all three instances in one request, 3 rounds
    Map<String, List<double[]>> sums = new HashMap<>();
    for (Prepared p : w.requests()) {
      for (ResourceMetrics rm : ExportMetricsServiceRequest.parseFrom(p.body()).getResourceMetricsList()) {
        for (Metric m : rm.getScopeMetrics(0).getMetricsList()) {
          if (m.hasSum()) {
            assertThat(m.getSum().getIsMonotonic()).isTrue();
            m.getSum().getDataPointsList().forEach(dp -> sums.computeIfAbsent(
                rm.getResource().getAttributes(2).getValue().getStringValue() + m.getName() + dp.getAttributesList(),
                k -> new ArrayList<>()).add(new double[] {dp.getTimeUnixNano(), dp.getAsDouble()}));
          }
        }
      }
    }
    assertThat(sums).isNotEmpty().allSatisfy((k, v) -> {
      assertThat(v).hasSize(3);
      for (int i = 1; i < 3; i++) {
        assertThat(v.get(i)[0] - v.get(i - 1)[0]).isEqualTo(15e9);
        assertThat(v.get(i)[1]).isGreaterThanOrEqualTo(v.get(i - 1)[1]);
      }
    });
  }

  @Test
  void grpcBodiesAreFramedMessages() throws Exception {
    Workload http = OtlpMetricsWorkload.build(1, 1, 1, 1, FIRST, 9, false);
    Workload grpc = OtlpMetricsWorkload.build(1, 1, 1, 1, FIRST, 9, true);
    byte[] plain = http.requests().get(0).body();
    byte[] framed = grpc.requests().get(0).body();
    assertThat(framed).hasSize(plain.length + 5);
    assertThat(framed[0]).isZero();
    int len = ((framed[1] & 0xff) << 24) | ((framed[2] & 0xff) << 16) | ((framed[3] & 0xff) << 8) | (framed[4] & 0xff);
    assertThat(len).isEqualTo(plain.length);
    assertThat(Arrays.copyOfRange(framed, 5, framed.length)).isEqualTo(plain);
  }

  @Test
  void tracesFormOnePipelineTreeEach() throws Exception {
    Workload w = OtlpTraceWorkload.build(50, 20, 3, FIRST, 60_000_000_000L, 5, false);
    assertThat(w.requests()).extracting(p -> p.samples() > 0).containsOnly(true);
    assertThat(w.requests()).hasSize(3);
    Map<com.google.protobuf.ByteString, List<Span>> byTrace = new HashMap<>();
    Map<com.google.protobuf.ByteString, String> serviceOfSpan = new HashMap<>();
    for (Prepared p : w.requests()) {
      ExportTraceServiceRequest req = ExportTraceServiceRequest.parseFrom(p.body());
      int n = 0;
      for (ResourceSpans rs : req.getResourceSpansList()) {
        String svc = attr(rs.getResource().getAttributesList(), "service.name");
        for (Span s : rs.getScopeSpans(0).getSpansList()) {
          byTrace.computeIfAbsent(s.getTraceId(), k -> new ArrayList<>()).add(s);
          serviceOfSpan.put(s.getSpanId(), svc);
          assertThat(s.getEndTimeUnixNano()).isGreaterThan(s.getStartTimeUnixNano());
          n++;
        }
      }
      assertThat(p.samples()).isEqualTo(n);
    }
    assertThat(byTrace).hasSize(50);
    assertThat(byTrace.values()).allSatisfy(spans -> {
      assertThat(spans.size()).isIn(6, 8);
      Set<com.google.protobuf.ByteString> ids = spans.stream().map(Span::getSpanId).collect(Collectors.toSet());
      List<Span> roots = spans.stream().filter(s -> s.getParentSpanId().isEmpty()).toList();
      assertThat(roots).hasSize(1);
      assertThat(roots.get(0).getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
      // Every other span's parent is in the same trace: one tree from the gateway to the store.
      spans.stream().filter(s -> !s.getParentSpanId().isEmpty())
          .forEach(s -> assertThat(ids).contains(s.getParentSpanId()));
      assertThat(spans).extracting(Span::getKind).contains(Span.SpanKind.SPAN_KIND_PRODUCER,
          Span.SpanKind.SPAN_KIND_CONSUMER, Span.SpanKind.SPAN_KIND_CLIENT);
      assertThat(spans.stream().map(s -> serviceOfSpan.get(s.getSpanId())).distinct())
          .containsExactlyInAnyOrder("ingest-gateway", "stream-processor", "cassandra-store");
    });
    assertThat(w.totalSamples()).isEqualTo(byTrace.values().stream().mapToInt(List::size).sum());
  }

  @Test
  void tracesAreSeeded() {
    Workload a = OtlpTraceWorkload.build(30, 10, 2, FIRST, 1_000_000_000L, 3, true);
    Workload b = OtlpTraceWorkload.build(30, 10, 2, FIRST, 1_000_000_000L, 3, true);
    assertThat(a.requests().get(2).body()).isEqualTo(b.requests().get(2).body());
  }
}
