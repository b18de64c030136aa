package io.loupe.tracestore.manual;

import io.loupe.model.SpanRecord;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Realistic pipeline traces for the manual figures: an ingest gateway's HTTP server span with its validation and an
 * auth call, then 1-3 Kafka publishes, each consumed by a stream processor that enriches the record, sometimes looks
 * it up in Redis, and writes it to Cassandra 1-3 times (client and server spans). 9 to 34 spans per trace, ~15 on
 * average; attributes after the OpenTelemetry semantic conventions, as the OTLP load generator's. About 1 % of traces
 * fail at the store and carry error statuses up the chain. Resource maps are shared per (service, host), as the OTLP
 * receiver shares them per {@code ResourceSpans}.
 */
public final class PipelineTraces {
  static final long MS = 1_000_000L;
  private final Random rnd;
  private final int hosts;
  private final Map<String, Map<String, Object>> resources = new LinkedHashMap<>();
  private final HexFormat hex = HexFormat.of();
  private final List<String> traceIds = new ArrayList<>();

  public PipelineTraces(long seed, int hosts) {
    this.rnd = new Random(seed);
    this.hosts = hosts;
  }

  /** Trace ids generated so far, in order (for lookups). */
  public List<String> traceIds() {
    return traceIds;
  }

  /** {@code traces} traces, their roots starting {@code spacingNanos} apart from {@code firstNanos}. */
  public List<SpanRecord> batch(int traces, long firstNanos, long spacingNanos) {
    List<SpanRecord> out = new ArrayList<>(traces * 16);
    for (int t = 0; t < traces; t++) {
      trace(firstNanos + t * spacingNanos, out);
    }
    return out;
  }

  private Map<String, Object> resource(String service, int host) {
    return resources.computeIfAbsent(service + "@" + host, k -> {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put(SpanRecord.SERVICE_NAME, service);
      r.put("service.namespace", "pipeline");
      r.put("service.version", "1.4." + (host % 3));
      r.put("host.name", "node-" + host);
      r.put("k8s.pod.name", service + "-" + Integer.toHexString(0x5f3a + host * 7919));
      r.put("deployment.environment", "prod");
      r.put("telemetry.sdk.language", service.equals("cassandra-store") ? "java" : "go");
      return r;
    });
  }

  private String id(int bytes) {
    byte[] b = new byte[bytes];
    rnd.nextBytes(b);
    b[0] |= 1;
    return hex.formatHex(b);
  }

  private void trace(long start, List<SpanRecord> out) {
    String traceId = id(16);
    traceIds.add(traceId);
    boolean error = rnd.nextInt(100) == 0;
    int gw = rnd.nextInt(hosts);
    int proc = rnd.nextInt(hosts);
    int store = rnd.nextInt(hosts);
    String root = id(8);
    int messages = 1 + rnd.nextInt(3);
    long cursor = start + MS / 2;
    List<SpanRecord> spans = new ArrayList<>();
    // validation and auth on the gateway
    long validateEnd = cursor + 200_000 + rnd.nextInt(300_000);
    spans.add(span(traceId, id(8), root, "validate", SpanRecord.Kind.INTERNAL, cursor, validateEnd, false,
        resource("ingest-gateway", gw), Map.of("event.count", (long) messages)));
    String authClient = id(8);
    long authStart = validateEnd + 50_000;
    long authEnd = authStart + MS + rnd.nextInt(2_000_000);
    spans.add(span(traceId, authClient, root, "GET /v1/authorize", SpanRecord.Kind.CLIENT, authStart, authEnd, false,
        resource("ingest-gateway", gw), attrs("http.request.method", "GET", "server.address", "auth-service",
            "http.response.status_code", 200L)));
    spans.add(span(traceId, id(8), authClient, "GET /v1/authorize", SpanRecord.Kind.SERVER, authStart + 100_000,
        authEnd - 100_000, false, resource("auth-service", rnd.nextInt(hosts)), attrs("http.request.method", "GET",
            "http.route", "/v1/authorize", "http.response.status_code", 200L, "enduser.id",
            "tenant-" + rnd.nextInt(500))));
    cursor = authEnd;
    long lastEnd = cursor;
    for (int m = 0; m < messages; m++) {
      String publish = id(8);
      long pubStart = cursor + 100_000;
      long pubEnd = pubStart + MS + rnd.nextInt(3) * MS;
      int partition = rnd.nextInt(12);
      spans.add(span(traceId, publish, root, "events publish", SpanRecord.Kind.PRODUCER, pubStart, pubEnd, false,
          resource("ingest-gateway", gw), attrs("messaging.system", "kafka", "messaging.destination.name", "events",
              "messaging.operation.type", "send", "messaging.destination.partition.id", Integer.toString(partition),
              "messaging.kafka.message.key", "device-" + rnd.nextInt(100_000))));
      cursor = pubEnd;
      String consume = id(8);
      long conStart = pubEnd + 5 * MS + (long) (Math.abs(rnd.nextGaussian()) * 50 * MS);
      long c = conStart + 200_000;
      long enrichEnd = c + MS + rnd.nextInt(3_000_000);
      spans.add(span(traceId, id(8), consume, "enrich", SpanRecord.Kind.INTERNAL, c, enrichEnd, false,
          resource("stream-processor", proc), attrs("stage", "enrich", "rules.matched", (long) rnd.nextInt(8))));
      c = enrichEnd;
      if (rnd.nextInt(4) == 0) {
        long e = c + 300_000 + rnd.nextInt(700_000);
        spans.add(span(traceId, id(8), consume, "GET", SpanRecord.Kind.CLIENT, c, e, false,
            resource("stream-processor", proc), attrs("db.system", "redis", "db.operation.name", "GET",
                "server.address", "redis-0", "cache.hit", rnd.nextBoolean())));
        c = e;
      }
      int writes = 1 + rnd.nextInt(3);
      boolean failed = false;
      for (int w = 0; w < writes; w++) {
        boolean err = error && w == writes - 1;
        failed |= err;
        String op = w == 0 ? "INSERT" : rnd.nextBoolean() ? "UPDATE" : "SELECT";
        long e = c + MS + rnd.nextInt(5_000_000) + (err ? 1_000 * MS : 0);
        String client = id(8);
        spans.add(span(traceId, client, consume, op + " pipeline.events", SpanRecord.Kind.CLIENT, c, e, err,
            resource("stream-processor", proc), attrs("db.system", "cassandra", "db.namespace", "pipeline",
                "db.operation.name", op, "db.collection.name", "events", "server.address", "cassandra-" + store,
                "server.port", 9042L)));
        spans.add(span(traceId, id(8), client, op, SpanRecord.Kind.SERVER, c + 150_000, e - 100_000, err,
            resource("cassandra-store", store), attrs("db.system", "cassandra", "db.operation.name", op,
                "db.cassandra.consistency_level", "local_quorum", "db.response.returned_rows",
                (long) rnd.nextInt(3))));
        c = e;
      }
      spans.add(span(traceId, consume, publish, "events process", SpanRecord.Kind.CONSUMER, conStart, c + 100_000,
          failed, resource("stream-processor", proc), attrs("messaging.system", "kafka",
              "messaging.destination.name", "events", "messaging.operation.type", "process",
              "messaging.consumer.group.name", "stream-processor", "messaging.kafka.offset",
              Math.abs(rnd.nextLong() % 1_000_000_000L), "messaging.destination.partition.id",
              Integer.toString(partition))));
      lastEnd = Math.max(lastEnd, c + 100_000);
    }
    long rootEnd = cursor + 200_000 + rnd.nextInt(1_000_000);
    out.add(span(traceId, root, "", "POST /v1/events", SpanRecord.Kind.SERVER, start, rootEnd, error,
        resource("ingest-gateway", gw), attrs("http.request.method", "POST", "http.route", "/v1/events",
            "http.response.status_code", error ? 500L : 200L, "url.scheme", "https", "client.address",
            "10.1." + rnd.nextInt(256) + "." + rnd.nextInt(256), "user_agent.original", "pipeline-agent/2.3")));
    out.addAll(spans);
  }

  private static Map<String, Object> attrs(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private static SpanRecord span(String traceId, String id, String parent, String name, SpanRecord.Kind kind,
      long start, long end, boolean error, Map<String, Object> resource, Map<String, Object> attrs) {
    return new SpanRecord(traceId, id, parent, "", name, kind, start, end,
        error ? SpanRecord.StatusCode.ERROR : SpanRecord.StatusCode.UNSET, error ? "write timed out" : "", resource,
        "io.opentelemetry.pipeline", "1.0.0", attrs, List.of(), List.of(), 1);
  }
}
