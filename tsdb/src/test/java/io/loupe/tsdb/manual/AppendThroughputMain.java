package io.loupe.tsdb.manual;

import io.loupe.model.Appender;
import io.loupe.model.Labels;
import io.loupe.model.Tenant;
import io.loupe.tsdb.FsyncPolicy;
import io.loupe.tsdb.Tsdb;
import io.loupe.tsdb.TsdbOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Rough append throughput into head + WAL, run by hand (not a test): {@code java -cp ... AppendThroughputMain
 * [threads] [series] [rounds] [always|interval]}. Each round appends one sample to every series, in batches of 1000.
 */
public final class AppendThroughputMain {
  static Labels make(int i) {
    return Labels.of(new String("__name__"), new String("node_cpu_seconds_total"), new String("instance"),
        "host-" + (i / 100) + ":9100", new String("job"), new String("node"), new String("cpu"), String.valueOf(i % 10),
        new String("mode"), "m" + (i / 10 % 10));
  }

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    int series = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    boolean always = args.length > 3 && args[3].equals("always");
    // "fresh": build every point's labels from new strings, as a decoder would, and keep none here, so the heap
    // figure is what the store itself holds per series
    boolean fresh = args.length > 4 && args[4].equals("fresh");
    Path dir = Files.createTempDirectory("loupe-tsdb-bench");
    Labels[] labels = new Labels[fresh ? 1 : series];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = make(i);
    }
    TsdbOptions o = TsdbOptions.defaults(dir)
        .withFsync(always ? FsyncPolicy.ALWAYS : FsyncPolicy.interval(Duration.ofSeconds(1)))
        .withMaxSeriesPerTenant(0).withBlockRange(Duration.ofHours(2));
    Tenant t = new Tenant("bench");
    long t0 = 1_699_999_200_000L; // hour-aligned
    try (Tsdb db = Tsdb.open(o, new SimpleMeterRegistry())) {
      for (int round = 0; round < rounds; round++) {
        long start = System.nanoTime();
        AtomicLong n = new AtomicLong();
        int r = round;
        List<Thread> ts = new ArrayList<>();
        for (int th = 0; th < threads; th++) {
          int me = th;
          Thread thread = new Thread(() -> {
            Appender a = db.appender(t);
            int inBatch = 0;
            for (int i = me; i < series; i += threads) {
              a.append(fresh ? make(i) : labels[i], t0 + r * 15_000L, r * 0.5 + i);
              if (++inBatch == 1000) {
                n.addAndGet(a.commit().accepted());
                inBatch = 0;
              }
            }
            n.addAndGet(a.commit().accepted());
          });
          thread.start();
          ts.add(thread);
        }
        for (Thread thread : ts) {
          thread.join();
        }
        double secs = (System.nanoTime() - start) / 1e9;
        if (round == 0 || round == rounds - 1 || round % 10 == 0) {
          System.gc();
          Runtime rt = Runtime.getRuntime();
          long heap = rt.totalMemory() - rt.freeMemory();
          System.out.printf("round %d: %d samples in %.3f s = %.0f samples/s; heap %d MB (%.0f B/series)%n", round,
              n.get(), secs, n.get() / secs, heap >> 20, (double) heap / series);
        }
      }
    }
    long blockBytes;
    try (Tsdb db = Tsdb.open(o, new SimpleMeterRegistry())) {
      Appender a = db.appender(t);
      a.append(labels[0], t0 + 4 * 3_600_000L, 0); // makes the first 2 h range whole
      a.commit();
      long fs = System.nanoTime();
      int blocks = db.flushHead();
      System.out.printf("flush: %d block(s) in %.2f s%n", blocks, (System.nanoTime() - fs) / 1e9);
    }
    try (var s = Files.walk(dir.resolve("blocks"))) {
      blockBytes = s.filter(p -> p.getFileName().toString().equals("chunks")).mapToLong(p -> p.toFile().length())
          .sum();
    }
    System.out.printf("block chunks file: %d bytes (%.2f per sample)%n", blockBytes,
        (double) blockBytes / ((long) series * rounds));
    long walBytes;
    try (var s = Files.walk(dir.resolve("wal"))) {
      walBytes = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
    System.out.printf("WAL bytes: %d (%.1f per sample)%n", walBytes, (double) walBytes / ((long) series * rounds));
    long rs = System.nanoTime();
    try (Tsdb db = Tsdb.open(o, new SimpleMeterRegistry())) {
      System.out.printf("replay: %.2f s for %d samples%n", (System.nanoTime() - rs) / 1e9, (long) series * rounds);
    }
  }
}
