package io.loupe.server;

import io.loupe.query.api.BuildInfo;
import io.loupe.query.api.PrometheusApi;
import io.loupe.query.api.PrometheusApiOptions;
import io.loupe.query.promql.Engine;
import io.loupe.query.trace.JaegerApi;
import io.loupe.query.trace.TempoApi;
import io.loupe.server.internal.Gate;
import io.loupe.server.internal.TsdbAdmin;
import io.loupe.tracestore.TraceStore;
import io.loupe.tsdb.Tsdb;
import io.micrometer.core.instrument.MeterRegistry;

/** Builds the query side (PromQL engine, Prometheus, Tempo and Jaeger APIs, tsdb status) over open stores. */
final class Services {
  private Services() {}

  static void wireQuery(NodeConfig config, Tsdb tsdb, TraceStore traces, MeterRegistry registry, Gate prometheus,
      Gate tempo, Gate jaeger, Gate admin) {
    Engine engine = new Engine(tsdb, config.engine());
    BuildInfo buildInfo = BuildInfo.of(NodeConfig.version());
    prometheus.open(PrometheusApi.builder(tsdb, engine)
        .options(PrometheusApiOptions.defaults().withQueryTimeout(config.queryTimeout()).withBuildInfo(buildInfo))
        .meterRegistry(registry)
        .build()
        .httpService());
    tempo.open(new TempoApi(traces, traces, buildInfo).httpService());
    jaeger.open(new JaegerApi(traces, traces).httpService());
    admin.open(new TsdbAdmin(tsdb));
  }
}
