package io.loupe.loadtests.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.loadtests.LoadReport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReportAndProgressTest {
  private static LoadReport report(double cpu) {
    return new LoadReport("remote-write", "http://127.0.0.1:1/api/v1/write", "w", "samples", 10, true, 110, 100, 10,
        0, 2_000_000, 2_000_000, 0, 5_000_000, 4.2, 17.5, cpu, 512L << 20, 30_000_000, 2_000_000, 1.5, null);
  }

  @Test
  void dividesTheDataDirByEverythingItHoldsNotByTheSteadyWindow() {
    // a steady window of 2 M spans after a warm-up that stored 1 M more: the data dir holds all 3 M
    LoadReport r = new LoadReport("otlp-traces-grpc", "http://127.0.0.1:1/", "w", "spans", 10, false, 100, 100, 0, 0,
        2_000_000, 2_000_000, 0, 5_000_000, 4.2, 17.5, 8, 512L << 20, 150_000_000, 3_000_000, 1.5, null);
    assertThat(r.format()).contains("150.0 MB (50.00 bytes per span; 3,000,000 accepted in the whole run)");
  }

  @Test
  void derivesRatesAndCostsPerCore() {
    LoadReport r = report(8);
    assertThat(r.samplesPerSecond()).isEqualTo(200_000);
    assertThat(r.cpuSecondsPerMillion()).isEqualTo(4);
    assertThat(r.samplesPerCoreSecond()).isEqualTo(250_000);
    assertThat(r.format()).contains("| samples/s", "200,000", "4.2 ms / 17.5 ms", "0.80 cores on average",
        "| node cpu s / M samples | 4.00", "250,000", "512 MiB", "30.0 MB (15.00 bytes per sample; 2,000,000 accepted in the whole run)",
        "2xx 100, 429 10, failed 0", "| remote-write summary   |\n");
  }

  @Test
  void leavesOutCpuRowsWithoutAPid() {
    LoadReport r = report(Double.NaN);
    assertThat(r.samplesPerCoreSecond()).isNaN();
    assertThat(r.format()).doesNotContain("node cpu");
  }

  @Test
  void progressLineShowsBarRatesAndErrors() {
    Progress p = new Progress(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false,
        Duration.ofSeconds(1), 1, "spans");
    String line = p.line(0.5, 30, 60, 120, 3_000_000, 100_000, 7, 2, 1.5);
    assertThat(line).startsWith("[##########..........]  50%   30s/60s")
        .contains("120 req/s", "100,000 spans/s", "3,000,000 ok", "429: 7", "err: 2", "node cpu 150%");
  }

  @Test
  void procStatReadsThisJvm() {
    long self = ProcessHandle.current().pid();
    assertThat(ProcStat.cpuSeconds(self)).isPositive();
    long rss = ProcStat.rssBytes(self); // read before the peak: the heap may grow between the two reads
    assertThat(rss).isPositive();
    assertThat(ProcStat.peakRssBytes(self)).isGreaterThanOrEqualTo(rss);
    assertThat(ProcStat.cpuSeconds(Integer.MAX_VALUE)).isNaN();
    assertThat(ProcStat.peakRssBytes(Integer.MAX_VALUE)).isEqualTo(-1);
  }
}
