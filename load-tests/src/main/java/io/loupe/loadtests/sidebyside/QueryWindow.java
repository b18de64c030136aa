package io.loupe.loadtests.sidebyside;

import io.loupe.loadtests.internal.NodeExporterWorkload;

/** Where the dashboard queries' steps fall relative to the workload's scrape timestamps. */
public final class QueryWindow {
  private QueryWindow() {}

  /**
   * An offset within the 15 s interval (ms) at which no target of the workload is scraped: the workload stamps target
   * {@code t} of {@code n} at {@code t * 15000 / n} ms into each interval, so halfway between targets 0 and 1 is free
   * as long as there are at most 7,500 targets (780,000 series).
   */
  public static long offsetBetweenScrapes(int series, int cpus) {
    int perTarget = NodeExporterWorkload.seriesPerTarget(cpus);
    long targets = (series + perTarget - 1) / perTarget;
    long gap = NodeExporterWorkload.STEP_MILLIS / targets;
    if (gap < 2) {
      throw new IllegalArgumentException("series: " + series + " (expected: at most "
          + NodeExporterWorkload.STEP_MILLIS / 2 * perTarget + ", so that queries can step between scrapes)");
    }
    return gap / 2;
  }
}
