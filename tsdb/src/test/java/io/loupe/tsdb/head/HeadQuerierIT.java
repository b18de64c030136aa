package io.loupe.tsdb.head;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.Appender;
import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.Querier;
import io.loupe.model.SampleIterator;
import io.loupe.model.SelectHints;
import io.loupe.model.Series;
import io.loupe.model.Tenant;
import io.loupe.tsdb.FsyncPolicy;
import io.loupe.tsdb.Tsdb;
import io.loupe.tsdb.TsdbOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Series read from blocks and the head together: parts in consecutive time ranges are read one after the other. */
class HeadQuerierIT {
  private static final Tenant T = new Tenant("t");
  private static final long H = 3_600_000L;
  private static final long B0 = 1_700_000_000_000L / H * H;
  private static final long STEP = 15_000;

  @TempDir
  Path dir;

  private static Series only(Querier q, long lo, long hi) {
    Iterator<Series> it = q.select(SelectHints.range(lo, hi), List.of(Matcher.metricName("m")));
    Series s = it.next();
    assertThat(it.hasNext()).isFalse();
    return s;
  }

  @Test
  void blocksAndHeadReadAsOneSeriesWithSeeksAcrossTheirBorders() throws Exception {
    TsdbOptions opts = TsdbOptions.defaults(dir).withBlockRange(Duration.ofHours(1)).withRetention(Duration.ofHours(25))
        .withFsync(FsyncPolicy.interval(Duration.ofSeconds(1)));
    List<long[]> samples = new ArrayList<>(); // t, value bits
    try (Tsdb db = Tsdb.open(opts, new SimpleMeterRegistry())) {
      Appender a = db.appender(T);
      for (long t = B0; t < B0 + 3 * H + 10 * 60_000; t += STEP) {
        if (t >= B0 + H - 5 * 60_000 && t < B0 + H + 5 * 60_000) {
          continue; // a gap across the first block border
        }
        double v = (t - B0) / 1000.0;
        a.append(Labels.of("__name__", "m"), t, v);
        samples.add(new long[] {t, Double.doubleToRawLongBits(v)});
      }
      a.commit();
      assertThat(db.flushHead()).isEqualTo(3); // three whole hours in blocks, ten minutes in the head

      try (Querier q = db.querier(T, Long.MIN_VALUE, Long.MAX_VALUE)) {
        SampleIterator it = only(q, Long.MIN_VALUE, Long.MAX_VALUE).iterator();
        assertThat(it.getClass().getSimpleName()).isEqualTo("ConcatIterator");
        List<long[]> got = new ArrayList<>();
        while (it.next()) {
          got.add(new long[] {it.timestamp(), Double.doubleToRawLongBits(it.value())});
        }
        assertThat(got).containsExactlyElementsOf(samples);
      }

      // seeks: before everything, into the gap, onto a border, into the head, past the end; then next() goes on
      long[] targets = {B0 - 1, B0 + H - 1, B0 + H, B0 + 2 * H, B0 + 3 * H - 1, B0 + 3 * H + 7 * 60_000 + 1,
          B0 + 4 * H};
      for (long target : targets) {
        long lo = target - 3 * H;
        long hi = target + H;
        try (Querier q = db.querier(T, lo, hi)) {
          SampleIterator it = only(q, lo, hi).iterator();
          long[] want = samples.stream().filter(s -> s[0] >= target && s[0] <= hi).findFirst().orElse(null);
          if (want == null) {
            assertThat(it.seek(target)).as("seek %d", target - B0).isFalse();
            assertThat(it.next()).isFalse();
            continue;
          }
          assertThat(it.seek(target)).as("seek %d", target - B0).isTrue();
          assertThat(it.timestamp()).isEqualTo(want[0]);
          assertThat(it.seek(target - 60_000)).isTrue(); // an earlier target stays put
          assertThat(it.timestamp()).isEqualTo(want[0]);
          long[] after = samples.stream().filter(s -> s[0] > want[0] && s[0] <= hi).findFirst().orElse(null);
          assertThat(it.next()).isEqualTo(after != null);
          if (after != null) {
            assertThat(it.timestamp()).isEqualTo(after[0]);
            assertThat(Double.doubleToRawLongBits(it.value())).isEqualTo(after[1]);
          }
        }
      }
    }
  }
}
