package io.loupe.tsdb.manual;

import io.loupe.model.Labels;
import io.loupe.model.Sample;
import io.loupe.model.Tenant;
import io.loupe.tsdb.block.BlockWriter;
import io.loupe.tsdb.block.SeriesChunks;
import io.loupe.tsdb.chunkenc.XorChunk;
import io.loupe.tsdb.wlog.ChannelOpener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Writes the frozen version-2 block under src/test/resources/testdata/block-v2 (run by hand once per released block
 * format version; {@code BlockFixtureIT} checks that it still reads): one series per kind of chunk the writer makes.
 */
public final class BlockFixtureMain {
  public static final long H = 3_600_000L;
  public static final long MIN_T = 1_700_006_400_000L; // a multiple of 6 h
  public static final long MAX_T = MIN_T + 6 * H;
  public static final Tenant TENANT = new Tenant("fixture");

  /** The block's series, sorted by labels, each as {labels, timestamps, value bits}. */
  public static List<Object[]> series() {
    Random rnd = new Random(2026);
    List<Object[]> out = new ArrayList<>();
    int n = 700; // two chunks of 350
    long[] ts = new long[n];
    for (int i = 0; i < n; i++) {
      ts[i] = MIN_T + 15_000L * i + (i % 10 == 3 ? 1 + rnd.nextInt(3) : 0);
    }
    long[] cpu = new long[n]; // 2-decimal counter: exact decimals
    long[] drift = new long[n]; // the same summed in floating point: residuals
    long[] mem = new long[n]; // steps of 4096 with a stale marker at the end
    long[] noise = new long[n]; // any bits: XOR
    long[] one = new long[n]; // constant
    long ticks = 5_000_000;
    double sum = 0;
    double m = 4096.0 * 250_000;
    for (int i = 0; i < n; i++) {
      int inc = 1300 + rnd.nextInt(200);
      ticks += inc;
      sum += inc / 100.0;
      m += rnd.nextInt(4) == 0 ? 4096.0 * (rnd.nextInt(200) - 100) : 0;
      cpu[i] = Double.doubleToRawLongBits(ticks / 100.0);
      drift[i] = Double.doubleToRawLongBits(sum);
      mem[i] = i == n - 1 ? Sample.STALE_NAN_BITS : Double.doubleToRawLongBits(m);
      noise[i] = rnd.nextLong();
      one[i] = Double.doubleToRawLongBits(1);
    }
    out.add(new Object[] {Labels.of("__name__", "cpu_seconds_total", "job", "node"), ts, cpu});
    out.add(new Object[] {Labels.of("__name__", "drifting_total", "job", "node"), ts, drift});
    out.add(new Object[] {Labels.of("__name__", "memory_bytes", "job", "node"), ts, mem});
    out.add(new Object[] {Labels.of("__name__", "noise", "job", "node"), ts, noise});
    out.add(new Object[] {Labels.of("__name__", "up", "job", "node"), ts, one});
    return out;
  }

  public static void main(String[] args) throws Exception {
    List<SeriesChunks> chunks = new ArrayList<>();
    for (Object[] s : series()) {
      long[] ts = (long[]) s[1];
      long[] vb = (long[]) s[2];
      List<byte[]> cs = new ArrayList<>();
      for (int from = 0; from < ts.length; from += XorChunk.TARGET_SAMPLES) {
        XorChunk c = new XorChunk();
        for (int i = from; i < Math.min(ts.length, from + XorChunk.TARGET_SAMPLES); i++) {
          c.append(ts[i], Double.longBitsToDouble(vb[i]));
        }
        cs.add(c.freeze().bytes());
      }
      chunks.add(new SeriesChunks((Labels) s[0], cs));
    }
    System.out.println(BlockWriter.write(Path.of(args[0]), TENANT, MIN_T, MAX_T, chunks, ChannelOpener.DEFAULT));
  }
}
