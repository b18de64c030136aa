package io.loupe.server;

import static java.util.Objects.requireNonNull;

import io.loupe.collector.CollectorOptions;
import io.loupe.collector.scrape.ScrapeTarget;
import io.loupe.collector.otlp.TranslationOptions;
import io.loupe.model.IngestLimits;
import io.loupe.model.Labels;
import io.loupe.model.Tenant;
import io.loupe.query.promql.EngineOptions;
import io.loupe.server.internal.ConfigException;
import io.loupe.server.internal.Settings;
import io.loupe.tracestore.TraceStoreOptions;
import io.loupe.tracestore.metrics.SpanMetricsOptions;
import io.loupe.tsdb.TsdbOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a node is started with, read from {@code loupe.yaml} and command-line flags ({@code config/loupe.yaml}
 * lists every setting with its default). The only place that turns configuration into the modules' option records.
 */
public record NodeConfig(
    Path dataDir,
    String listenAddress,
    int httpPort,
    int otlpGrpcPort,
    int otlpHttpPort,
    Duration gracefulShutdown,
    Duration requestTimeout,
    CollectorOptions collector,
    TranslationOptions translation,
    TsdbOptions tsdb,
    TraceStoreOptions traceStore,
    SpanMetricsOptions spanMetrics,
    EngineOptions engine,
    Duration queryTimeout,
    SelfScrape selfScrape,
    List<ScrapeTarget> scrapeTargets) {

  /** Whether, how often and into which tenant the node scrapes its own {@code /metrics}. */
  public record SelfScrape(boolean enabled, Duration interval, Tenant tenant) {}

  public NodeConfig {
    requireNonNull(dataDir, "dataDir");
    requireNonNull(listenAddress, "listenAddress");
    requireNonNull(collector, "collector");
    requireNonNull(translation, "translation");
    requireNonNull(tsdb, "tsdb");
    requireNonNull(traceStore, "traceStore");
    requireNonNull(spanMetrics, "spanMetrics");
    requireNonNull(engine, "engine");
    requireNonNull(selfScrape, "selfScrape");
    scrapeTargets = List.copyOf(scrapeTargets);
  }

  /** The version in the jar's manifest, or {@code dev} when run from classes. */
  public static String version() {
    String v = NodeConfig.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** Every setting at its default, data under {@code dataDir}, every port ephemeral, loopback only. */
  public static NodeConfig forTests(Path dataDir) {
    return forTests(dataDir, java.util.Map.of());
  }

  /** {@link #forTests(Path)} with some settings changed: dotted paths as in loupe.yaml to values. */
  public static NodeConfig forTests(Path dataDir, java.util.Map<String, Object> overrides) {
    Settings s = Settings.empty();
    s.override("data_dir", dataDir.toString());
    s.override("server.listen_address", "127.0.0.1");
    s.override("server.http_port", 0);
    s.override("server.otlp_grpc_port", 0);
    s.override("server.otlp_http_port", 0);
    s.override("tsdb.shards", 2);
    s.override("traces.shards", 2);
    s.override("scrape.self_interval", "1s");
    overrides.forEach(s::override);
    return from(s);
  }

  public static NodeConfig from(Settings s) {
    String target = s.string("target", "all");
    if (!target.equals("all")) {
      throw new ConfigException("target: '" + target + "' (expected: all; the collector, ingester, querier and ruler"
          + " roles run separately only in cluster mode, which this version does not have yet)");
    }
    Path dataDir = Path.of(s.string("data_dir", "./data"));
    int cores = Runtime.getRuntime().availableProcessors();

    IngestLimits limits = new IngestLimits(
        s.integer("limits.max_label_names_per_series", 30),
        s.integer("limits.max_label_name_length", 1024),
        s.integer("limits.max_label_value_length", 2048),
        s.integer("limits.max_metadata_length", 1024));
    CollectorOptions collector = new CollectorOptions(
        Math.toIntExact(s.bytes("ingest.max_request_bytes", 16 << 20)),
        s.bytes("ingest.max_inflight_bytes", 256L << 20),
        s.bytes("ingest.max_inflight_bytes_per_tenant", 128L << 20),
        s.duration("ingest.retry_after", Duration.ofSeconds(1)),
        limits);
    java.util.Map<String, String> promoted = new java.util.LinkedHashMap<>();
    for (String attr : s.strings("ingest.otlp.promote_resource_attributes", java.util.List.of("host.name"))) {
      promoted.put(attr, attr.replaceAll("[^a-zA-Z0-9_]", "_"));
    }
    TranslationOptions translation = TranslationOptions.defaults()
        .withPromotedResourceAttributes(promoted)
        .withDeltaHandling(s.enumValue("ingest.otlp.delta_temporality", TranslationOptions.DeltaHandling.class,
            TranslationOptions.DeltaHandling.CONVERT_TO_CUMULATIVE))
        .withLimits(limits);

    int tsdbShards = s.integer("tsdb.shards", 0);
    String tsdbFsync = s.string("tsdb.fsync", "always");
    TsdbOptions tsdb = TsdbOptions.defaults(dataDir.resolve("tsdb"))
        .withShards(tsdbShards == 0 ? cores : tsdbShards)
        .withFsync(tsdbFsync.equals("always") ? io.loupe.tsdb.FsyncPolicy.ALWAYS
            : io.loupe.tsdb.FsyncPolicy.interval(s.parseDurationValue("tsdb.fsync", tsdbFsync)))
        .withOutOfOrderWindow(s.duration("tsdb.out_of_order_window", Duration.ofMinutes(30)))
        .withMaxSeriesPerTenant(s.longValue("tsdb.max_series_per_tenant", 1_000_000))
        .withMaxExemplarsPerTenant(s.integer("tsdb.max_exemplars_per_tenant", 100_000))
        .withWalSegmentSize(s.bytes("tsdb.wal_segment_size", 128L << 20))
        .withHeadChunksSegmentSize(s.bytes("tsdb.head_chunks_segment_size", 32L << 20))
        .withBlockRange(s.duration("tsdb.block_range", Duration.ofHours(2)))
        .withRetention(s.duration("tsdb.retention", Duration.ofDays(15)));

    int traceShards = s.integer("traces.shards", 0);
    String traceFsync = s.string("traces.fsync", "always");
    TraceStoreOptions traces = TraceStoreOptions.defaults(dataDir.resolve("traces"))
        .withShards(traceShards == 0 ? cores : traceShards)
        .withFsync(traceFsync.equals("always") ? io.loupe.tracestore.FsyncPolicy.beforeAck()
            : io.loupe.tracestore.FsyncPolicy.every(s.parseDurationValue("traces.fsync", traceFsync)))
        .withSegmentDuration(s.duration("traces.segment_duration", Duration.ofHours(1)))
        .withSegmentMaxBytes(s.bytes("traces.segment_max_bytes", 256L << 20))
        .withRetention(s.duration("traces.retention", Duration.ofDays(7)))
        .withRetentionBytes(s.bytes("traces.retention_bytes", 0))
        .withMaxSpansPerTrace(s.integer("traces.max_spans_per_trace", 50_000))
        .withMaxAttributeValueLength(s.integer("traces.max_attribute_value_length", 4096))
        .withMaxSpansPerSecondPerTenant(s.longValue("traces.max_spans_per_second_per_tenant", 0));

    SpanMetricsOptions defaultsSm = SpanMetricsOptions.defaults();
    java.util.List<Double> buckets = new java.util.ArrayList<>();
    for (String b : s.strings("traces.metrics.latency_buckets", defaultsSm.latencyBuckets().stream()
        .map(String::valueOf).toList())) {
      try {
        buckets.add(Double.parseDouble(b));
      } catch (NumberFormatException e) {
        throw new ConfigException("traces.metrics.latency_buckets: '" + b + "' (expected: seconds as numbers)");
      }
    }
    SpanMetricsOptions spanMetrics = defaultsSm
        .withFlushInterval(s.duration("traces.metrics.flush_interval", defaultsSm.flushInterval()))
        .withLatencyBuckets(buckets)
        .withMaxSeriesPerTenant(s.integer("traces.metrics.max_series_per_tenant", defaultsSm.maxSeriesPerTenant()))
        .withSeriesIdleTimeout(s.duration("traces.metrics.series_idle_timeout", defaultsSm.seriesIdleTimeout()))
        .withServiceGraphMaxItems(s.integer("traces.service_graph.max_items", defaultsSm.serviceGraphMaxItems()))
        .withServiceGraphWait(s.duration("traces.service_graph.wait", defaultsSm.serviceGraphWait()));

    Duration queryTimeout = s.duration("query.timeout", Duration.ofMinutes(2));
    EngineOptions engine = EngineOptions.defaults()
        .withLookbackDelta(s.duration("query.lookback_delta", Duration.ofMinutes(5)))
        .withMaxSamples(s.longValue("query.max_samples", 50_000_000));

    SelfScrape self = new SelfScrape(s.bool("scrape.self", true),
        s.duration("scrape.self_interval", Duration.ofSeconds(15)),
        new Tenant(s.string("scrape.self_tenant", Tenant.ANONYMOUS.id())));
    List<ScrapeTarget> targets = new ArrayList<>();
    for (Settings t : s.objects("scrape.targets")) {
      String job = t.string("job", null);
      String url = t.string("url", null);
      if (job == null || url == null) {
        throw new ConfigException("scrape.targets: every target needs a job and a url");
      }
      Duration interval = t.duration("interval", Duration.ofSeconds(15));
      Duration timeout = t.duration("timeout", interval.compareTo(Duration.ofSeconds(10)) < 0
          ? interval : Duration.ofSeconds(10));
      targets.add(new ScrapeTarget(job, java.net.URI.create(url), interval, timeout,
          Labels.fromMap(t.stringMap("labels")), new Tenant(t.string("tenant", Tenant.ANONYMOUS.id()))));
      t.checkAllRead();
    }

    NodeConfig c = new NodeConfig(
        dataDir,
        s.string("server.listen_address", "0.0.0.0"),
        s.integer("server.http_port", 9090),
        s.integer("server.otlp_grpc_port", 4317),
        s.integer("server.otlp_http_port", 4318),
        s.duration("server.graceful_shutdown", Duration.ofSeconds(10)),
        s.duration("server.request_timeout", Duration.ofMinutes(3)),
        collector, translation, tsdb, traces, spanMetrics, engine, queryTimeout, self, targets);
    s.checkAllRead();
    return c;
  }
}
