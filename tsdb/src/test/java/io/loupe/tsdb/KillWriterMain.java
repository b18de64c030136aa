package io.loupe.tsdb;

import io.loupe.model.AppendResult;
import io.loupe.model.Appender;
import io.loupe.model.Labels;
import io.loupe.model.Tenant;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Child process of {@link KillNineIT}: writes forever from two threads and prints {@code ACK thread round} after each
 * acknowledged commit, until it is killed. Fsync every 10 minutes, i.e. never before the kill: what survives is what
 * the WAL wrote to the page cache.
 */
public final class KillWriterMain {
  static final int SERIES_PER_THREAD = 200;

  public static void main(String[] args) throws Exception {
    TsdbOptions o = TsdbOptions.defaults(Path.of(args[0])).withShards(2)
        .withFsync(FsyncPolicy.interval(Duration.ofMinutes(10)));
    Tsdb db = Tsdb.open(o, new SimpleMeterRegistry());
    Thread[] threads = new Thread[2];
    for (int t = 0; t < threads.length; t++) {
      int th = t;
      threads[t] = new Thread(() -> {
        for (int round = 0; ; round++) {
          Appender a = db.appender(new Tenant("k"));
          for (int s = 0; s < SERIES_PER_THREAD; s++) {
            a.append(Labels.of("__name__", "k", "th", String.valueOf(th), "s", String.valueOf(s)), round, round + s);
          }
          AppendResult r = a.commit();
          if (r.accepted() != SERIES_PER_THREAD) {
            System.out.println("BAD " + r);
          }
          synchronized (System.out) {
            System.out.println("ACK " + th + " " + round);
            System.out.flush();
          }
        }
      });
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
  }
}
