package io.loupe.tsdb.manual;

import io.loupe.model.Appender;
import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import io.loupe.model.Sample;
import io.loupe.model.Tenant;
import io.loupe.tsdb.FsyncPolicy;
import io.loupe.tsdb.Tsdb;
import io.loupe.tsdb.TsdbOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Writes the frozen v1 data directory under src/test/resources/testdata/tsdb-v1 (run by hand once per released
 * format version; {@code FormatFixtureIT} checks that it still reads): two blocks, a WAL checkpoint and WAL segments.
 */
public final class FixtureWriterMain {
  public static final long H = 3_600_000L;
  public static final long B0 = 1_699_999_200_000L; // a multiple of one hour

  public static TsdbOptions options(Path dir) {
    return TsdbOptions.defaults(dir).withShards(1).withBlockRange(Duration.ofHours(1))
        .withFsync(FsyncPolicy.ALWAYS);
  }

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    Tenant t = new Tenant("fixture");
    try (Tsdb db = Tsdb.open(options(dir), new SimpleMeterRegistry())) {
      Appender a = db.appender(t);
      for (long ts = B0; ts < B0 + 3 * H; ts += 60_000) {
        a.append(Labels.of("__name__", "up", "job", "a"), ts, 1);
        a.append(Labels.of("__name__", "req_total", "job", "a"), ts, (ts - B0) / 1000.0);
      }
      a.appendExemplar(Labels.of("__name__", "req_total", "job", "a"),
          new Exemplar(Labels.of("trace_id", "0af7651916cd43dd8448eb211c80319c"), 1.5, B0 + 3 * H - 60_000));
      a.updateMetadata(new MetricMetadata("req_total", MetricMetadata.Type.COUNTER, "Requests.", ""));
      a.commit();
      db.flushHead(); // hours 0 and 1 into blocks, then a checkpoint
      Appender b = db.appender(t);
      b.append(Labels.of("__name__", "up", "job", "a"), B0 + 3 * H, Sample.STALE_NAN);
      b.append(Labels.of("__name__", "late", "job", "b"), B0 + 3 * H, 42);
      b.commit();
    }
  }
}
