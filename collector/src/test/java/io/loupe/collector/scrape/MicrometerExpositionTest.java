package io.loupe.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.collector.scrape.ExpositionParser.Format;
import io.loupe.model.Appender;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import io.loupe.model.Tenant;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The node scrapes its own Micrometer registry: its exposition must parse, in both formats Micrometer writes. */
class MicrometerExpositionTest {
  static final Labels SELF = ScrapeTarget.self(9090, Duration.ofSeconds(15), Tenant.ANONYMOUS).targetLabels();

  static PrometheusMeterRegistry registry() {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Counter.builder("loupe.ingest.samples").tag("tenant", "anonymous").description("Samples \"accepted\"\\ok")
        .register(r).increment(42);
    Timer t = Timer.builder("loupe.query.latency").publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(1)).register(r);
    t.record(Duration.ofMillis(12));
    t.record(Duration.ofMillis(300));
    DistributionSummary s = DistributionSummary.builder("loupe.wal.record.bytes").publishPercentiles(0.5, 0.99)
        .baseUnit("bytes").register(r);
    s.record(100);
    s.record(4000);
    AtomicLong series = new AtomicLong(7);
    Gauge.builder("loupe.tsdb.head.series", series, AtomicLong::get).register(r);
    return r;
  }

  static int parse(String text, Format f, RecordingSeriesAppender rec) {
    Appender app = rec.appender(Tenant.ANONYMOUS);
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    int n = new ExpositionParser(SELF).parse(b, b.length, f, 1000L, app, null);
    app.commit();
    return n;
  }

  @Test
  void liveMicrometerTextExpositionParses() {
    PrometheusMeterRegistry r = registry();
    RecordingSeriesAppender rec = new RecordingSeriesAppender();
    int n = parse(r.scrape(), Format.PROMETHEUS_TEXT, rec);
    assertThat(n).isGreaterThan(20);
    assertThat(rec.named("loupe_ingest_samples_total").get(0).value()).isEqualTo(42);
    assertThat(rec.named("loupe_ingest_samples_total").get(0).labels().get("job")).isEqualTo("loupe");
    assertThat(rec.named("loupe_query_latency_seconds_bucket"))
        .anySatisfy(p -> assertThat(p.labels().get("le")).isEqualTo("+Inf"));
    assertThat(rec.named("loupe_query_latency_seconds_count").get(0).value()).isEqualTo(2);
    assertThat(rec.named("loupe_wal_record_bytes")).extracting(p -> p.labels().get("quantile"))
        .contains("0.5", "0.99");
    assertThat(rec.named("loupe_tsdb_head_series").get(0).value()).isEqualTo(7);
    assertThat(rec.metadata().get("loupe_query_latency_seconds").type()).isEqualTo(MetricMetadata.Type.HISTOGRAM);
    assertThat(rec.metadata().get("loupe_wal_record_bytes").type()).isEqualTo(MetricMetadata.Type.SUMMARY);
    assertThat(rec.metadata().get("loupe_ingest_samples_total").help()).isEqualTo("Samples \"accepted\"\\ok");
  }

  @Test
  void liveMicrometerOpenMetricsExpositionParses() {
    PrometheusMeterRegistry r = registry();
    RecordingSeriesAppender rec = new RecordingSeriesAppender();
    int n = parse(r.scrape("application/openmetrics-text; version=1.0.0; charset=utf-8"), Format.OPENMETRICS, rec);
    assertThat(n).isGreaterThan(20);
    assertThat(rec.named("loupe_ingest_samples_total").get(0).value()).isEqualTo(42);
    assertThat(rec.named("loupe_ingest_samples_created")).isEmpty();
    assertThat(rec.metadata().get("loupe_ingest_samples").type()).isEqualTo(MetricMetadata.Type.COUNTER);
  }

  @Test
  void capturedMicrometerSampleParses() throws IOException {
    RecordingSeriesAppender rec = new RecordingSeriesAppender();
    int n = parse(resource("micrometer.txt"), Format.PROMETHEUS_TEXT, rec);
    assertThat(n).isEqualTo(CAPTURED_MICROMETER_SAMPLES);
    assertThat(rec.metadata()).containsKeys("jvm_memory_used_bytes", "http_server_requests_seconds");
  }

  @Test
  void nodeExporterSampleParses() throws IOException {
    RecordingSeriesAppender rec = new RecordingSeriesAppender();
    int n = parse(resource("node_exporter.txt"), Format.PROMETHEUS_TEXT, rec);
    assertThat(n).isEqualTo(CAPTURED_NODE_SAMPLES);
    assertThat(rec.named("node_cpu_seconds_total")).isNotEmpty()
        .allSatisfy(p -> assertThat(p.labels().get("cpu")).isNotEmpty());
    assertThat(rec.metadata().get("node_cpu_seconds_total").type()).isEqualTo(MetricMetadata.Type.COUNTER);
  }

  static final int CAPTURED_MICROMETER_SAMPLES = 252;
  static final int CAPTURED_NODE_SAMPLES = 45;

  static String resource(String name) throws IOException {
    try (InputStream in = MicrometerExpositionTest.class.getResourceAsStream("/testdata/scrape/" + name)) {
      assertThat(in).as(name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
