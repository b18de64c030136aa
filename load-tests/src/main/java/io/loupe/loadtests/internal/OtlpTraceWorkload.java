package io.loupe.loadtests.internal;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * OTLP traces of a record's trip through the pipeline: the gateway's HTTP server span and its Kafka publish, the
 * processor's Kafka consume (a child of the publish, as the messaging conventions give for single messages), its
 * enrichment, an occasional lookup, and its Cassandra write with the store's server span. About 1 % of traces fail at
 * the store and carry error statuses up the chain. Spans are grouped per resource within a request, as a collector
 * forwarding many services would send them.
 */
public final class OtlpTraceWorkload {
  private OtlpTraceWorkload() {}

  /**
   * Encodes {@code traces} traces, {@code tracesPerRequest} to a request, their starts spread evenly over
   * {@code spanNanos} from {@code firstNanos}.
   */
  public static Workload build(int traces, int tracesPerRequest, int hosts, long firstNanos, long spanNanos,
      long seed, boolean grpc) {
    return build(traces, tracesPerRequest, hosts, firstNanos, spanNanos, seed, grpc, false);
  }

  /** As above; with {@code live}, each request is due a second after its last trace started. */
  public static Workload build(int traces, int tracesPerRequest, int hosts, long firstNanos, long spanNanos,
      long seed, boolean grpc, boolean live) {
    if (traces <= 0 || tracesPerRequest <= 0 || hosts <= 0 || spanNanos <= 0) {
      throw new IllegalArgumentException("traces: " + traces + ", tracesPerRequest: " + tracesPerRequest
          + ", hosts: " + hosts + ", spanNanos: " + spanNanos + " (expected: all > 0)");
    }
    long t0 = System.nanoTime();
    Random rnd = new Random(seed);
    List<Prepared> requests = new ArrayList<>();
    long spacing = Math.max(1, spanNanos / traces);
    long totalSpans = 0;
    for (int from = 0; from < traces; from += tracesPerRequest) {
      Map<String, ResourceSpans.Builder> byResource = new LinkedHashMap<>();
      int spans = 0;
      for (int t = from; t < Math.min(traces, from + tracesPerRequest); t++) {
        spans += trace(rnd, hosts, firstNanos + t * spacing, byResource);
      }
      ExportTraceServiceRequest.Builder req = ExportTraceServiceRequest.newBuilder();
      byResource.values().forEach(req::addResourceSpans);
      byte[] body = req.build().toByteArray();
      long lastStart = firstNanos + (Math.min(traces, from + tracesPerRequest) - 1) * spacing;
      requests.add(new Prepared(grpc ? Transport.grpcFrame(body) : body, spans, spans,
          live ? lastStart / 1_000_000 + 1_000 : 0, requests.size())); // traces need no order
      totalSpans += spans;
    }
    String desc = String.format(Locale.ROOT, "%,d pipeline traces (%,d spans, %.1f per trace) over %d hosts, %d"
        + " traces per request", traces, totalSpans, totalSpans / (double) traces, hosts, tracesPerRequest);
    return new Workload(desc, requests, traces, System.nanoTime() - t0,
        grpc ? Transport.grpcFrame(new byte[0]) : new byte[0]);
  }

  /** Adds one trace's spans to their resources; returns how many. */
  private static int trace(Random rnd, int hosts, long start, Map<String, ResourceSpans.Builder> byResource) {
    ByteString traceId = Otlp.randomId(rnd, 16);
    boolean error = rnd.nextInt(100) == 0;
    int gw = rnd.nextInt(hosts);
    int proc = rnd.nextInt(hosts);
    int store = rnd.nextInt(hosts);
    int partition = rnd.nextInt(12);
    long ms = 1_000_000L;
    int n = 0;

    long rootStart = start;
    long publishStart = rootStart + ms / 2 + rnd.nextInt(500_000);
    long publishEnd = publishStart + ms + rnd.nextInt(4) * ms;
    long rootEnd = publishEnd + rnd.nextInt(2_000_000) + 200_000;
    ByteString root = Otlp.randomId(rnd, 8);
    ByteString publish = Otlp.randomId(rnd, 8);
    long consumeStart = publishEnd + 5 * ms + (long) (Math.abs(rnd.nextGaussian()) * 50 * ms); // queue wait
    long enrichStart = consumeStart + 200_000;
    long enrichEnd = enrichStart + ms + rnd.nextInt(3_000_000);
    long cursor = enrichEnd;
    ByteString consume = Otlp.randomId(rnd, 8);

    List<KeyValue> kafka = List.of(Otlp.kv("messaging.system", "kafka"),
        Otlp.kv("messaging.destination.name", "events"),
        Otlp.kv("messaging.destination.partition.id", Integer.toString(partition)));

    n += add(byResource, "ingest-gateway", gw, span(traceId, root, ByteString.EMPTY, "POST /v1/events",
        Span.SpanKind.SPAN_KIND_SERVER, rootStart, rootEnd, error,
        List.of(Otlp.kv("http.request.method", "POST"), Otlp.kv("http.route", "/v1/events"),
            Otlp.kv("http.response.status_code", error ? 500 : 200), Otlp.kv("url.scheme", "https"),
            Otlp.kv("client.address", "10.1." + rnd.nextInt(256) + "." + rnd.nextInt(256)))));
    List<KeyValue> pubAttrs = new ArrayList<>(kafka);
    pubAttrs.add(Otlp.kv("messaging.operation.type", "send"));
    pubAttrs.add(Otlp.kv("messaging.kafka.message.key", "device-" + rnd.nextInt(100_000)));
    n += add(byResource, "ingest-gateway", gw, span(traceId, publish, root, "send events",
        Span.SpanKind.SPAN_KIND_PRODUCER, publishStart, publishEnd, false, pubAttrs));

    List<KeyValue> conAttrs = new ArrayList<>(kafka);
    conAttrs.add(Otlp.kv("messaging.operation.type", "process"));
    conAttrs.add(Otlp.kv("messaging.consumer.group.name", "stream-processor"));
    conAttrs.add(Otlp.kv("messaging.kafka.offset", Math.abs(rnd.nextLong() % 1_000_000_000L)));
    n += add(byResource, "stream-processor", proc, span(traceId, Otlp.randomId(rnd, 8), consume, "enrich",
        Span.SpanKind.SPAN_KIND_INTERNAL, enrichStart, enrichEnd, false, List.of(Otlp.kv("stage", "enrich"))));
    if (rnd.nextInt(10) == 0) { // a lookup of reference data before the write
      long lookupEnd = cursor + 2 * ms + rnd.nextInt(4_000_000);
      n += dbCall(byResource, traceId, consume, proc, store, "SELECT", cursor, lookupEnd, false, rnd);
      cursor = lookupEnd;
    }
    long writeEnd = cursor + ms + rnd.nextInt(5_000_000) + (error ? 1_000 * ms : 0); // a timeout on error
    n += dbCall(byResource, traceId, consume, proc, store, "INSERT", cursor, writeEnd, error, rnd);
    n += add(byResource, "stream-processor", proc, span(traceId, consume, publish, "process events",
        Span.SpanKind.SPAN_KIND_CONSUMER, consumeStart, writeEnd + 100_000, error, conAttrs));
    return n;
  }

  private static int dbCall(Map<String, ResourceSpans.Builder> byResource, ByteString traceId, ByteString parent,
      int proc, int store, String op, long start, long end, boolean error, Random rnd) {
    ByteString client = Otlp.randomId(rnd, 8);
    List<KeyValue> attrs = List.of(Otlp.kv("db.system", "cassandra"), Otlp.kv("db.namespace", "pipeline"),
        Otlp.kv("db.operation.name", op), Otlp.kv("db.collection.name", "events"),
        Otlp.kv("server.address", Otlp.host(store)), Otlp.kv("server.port", 9042));
    add(byResource, "stream-processor", proc, span(traceId, client, parent, op + " pipeline.events",
        Span.SpanKind.SPAN_KIND_CLIENT, start, end, error, attrs));
    add(byResource, "cassandra-store", store, span(traceId, Otlp.randomId(rnd, 8), client, op,
        Span.SpanKind.SPAN_KIND_SERVER, start + 150_000, end - 100_000, error,
        List.of(Otlp.kv("db.system", "cassandra"), Otlp.kv("db.operation.name", op),
            Otlp.kv("db.cassandra.consistency_level", "local_quorum"))));
    return 2;
  }

  private static Span span(ByteString traceId, ByteString id, ByteString parent, String name, Span.SpanKind kind,
      long start, long end, boolean error, List<KeyValue> attrs) {
    Span.Builder s = Span.newBuilder().setTraceId(traceId).setSpanId(id).setParentSpanId(parent).setName(name)
        .setKind(kind).setStartTimeUnixNano(start).setEndTimeUnixNano(end).addAllAttributes(attrs);
    if (error) {
      s.setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR).setMessage("write timed out"));
    }
    return s.build();
  }

  private static int add(Map<String, ResourceSpans.Builder> byResource, String service, int host, Span span) {
    byResource.computeIfAbsent(service + "@" + host, k -> ResourceSpans.newBuilder()
            .setResource(Otlp.resource(service, host)).addScopeSpans(ScopeSpans.newBuilder().setScope(Otlp.SCOPE)))
        .getScopeSpansBuilder(0).addSpans(span);
    return 1;
  }
}
