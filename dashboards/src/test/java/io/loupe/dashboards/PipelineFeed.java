package io.loupe.dashboards;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The data the dashboards are written for, small: the OTLP metrics of load-tests' pipeline workload
 * ({@code OtlpMetricsWorkload}: same instrument names, units, attributes and resources, fewer hosts and partitions),
 * node-exporter series for the same hosts as Prometheus scrapes them ({@code instance="<host>:9100"}), and a few
 * pipeline traces. Kept in step with load-tests by hand: the names are what the dashboards query.
 */
final class PipelineFeed {
  static final String[] SERVICES = {"ingest-gateway", "stream-processor", "cassandra-store"};
  static final String[] TOPICS = {"events", "metrics", "audit"};
  static final double[] BOUNDS = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10};
  static final long STEP_MILLIS = 15_000;

  private final int hosts;
  private final Random rnd = new Random(42);
  // Running totals per series key, so counters and histograms are cumulative across rounds.
  private final Map<String, double[]> state = new LinkedHashMap<>();

  PipelineFeed(int hosts) {
    this.hosts = hosts;
  }

  static String host(int h) {
    return String.format(java.util.Locale.ROOT, "pipeline-%03d", h);
  }

  static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  static KeyValue kv(String k, long v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setIntValue(v)).build();
  }

  static Resource resource(String service, int host) {
    return Resource.newBuilder()
        .addAttributes(kv("service.name", service))
        .addAttributes(kv("service.namespace", "pipeline"))
        .addAttributes(kv("service.instance.id", host(host) + "-" + service))
        .addAttributes(kv("service.version", "2.4.1"))
        .addAttributes(kv("host.name", host(host)))
        .addAttributes(kv("telemetry.sdk.language", "java"))
        .build();
  }

  /** One export of every service on every host at {@code timeMillis}. */
  ExportMetricsServiceRequest metrics(long timeMillis) {
    long time = timeMillis * 1_000_000L;
    long start = time - 3_600_000_000_000L;
    ExportMetricsServiceRequest.Builder req = ExportMetricsServiceRequest.newBuilder();
    for (int h = 0; h < hosts; h++) {
      for (String svc : SERVICES) {
        String key = host(h) + svc;
        List<Metric> ms = new ArrayList<>();
        switch (svc) {
          case "ingest-gateway" -> {
            List<List<KeyValue>> http = new ArrayList<>();
            for (String route : new String[] {"/v1/batch", "/v1/events"}) {
              for (long code : new long[] {200, 429}) {
                http.add(List.of(kv("http.request.method", "POST"), kv("http.route", route),
                    kv("http.response.status_code", code)));
              }
            }
            ms.add(histogram(key, "http.server.request.duration", "s", http, 0.02, start, time));
            ms.add(sum(key, "ingest.records.received", "{record}", perTopic(), 5_000, start, time));
            ms.add(sum(key, "messaging.client.sent.messages", "{message}", perPartition(), 1_000, start, time));
            ms.add(gauge("ingest.inflight.requests", "{request}", List.of(List.of()), 40, time));
          }
          case "stream-processor" -> {
            ms.add(sum(key, "messaging.client.consumed.messages", "{message}", perPartition(), 1_000, start, time));
            ms.add(gauge("kafka.consumer.records_lag", "{message}", perPartition(), 500, time));
            List<List<KeyValue>> stages = new ArrayList<>();
            for (String stage : new String[] {"enrich", "parse", "write"}) {
              stages.add(List.of(kv("stage", stage)));
            }
            ms.add(histogram(key, "processor.record.duration", "s", stages, 0.004, start, time));
          }
          default -> {
            List<List<KeyValue>> ops = new ArrayList<>();
            for (String op : new String[] {"INSERT", "SELECT", "UPDATE"}) {
              ops.add(List.of(kv("db.operation.name", op)));
            }
            ms.add(histogram(key, "cassandra.request.duration", "s", ops, 0.002, start, time));
            ms.add(sum(key, "cassandra.requests", "{request}", ops, 3_000, start, time));
            ms.add(gauge("cassandra.storage.load", "By", List.of(List.of()), 5e11, time));
            ms.add(gauge("cassandra.compaction.tasks.pending", "{task}", List.of(List.of()), 3, time));
          }
        }
        List<List<KeyValue>> pools = new ArrayList<>();
        for (String pool : new String[] {"G1 Eden Space", "G1 Old Gen", "Metaspace"}) {
          pools.add(List.of(kv("jvm.memory.pool.name", pool),
              kv("jvm.memory.type", pool.startsWith("Meta") ? "non_heap" : "heap")));
        }
        ms.add(gauge("jvm.memory.used", "By", pools, 2e8, time));
        ms.add(gauge("jvm.cpu.recent_utilization", "1", List.of(List.of()), 0.3, time));
        req.addResourceMetrics(ResourceMetrics.newBuilder().setResource(resource(svc, h))
            .addScopeMetrics(ScopeMetrics.newBuilder().addAllMetrics(ms)));
      }
    }
    return req.build();
  }

  private static List<List<KeyValue>> perTopic() {
    List<List<KeyValue>> out = new ArrayList<>();
    for (String t : TOPICS) {
      out.add(List.of(kv("topic", t)));
    }
    return out;
  }

  private static List<List<KeyValue>> perPartition() {
    List<List<KeyValue>> out = new ArrayList<>();
    for (String t : TOPICS) {
      for (int p = 0; p < 2; p++) {
        out.add(List.of(kv("messaging.system", "kafka"), kv("messaging.destination.name", t),
            kv("messaging.destination.partition.id", Integer.toString(p))));
      }
    }
    return out;
  }

  private Metric sum(String key, String name, String unit, List<List<KeyValue>> series, double scale, long start,
      long time) {
    Sum.Builder s = Sum.newBuilder().setIsMonotonic(true)
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    for (List<KeyValue> attrs : series) {
      double[] total = state.computeIfAbsent(key + name + attrs, k -> new double[1]);
      total[0] += Math.floor(scale * 15 * (0.5 + rnd.nextDouble()));
      s.addDataPoints(NumberDataPoint.newBuilder().addAllAttributes(attrs).setStartTimeUnixNano(start)
          .setTimeUnixNano(time).setAsDouble(total[0]));
    }
    return Metric.newBuilder().setName(name).setUnit(unit).setSum(s).build();
  }

  private Metric gauge(String name, String unit, List<List<KeyValue>> series, double scale, long time) {
    Gauge.Builder g = Gauge.newBuilder();
    for (List<KeyValue> attrs : series) {
      g.addDataPoints(NumberDataPoint.newBuilder().addAllAttributes(attrs).setTimeUnixNano(time)
          .setAsDouble(scale * (0.8 + 0.4 * rnd.nextDouble())));
    }
    return Metric.newBuilder().setName(name).setUnit(unit).setGauge(g).build();
  }

  private Metric histogram(String key, String name, String unit, List<List<KeyValue>> series, double median,
      long start, long time) {
    Histogram.Builder h = Histogram.newBuilder()
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    for (List<KeyValue> attrs : series) {
      // [0..n] bucket counts, then sum, then count.
      double[] s = state.computeIfAbsent(key + name + attrs, k -> new double[BOUNDS.length + 3]);
      double last = median;
      for (int i = 0; i < 40; i++) {
        double v = median * Math.exp(0.8 * rnd.nextGaussian());
        int b = 0;
        while (b < BOUNDS.length && v > BOUNDS[b]) {
          b++;
        }
        s[b]++;
        s[BOUNDS.length + 1] += v;
        s[BOUNDS.length + 2]++;
        last = v;
      }
      HistogramDataPoint.Builder p = HistogramDataPoint.newBuilder().addAllAttributes(attrs)
          .setStartTimeUnixNano(start).setTimeUnixNano(time).setSum(s[BOUNDS.length + 1])
          .setCount((long) s[BOUNDS.length + 2]);
      for (int b = 0; b <= BOUNDS.length; b++) {
        p.addBucketCounts((long) s[b]);
      }
      for (double bound : BOUNDS) {
        p.addExplicitBounds(bound);
      }
      p.addExemplars(Exemplar.newBuilder().setTimeUnixNano(time).setAsDouble(last)
          .setTraceId(id(16)).setSpanId(id(8)));
      h.addDataPoints(p);
    }
    return Metric.newBuilder().setName(name).setUnit(unit).setHistogram(h).build();
  }

  private ByteString id(int bytes) {
    byte[] b = new byte[bytes];
    rnd.nextBytes(b);
    b[0] |= 1;
    return ByteString.copyFrom(b);
  }

  /**
   * One node-exporter scrape of every host at {@code timeMillis}, as Prometheus would remote-write it: job "node",
   * instance "host:9100" (no host_name: the dashboards derive it from instance).
   */
  void nodeExporter(RemoteWriteRequest req, long timeMillis, int round) {
    for (int h = 0; h < hosts; h++) {
      String instance = host(h) + ":9100";
      for (int cpu = 0; cpu < 2; cpu++) {
        for (String mode : new String[] {"idle", "user", "system", "iowait"}) {
          double share = mode.equals("idle") ? 0.6 : 0.1;
          req.add(node(instance, "node_cpu_seconds_total", "cpu", Integer.toString(cpu), "mode", mode),
              1e5 + round * 15 * share, timeMillis);
        }
      }
      req.add(node(instance, "node_memory_MemTotal_bytes"), 16e9, timeMillis);
      req.add(node(instance, "node_memory_MemAvailable_bytes"), 6e9 + 1e8 * round, timeMillis);
      req.add(node(instance, "node_load1"), 0.5 + 0.1 * round, timeMillis);
      for (String dev : new String[] {"eth0", "lo"}) {
        for (String m : new String[] {"receive_bytes", "transmit_bytes", "receive_errs", "transmit_errs",
            "receive_drop", "transmit_drop"}) {
          req.add(node(instance, "node_network_" + m + "_total", "device", dev),
              m.endsWith("bytes") ? 1e9 + round * 15e6 : round, timeMillis);
        }
      }
      req.add(node(instance, "node_filesystem_size_bytes", "device", "/dev/sda1", "fstype", "ext4", "mountpoint", "/"),
          100e9, timeMillis);
      req.add(node(instance, "node_filesystem_avail_bytes", "device", "/dev/sda1", "fstype", "ext4", "mountpoint",
          "/"), 40e9 - 1e8 * round, timeMillis);
      for (String m : new String[] {"io_time_seconds_total", "read_bytes_total", "written_bytes_total"}) {
        req.add(node(instance, "node_disk_" + m, "device", "sda"), m.startsWith("io") ? round * 3.0 : round * 5e7,
            timeMillis);
      }
      req.add(node(instance, "up"), 1, timeMillis);
    }
  }

  private static Map<String, String> node(String instance, String name, String... extra) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("__name__", name);
    m.put("job", "node");
    m.put("instance", instance);
    for (int i = 0; i < extra.length; i += 2) {
      m.put(extra[i], extra[i + 1]);
    }
    return m;
  }

  /** A few traces shaped like load-tests' trace workload: gateway → Kafka → processor → Cassandra. */
  ExportTraceServiceRequest traces(long endMillis, int count) {
    Map<String, List<Span>> byService = new LinkedHashMap<>();
    for (int t = 0; t < count; t++) {
      ByteString trace = id(16);
      long start = (endMillis - 60_000 + t * 1_000L) * 1_000_000L;
      boolean error = t % 5 == 0;
      ByteString root = id(8);
      ByteString producer = id(8);
      ByteString consumer = id(8);
      ByteString client = id(8);
      add(byService, "ingest-gateway", span(trace, root, ByteString.EMPTY, "POST /v1/events",
          Span.SpanKind.SPAN_KIND_SERVER, start, start + 20_000_000, error));
      add(byService, "ingest-gateway", span(trace, producer, root, "events publish", Span.SpanKind.SPAN_KIND_PRODUCER,
          start + 1_000_000, start + 5_000_000, false));
      add(byService, "stream-processor", span(trace, consumer, producer, "events process",
          Span.SpanKind.SPAN_KIND_CONSUMER, start + 30_000_000, start + 60_000_000, error));
      add(byService, "stream-processor", span(trace, client, consumer, "INSERT pipeline.events",
          Span.SpanKind.SPAN_KIND_CLIENT, start + 40_000_000, start + 55_000_000, error));
      add(byService, "cassandra-store", span(trace, id(8), client, "INSERT", Span.SpanKind.SPAN_KIND_SERVER,
          start + 41_000_000, start + 54_000_000, error));
    }
    ExportTraceServiceRequest.Builder req = ExportTraceServiceRequest.newBuilder();
    byService.forEach((svc, spans) -> req.addResourceSpans(ResourceSpans.newBuilder().setResource(resource(svc, 0))
        .addScopeSpans(ScopeSpans.newBuilder().addAllSpans(spans))));
    return req.build();
  }

  private static void add(Map<String, List<Span>> m, String svc, Span s) {
    m.computeIfAbsent(svc, k -> new ArrayList<>()).add(s);
  }

  private static Span span(ByteString trace, ByteString id, ByteString parent, String name, Span.SpanKind kind,
      long start, long end, boolean error) {
    return Span.newBuilder().setTraceId(trace).setSpanId(id).setParentSpanId(parent).setName(name).setKind(kind)
        .setStartTimeUnixNano(start).setEndTimeUnixNano(end)
        .setStatus(Status.newBuilder().setCode(error ? Status.StatusCode.STATUS_CODE_ERROR
            : Status.StatusCode.STATUS_CODE_UNSET))
        .build();
  }
}
