package io.loupe.loadtests.sidebyside;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A typical dashboard query over the node-exporter-like workload, run with {@code query_range} over the data's span.
 *
 * @param name a short name for the table
 * @param expr the PromQL expression
 */
public record DashboardQuery(String name, String expr) {
  public DashboardQuery {
    requireNonNull(name, "name");
    requireNonNull(expr, "expr");
    if (name.isBlank() || expr.isBlank()) {
      throw new IllegalArgumentException("name: '" + name + "', expr: '" + expr + "' (expected: both non-blank)");
    }
  }

  /** The fixed set: rate and sum by, a negative matcher, topk, an _over_time function, a regex matcher, count. */
  public static List<DashboardQuery> defaults() {
    return List.of(
        new DashboardQuery("cpu by instance", "sum by (instance) (rate(node_cpu_seconds_total[5m]))"),
        new DashboardQuery("busy cpu by mode", "sum by (mode) (rate(node_cpu_seconds_total{mode!=\"idle\"}[5m]))"),
        new DashboardQuery("top 5 rx", "topk(5, rate(node_network_receive_bytes_total[5m]))"),
        new DashboardQuery("load1 avg_over_time", "avg_over_time(node_load1[5m])"),
        new DashboardQuery("fs avail regex", "node_filesystem_avail_bytes{mountpoint=~\"/|/var/.*\"}"),
        new DashboardQuery("disk write by device", "sum by (device) (rate(node_disk_written_bytes_total[5m]))"),
        new DashboardQuery("up by instance", "count by (instance) (up)"));
  }
}
