package io.loupe.loadtests.internal;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * OTLP metrics of a fast-data pipeline: on every host an ingest gateway (HTTP server durations, records received,
 * Kafka sends per partition), a stream processor (Kafka consumption and lag per partition, per-stage durations) and a
 * Cassandra-like store (request durations per operation, storage load), each with JVM gauges. Counters are cumulative
 * monotonic sums; histograms carry an exemplar pointing at a trace. One request per service instance and round (an
 * OTel SDK exports each process on its own), or several instances per request with {@code resourcesPerRequest}.
 */
public final class OtlpMetricsWorkload {
  /** The export interval between rounds. */
  public static final long STEP_NANOS = 15_000_000_000L;

  private static final double[] HTTP_BOUNDS = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5,
      7.5, 10};
  private static final String[] TOPICS = {"events", "metrics", "audit"};
  private static final String[] POOLS = {"G1 Eden Space", "G1 Old Gen", "G1 Survivor Space", "Metaspace"};

  private enum Type { SUM, GAUGE, HISTOGRAM }

  /** One series: an instrument with one attribute set, and its running state. */
  private static final class Series {
    final List<KeyValue> attributes;
    final double scale; // mean increment, gauge level, or median duration in seconds
    double value;
    long[] buckets;
    double sum;
    long count;

    Series(List<KeyValue> attributes, double scale) {
      this.attributes = attributes;
      this.scale = scale;
    }
  }

  private record Instrument(String name, String unit, String description, Type type, List<Series> series) {}

  private record Instance(String service, int host, io.opentelemetry.proto.resource.v1.Resource resource,
      List<Instrument> instruments, long offsetNanos) {}

  private OtlpMetricsWorkload() {}

  /** Prometheus samples per round of one host: 1 per number point, buckets + 1 + 2 per histogram point. */
  static int samplesOf(Metric m) {
    return switch (m.getDataCase()) {
      case SUM -> m.getSum().getDataPointsCount();
      case GAUGE -> m.getGauge().getDataPointsCount();
      case HISTOGRAM -> m.getHistogram().getDataPointsList().stream()
          .mapToInt(p -> p.getExplicitBoundsCount() + 1 + 2).sum();
      default -> 0;
    };
  }

  private static int pointsOf(Metric m) {
    return switch (m.getDataCase()) {
      case SUM -> m.getSum().getDataPointsCount();
      case GAUGE -> m.getGauge().getDataPointsCount();
      case HISTOGRAM -> m.getHistogram().getDataPointsCount();
      default -> 0;
    };
  }

  /**
   * Encodes {@code rounds} exports of every service instance on {@code hosts} hosts. Round {@code r} is stamped
   * {@code firstNanos + r * 15 s} plus the instance's own offset within the interval.
   *
   * @param grpc frame each body for gRPC instead of leaving it a bare protobuf message for OTLP/HTTP
   */
  public static Workload build(int hosts, int partitions, int rounds, int resourcesPerRequest, long firstNanos,
      long seed, boolean grpc) {
    return build(hosts, partitions, rounds, resourcesPerRequest, firstNanos, seed, grpc, false);
  }

  /** As above; with {@code live}, each request is due when its newest point's timestamp comes. */
  public static Workload build(int hosts, int partitions, int rounds, int resourcesPerRequest, long firstNanos,
      long seed, boolean grpc, boolean live) {
    if (hosts <= 0 || partitions <= 0 || rounds <= 0 || resourcesPerRequest <= 0) {
      throw new IllegalArgumentException("hosts: " + hosts + ", partitions: " + partitions + ", rounds: " + rounds
          + ", resourcesPerRequest: " + resourcesPerRequest + " (expected: all > 0)");
    }
    long t0 = System.nanoTime();
    Random rnd = new Random(seed);
    List<Instance> instances = new ArrayList<>();
    for (int h = 0; h < hosts; h++) {
      for (String svc : Otlp.SERVICES) {
        int i = instances.size();
        long offset = (long) i * STEP_NANOS / (hosts * Otlp.SERVICES.length);
        instances.add(new Instance(svc, h, Otlp.resource(svc, h), instruments(svc, partitions, rnd), offset));
      }
    }
    long processStart = firstNanos - 60_000_000_000L;
    List<Prepared> requests = new ArrayList<>();
    long seriesCount = 0;
    for (int r = 0; r < rounds; r++) {
      for (int from = 0; from < instances.size(); from += resourcesPerRequest) {
        ExportMetricsServiceRequest.Builder req = ExportMetricsServiceRequest.newBuilder();
        int samples = 0;
        int points = 0;
        long newest = 0;
        for (int i = from; i < Math.min(instances.size(), from + resourcesPerRequest); i++) {
          Instance inst = instances.get(i);
          long time = firstNanos + r * STEP_NANOS + inst.offsetNanos();
          newest = Math.max(newest, time);
          ScopeMetrics.Builder scope = ScopeMetrics.newBuilder().setScope(Otlp.SCOPE);
          for (Instrument ins : inst.instruments()) {
            Metric m = metric(ins, processStart, time, rnd);
            samples += samplesOf(m);
            points += pointsOf(m);
            scope.addMetrics(m);
          }
          req.addResourceMetrics(ResourceMetrics.newBuilder().setResource(inst.resource()).addScopeMetrics(scope));
        }
        if (r == 0) {
          seriesCount += samples;
        }
        byte[] body = req.build().toByteArray();
        requests.add(new Prepared(grpc ? Transport.grpcFrame(body) : body, samples, points,
            live ? newest / 1_000_000 : 0, from / resourcesPerRequest));
      }
    }
    String desc = String.format(Locale.ROOT,
        "%,d Prometheus series from %d hosts x %d services (%d partitions), %,d rounds of 15 s, %d resource(s)"
            + " per request", seriesCount, hosts, Otlp.SERVICES.length, partitions, rounds, resourcesPerRequest);
    return new Workload(desc, requests, seriesCount, System.nanoTime() - t0,
        grpc ? Transport.grpcFrame(new byte[0]) : new byte[0]);
  }

  private static List<Instrument> instruments(String svc, int partitions, Random rnd) {
    List<Instrument> out = new ArrayList<>();
    switch (svc) {
      case "ingest-gateway" -> {
        List<Series> http = new ArrayList<>();
        for (String route : new String[] {"/v1/batch", "/v1/events"}) {
          for (long code : new long[] {200, 429}) {
            http.add(new Series(List.of(Otlp.kv("http.request.method", "POST"), Otlp.kv("http.route", route),
                Otlp.kv("http.response.status_code", code)), code == 200 ? 0.02 : 0.001));
          }
        }
        out.add(new Instrument("http.server.request.duration", "s", "Duration of HTTP server requests.",
            Type.HISTOGRAM, http));
        List<Series> received = new ArrayList<>();
        for (String topic : TOPICS) {
          received.add(new Series(List.of(Otlp.kv("topic", topic)), 5_000 * rnd.nextDouble()));
        }
        out.add(new Instrument("ingest.records.received", "{record}", "Records accepted from clients.", Type.SUM,
            received));
        out.add(new Instrument("messaging.client.sent.messages", "{message}", "Messages sent to Kafka.", Type.SUM,
            perPartition(partitions, 1_000, rnd)));
        out.add(new Instrument("ingest.inflight.requests", "{request}", "Requests being handled.", Type.GAUGE,
            List.of(new Series(List.of(), 40))));
      }
      case "stream-processor" -> {
        out.add(new Instrument("messaging.client.consumed.messages", "{message}", "Messages consumed from Kafka.",
            Type.SUM, perPartition(partitions, 1_000, rnd)));
        out.add(new Instrument("kafka.consumer.records_lag", "{message}", "Messages behind the partition's end.",
            Type.GAUGE, perPartition(partitions, 500, rnd)));
        List<Series> stages = new ArrayList<>();
        for (String stage : new String[] {"enrich", "parse", "write"}) {
          stages.add(new Series(List.of(Otlp.kv("stage", stage)), stage.equals("write") ? 0.008 : 0.002));
        }
        out.add(new Instrument("processor.record.duration", "s", "Time to process one record, per stage.",
            Type.HISTOGRAM, stages));
      }
      default -> {
        List<Series> ops = new ArrayList<>();
        List<Series> reqs = new ArrayList<>();
        for (String op : new String[] {"INSERT", "SELECT", "UPDATE"}) {
          ops.add(new Series(List.of(Otlp.kv("db.operation.name", op)), op.equals("SELECT") ? 0.004 : 0.001));
          reqs.add(new Series(List.of(Otlp.kv("db.operation.name", op)), 3_000 * rnd.nextDouble()));
        }
        out.add(new Instrument("cassandra.request.duration", "s", "Coordinator request latency.", Type.HISTOGRAM,
            ops));
        out.add(new Instrument("cassandra.requests", "{request}", "Requests served.", Type.SUM, reqs));
        out.add(new Instrument("cassandra.storage.load", "By", "Bytes of live data on disk.", Type.GAUGE,
            List.of(new Series(List.of(), 5e11 * (1 + rnd.nextDouble())))));
        out.add(new Instrument("cassandra.compaction.tasks.pending", "{task}", "Compactions waiting.", Type.GAUGE,
            List.of(new Series(List.of(), 3))));
      }
    }
    List<Series> pools = new ArrayList<>();
    for (String pool : POOLS) {
      pools.add(new Series(List.of(Otlp.kv("jvm.memory.pool.name", pool), Otlp.kv("jvm.memory.type",
          pool.startsWith("Meta") ? "non_heap" : "heap")), 2e8 * (1 + rnd.nextDouble())));
    }
    out.add(new Instrument("jvm.memory.used", "By", "Measure of memory used.", Type.GAUGE, pools));
    out.add(new Instrument("jvm.cpu.recent_utilization", "1", "Recent CPU utilization of the process.", Type.GAUGE,
        List.of(new Series(List.of(), 0.3))));
    return out;
  }

  private static List<Series> perPartition(int partitions, double scale, Random rnd) {
    List<Series> out = new ArrayList<>();
    for (String topic : TOPICS) {
      for (int p = 0; p < partitions; p++) {
        out.add(new Series(List.of(Otlp.kv("messaging.system", "kafka"), Otlp.kv("messaging.destination.name", topic),
            Otlp.kv("messaging.destination.partition.id", Integer.toString(p))), scale * (0.5 + rnd.nextDouble())));
      }
    }
    return out;
  }

  private static Metric metric(Instrument ins, long start, long time, Random rnd) {
    Metric.Builder m = Metric.newBuilder().setName(ins.name()).setUnit(ins.unit()).setDescription(ins.description());
    switch (ins.type()) {
      case SUM -> {
        Sum.Builder sum = Sum.newBuilder().setIsMonotonic(true)
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
        for (Series s : ins.series()) {
          s.value += Math.floor(s.scale * 15 * (0.5 + rnd.nextDouble()));
          sum.addDataPoints(NumberDataPoint.newBuilder().addAllAttributes(s.attributes).setStartTimeUnixNano(start)
              .setTimeUnixNano(time).setAsDouble(s.value));
        }
        m.setSum(sum);
      }
      case GAUGE -> {
        Gauge.Builder g = Gauge.newBuilder();
        for (Series s : ins.series()) {
          s.value = s.scale * (0.8 + 0.4 * rnd.nextDouble());
          g.addDataPoints(NumberDataPoint.newBuilder().addAllAttributes(s.attributes).setTimeUnixNano(time)
              .setAsDouble(s.value));
        }
        m.setGauge(g);
      }
      case HISTOGRAM -> {
        Histogram.Builder h = Histogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
        for (Series s : ins.series()) {
          if (s.buckets == null) {
            s.buckets = new long[HTTP_BOUNDS.length + 1];
          }
          int n = 20 + rnd.nextInt(80);
          double last = 0;
          for (int i = 0; i < n; i++) {
            // Log-normal around the series' median: most observations near it, a long tail of slow ones.
            double v = s.scale * Math.exp(0.8 * rnd.nextGaussian());
            int b = 0;
            while (b < HTTP_BOUNDS.length && v > HTTP_BOUNDS[b]) {
              b++;
            }
            s.buckets[b]++;
            s.sum += v;
            last = v;
          }
          s.count += n;
          HistogramDataPoint.Builder p = HistogramDataPoint.newBuilder().addAllAttributes(s.attributes)
              .setStartTimeUnixNano(start).setTimeUnixNano(time).setCount(s.count).setSum(s.sum);
          for (long c : s.buckets) {
            p.addBucketCounts(c);
          }
          for (double bound : HTTP_BOUNDS) {
            p.addExplicitBounds(bound);
          }
          p.addExemplars(Exemplar.newBuilder().setTimeUnixNano(time - 1_000_000_000L).setAsDouble(last)
              .setTraceId(Otlp.randomId(rnd, 16)).setSpanId(Otlp.randomId(rnd, 8)));
          h.addDataPoints(p);
        }
        m.setHistogram(h);
      }
    }
    return m.build();
  }
}
