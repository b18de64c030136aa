package io.loupe.tracestore.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.AppendResult;
import io.loupe.model.Labels;
import io.loupe.model.RejectReason;
import io.loupe.model.SpanRecord;
import io.loupe.model.SpanRecord.Kind;
import io.loupe.model.SpanRecord.StatusCode;
import io.loupe.model.Tenant;
import io.loupe.tracestore.TraceStore;
import io.loupe.tracestore.TraceStoreOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decorator over the real trace store: spans stored and readable, metrics derived, store refusals honoured. */
class SpanMetricsWriterIT {
  @TempDir Path dir;

  @Test
  void storesSpansThenDerivesEdgesFromTheRealStoresAnswer() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    RecordingSeriesAppender tsdb = new RecordingSeriesAppender();
    Tenant tenant = new Tenant("it");
    String trace = "0af7651916cd43dd8448eb211c80319c";
    long start = System.currentTimeMillis() * 1_000_000L;
    SpanRecord client = new SpanRecord(trace, "b7ad6b7169203331", "", "", "GET /orders", Kind.CLIENT, start,
        start + 40_000_000L, StatusCode.UNSET, "", Map.of(SpanRecord.SERVICE_NAME, "web"), "", "", Map.of(),
        List.of(), List.of(), 1);
    SpanRecord server = new SpanRecord(trace, "00f067aa0ba902b7", "b7ad6b7169203331", "", "GET /orders",
        Kind.SERVER, start + 5_000_000L, start + 35_000_000L, StatusCode.ERROR, "", Map.of(SpanRecord.SERVICE_NAME,
        "orders"), "", "", Map.of(), List.of(), List.of(), 1);
    try (TraceStore store = TraceStore.open(
        TraceStoreOptions.defaults(dir).withShards(1).withMaxSpansPerTrace(2), registry)) {
      SpanMetricsWriter writer = new SpanMetricsWriter(store, tsdb, SpanMetricsOptions.defaults(), registry);
      assertThat(writer.write(tenant, List.of(client)).accepted()).isEqualTo(1);
      assertThat(writer.write(tenant, List.of(server)).accepted()).isEqualTo(1);
      // over the store's per-trace limit: refused by the store, so not counted either
      SpanRecord third = new SpanRecord(trace, "1111111111111111", "00f067aa0ba902b7", "", "SELECT", Kind.CLIENT,
          start, start + 1, StatusCode.UNSET, "", Map.of(SpanRecord.SERVICE_NAME, "orders"), "", "", Map.of(),
          List.of(), List.of(), 1);
      AppendResult refused = writer.write(tenant, List.of(third));
      assertThat(refused.rejected()).containsEntry(RejectReason.TRACE_TOO_LARGE, 1L);
      writer.close();

      assertThat(store.trace(tenant, trace)).extracting(SpanRecord::spanId)
          .containsExactlyInAnyOrder(client.spanId(), server.spanId());
    }
    Labels total = Labels.of(Labels.METRIC_NAME, "traces_service_graph_request_total", "client", "web",
        "server", "orders");
    assertThat(tsdb.last(tenant, total)).isEqualTo(1.0);
    assertThat(tsdb.last(tenant, total.toBuilder()
        .set(Labels.METRIC_NAME, "traces_service_graph_request_failed_total").build())).isEqualTo(1.0);
    assertThat(tsdb.last(tenant, Labels.of(Labels.METRIC_NAME, "traces_spanmetrics_calls_total", "service", "orders",
        "span_name", "GET /orders", "span_kind", "SPAN_KIND_SERVER", "status_code", "STATUS_CODE_ERROR")))
        .isEqualTo(1.0);
    assertThat(tsdb.named(tenant, "traces_spanmetrics_calls_total")).noneMatch(
        p -> p.labels().get("span_name").equals("SELECT"));
    assertThat(tsdb.exemplars).isNotEmpty().allSatisfy(
        e -> assertThat(e.exemplar().labels().get("trace_id")).isEqualTo(trace));
  }
}
