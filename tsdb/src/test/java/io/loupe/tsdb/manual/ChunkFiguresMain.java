package io.loupe.tsdb.manual;

import io.loupe.tsdb.chunkenc.ChunkEncoder;
import io.loupe.tsdb.chunkenc.ChunkIterator;
import io.loupe.tsdb.chunkenc.XorChunk;
import java.util.ArrayList;
import java.util.List;

/**
 * Chunk-level figures behind the block encoding (run by hand, not a test): bits per sample by series kind for XOR
 * chunks of 120 samples (the head's) and for block chunks (decimal or XOR, whichever is smaller) of 120 to 1920
 * samples, plus decode speed (thread CPU, all chunks iterated with {@link ChunkIterator}).
 *
 * <pre>
 * java -cp tsdb/target/classes:tsdb/target/test-classes:$(cat cp.txt) io.loupe.tsdb.manual.ChunkFiguresMain \
 *     [series=2000] [hours=18] [chunkSize (default: 120 to 1920)] [passes=1]
 * </pre>
 */
public final class ChunkFiguresMain {
  // per chunk beyond its bytes: entry length (2) and crc (4) in the chunks file, chunk meta in the index (~10)
  static final int OVERHEAD = 16;

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    int hours = args.length > 1 ? Integer.parseInt(args[1]) : 18;
    int passes = args.length > 3 ? Integer.parseInt(args[3]) : 1; // later passes run with the JIT warmed up
    for (int pass = 0; pass < passes; pass++) {
    for (String wl : new String[] {"realistic", "figures"}) {
      NodeWorkload w = wl.equals("realistic") ? NodeWorkload.realistic(n) : NodeWorkload.figures(n);
      int rounds = hours * 240;
      long[][] ts = new long[n][rounds];
      long[][] vb = new long[n][rounds];
      for (int r = 0; r < rounds; r++) {
        long t = w.timestamp(r);
        for (int i = 0; i < n; i++) {
          ts[i][r] = t;
          vb[i][r] = Double.doubleToRawLongBits(w.next(i));
        }
      }
      System.out.printf("%n== %s workload: %d series, %d h at 15 s (%d samples)%n", wl, n, hours, (long) n * rounds);
      int[] sizes = args.length > 2 ? new int[] {Integer.parseInt(args[2])} : new int[] {120, 240, 480, 960, 1920};
      for (int size : sizes) {
        for (boolean block : new boolean[] {false, true}) {
          if (!block && size != 120 && sizes.length > 1) {
            continue;
          }
          double[] bytesByKind = new double[NodeWorkload.KINDS.length];
          long[] samplesByKind = new long[NodeWorkload.KINDS.length];
          long total = 0;
          long decimal = 0;
          long chunks = 0;
          List<byte[]> all = new ArrayList<>();
          List<Integer> kindOf = new ArrayList<>();
          ChunkEncoder enc = new ChunkEncoder();
          long c0 = TsdbFiguresMain.cpu();
          for (int i = 0; i < n; i++) {
            int k = (rounds + size - 1) / size; // balanced chunks of at most `size`
            for (int c = 0; c < k; c++) {
              int from = (int) ((long) rounds * c / k);
              int to = (int) ((long) rounds * (c + 1) / k);
              byte[] b = block ? enc.encode(ts[i], vb[i], from, to - from) : xor(ts[i], vb[i], from, to - from);
              all.add(b);
              kindOf.add(w.kind[i]);
              bytesByKind[w.kind[i]] += b.length + OVERHEAD;
              total += b.length + OVERHEAD;
              decimal += b[0] == 2 ? 1 : 0;
              chunks++;
            }
            samplesByKind[w.kind[i]] += rounds;
          }
          long encCpu = TsdbFiguresMain.cpu() - c0;
          StringBuilder sb = new StringBuilder();
          for (int k = 0; k < bytesByKind.length; k++) {
            if (samplesByKind[k] > 0) {
              sb.append(String.format(" %s %.2f", NodeWorkload.KINDS[k], 8 * bytesByKind[k] / samplesByKind[k]));
            }
          }
          long decode = Long.MAX_VALUE;
          long[] decodeByKind = new long[NodeWorkload.KINDS.length];
          java.util.Arrays.fill(decodeByKind, Long.MAX_VALUE);
          double sink = 0;
          ChunkIterator it = new ChunkIterator();
          for (int rep = 0; rep < 5; rep++) {
            long d0 = TsdbFiguresMain.cpu();
            for (byte[] b : all) {
              it.reset(b);
              while (it.next()) {
                sink += it.timestamp() + it.value();
              }
            }
            decode = Math.min(decode, TsdbFiguresMain.cpu() - d0);
            for (int k = 0; k < decodeByKind.length; k++) {
              long k0 = TsdbFiguresMain.cpu();
              for (int c = 0; c < all.size(); c++) {
                if (kindOf.get(c) == k) {
                  it.reset(all.get(c));
                  while (it.next()) {
                    sink += it.timestamp() + it.value();
                  }
                }
              }
              decodeByKind[k] = Math.min(decodeByKind[k], TsdbFiguresMain.cpu() - k0);
            }
          }
          StringBuilder dk = new StringBuilder();
          for (int k = 0; k < decodeByKind.length; k++) {
            if (samplesByKind[k] > 0) {
              dk.append(String.format(" %s %.1f", NodeWorkload.KINDS[k], (double) decodeByKind[k] / samplesByKind[k]));
            }
          }
          System.out.printf("%-5s chunks of <= %4d: %.3f bytes/sample (%d%% decimal chunks); encode %.0f ns/sample,"
              + " decode %.1f ns/sample (best of 5); bits/sample by kind:%s; decode ns/sample by kind:%s%s%n",
              block ? "block" : "xor", size,
              (double) total / ((long) n * rounds), 100 * decimal / chunks, (double) encCpu / ((long) n * rounds),
              (double) decode / ((long) n * rounds), sb, dk, sink == 42 ? "!" : "");
        }
      }
    }
    }
  }

  static byte[] xor(long[] ts, long[] vb, int from, int n) {
    XorChunk c = new XorChunk();
    for (int i = from; i < from + n; i++) {
      c.append(ts[i], Double.longBitsToDouble(vb[i]));
    }
    return c.freeze().bytes();
  }
}
