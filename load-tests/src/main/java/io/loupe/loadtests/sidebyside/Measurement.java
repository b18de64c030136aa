package io.loupe.loadtests.sidebyside;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;

/**
 * What was measured on one system.
 *
 * @param system its name
 * @param version what its binary says it is
 * @param series active series in the workload
 * @param samplesAccepted samples in requests answered 2xx
 * @param sendSeconds from the first request to the last answer
 * @param cpuSeconds the system's utime + stime over the same window (all threads)
 * @param peakRssAfterIngest VmHWM right after the last write was answered
 * @param peakRssAfterQueries VmHWM after the dashboard queries
 * @param diskBytes bytes under the data dir after the flush (Loupe) and graceful stop (all), or -1
 * @param compactedBytes bytes of the data in its compacted, long-term form (Loupe and Prometheus: a snapshot with
 *     the head, i.e. everything as blocks; VictoriaMetrics: data and index after a forced merge), or -1
 * @param exitCode the exit code of the graceful stop (-1: killed after the grace period)
 * @param flush what was done before the stop
 * @param queries per dashboard query name, run before the stop
 * @param queriesAfterRestart per dashboard query name, run after a restart on the same data dir (empty: not run)
 */
public record Measurement(String system, String version, long series, long samplesAccepted, double sendSeconds,
    double cpuSeconds, long peakRssAfterIngest, long peakRssAfterQueries, long diskBytes, long compactedBytes, int exitCode,
    List<String> flush, Map<String, QueryTiming> queries, Map<String, QueryTiming> queriesAfterRestart) {
  public Measurement {
    requireNonNull(system, "system");
    requireNonNull(version, "version");
    flush = List.copyOf(requireNonNull(flush, "flush"));
    queries = Map.copyOf(requireNonNull(queries, "queries"));
    queriesAfterRestart = Map.copyOf(requireNonNull(queriesAfterRestart, "queriesAfterRestart"));
  }

  public double samplesPerSecond() {
    return sendSeconds > 0 ? samplesAccepted / sendSeconds : Double.NaN;
  }

  public double cpuSecondsPerMillionSamples() {
    return samplesAccepted > 0 ? cpuSeconds / (samplesAccepted / 1e6) : Double.NaN;
  }

  public double bytesPerActiveSeries() {
    return peakRssAfterIngest > 0 && series > 0 ? (double) peakRssAfterIngest / series : Double.NaN;
  }

  public double compactedBytesPerSample() {
    return compactedBytes >= 0 && samplesAccepted > 0 ? (double) compactedBytes / samplesAccepted : Double.NaN;
  }

  public double diskBytesPerSample() {
    return diskBytes >= 0 && samplesAccepted > 0 ? (double) diskBytes / samplesAccepted : Double.NaN;
  }
}
