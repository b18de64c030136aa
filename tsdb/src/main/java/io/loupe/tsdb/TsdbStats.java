package io.loupe.tsdb;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One tenant's head cardinality, in the shape of Prometheus's {@code GET /api/v1/status/tsdb}: each list is the top
 * entries, largest first.
 *
 * @param headStats totals of the head
 * @param seriesCountByMetricName series per metric name
 * @param labelValueCountByLabelName distinct values per label name
 * @param memoryInBytesByLabelName bytes of the distinct values of each label name (UTF-16 length x 2: what the
 *     strings cost on the heap, not counting object headers)
 * @param seriesCountByLabelValuePair series per {@code name=value} pair
 */
public record TsdbStats(
    HeadStats headStats,
    List<Entry> seriesCountByMetricName,
    List<Entry> labelValueCountByLabelName,
    List<Entry> memoryInBytesByLabelName,
    List<Entry> seriesCountByLabelValuePair) {
  public TsdbStats {
    requireNonNull(headStats, "headStats");
    seriesCountByMetricName = List.copyOf(seriesCountByMetricName);
    labelValueCountByLabelName = List.copyOf(labelValueCountByLabelName);
    memoryInBytesByLabelName = List.copyOf(memoryInBytesByLabelName);
    seriesCountByLabelValuePair = List.copyOf(seriesCountByLabelValuePair);
  }

  /**
   * Head totals; {@code minTime}/{@code maxTime} are {@link Long#MAX_VALUE}/{@link Long#MIN_VALUE} when the head has no
   * samples.
   */
  public record HeadStats(long numSeries, long numLabelPairs, long chunkCount, long minTime, long maxTime) {}

  /** One {@code name}/{@code value} row of a top list. */
  public record Entry(String name, long value) {
    public Entry {
      requireNonNull(name, "name");
    }
  }
}
