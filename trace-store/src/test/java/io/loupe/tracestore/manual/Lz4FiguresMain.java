package io.loupe.tracestore.manual;

import io.loupe.model.SpanRecord;
import io.loupe.tracestore.internal.ByteSource;
import io.loupe.tracestore.internal.Lz4;
import io.loupe.tracestore.internal.SpanCodec;
import io.loupe.tracestore.internal.TraceBatch;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.lucene.store.ByteArrayDataInput;
import org.apache.lucene.store.ByteArrayDataOutput;
import org.apache.lucene.util.compress.LZ4;

/**
 * Lucene's LZ4 against {@link Lz4} on real record bodies, run by hand: builds {@code records} bodies as the encoder
 * makes them ({@code traces} {@link PipelineTraces} traces per record, by default 64-80 as the node's requests carry),
 * checks that Lucene decompresses every block of ours back to its body, then compresses them all with each compressor
 * in alternating rounds (the order flips every round) in this one thread, and prints thread CPU time per MB of input
 * and the compressed/raw ratio of each, per round and as medians of the per-round ratios.
 *
 * <p>{@code lucene-index=true} first runs Lucene's LZ4 as its index writer also does in a node (short inputs, with a
 * preset dictionary, and with its high-compression hash table, as for terms and stored fields), so that the JIT
 * compiles Lucene's compressor for all those uses at once, as in the node, rather than for record bodies alone.
 *
 * <pre>
 * java -cp trace-store/target/classes:trace-store/target/test-classes:$(deps) \
 *     io.loupe.tracestore.manual.Lz4FiguresMain [records=2000] [traces=64-80] [warmup=5] [rounds=10] [lucene-index=false]
 * </pre>
 */
public final class Lz4FiguresMain {
  public static void main(String[] args) throws IOException {
    Map<String, String> a = ManualArgs.parse(args);
    int records = Integer.parseInt(a.getOrDefault("records", "2000"));
    int warmup = Integer.parseInt(a.getOrDefault("warmup", "5"));
    int rounds = Integer.parseInt(a.getOrDefault("rounds", "10"));
    String[] traces = a.getOrDefault("traces", "64-80").split("-");
    int minTraces = Integer.parseInt(traces[0]);
    int maxTraces = Integer.parseInt(traces[traces.length - 1]);

    List<byte[]> bodies = bodies(records, minTraces, maxTraces);
    long raw = 0;
    int largest = 0;
    for (byte[] b : bodies) {
      raw += b.length;
      largest = Math.max(largest, b.length);
    }
    System.out.printf(Locale.ROOT, "%,d bodies, %,d bytes (%,d average, %,d largest)%n", bodies.size(), raw,
        raw / bodies.size(), largest);

    byte[] dst = new byte[Lz4.maxCompressedLength(largest)];
    Lz4 mine = new Lz4();
    LZ4.FastCompressionHashTable table = new LZ4.FastCompressionHashTable();
    ByteArrayDataOutput out = new ByteArrayDataOutput(dst);
    byte[] back = new byte[largest + 8];
    for (byte[] b : bodies) {
      int k = mine.compress(b, 0, b.length, dst, 0);
      LZ4.decompress(new ByteArrayDataInput(dst, 0, k), b.length, back, 0);
      if (!Arrays.equals(back, 0, b.length, b, 0, b.length)) {
        throw new AssertionError("a block of Lz4 does not decompress to its body");
      }
    }

    if (Boolean.parseBoolean(a.getOrDefault("lucene-index", "false"))) {
      likeLucenesIndexWriter(bodies, dst);
    }

    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    double mb = raw / 1e6;
    List<Double> cpuRatios = new ArrayList<>();
    List<Double> sizeRatios = new ArrayList<>();
    for (int r = 0; r < warmup + rounds; r++) {
      long luceneNs = 0;
      long mineNs = 0;
      long luceneBytes = 0;
      long mineBytes = 0;
      for (int side = 0; side < 2; side++) {
        boolean lucene = (side == 0) == (r % 2 == 0);
        long t0 = mx.getCurrentThreadCpuTime();
        long bytes = 0;
        for (byte[] b : bodies) {
          if (lucene) {
            out.reset(dst);
            LZ4.compress(b, 0, b.length, out, table);
            bytes += out.getPosition();
          } else {
            bytes += mine.compress(b, 0, b.length, dst, 0);
          }
        }
        long ns = mx.getCurrentThreadCpuTime() - t0;
        if (lucene) {
          luceneNs = ns;
          luceneBytes = bytes;
        } else {
          mineNs = ns;
          mineBytes = bytes;
        }
      }
      double cpu = (double) mineNs / luceneNs;
      double size = (double) mineBytes / luceneBytes;
      System.out.printf(Locale.ROOT,
          "%s %2d  lucene %6.2f ms/MB %.4f of raw  |  lz4 %6.2f ms/MB %.4f of raw  |  cpu %.3fx size %.4fx%n",
          r < warmup ? "warmup" : "round ", r, luceneNs / 1e6 / mb, (double) luceneBytes / raw, mineNs / 1e6 / mb,
          (double) mineBytes / raw, cpu, size);
      if (r >= warmup) {
        cpuRatios.add(cpu);
        sizeRatios.add(size);
      }
    }
    System.out.printf(Locale.ROOT, "median of %d rounds: Lz4 %.3fx Lucene's CPU (min %.3f, max %.3f), compressed size "
        + "%.4fx%n", rounds, median(cpuRatios), cpuRatios.stream().mapToDouble(d -> d).min().orElse(0),
        cpuRatios.stream().mapToDouble(d -> d).max().orElse(0), median(sizeRatios));
  }

  /** Lucene's LZ4 on what its index writer compresses: short blocks, with a preset dictionary, high compression. */
  private static void likeLucenesIndexWriter(List<byte[]> bodies, byte[] dst) throws IOException {
    LZ4.FastCompressionHashTable fast = new LZ4.FastCompressionHashTable();
    LZ4.HighCompressionHashTable high = new LZ4.HighCompressionHashTable();
    ByteArrayDataOutput out = new ByteArrayDataOutput(dst);
    Random rnd = new Random(3);
    for (int i = 0; i < 200_000; i++) {
      byte[] b = bodies.get(i % bodies.size());
      int len = 64 + rnd.nextInt(4096);
      int off = rnd.nextInt(b.length - len);
      out.reset(dst);
      switch (i % 3) {
        case 0 -> LZ4.compress(b, off, len, out, high);
        case 1 -> LZ4.compressWithDictionary(b, Math.max(0, off - 1024), Math.min(off, 1024), len, out, fast);
        default -> LZ4.compress(b, off, len, out, fast);
      }
    }
  }

  /** Uncompressed record bodies of the pipeline workload, as {@link SpanCodec.Encoder} lays them out. */
  static List<byte[]> bodies(int records, int minTraces, int maxTraces) {
    PipelineTraces gen = new PipelineTraces(1, 40);
    Random rnd = new Random(2);
    SpanCodec.Encoder encoder = new SpanCodec.Encoder();
    List<byte[]> bodies = new ArrayList<>(records);
    long start = 1_700_000_000_000_000_000L;
    for (int i = 0; i < records; i++) {
      int traces = minTraces + rnd.nextInt(maxTraces - minTraces + 1);
      List<SpanRecord> spans = gen.batch(traces, start, 1_000_000L);
      start += traces * 1_000_000L;
      Map<String, List<SpanRecord>> byTrace = new LinkedHashMap<>();
      for (SpanRecord s : spans) {
        byTrace.computeIfAbsent(s.traceId(), k -> new ArrayList<>()).add(s);
      }
      encoder.encode("figures", i, TraceBatch.of(byTrace));
      bodies.add(rawBody(encoder.payload()));
    }
    return bodies;
  }

  /** The uncompressed body of a record payload (layout in docs/format/span-segment.md). */
  private static byte[] rawBody(byte[] payload) {
    ByteSource in = new ByteSource(payload);
    in.readByte(); // type
    int codec = in.readByte();
    in.readLong(); // written at
    in.readLong(); // min start
    in.readLong(); // max end
    in.readString(); // tenant
    int n = in.readLength();
    for (int t = 0; t < n; t++) {
      in.skip(16); // trace id
      in.readVarInt(); // span count
    }
    int len = in.readVarInt();
    if (codec == 0) {
      return in.readBytes(len);
    }
    byte[] body = new byte[len];
    try {
      LZ4.decompress(new ByteArrayDataInput(payload, in.position(), in.remaining()), len, body, 0);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return body;
  }

  private static double median(List<Double> xs) {
    double[] s = xs.stream().mapToDouble(d -> d).sorted().toArray();
    return s.length == 0 ? Double.NaN : s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private Lz4FiguresMain() {}
}
