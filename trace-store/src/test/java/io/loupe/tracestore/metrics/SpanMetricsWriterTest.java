package io.loupe.tracestore.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.AppendResult;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import io.loupe.model.RejectReason;
import io.loupe.model.Sample;
import io.loupe.model.SpanRecord;
import io.loupe.model.SpanRecord.Kind;
import io.loupe.model.SpanRecord.StatusCode;
import io.loupe.model.SpanWriter;
import io.loupe.model.StorageUnavailableException;
import io.loupe.model.Tenant;
import io.loupe.tracestore.metrics.RecordingSeriesAppender.Point;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SpanMetricsWriterTest {
  private static final Tenant T = new Tenant("team-a");
  private static final long T0 = 1_700_000_000_000L;
  private static final long MS = 1_000_000L; // nanos

  private final AtomicLong clock = new AtomicLong(T0);
  private final RecordingSeriesAppender tsdb = new RecordingSeriesAppender();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<List<SpanRecord>> stored = new ArrayList<>();
  private RuntimeException delegateFailure;
  private final SpanWriter store = (tenant, spans) -> {
    if (delegateFailure != null) {
      throw delegateFailure;
    }
    stored.add(spans);
    return new AppendResult(spans.size(), Map.of(), "");
  };
  private final AtomicInteger ids = new AtomicInteger(1);

  private SpanMetricsWriter writer(SpanMetricsOptions options) {
    return new SpanMetricsWriter(store, tsdb, options, registry, clock::get);
  }

  private SpanMetricsWriter writer() {
    return writer(SpanMetricsOptions.defaults());
  }

  private String id16() {
    return String.format("%016x", ids.getAndIncrement());
  }

  private SpanRecord span(String trace, String spanId, String parent, String service, String name, Kind kind,
      long durationNanos, StatusCode status, Map<String, Object> attrs) {
    long start = T0 * MS;
    return new SpanRecord(trace, spanId, parent, "", name, kind, start, start + durationNanos, status, "",
        Map.of(SpanRecord.SERVICE_NAME, service), "", "", attrs, List.of(), List.of(), 1);
  }

  /** An internal span: span metrics only, no service-graph edge. */
  private SpanRecord internal(String service, String name, long durationNanos) {
    return span(trace(), id16(), "", service, name, Kind.INTERNAL, durationNanos, StatusCode.UNSET, Map.of());
  }

  private String trace() {
    return String.format("%032x", ids.getAndIncrement());
  }

  private static Labels calls(String service, String name, String kind, String status) {
    return Labels.of(Labels.METRIC_NAME, "traces_spanmetrics_calls_total", "service", service, "span_name", name,
        "span_kind", kind, "status_code", status);
  }

  private static Labels bucket(String service, String name, String le) {
    return Labels.of(Labels.METRIC_NAME, "traces_spanmetrics_latency_bucket", "service", service, "span_name", name,
        "span_kind", "SPAN_KIND_INTERNAL", "status_code", "STATUS_CODE_UNSET", "le", le);
  }

  private static Labels latency(String suffix, String service, String name) {
    return Labels.of(Labels.METRIC_NAME, "traces_spanmetrics_latency" + suffix, "service", service, "span_name", name,
        "span_kind", "SPAN_KIND_INTERNAL", "status_code", "STATUS_CODE_UNSET");
  }

  private static Labels edge(String metric, String client, String server, String connectionType, String... more) {
    Labels.Builder b = Labels.of(Labels.METRIC_NAME, metric, "client", client, "server", server,
        "connection_type", connectionType).toBuilder();
    for (int i = 0; i < more.length; i += 2) {
      b.set(more[i], more[i + 1]);
    }
    return b.build();
  }

  private double counter(String name) {
    var c = registry.find(name).counter();
    return c == null ? 0 : c.count();
  }

  private double dropped(String reason) {
    var c = registry.find("loupe.spanmetrics.dropped").tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void newSeriesStartAtZeroAndCountersAccumulateAcrossCalls() {
    SpanMetricsWriter w = writer();
    w.write(T, List.of(internal("api", "GET /x", 3 * MS), internal("api", "GET /x", 3 * MS)));
    Labels calls = calls("api", "GET /x", "SPAN_KIND_INTERNAL", "STATUS_CODE_UNSET");
    assertThat(tsdb.series(T, calls)).containsExactly(new Point(T, calls, T0, 0));

    clock.addAndGet(15_000);
    w.write(T, List.of(internal("api", "GET /x", 3 * MS)));
    clock.addAndGet(15_000);
    w.write(T, List.of(internal("api", "GET /x", 3 * MS)));

    assertThat(tsdb.series(T, calls)).extracting(Point::ts, Point::value)
        .containsExactly(tuple(T0, 0.0), tuple(T0 + 15_000, 3.0), tuple(T0 + 30_000, 4.0));
    assertThat(stored).hasSize(3);
    assertThat(tsdb.commits).isEqualTo(3);
  }

  private static org.assertj.core.groups.Tuple tuple(Object... values) {
    return org.assertj.core.groups.Tuple.tuple(values);
  }

  @Test
  void flushIntervalIsRespectedPerSeriesAndCloseWritesTheLastValues() {
    SpanMetricsWriter w = writer();
    Labels calls = calls("api", "op", "SPAN_KIND_INTERNAL", "STATUS_CODE_UNSET");
    for (int i = 0; i < 3; i++) {
      w.write(T, List.of(internal("api", "op", MS)));
      clock.addAndGet(4_999);
    }
    // three calls within 15 s: only the initial zero was written, and empty batches were never committed
    assertThat(tsdb.series(T, calls)).extracting(Point::value).containsExactly(0.0);
    assertThat(tsdb.commits).isEqualTo(1);
    w.close();
    assertThat(tsdb.series(T, calls)).extracting(Point::ts, Point::value)
        .containsExactly(tuple(T0, 0.0), tuple(T0 + 3 * 4_999, 3.0));
    // after close, spans are still stored but nothing is derived
    w.write(T, List.of(internal("api", "op", MS)));
    assertThat(stored).hasSize(4);
    assertThat(tsdb.series(T, calls)).hasSize(2);
  }

  @Test
  void histogramBucketsAreCumulativeAndInclusiveAtTheirBounds() {
    SpanMetricsWriter w = writer();
    w.write(T, List.of(
        internal("api", "op", 2 * MS), // exactly 0.002: le="0.002"
        internal("api", "op", 2 * MS + 1), // just above: le="0.004"
        internal("api", "op", 1_020 * MS), // exactly 1.02
        internal("api", "op", 5_000 * MS))); // above 4.1: only +Inf
    w.close();
    long ts = T0 + 1;
    assertThat(tsdb.last(T, bucket("api", "op", "0.002"))).isEqualTo(1.0);
    assertThat(tsdb.last(T, bucket("api", "op", "0.004"))).isEqualTo(2.0);
    assertThat(tsdb.last(T, bucket("api", "op", "0.512"))).isEqualTo(2.0);
    assertThat(tsdb.last(T, bucket("api", "op", "1.02"))).isEqualTo(3.0);
    assertThat(tsdb.last(T, bucket("api", "op", "4.1"))).isEqualTo(3.0);
    assertThat(tsdb.last(T, bucket("api", "op", "+Inf"))).isEqualTo(4.0);
    assertThat(tsdb.last(T, latency("_count", "api", "op"))).isEqualTo(4.0);
    assertThat(tsdb.last(T, latency("_sum", "api", "op"))).isCloseTo(0.002 + 0.002000001 + 1.02 + 5, within());
    // 13 buckets (12 of Tempo's + Inf), each cumulative: never decreasing with le
    List<Point> buckets = tsdb.named(T, "traces_spanmetrics_latency_bucket").stream().filter(p -> p.ts() == ts)
        .toList();
    assertThat(buckets).hasSize(13);
    assertThat(buckets).extracting(p -> p.labels().get("le")).containsExactly("0.002", "0.004", "0.008", "0.016",
        "0.032", "0.064", "0.128", "0.256", "0.512", "1.02", "2.05", "4.1", "+Inf");
    assertThat(buckets).extracting(Point::value).isSorted();
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(1e-9);
  }

  @Test
  void exemplarsPointAtARecentSpanOfTheirBucketAndAreNotRepeated() {
    SpanMetricsWriter w = writer();
    SpanRecord fast = internal("api", "op", 3 * MS);
    SpanRecord slow = internal("api", "op", 300 * MS);
    w.write(T, List.of(fast, slow));
    assertThat(tsdb.exemplars).isEmpty(); // zeros carry no exemplar
    clock.addAndGet(15_000);
    w.write(T, List.of(internal("api", "other", MS)));
    assertThat(tsdb.exemplars).hasSize(2);
    var byLe = new java.util.HashMap<String, RecordingSeriesAppender.RecordedExemplar>();
    tsdb.exemplars.forEach(e -> byLe.put(e.labels().get("le"), e));
    assertThat(byLe.keySet()).containsExactlyInAnyOrder("0.004", "0.512");
    var e = byLe.get("0.004");
    assertThat((Object) e.labels()).isEqualTo(bucket("api", "op", "0.004"));
    assertThat((Object) e.exemplar().labels()).isEqualTo(Labels.of("trace_id", fast.traceId(), "span_id", fast.spanId()));
    assertThat(e.exemplar().value()).isEqualTo(0.003);
    assertThat(e.exemplar().timestampMs()).isEqualTo(T0 + 15_000);
    assertThat(byLe.get("0.512").exemplar().labels().get("trace_id")).isEqualTo(slow.traceId());

    // the next flush without new spans in those buckets appends no exemplar again; a newer span replaces the old one
    SpanRecord newer = internal("api", "op", 3 * MS);
    w.write(T, List.of(newer));
    clock.addAndGet(15_000);
    SpanRecord lastOther = internal("api", "other", MS);
    w.write(T, List.of(lastOther));
    assertThat(tsdb.exemplars).filteredOn(x -> x.labels().get("span_name").equals("op"))
        .extracting(x -> x.exemplar().labels().get("span_id")).containsExactly(fast.spanId(), slow.spanId(),
            newer.spanId());
    // two "other" spans in one bucket since its zero: one exemplar, the most recent
    assertThat(tsdb.exemplars).filteredOn(x -> x.labels().get("span_name").equals("other"))
        .extracting(x -> x.exemplar().labels().get("span_id")).containsExactly(lastOther.spanId());
  }

  @Test
  void labelsFollowTempoForKindsAndStatuses() {
    SpanMetricsWriter w = writer();
    String tr = trace();
    w.write(T, List.of(
        span(tr, id16(), "", "web", "call", Kind.CLIENT, MS, StatusCode.ERROR, Map.of()),
        span(tr, id16(), "", "web", "work", Kind.INTERNAL, MS, StatusCode.OK, Map.of()),
        span(tr, id16(), "", "web", "send", Kind.PRODUCER, MS, StatusCode.UNSET, Map.of())));
    assertThat(tsdb.last(T, calls("web", "call", "SPAN_KIND_CLIENT", "STATUS_CODE_ERROR"))).isEqualTo(0.0);
    assertThat(tsdb.last(T, calls("web", "work", "SPAN_KIND_INTERNAL", "STATUS_CODE_OK"))).isEqualTo(0.0);
    assertThat(tsdb.last(T, calls("web", "send", "SPAN_KIND_PRODUCER", "STATUS_CODE_UNSET"))).isEqualTo(0.0);
    assertThat(tsdb.metadata).extracting(MetricMetadata::metricFamily).contains(
        "traces_spanmetrics_calls_total", "traces_spanmetrics_latency", "traces_service_graph_request_total");
    assertThat(tsdb.metadata).filteredOn(m -> m.metricFamily().equals("traces_spanmetrics_latency"))
        .extracting(MetricMetadata::type).containsExactly(MetricMetadata.Type.HISTOGRAM);
  }

  @Test
  void clientAndServerHalvesPairAcrossCalls() {
    SpanMetricsWriter w = writer();
    String tr = trace();
    String clientId = id16();
    w.write(T, List.of(span(tr, clientId, "", "frontend", "GET", Kind.CLIENT, 50 * MS, StatusCode.UNSET, Map.of())));
    clock.addAndGet(2_000);
    w.write(T, List.of(span(tr, id16(), clientId, "backend", "GET /api", Kind.SERVER, 30 * MS, StatusCode.OK,
        Map.of())));
    assertThat(counter("loupe.servicegraph.edges")).isEqualTo(1);
    assertThat(registry.find("loupe.servicegraph.pending").gauge().value()).isEqualTo(0);
    clock.addAndGet(15_000);
    w.write(T, List.of(internal("other", "x", MS)));

    assertThat(tsdb.last(T, edge("traces_service_graph_request_total", "frontend", "backend", "")))
        .isEqualTo(1.0);
    assertThat(tsdb.last(T, edge("traces_service_graph_request_failed_total", "frontend", "backend", "")))
        .isEqualTo(0.0);
    assertThat(tsdb.last(T, edge("traces_service_graph_request_server_seconds_bucket", "frontend", "backend", "",
        "le", "0.016"))).isEqualTo(0.0);
    assertThat(tsdb.last(T, edge("traces_service_graph_request_server_seconds_bucket", "frontend", "backend", "",
        "le", "0.032"))).isEqualTo(1.0);
    assertThat(tsdb.last(T, edge("traces_service_graph_request_server_seconds_sum", "frontend", "backend", "")))
        .isCloseTo(0.030, within());
    assertThat(tsdb.last(T, edge("traces_service_graph_request_client_seconds_bucket", "frontend", "backend", "",
        "le", "0.032"))).isEqualTo(0.0);
    assertThat(tsdb.last(T, edge("traces_service_graph_request_client_seconds_bucket", "frontend", "backend", "",
        "le", "0.064"))).isEqualTo(1.0);
    assertThat(tsdb.named(T, "traces_service_graph_request_messaging_system_seconds_count")).isEmpty();
    assertThat(tsdb.exemplars).filteredOn(e -> e.labels().metricName().startsWith("traces_service_graph"))
        .extracting(e -> e.exemplar().labels().get("trace_id")).containsOnly(tr);
  }

  @Test
  void serverHalfArrivingFirstPairsToo_andOtherTracesDoNot() {
    SpanMetricsWriter w = writer();
    String tr = trace();
    String clientId = id16();
    w.write(T, List.of(span(tr, id16(), clientId, "db-proxy", "q", Kind.SERVER, MS, StatusCode.UNSET, Map.of())));
    // same span id in another trace: not its parent
    w.write(T, List.of(span(trace(), clientId, "", "x", "q", Kind.CLIENT, MS, StatusCode.UNSET, Map.of())));
    assertThat(counter("loupe.servicegraph.edges")).isEqualTo(0);
    w.write(T, List.of(span(tr, clientId, "", "worker", "q", Kind.CLIENT, MS, StatusCode.UNSET, Map.of())));
    assertThat(counter("loupe.servicegraph.edges")).isEqualTo(1);
    w.close();
    assertThat(tsdb.last(T, edge("traces_service_graph_request_total", "worker", "db-proxy", ""))).isEqualTo(1.0);
  }

  @Test
  void failedEdgesCountWhenEitherHalfFailed() {
    SpanMetricsWriter w = writer();
    for (StatusCode[] pair : new StatusCode[][] {
        {StatusCode.ERROR, StatusCode.UNSET}, {StatusCode.OK, StatusCode.ERROR}, {StatusCode.OK, StatusCode.OK}}) {
      String tr = trace();
      String c = id16();
      w.write(T, List.of(span(tr, c, "", "a", "call", Kind.CLIENT, MS, pair[0], Map.of()),
          span(tr, id16(), c, "b", "serve", Kind.SERVER, MS, pair[1], Map.of())));
    }
    w.close();
    assertThat(tsdb.last(T, edge("traces_service_graph_request_total", "a", "b", ""))).isEqualTo(3.0);
    assertThat(tsdb.last(T, edge("traces_service_graph_request_failed_total", "a", "b", ""))).isEqualTo(2.0);
  }

  @Test
  void producerAndConsumerFormAMessagingEdgeWithQueueTime() {
    SpanMetricsWriter w = writer();
    String tr = trace();
    String p = id16();
    long start = T0 * MS;
    SpanRecord producer = new SpanRecord(tr, p, "", "", "orders publish", Kind.PRODUCER, start, start + 2 * MS,
        StatusCode.UNSET, "", Map.of(SpanRecord.SERVICE_NAME, "shop"), "", "", Map.of(), List.of(), List.of(), 1);
    SpanRecord consumer = new SpanRecord(tr, id16(), p, "", "orders process", Kind.CONSUMER, start + 102 * MS,
        start + 110 * MS, StatusCode.UNSET, "", Map.of(SpanRecord.SERVICE_NAME, "stream"), "", "", Map.of(),
        List.of(), List.of(), 1);
    w.write(T, List.of(consumer));
    w.write(T, List.of(producer));
    w.close();
    String ct = "messaging_system";
    assertThat(tsdb.last(T, edge("traces_service_graph_request_total", "shop", "stream", ct))).isEqualTo(1.0);
    assertThat(tsdb.last(T, edge("traces_service_graph_request_server_seconds_sum", "shop", "stream", ct)))
        .isCloseTo(0.008, within());
    assertThat(tsdb.last(T, edge("traces_service_graph_request_messaging_system_seconds_sum", "shop", "stream", ct)))
        .isCloseTo(0.100, within());
    assertThat(tsdb.last(T, edge("traces_service_graph_request_messaging_system_seconds_bucket", "shop", "stream",
        ct, "le", "0.128"))).isEqualTo(1.0);
  }

  @Test
  void unpairedHalvesExpireAfterTheWait() {
    SpanMetricsWriter w = writer();
    String tr = trace();
    String c = id16();
    w.write(T, List.of(span(tr, c, "", "lonely", "call", Kind.CLIENT, MS, StatusCode.UNSET, Map.of()),
        span(tr, id16(), id16(), "orphan", "serve", Kind.SERVER, MS, StatusCode.UNSET, Map.of())));
    clock.addAndGet(9_999);
    w.write(T, List.of(internal("api", "op", MS)));
    assertThat(counter("loupe.servicegraph.expired")).isEqualTo(0);
    clock.addAndGet(1);
    w.write(T, List.of(internal("api", "op", MS)));
    assertThat(counter("loupe.servicegraph.expired")).isEqualTo(2);
    assertThat(registry.find("loupe.servicegraph.pending").gauge().value()).isEqualTo(0);
    // the server half arriving late no longer pairs: it waits as a new half
    w.write(T, List.of(span(tr, id16(), c, "late", "serve", Kind.SERVER, MS, StatusCode.UNSET, Map.of())));
    assertThat(counter("loupe.servicegraph.edges")).isEqualTo(0);
    w.close();
    assertThat(tsdb.last(T, Labels.of(Labels.METRIC_NAME, "traces_service_graph_unpaired_spans_total",
        "client", "lonely"))).isEqualTo(1.0);
    assertThat(tsdb.last(T, Labels.of(Labels.METRIC_NAME, "traces_service_graph_unpaired_spans_total",
        "server", "orphan"))).isEqualTo(1.0);
    assertThat(tsdb.named(T, "traces_service_graph_request_total")).isEmpty();
  }

  @Test
  void unpairedClientCallsToADatabaseBecomeVirtualNodeEdges() {
    SpanMetricsWriter w = writer();
    w.write(T, List.of(span(trace(), id16(), "", "stream", "INSERT", Kind.CLIENT, 4 * MS, StatusCode.UNSET,
        Map.of("db.system", "cassandra"))));
    w.write(T, List.of(span(trace(), id16(), "", "stream", "GET", Kind.CLIENT, 4 * MS, StatusCode.ERROR,
        Map.of("peer.service", "payments"))));
    clock.addAndGet(10_000);
    w.close();
    assertThat(tsdb.last(T, edge("traces_service_graph_request_total", "stream", "cassandra", "database")))
        .isEqualTo(1.0);
    assertThat(tsdb.last(T, edge("traces_service_graph_request_client_seconds_count", "stream", "cassandra",
        "database"))).isEqualTo(1.0);
    // no server span: the client's time stands in, so Grafana's node graph has an average response time
    assertThat(tsdb.last(T, edge("traces_service_graph_request_server_seconds_sum", "stream", "cassandra",
        "database"))).isCloseTo(0.004, within());
    assertThat(tsdb.last(T, edge("traces_service_graph_request_failed_total", "stream", "payments", "virtual_node")))
        .isEqualTo(1.0);
    assertThat(counter("loupe.servicegraph.expired")).isEqualTo(2);
  }

  @Test
  void databaseNodesAreNamedLikeTempoDoes() {
    SpanMetricsWriter w = writer();
    w.write(T, List.of(span(trace(), id16(), "", "stream", "INSERT", Kind.CLIENT, MS, StatusCode.UNSET,
        Map.of("db.system", "cassandra", "db.namespace", "orders", "server.address", "cass-1"))));
    w.write(T, List.of(span(trace(), id16(), "", "stream", "SELECT", Kind.CLIENT, MS, StatusCode.UNSET,
        Map.of("db.system", "postgresql", "db.name", "billing"))));
    clock.addAndGet(10_000);
    w.close();
    assertThat(tsdb.last(T, edge("traces_service_graph_request_total", "stream", "cass-1", "database")))
        .isEqualTo(1.0);
    assertThat(tsdb.last(T, edge("traces_service_graph_request_total", "stream", "billing", "database")))
        .isEqualTo(1.0);
  }

  @Test
  void rootServerAndConsumerSpansGetAnEdgeFromAVirtualClient() {
    SpanMetricsWriter w = writer();
    w.write(T, List.of(span(trace(), id16(), "", "frontend", "GET /", Kind.SERVER, 20 * MS, StatusCode.UNSET, Map.of()),
        span(trace(), id16(), "", "ingest", "poll", Kind.CONSUMER, MS, StatusCode.ERROR,
            Map.of("peer.service", "cron"))));
    assertThat(registry.find("loupe.servicegraph.pending").gauge().value()).isEqualTo(0); // nothing to wait for
    w.close();
    assertThat(tsdb.last(T, edge("traces_service_graph_request_total", "user", "frontend", "virtual_node")))
        .isEqualTo(1.0);
    assertThat(tsdb.last(T, edge("traces_service_graph_request_server_seconds_sum", "user", "frontend",
        "virtual_node"))).isCloseTo(0.020, within());
    assertThat(tsdb.last(T, edge("traces_service_graph_request_failed_total", "cron", "ingest", "virtual_node")))
        .isEqualTo(1.0);
  }

  @Test
  void seriesLimitDropsNewSeriesOnly() {
    SpanMetricsWriter w = writer(SpanMetricsOptions.defaults().withMaxSeriesPerTenant(2));
    w.write(T, List.of(internal("api", "a", MS), internal("api", "b", MS), internal("api", "c", MS)));
    w.write(T, List.of(internal("api", "a", MS), internal("api", "c", MS)));
    assertThat(dropped("max_series")).isEqualTo(2);
    assertThat(registry.find("loupe.spanmetrics.series").gauge().value()).isEqualTo(2);
    // another tenant has its own budget
    Tenant other = new Tenant("team-b");
    w.write(other, List.of(internal("api", "c", MS)));
    w.close();
    assertThat(tsdb.last(T, calls("api", "a", "SPAN_KIND_INTERNAL", "STATUS_CODE_UNSET"))).isEqualTo(2.0);
    assertThat(tsdb.last(T, calls("api", "b", "SPAN_KIND_INTERNAL", "STATUS_CODE_UNSET"))).isEqualTo(1.0);
    assertThat(tsdb.series(T, calls("api", "c", "SPAN_KIND_INTERNAL", "STATUS_CODE_UNSET"))).isEmpty();
    assertThat(tsdb.last(other, calls("api", "c", "SPAN_KIND_INTERNAL", "STATUS_CODE_UNSET"))).isEqualTo(1.0);
    assertThat(registry.find("loupe.spanmetrics.series").gauge().value()).isEqualTo(0);
  }

  @Test
  void serviceGraphKeepsAtMostMaxItemsUnpairedHalves() {
    SpanMetricsWriter w = writer(SpanMetricsOptions.defaults().withServiceGraphMaxItems(1));
    String tr = trace();
    String c1 = id16();
    String c2 = id16();
    w.write(T, List.of(span(tr, c1, "", "a", "x", Kind.CLIENT, MS, StatusCode.UNSET, Map.of()),
        span(tr, c2, "", "a", "y", Kind.CLIENT, MS, StatusCode.UNSET, Map.of())));
    assertThat(dropped("servicegraph_max_items")).isEqualTo(1);
    w.write(T, List.of(span(tr, id16(), c2, "b", "y", Kind.SERVER, MS, StatusCode.UNSET, Map.of()),
        span(tr, id16(), c1, "b", "x", Kind.SERVER, MS, StatusCode.UNSET, Map.of())));
    assertThat(counter("loupe.servicegraph.edges")).isEqualTo(1); // c1 paired; c2 was dropped
  }

  @Test
  void tenantsAreIsolated() {
    SpanMetricsWriter w = writer();
    Tenant b = new Tenant("team-b");
    String tr = trace();
    String c = id16();
    w.write(T, List.of(internal("api", "op", MS), internal("api", "op", MS),
        span(tr, c, "", "a", "x", Kind.CLIENT, MS, StatusCode.UNSET, Map.of())));
    // the other half under another tenant must not pair
    w.write(b, List.of(internal("api", "op", MS), span(tr, id16(), c, "b", "x", Kind.SERVER, MS, StatusCode.UNSET,
        Map.of())));
    w.close();
    Labels calls = calls("api", "op", "SPAN_KIND_INTERNAL", "STATUS_CODE_UNSET");
    assertThat(tsdb.last(T, calls)).isEqualTo(2.0);
    assertThat(tsdb.last(b, calls)).isEqualTo(1.0);
    assertThat(counter("loupe.servicegraph.edges")).isEqualTo(0);
    assertThat(tsdb.points).allSatisfy(p -> assertThat(p.tenant()).isIn(T, b));
  }

  @Test
  void idleSeriesGetAStaleMarkerAndAreForgotten() {
    SpanMetricsWriter w = writer(SpanMetricsOptions.defaults().withSeriesIdleTimeout(Duration.ofMinutes(1)));
    w.write(T, List.of(internal("api", "old", MS)));
    clock.addAndGet(60_000);
    w.write(T, List.of(internal("api", "new", MS)));
    Labels old = calls("api", "old", "SPAN_KIND_INTERNAL", "STATUS_CODE_UNSET");
    List<Point> s = tsdb.series(T, old);
    assertThat(s).hasSize(2);
    assertThat(Sample.isStaleMarker(s.get(1).value())).isTrue();
    assertThat(registry.find("loupe.spanmetrics.series").gauge().value()).isEqualTo(1);
    // it comes back as a new series, from zero
    clock.addAndGet(1);
    w.write(T, List.of(internal("api", "old", MS)));
    assertThat(tsdb.last(T, old)).isEqualTo(0.0);
  }

  @Test
  void manySeriesInOneBatchAreEachCountedOnce() {
    // 300 series (more than the batch table's slots, so slots collide), each name as a fresh String instance per
    // span (equal, not identical), every series three times within the batch, then again in a second batch
    SpanMetricsWriter w = writer();
    List<SpanRecord> batch = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 300; i++) {
        batch.add(internal(new String("svc-" + (i % 7)), new String("op-" + i), MS));
      }
    }
    java.util.Collections.shuffle(batch, new java.util.Random(1));
    w.write(T, batch);
    clock.addAndGet(15_000);
    w.write(T, batch.subList(0, 300));
    w.close();

    Map<String, Long> again = new java.util.HashMap<>();
    batch.subList(0, 300).forEach(s -> again.merge(s.name(), 1L, Long::sum));
    for (int i = 0; i < 300; i++) {
      assertThat(tsdb.last(T, calls("svc-" + (i % 7), "op-" + i, "SPAN_KIND_INTERNAL", "STATUS_CODE_UNSET")))
          .as("op-%d", i).isEqualTo(3.0 + again.getOrDefault("op-" + i, 0L));
    }
  }

  @Test
  void delegateFailurePropagatesAndDerivesNothing() {
    SpanMetricsWriter w = writer();
    delegateFailure = new StorageUnavailableException("disk full");
    assertThatThrownBy(() -> w.write(T, List.of(internal("api", "op", MS))))
        .isSameAs(delegateFailure);
    assertThat(tsdb.appenders).isZero();
    delegateFailure = null;
    w.write(T, List.of(internal("api", "op", MS)));
    w.close();
    assertThat(tsdb.last(T, calls("api", "op", "SPAN_KIND_INTERNAL", "STATUS_CODE_UNSET"))).isEqualTo(1.0);
  }

  @Test
  void metricsFailureNeverFailsTheSpanWrite() {
    SpanMetricsWriter w = writer();
    tsdb.failOnCommit = new StorageUnavailableException("tsdb closing");
    AppendResult r = w.write(T, List.of(internal("api", "op", MS)));
    assertThat(r.accepted()).isEqualTo(1);
    assertThat(stored).hasSize(1);
    tsdb.failOnCommit = null;
    clock.addAndGet(15_000); // due again
    tsdb.failOnAppender = new IllegalStateException("no appender");
    assertThat(w.write(T, List.of(internal("api", "op", MS))).accepted()).isEqualTo(1);
    assertThat(counter("loupe.spanmetrics.failures")).isEqualTo(2);
    tsdb.failOnAppender = null;
    // the counters survived the failures: the next flush carries every span
    clock.addAndGet(15_000);
    w.write(T, List.of(internal("api", "op", MS)));
    assertThat(tsdb.last(T, calls("api", "op", "SPAN_KIND_INTERNAL", "STATUS_CODE_UNSET"))).isEqualTo(3.0);
  }

  @Test
  void pointsTheMetricsStoreRefusesAreCountedByReason() {
    SpanMetricsWriter w = writer();
    tsdb.refuseAll = RejectReason.SERIES_LIMIT;
    w.write(T, List.of(internal("api", "op", MS)));
    assertThat(dropped("series_limit")).isEqualTo(16); // calls + 13 buckets + sum + count
  }

  @Test
  void nothingIsDerivedWhenTheStoreRefusedEverySpan() {
    SpanWriter refusing = (tenant, spans) ->
        new AppendResult(0, Map.of(RejectReason.TRACE_TOO_LARGE, (long) spans.size()), "too large");
    SpanMetricsWriter w = new SpanMetricsWriter(refusing, tsdb, SpanMetricsOptions.defaults(), registry, clock::get);
    assertThat(w.write(T, List.of(internal("api", "op", MS))).rejectedCount()).isEqualTo(1);
    assertThat(tsdb.appenders).isZero();
  }

  @Test
  void concurrentWritersLoseNoSpanAndEachSeriesReachesTheStoreInTimestampOrder() throws Exception {
    SpanMetricsWriter w = writer(SpanMetricsOptions.defaults().withFlushInterval(Duration.ofMillis(5)));
    int threads = 4;
    int calls = 300;
    List<Thread> ts = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(() -> {
        for (int c = 0; c < calls; c++) {
          clock.incrementAndGet();
          w.write(T, List.of(internal("api", "op", MS), internal("api", "op" + (c % 3), MS)));
        }
      });
      ts.add(t);
      t.start();
    }
    for (Thread t : ts) {
      t.join();
    }
    w.close();
    assertThat(tsdb.last(T, calls("api", "op", "SPAN_KIND_INTERNAL", "STATUS_CODE_UNSET")))
        .isEqualTo((double) threads * calls);
    assertThat(tsdb.last(T, latency("_count", "api", "op0"))).isEqualTo((double) threads * calls / 3);
    for (String name : List.of("op", "op0", "op1", "op2")) {
      List<Long> stamps = tsdb.series(T, calls("api", name, "SPAN_KIND_INTERNAL", "STATUS_CODE_UNSET")).stream()
          .map(Point::ts).toList();
      assertThat(stamps).hasSizeGreaterThan(2).isSorted().doesNotHaveDuplicates();
    }
  }

  @Test
  void flushAdvancesTenantsThatStoppedWriting() {
    SpanMetricsWriter w = writer();
    Tenant quiet = new Tenant("quiet");
    w.write(quiet, List.of(internal("api", "op", MS), internal("api", "op", MS),
        span(trace(), id16(), "", "api", "call", Kind.CLIENT, MS, StatusCode.UNSET, Map.of())));
    clock.addAndGet(5_000);
    w.flush(); // nothing due yet
    Labels calls = calls("api", "op", "SPAN_KIND_INTERNAL", "STATUS_CODE_UNSET");
    assertThat(tsdb.series(quiet, calls)).hasSize(1);
    clock.addAndGet(10_000);
    w.flush();
    assertThat(tsdb.last(quiet, calls)).isEqualTo(2.0);
    assertThat(counter("loupe.servicegraph.expired")).isEqualTo(1);
    clock.addAndGet(15_000);
    w.flush();
    assertThat(tsdb.series(quiet, calls)).extracting(Point::value).containsExactly(0.0, 2.0, 2.0);
    assertThat(tsdb.last(quiet, Labels.of(Labels.METRIC_NAME, "traces_service_graph_unpaired_spans_total",
        "client", "api"))).isEqualTo(1.0);
  }
}
