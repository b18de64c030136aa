package io.loupe.tsdb.manual;

import io.loupe.model.Appender;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Bytes per sample on disk after compaction (chunks, index, meta, total), run by hand (not a test): a workload of
 * {@link NodeWorkload} appended through the public API for {@code hours} at 15 s, then the head flushed and blocks
 * compacted; samples are counted by reading the blocks back, and a range query over every series is timed
 * (thread CPU).
 *
 * <pre>
 * java -Xmx2g -cp tsdb/target/classes:tsdb/target/test-classes:$(cat cp.txt) io.loupe.tsdb.manual.BlockFiguresMain \
 *     [realistic|figures] [series=5000] [hours=13]
 * </pre>
 */
public final class BlockFiguresMain {
  public static void main(String[] args) throws Exception {
    String wl = args.length > 0 ? args[0] : "realistic";
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
    int hours = args.length > 2 ? Integer.parseInt(args[2]) : 13;
    NodeWorkload w = wl.equals("figures") ? NodeWorkload.figures(n) : NodeWorkload.realistic(n);
    Path dir = Files.createTempDirectory("loupe-tsdb-blocks");
    TsdbOptions o = TsdbOptions.defaults(dir).withShards(2).withFsync(FsyncPolicy.interval(Duration.ofSeconds(1)))
        .withMaxSeriesPerTenant(0).withRetention(Duration.ZERO);
    Tenant t = new Tenant("bench");
    try (Tsdb db = Tsdb.open(o, new SimpleMeterRegistry())) {
      for (int r = 0; r < hours * 240; r++) {
        long ts = w.timestamp(r);
        Appender a = db.appender(t);
        for (int i = 0; i < n; i++) {
          a.append(w.labels[i], ts, w.next(i));
          if (i % 1000 == 999) {
            a.commit();
            a = db.appender(t);
          }
        }
        a.commit();
      }
      long c0 = TsdbFiguresMain.cpu();
      int cut = db.flushHead();
      int merged = db.compact();
      System.out.printf("%s workload, %d series, %d h: flush %d blocks, compact %d, %.2f s thread CPU%n", wl, n, hours,
          cut, merged, (TsdbFiguresMain.cpu() - c0) / 1e9);
      long end = NodeWorkload.T0 + (hours - 1) * NodeWorkload.H - 1;
      long samples = 0;
      for (int rep = 0; rep < 3; rep++) {
        samples = 0;
        double sink = 0;
        long q0 = TsdbFiguresMain.cpu();
        try (Querier q = db.querier(t, Long.MIN_VALUE, Long.MAX_VALUE)) {
          Iterator<Series> it = q.select(SelectHints.range(Long.MIN_VALUE, end),
              List.of(Matcher.regex("__name__", ".+")));
          while (it.hasNext()) {
            SampleIterator si = it.next().iterator();
            if (si.seek(Long.MIN_VALUE)) {
              do {
                samples++;
                sink += si.value();
              } while (si.next());
            }
          }
        }
        long q = TsdbFiguresMain.cpu() - q0;
        System.out.printf("read all %d block samples: %.0f ms thread CPU, %.1f ns per sample%s%n", samples, q / 1e6,
            (double) q / samples, sink == 42 ? "!" : "");
      }
      long chunks = TsdbFiguresMain.bytesUnder(dir.resolve("blocks"), "chunks");
      long index = TsdbFiguresMain.bytesUnder(dir.resolve("blocks"), "index");
      long meta = TsdbFiguresMain.bytesUnder(dir.resolve("blocks"), "meta");
      System.out.printf("blocks after compaction: %.3f bytes per sample (chunks %.3f, index %.3f, meta %.4f); "
          + "%d bytes for %d samples%n", (double) (chunks + index + meta) / samples, (double) chunks / samples,
          (double) index / samples, (double) meta / samples, chunks + index + meta, samples);
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
