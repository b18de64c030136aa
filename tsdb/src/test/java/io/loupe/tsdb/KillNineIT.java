package io.loupe.tsdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.Matcher;
import io.loupe.model.Querier;
import io.loupe.model.SampleIterator;
import io.loupe.model.SelectHints;
import io.loupe.model.Series;
import io.loupe.model.Tenant;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kill -9} during ingest, then reopen: every acknowledged sample is there, none twice. */
class KillNineIT {
  @TempDir
  Path dir;

  @Test
  void everyAcknowledgedSampleSurvivesKillNine() throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(KillWriterMain.class.getName());
    cmd.add(dir.toString());
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    long[] acked = {-1, -1};
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        assertThat(line).doesNotStartWith("BAD");
        if (!line.startsWith("ACK ")) {
          continue; // log lines
        }
        String[] f = line.split(" ");
        acked[Integer.parseInt(f[1])] = Long.parseLong(f[2]);
        if (acked[0] >= 300 && acked[1] >= 300 && p.isAlive()) {
          // SIGKILL: no shutdown hooks, no close, no fsync. Through the handle, which (unlike Process.destroy) leaves
          // the pipe open, so the ACKs printed just before death are still read.
          p.toHandle().destroyForcibly();
        }
      }
    } finally {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
    assertThat(p.exitValue()).isEqualTo(137);
    // 300+ rounds froze 2+ chunks per series: the kill came while the head chunk files were being written (reopen
    // deletes them unread and replays the WAL)
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dir.resolve("chunks_head"))) {
      assertThat(files.filter(java.nio.file.Files::isRegularFile).count()).isPositive();
    }

    try (Tsdb db = Tsdb.open(TsdbOptions.defaults(dir).withShards(2), new SimpleMeterRegistry());
        Querier q = db.querier(new Tenant("k"), 0, Long.MAX_VALUE)) {
      Iterator<Series> it = q.select(SelectHints.range(0, Long.MAX_VALUE), List.of(Matcher.metricName("k")));
      int series = 0;
      while (it.hasNext()) {
        Series s = it.next();
        int th = Integer.parseInt(s.labels().get("th"));
        int sv = Integer.parseInt(s.labels().get("s"));
        SampleIterator si = s.iterator();
        long expect = 0;
        while (si.next()) {
          assertThat(si.timestamp()).as("%s: no gap, no duplicate", s.labels()).isEqualTo(expect);
          assertThat(si.value()).isEqualTo((double) (expect + sv));
          expect++;
        }
        // every acknowledged round is there; the one in flight at the kill may or may not be
        assertThat(expect - 1).as("%s: last round", s.labels()).isBetween(acked[th], acked[th] + 1);
        series++;
      }
      assertThat(series).isEqualTo(2 * KillWriterMain.SERIES_PER_THREAD);
    }
  }
}
