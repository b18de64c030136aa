package io.loupe.tsdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.Appender;
import io.loupe.model.Matcher;
import io.loupe.model.Querier;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Appenders lend their buffers per thread: interleaved appenders, reuse after commit and rollback stay separate. */
class AppenderBatchIT {
  @TempDir
  Path dir;

  @Test
  void interleavedAndReusedAppendersOnOneThreadKeepTheirOwnPoints() {
    long t0 = TsdbIT.T0;
    try (Tsdb db = Tsdb.open(TsdbOptions.defaults(dir).withShards(2), new SimpleMeterRegistry())) {
      Appender a = db.appender(TsdbIT.T);
      Appender b = db.appender(TsdbIT.T);
      a.append(TsdbIT.series("a"), t0, 1);
      b.append(TsdbIT.series("b"), t0, 2);
      Appender dropped = db.appender(TsdbIT.T);
      dropped.append(TsdbIT.series("dropped"), t0, 9);
      dropped.rollback();
      a.append(TsdbIT.series("a"), t0 + 1000, 3);
      assertThat(a.commit().accepted()).isEqualTo(2);
      // a lends its buffer back; c may take it, while a used again takes another
      Appender c = db.appender(TsdbIT.T);
      c.append(TsdbIT.series("c"), t0, 4);
      a.append(TsdbIT.series("a"), t0 + 2000, 5);
      b.append(TsdbIT.series("b"), t0 + 1000, 6);
      assertThat(c.commit().accepted()).isEqualTo(1);
      assertThat(a.commit().accepted()).isEqualTo(1);
      assertThat(b.commit().accepted()).isEqualTo(2);
      dropped.append(TsdbIT.series("dropped"), t0 + 1000, 7); // usable after rollback
      assertThat(dropped.commit().accepted()).isEqualTo(1);
      assertThat(a.commit().accepted()).isZero(); // nothing left from before
      try (Querier q = db.querier(TsdbIT.T, Long.MIN_VALUE, Long.MAX_VALUE)) {
        assertThat(TsdbIT.dump(q, List.of(Matcher.regex("__name__", ".+")), Long.MIN_VALUE, Long.MAX_VALUE))
            .containsExactly("a{} 0=1.0 1000=3.0 2000=5.0", "b{} 0=2.0 1000=6.0", "c{} 0=4.0", "dropped{} 1000=7.0");
      }
    }
  }
}
