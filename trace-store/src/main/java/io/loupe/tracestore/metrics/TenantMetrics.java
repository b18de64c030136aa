package io.loupe.tracestore.metrics;

import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import io.loupe.model.SpanRecord;
import io.loupe.tracestore.metrics.Histogram.Mode;
import io.loupe.tracestore.metrics.Histogram.Sink;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One tenant's span metrics, service-graph edges and unpaired span halves. Not thread-safe: {@link SpanMetricsWriter}
 * holds the instance's monitor around every call.
 */
final class TenantMetrics {
  /**
   * Held from emission to commit, so that one tenant's batches reach the store in timestamp order (an out-of-order
   * sample could be refused); only calls with something due take it, and those are rare (once per flush interval).
   */
  final Object emitLock = new Object();

  static final String CALLS = "traces_spanmetrics_calls_total";
  static final String LATENCY = "traces_spanmetrics_latency";
  static final String SG_REQUEST = "traces_service_graph_request_total";
  static final String SG_FAILED = "traces_service_graph_request_failed_total";
  static final String SG_SERVER = "traces_service_graph_request_server_seconds";
  static final String SG_CLIENT = "traces_service_graph_request_client_seconds";
  static final String SG_MESSAGING = "traces_service_graph_request_messaging_system_seconds";
  static final String SG_UNPAIRED = "traces_service_graph_unpaired_spans_total";

  static final String MESSAGING_SYSTEM = "messaging_system";
  static final String DATABASE = "database";
  static final String VIRTUAL_NODE = "virtual_node";

  // Tempo's default peer attributes: an unpaired client span naming its peer becomes an edge to a virtual node, and a
  // root server span naming its caller an edge from one ("user" when it names none).
  private static final String[] PEER_ATTRIBUTES = {"peer.service", "db.name", "db.system"};
  private static final String[] DATABASE_ATTRIBUTES = {"db.namespace", "db.name", "db.system"};
  // Tempo's order for naming a database node
  private static final String[] DATABASE_NAME_ATTRIBUTES = {"peer.service", "server.address", "db.namespace",
      "db.name", "db.system"};
  static final String USER = "user";

  private static final List<MetricMetadata> METADATA = List.of(
      new MetricMetadata(CALLS, MetricMetadata.Type.COUNTER, "Spans per service, span name, kind and status.", ""),
      new MetricMetadata(LATENCY, MetricMetadata.Type.HISTOGRAM, "Span durations.", "seconds"),
      new MetricMetadata(SG_REQUEST, MetricMetadata.Type.COUNTER, "Requests between two services.", ""),
      new MetricMetadata(SG_FAILED, MetricMetadata.Type.COUNTER, "Failed requests between two services.", ""),
      new MetricMetadata(SG_SERVER, MetricMetadata.Type.HISTOGRAM, "Server span durations of edges.", "seconds"),
      new MetricMetadata(SG_CLIENT, MetricMetadata.Type.HISTOGRAM, "Client span durations of edges.", "seconds"),
      new MetricMetadata(SG_MESSAGING, MetricMetadata.Type.HISTOGRAM,
          "Time between the producer span's end and the consumer span's start.", "seconds"),
      new MetricMetadata(SG_UNPAIRED, MetricMetadata.Type.COUNTER,
          "Client or server spans whose other half never arrived.", ""));

  private final SpanMetricsOptions options;
  private final Histogram.Layout layout;
  private final WriterMeters meters;
  private final long flushIntervalMs;
  private final long idleMs;
  private final long waitMs;

  // keyed by SpanKey, EdgeKey or UnpairedKey (one map, so the three kinds share one limit); a record of the label
  // values rather than Labels because the key is built for every span, and Labels.of sorts and copies
  private final Map<Object, Group> groups = new HashMap<>();
  private final List<Group> created = new ArrayList<>(); // since the last emission: they get a zero first
  // insertion order is expiry order: every half waits the same time
  private final LinkedHashMap<HalfKey, Half> pending = new LinkedHashMap<>();
  // per batch: the span-metrics series last found for a hash slot (see observe), and the last resource's service
  private static final int MEMO = 64;
  private final SpanKey[] memoKeys = new SpanKey[MEMO];
  private final SpanSeries[] memoSeries = new SpanSeries[MEMO];
  private Map<String, Object> lastResource;
  private String lastService;
  // meter updates of the current call, applied once at its end (atomics per span were contended across writers)
  private int pendingDelta;
  private long edgeDelta;
  private long expiredDelta;
  private long lastFlushMs = Long.MIN_VALUE;
  private long lastEmitMs = Long.MIN_VALUE;
  private boolean metadataWritten;

  TenantMetrics(SpanMetricsOptions options, Histogram.Layout layout, WriterMeters meters) {
    this.options = options;
    this.layout = layout;
    this.meters = meters;
    this.flushIntervalMs = options.flushInterval().toMillis();
    this.idleMs = options.seriesIdleTimeout().toMillis();
    this.waitMs = options.serviceGraphWait().toMillis();
  }

  /**
   * Folds {@code spans} into the counters. A batch's span-metrics series are found once each: spans of one request
   * share their service, name and attribute-key strings (the OTLP decoder makes one instance of each), so a small
   * batch-local table matched by identity answers the repeats without hashing a key into the series map. The
   * self-observability meters are updated once per batch.
   */
  void observe(List<SpanRecord> spans, long nowMs) {
    Arrays.fill(memoSeries, null); // series can be dropped between batches (idle, closed)
    lastResource = null;
    for (SpanRecord s : spans) {
      if (s != null) {
        String service = serviceName(s);
        spanMetrics(s, service, nowMs);
        serviceGraph(s, service, nowMs);
      }
    }
    flushMeterDeltas();
  }

  /** {@link SpanRecord#serviceName()}, looked up once per run of spans that share a resource map. */
  private String serviceName(SpanRecord s) {
    Map<String, Object> r = s.resourceAttributes();
    if (r != lastResource) {
      lastResource = r;
      lastService = s.serviceName();
    }
    return lastService;
  }

  private void flushMeterDeltas() {
    if (pendingDelta != 0) {
      meters.pending.addAndGet(pendingDelta);
      pendingDelta = 0;
    }
    if (edgeDelta != 0) {
      meters.edges.increment(edgeDelta);
      edgeDelta = 0;
    }
    if (expiredDelta != 0) {
      meters.expired.increment(expiredDelta);
      expiredDelta = 0;
    }
  }

  /** Turns unpaired halves older than the wait into unpaired counts or virtual-node edges. */
  void expire(long nowMs) {
    Iterator<Half> it = pending.values().iterator();
    while (it.hasNext()) {
      Half h = it.next();
      if (h.expiresAtMs > nowMs) {
        break;
      }
      it.remove();
      pendingDelta--;
      expiredDelta++;
      if (h.client && h.peer != null) {
        // Tempo: a call to something that sends no spans (a database, a third-party API) still shows as an edge
        virtualEdge(h.service, h.peer, h.peerIsDatabase ? DATABASE : VIRTUAL_NODE, h, nowMs);
      } else {
        Unpaired u = (Unpaired) group(new UnpairedKey(h.client, h.service), Unpaired::new, nowMs);
        if (u != null) {
          u.count++;
        }
      }
    }
    flushMeterDeltas();
  }

  /**
   * Appends what is due at {@code nowMs}: zeros for series created since the last call, and when the flush interval
   * has passed (or {@code force}) the cumulative value of every series, stale markers for idle ones (then forgotten).
   */
  void emit(Sink sink, MetadataSink metadata, long nowMs, boolean force) {
    long ts = Math.max(nowMs, lastEmitMs == Long.MIN_VALUE ? nowMs : lastEmitMs + 1);
    boolean flush = force || lastFlushMs == Long.MIN_VALUE || nowMs - lastFlushMs >= flushIntervalMs;
    if (!created.isEmpty() || flush) {
      if (!metadataWritten) {
        METADATA.forEach(metadata::update);
        metadataWritten = true;
      }
      lastEmitMs = ts;
    }
    boolean zeros = !created.isEmpty();
    for (Group g : created) {
      g.emit(sink, ts, Mode.ZERO);
      g.zeroAtMs = ts;
    }
    created.clear();
    if (!flush) {
      return;
    }
    lastFlushMs = nowMs;
    // closing: a series that just got its zero gets its value too, one millisecond later
    long valueTs = force && zeros ? ts + 1 : ts;
    lastEmitMs = valueTs;
    Iterator<Group> it = groups.values().iterator();
    while (it.hasNext()) {
      Group g = it.next();
      if (!force && g.zeroAtMs == ts) {
        continue; // its zero was written at ts: its value follows at the next flush
      }
      if (nowMs - g.lastUpdateMs >= idleMs) {
        g.emit(sink, valueTs, Mode.STALE);
        it.remove();
        meters.series.decrementAndGet();
      } else {
        g.emit(sink, valueTs, Mode.VALUE);
      }
    }
  }

  /** Whether {@link #emit} at {@code nowMs} would append anything. */
  boolean due(long nowMs) {
    return !created.isEmpty() || lastFlushMs == Long.MIN_VALUE || nowMs - lastFlushMs >= flushIntervalMs;
  }

  int groupCount() {
    return groups.size();
  }

  int pendingCount() {
    return pending.size();
  }

  /** Forgets every series and pending half (the writer is closing). */
  void clear() {
    meters.series.addAndGet(-groups.size());
    meters.pending.addAndGet(-pending.size());
    groups.clear();
    pending.clear();
    created.clear();
  }

  private void spanMetrics(SpanRecord s, String service, long nowMs) {
    String name = s.name();
    SpanRecord.Kind kind = s.kind();
    SpanRecord.StatusCode status = s.statusCode();
    int hash = SpanKey.hash(service, name, kind, status);
    int slot = hash & (MEMO - 1);
    SpanSeries g = memoSeries[slot];
    SpanKey k = memoKeys[slot];
    if (g == null || k.service != service || k.spanName != name || k.kind != kind || k.status != status) {
      SpanKey key = new SpanKey(service, name, kind, status, hash);
      g = (SpanSeries) group(key, () -> new SpanSeries(layout), nowMs);
      if (g == null) {
        return; // over the series limit (counted)
      }
      memoKeys[slot] = key;
      memoSeries[slot] = g;
    }
    g.calls++;
    g.latency.observe(seconds(s.durationNanos()), s.traceId(), s.spanId());
  }

  private void serviceGraph(SpanRecord s, String service, long nowMs) {
    boolean client;
    HalfKey key;
    switch (s.kind()) {
      case CLIENT, PRODUCER -> {
        client = true;
        key = new HalfKey(s.traceId(), s.spanId());
      }
      case SERVER, CONSUMER -> {
        if (s.isRoot()) {
          // nobody instrumented sent it (a browser, curl, a scheduler): Tempo draws an edge from a virtual client
          String caller = firstString(s.attributes(), PEER_ATTRIBUTES);
          virtualEdge(caller == null ? USER : caller, service, VIRTUAL_NODE, new Half(false, s, service, nowMs),
              nowMs);
          return;
        }
        client = false;
        key = new HalfKey(s.traceId(), s.parentSpanId());
      }
      default -> {
        return;
      }
    }
    Half half = new Half(client, s, service, nowMs + waitMs);
    Half other = pending.get(key);
    if (other != null) {
      if (other.client == client) {
        return; // a repeated copy of a half that is already waiting (a retried write)
      }
      pending.remove(key);
      pendingDelta--;
      pair(client ? half : other, client ? other : half, nowMs);
      return;
    }
    if (pending.size() >= options.serviceGraphMaxItems()) {
      meters.dropped("servicegraph_max_items").increment();
      return;
    }
    pending.put(key, half);
    pendingDelta++;
  }

  private void pair(Half client, Half server, long nowMs) {
    boolean messaging = client.messaging || server.messaging;
    EdgeKey key = new EdgeKey(client.service, server.service, messaging ? MESSAGING_SYSTEM : "");
    Edge e = (Edge) group(key, () -> new Edge(layout, messaging), nowMs);
    if (e == null) {
      return;
    }
    edgeDelta++;
    e.requests++;
    if (client.failed || server.failed) {
      e.failed++;
    }
    e.server.observe(server.seconds, server.traceId, server.spanId);
    e.client.observe(client.seconds, client.traceId, client.spanId);
    if (e.messaging != null) {
      // Tempo's messaging_system_seconds: from the producer span's end to the consumer span's start (queue time)
      e.messaging.observe(seconds(Math.max(0, server.startNanos - client.endNanos)), server.traceId, server.spanId);
    }
  }

  /**
   * An edge with one uninstrumented side: the known span's duration stands for both the client and the server time,
   * so that Grafana's node graph (which averages {@code server_seconds_sum}) shows a response time for it.
   */
  private void virtualEdge(String client, String server, String connectionType, Half known, long nowMs) {
    EdgeKey key = new EdgeKey(client, server, connectionType);
    Edge e = (Edge) group(key, () -> new Edge(layout, false), nowMs);
    if (e == null) {
      return;
    }
    edgeDelta++;
    e.requests++;
    if (known.failed) {
      e.failed++;
    }
    e.server.observe(known.seconds, known.traceId, known.spanId);
    e.client.observe(known.seconds, known.traceId, known.spanId);
  }

  private static String firstString(Map<String, Object> attributes, String[] keys) {
    for (String k : keys) {
      if (attributes.get(k) instanceof String v && !v.isEmpty()) {
        return v;
      }
    }
    return null;
  }

  private Group group(Key key, java.util.function.Supplier<Group> factory, long nowMs) {
    Group g = groups.get(key);
    if (g == null) {
      if (groups.size() >= options.maxSeriesPerTenant()) {
        meters.dropped("max_series").increment();
        return null;
      }
      g = factory.get();
      g.base = key.labels();
      groups.put(key, g);
      created.add(g);
      meters.series.incrementAndGet();
    }
    g.lastUpdateMs = nowMs;
    return g;
  }

  static double seconds(long nanos) {
    return nanos / 1e9;
  }

  /** Where metric metadata goes (an {@code Appender}). */
  interface MetadataSink {
    void update(MetricMetadata m);
  }

  private static final String[] KIND_VALUES = new String[SpanRecord.Kind.values().length];
  private static final String[] STATUS_VALUES = new String[SpanRecord.StatusCode.values().length];

  static {
    for (SpanRecord.Kind k : SpanRecord.Kind.values()) {
      KIND_VALUES[k.ordinal()] = "SPAN_KIND_" + k.name();
    }
    for (SpanRecord.StatusCode c : SpanRecord.StatusCode.values()) {
      STATUS_VALUES[c.ordinal()] = "STATUS_CODE_" + c.name();
    }
  }

  /** The identity of a group; its labels are built once, when the group is created. */
  private sealed interface Key permits SpanKey, EdgeKey, UnpairedKey {
    Labels labels();
  }

  /** A class with its hash computed once rather than a record: one is looked up for nearly every span. */
  private static final class SpanKey implements Key {
    final String service;
    final String spanName;
    final SpanRecord.Kind kind;
    final SpanRecord.StatusCode status;
    private final int hash;

    SpanKey(String service, String spanName, SpanRecord.Kind kind, SpanRecord.StatusCode status, int hash) {
      this.service = service;
      this.spanName = spanName;
      this.kind = kind;
      this.status = status;
      this.hash = hash;
    }

    static int hash(String service, String spanName, SpanRecord.Kind kind, SpanRecord.StatusCode status) {
      int h = (service.hashCode() * 31 + spanName.hashCode()) * 31 + kind.ordinal() * 8 + status.ordinal();
      return h ^ (h >>> 16);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof SpanKey k && hash == k.hash && kind == k.kind && status == k.status
          && service.equals(k.service) && spanName.equals(k.spanName);
    }

    @Override
    public Labels labels() {
      return Labels.of("service", service, "span_name", spanName, "span_kind", KIND_VALUES[kind.ordinal()],
          "status_code", STATUS_VALUES[status.ordinal()]);
    }
  }

  private record EdgeKey(String client, String server, String connectionType) implements Key {
    @Override
    public Labels labels() {
      return Labels.of("client", client, "server", server, "connection_type", connectionType);
    }
  }

  /**
   * Trace id and span id of a waiting half (a client's own id, a server's parent id). Was the concatenated string,
   * whose 48 characters were hashed anew for every span; the id strings' own hashes are computed once per instance.
   */
  private static final class HalfKey {
    final String traceId;
    final String spanId;
    private final int hash;

    HalfKey(String traceId, String spanId) {
      this.traceId = traceId;
      this.spanId = spanId;
      this.hash = traceId.hashCode() * 31 + spanId.hashCode();
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof HalfKey k && hash == k.hash && spanId.equals(k.spanId) && traceId.equals(k.traceId);
    }
  }

  private record UnpairedKey(boolean client, String service) implements Key {
    @Override
    public Labels labels() {
      return Labels.of(client ? "client" : "server", service);
    }
  }

  /** One label set kept in memory. */
  private abstract static class Group {
    Labels base;
    long lastUpdateMs;
    long zeroAtMs = Long.MIN_VALUE;

    abstract void emit(Sink sink, long ts, Mode mode);
  }

  private static final class SpanSeries extends Group {
    long calls;
    final Histogram latency;

    SpanSeries(Histogram.Layout layout) {
      latency = new Histogram(layout);
    }

    @Override
    void emit(Sink sink, long ts, Mode mode) {
      sink.sample(base.toBuilder().set(Labels.METRIC_NAME, CALLS).build(), ts, mode.value(calls));
      latency.emit(sink, LATENCY, base, ts, mode);
    }
  }

  private static final class Edge extends Group {
    long requests;
    long failed;
    final Histogram server;
    final Histogram client;
    final Histogram messaging; // null unless a messaging edge

    Edge(Histogram.Layout layout, boolean messaging) {
      server = new Histogram(layout);
      client = new Histogram(layout);
      this.messaging = messaging ? new Histogram(layout) : null;
    }

    @Override
    void emit(Sink sink, long ts, Mode mode) {
      sink.sample(base.toBuilder().set(Labels.METRIC_NAME, SG_REQUEST).build(), ts, mode.value(requests));
      sink.sample(base.toBuilder().set(Labels.METRIC_NAME, SG_FAILED).build(), ts, mode.value(failed));
      server.emit(sink, SG_SERVER, base, ts, mode);
      client.emit(sink, SG_CLIENT, base, ts, mode);
      if (messaging != null) {
        messaging.emit(sink, SG_MESSAGING, base, ts, mode);
      }
    }
  }

  private static final class Unpaired extends Group {
    long count;

    @Override
    void emit(Sink sink, long ts, Mode mode) {
      sink.sample(base.toBuilder().set(Labels.METRIC_NAME, SG_UNPAIRED).build(), ts, mode.value(count));
    }
  }

  /** A client or server span waiting for its other half; keeps only what the edge needs, not the span. */
  private static final class Half {
    final boolean client;
    final boolean messaging;
    final String service;
    final String traceId;
    final String spanId;
    final double seconds;
    final long startNanos;
    final long endNanos;
    final boolean failed;
    final long expiresAtMs;
    final String peer; // client spans only: the peer a virtual-node edge would point at, or null
    final boolean peerIsDatabase;

    Half(boolean client, SpanRecord s, String service, long expiresAtMs) {
      this.client = client;
      this.messaging = s.kind() == SpanRecord.Kind.PRODUCER || s.kind() == SpanRecord.Kind.CONSUMER;
      this.service = service;
      this.traceId = s.traceId();
      this.spanId = s.spanId();
      this.seconds = seconds(s.durationNanos());
      this.startNanos = s.startEpochNanos();
      this.endNanos = s.endEpochNanos();
      this.failed = s.statusCode() == SpanRecord.StatusCode.ERROR;
      this.expiresAtMs = expiresAtMs;
      String p = null;
      boolean db = false;
      if (client && !messaging) {
        db = firstString(s.attributes(), DATABASE_ATTRIBUTES) != null;
        p = firstString(s.attributes(), db ? DATABASE_NAME_ATTRIBUTES : PEER_ATTRIBUTES);
      }
      this.peer = p;
      this.peerIsDatabase = db;
    }
  }
}
