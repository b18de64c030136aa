package io.loupe.server;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServerPort;
import io.loupe.collector.Collector;
import io.loupe.collector.scrape.ScrapeManager;
import io.loupe.collector.scrape.ScrapeTarget;
import io.loupe.model.Labels;
import io.loupe.server.internal.Gate;
import io.loupe.server.internal.Health;
import io.loupe.tracestore.TraceStore;
import io.loupe.tracestore.metrics.SpanMetricsWriter;
import io.loupe.tsdb.Tsdb;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Loupe process with every role (target {@code all}) on embedded storage: the HTTP port comes up at once (health,
 * readiness, self metrics); the stores open (replaying their logs) in the background; then the ingest and query
 * services open and the OTLP ports start listening.
 */
public final class LoupeNode implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(LoupeNode.class);

  private final NodeConfig config;
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Gate remoteWrite = new Gate("remote write");
  private final Gate prometheusApi = new Gate("the query API");
  private final Gate tempoApi = new Gate("the Tempo API");
  private final Gate jaegerApi = new Gate("the Jaeger API");
  private final Gate admin = new Gate("the admin API");
  private final Server http;
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final List<Server> ingestServers = new ArrayList<>();
  private volatile Tsdb tsdb;
  private volatile TraceStore traces;
  private volatile SpanMetricsWriter spanMetrics;
  private volatile ScrapeManager scraper;
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "loupe-timers");
    t.setDaemon(true);
    return t;
  });

  private LoupeNode(NodeConfig config) {
    this.config = config;
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    ServerBuilder sb = baseServer(config.httpPort()).meterRegistry(registry);
    sb.service("/-/healthy", Health.healthy())
        .service("/-/ready", Health.ready(() -> ready.isDone() && !ready.isCompletedExceptionally()))
        .service("/metrics", (ctx, req) -> HttpResponse.of(HttpStatus.OK,
            MediaType.parse("text/plain; version=0.0.4; charset=utf-8"), registry.scrape()))
        .service("/api/v1/write", remoteWrite)
        .service("/api/v1/status/tsdb", admin)
        .serviceUnder("/api/v1/admin/", admin)
        .serviceUnder("/api/v1/", prometheusApi)
        .serviceUnder("/tempo/", tempoApi)
        .serviceUnder("/jaeger/", jaegerApi);
    http = sb.build();
  }

  /** Starts the node: the HTTP port at once, the stores and the other listeners in the background. */
  public static LoupeNode start(NodeConfig config) {
    requireNonNull(config, "config");
    LoupeNode node = new LoupeNode(config);
    node.http.start().join();
    logger.info("Loupe {} HTTP API listening on {} (data in {})", NodeConfig.version(),
        node.http.activeLocalPort(), config.dataDir().toAbsolutePath());
    Thread opener = new Thread(node::openStores, "loupe-open-stores");
    opener.setDaemon(true);
    opener.start();
    return node;
  }

  private ServerBuilder baseServer(int port) {
    // Only the HTTP API server reports Armeria's own meters (the ingest ports have the collector's): the three servers
    // share one blocking executor, whose meters would otherwise be registered once per server, with a warning.
    ServerBuilder sb = Server.builder()
        .meterRegistry(new io.micrometer.core.instrument.composite.CompositeMeterRegistry())
        .maxRequestLength(config.collector().maxRequestBytes())
        .requestTimeout(config.requestTimeout())
        .gracefulShutdownTimeout(config.gracefulShutdown().dividedBy(2), config.gracefulShutdown());
    sb.port(new ServerPort(new InetSocketAddress(config.listenAddress(), port),
        com.linecorp.armeria.common.SessionProtocol.HTTP));
    return sb;
  }

  private void openStores() {
    try {
      long start = System.nanoTime();
      tsdb = Tsdb.open(config.tsdb(), registry);
      try {
        traces = TraceStore.open(config.traceStore(), registry);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("opening the trace store in " + config.traceStore().dataDir(), e);
      }
      logger.info("Stores open in {} ms", (System.nanoTime() - start) / 1_000_000);
      // Spans are stored, then span metrics and service-graph edges derived from them go to the same tenant's tsdb.
      spanMetrics = new SpanMetricsWriter(traces, tsdb, config.spanMetrics(), registry);
      Collector collector = new Collector(config.collector(), config.translation(), tsdb, spanMetrics, registry);
      Services.wireQuery(config, tsdb, traces, registry, prometheusApi, tempoApi, jaegerApi, admin);
      remoteWrite.open(collector.remoteWriteService());
      ServerBuilder grpc = baseServer(config.otlpGrpcPort());
      grpc.service(collector.grpcService());
      ServerBuilder otlpHttp = baseServer(config.otlpHttpPort());
      otlpHttp.serviceUnder("/v1/", collector.otlpHttpService());
      synchronized (this) {
        if (closed.get()) {
          return;
        }
        Server g = grpc.build();
        Server h = otlpHttp.build();
        ingestServers.add(g);
        ingestServers.add(h);
        g.start().join();
        h.start().join();
      }
      startBackgroundWork();
      logger.info("Loupe ready: http={} otlp-grpc={} otlp-http={}", http.activeLocalPort(), otlpGrpcPort(),
          otlpHttpPort());
      ready.complete(null);
    } catch (RuntimeException e) {
      logger.error("Opening the stores failed: {}", e.toString(), e);
      ready.completeExceptionally(e);
    }
  }

  /** Scraping (the node's own /metrics and configured targets) and the span-metrics flush timer. */
  private void startBackgroundWork() {
    List<ScrapeTarget> targets = new ArrayList<>(config.scrapeTargets());
    NodeConfig.SelfScrape self = config.selfScrape();
    if (self.enabled()) {
      String host = config.listenAddress().equals("0.0.0.0") || config.listenAddress().equals("::")
          ? "127.0.0.1" : config.listenAddress();
      Duration interval = self.interval();
      targets.add(new ScrapeTarget(ScrapeTarget.SELF_JOB,
          URI.create("http://" + host + ":" + http.activeLocalPort() + "/metrics"), interval,
          interval.compareTo(Duration.ofSeconds(10)) < 0 ? interval : Duration.ofSeconds(10), Labels.EMPTY,
          self.tenant()));
    }
    synchronized (this) {
      if (closed.get()) {
        return;
      }
      if (!targets.isEmpty()) {
        scraper = new ScrapeManager(targets, tsdb, registry);
        scraper.start();
      }
      // A tenant whose spans stop still gets fresh span-metric samples, expired pairs and stale markers.
      Duration every = config.spanMetrics().flushInterval();
      long ms = Math.max(1000, every.toMillis());
      timers.scheduleWithFixedDelay(spanMetrics::flush, ms, ms, TimeUnit.MILLISECONDS);
    }
  }

  /** Blocks until the stores are open and every listener is up; rethrows what made opening fail. */
  public void awaitReady() {
    try {
      ready.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  public boolean isReady() {
    return ready.isDone() && !ready.isCompletedExceptionally();
  }

  public int httpPort() {
    return http.activeLocalPort();
  }

  public int otlpGrpcPort() {
    return ingestServers.isEmpty() ? -1 : ingestServers.get(0).activeLocalPort();
  }

  public int otlpHttpPort() {
    return ingestServers.size() < 2 ? -1 : ingestServers.get(1).activeLocalPort();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Graceful stop: listeners stop accepting and drain, then the stores flush and close. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    // Background work first: a self-scrape racing the listeners' shutdown would log a refused connection.
    timers.shutdownNow();
    synchronized (this) {
      closeQuietly(scraper, "scraper");
    }
    List<CompletableFuture<Void>> stops = new ArrayList<>();
    synchronized (this) {
      for (Server s : ingestServers) {
        stops.add(s.stop());
      }
    }
    stops.add(http.stop());
    CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).join();
    try {
      // Stores still opening (replaying) finish first, so that they are closed rather than leaked.
      ready.get(config.gracefulShutdown().toMillis() * 6, java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      logger.warn("Stores did not finish opening before shutdown: {}", e.toString());
    }
    closeQuietly(spanMetrics, "span metrics"); // appends its last values to the tsdb: before the tsdb closes
    closeQuietly(tsdb, "tsdb");
    closeQuietly(traces, "trace store");
    logger.info("Loupe stopped");
  }

  private static void closeQuietly(AutoCloseable c, String what) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      logger.error("Closing the {} failed: {}", what, e.toString(), e);
    }
  }
}
