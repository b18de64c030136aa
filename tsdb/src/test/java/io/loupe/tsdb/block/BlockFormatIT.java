package io.loupe.tsdb.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.Sample;
import io.loupe.model.Tenant;
import io.loupe.tsdb.chunkenc.ChunkIterator;
import io.loupe.tsdb.chunkenc.DecimalEncoder;
import io.loupe.tsdb.chunkenc.XorChunk;
import io.loupe.tsdb.wlog.ChannelOpener;
import io.loupe.tsdb.wlog.CorruptFileException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Version-2 blocks: re-chunked, re-encoded, the compact index, and damage found at open. */
class BlockFormatIT {
  static final long H = 3_600_000L;
  static final long T0 = 1_700_006_400_000L; // a multiple of 2 h
  static final Tenant TENANT = new Tenant("t");

  @TempDir
  Path dir;

  /** Samples of one series as the head holds them: XOR chunks of 120. */
  record Samples(Labels labels, long[] ts, long[] vb) {
    SeriesChunks asHeadChunks() {
      List<byte[]> cs = new ArrayList<>();
      for (int from = 0; from < ts.length; from += XorChunk.TARGET_SAMPLES) {
        XorChunk c = new XorChunk();
        for (int i = from; i < Math.min(ts.length, from + XorChunk.TARGET_SAMPLES); i++) {
          c.append(ts[i], Double.longBitsToDouble(vb[i]));
        }
        cs.add(c.freeze().bytes());
      }
      return new SeriesChunks(labels, cs);
    }
  }

  static Samples series(String name, int n, long start, java.util.function.IntToLongFunction value) {
    long[] ts = new long[n];
    long[] vb = new long[n];
    for (int i = 0; i < n; i++) {
      ts[i] = start + 15_000L * i + (i % 7 == 3 ? 2 : 0);
      vb[i] = value.applyAsLong(i);
    }
    return new Samples(Labels.of("__name__", name, "job", "node"), ts, vb);
  }

  static long bits(double v) {
    return Double.doubleToRawLongBits(v);
  }

  /** Every chunk of every series, decoded, as "labels t=bits ..." lines; and the encodings seen. */
  static List<String> dump(Block b, List<Byte> encodings, List<Integer> counts) throws Exception {
    List<String> out = new ArrayList<>();
    for (Block.SelectedSeries s : b.select(List.of(Matcher.regex("__name__", ".+")), Long.MIN_VALUE,
        Long.MAX_VALUE, true)) {
      StringBuilder sb = new StringBuilder(s.labels().toString());
      for (byte[] c : s.chunks()) {
        encodings.add(c[0]);
        counts.add(ChunkIterator.count(c));
        ChunkIterator it = new ChunkIterator().reset(c);
        while (it.next()) {
          sb.append(' ').append(it.timestamp()).append('=').append(Long.toHexString(it.valueBits()));
        }
      }
      out.add(sb.toString());
    }
    return out;
  }

  static String expected(Samples s) {
    StringBuilder sb = new StringBuilder(s.labels().toString());
    for (int i = 0; i < s.ts().length; i++) {
      sb.append(' ').append(s.ts()[i]).append('=').append(Long.toHexString(s.vb()[i]));
    }
    return sb.toString();
  }

  @Test
  void headChunksAreReChunkedIntoBalancedDecimalChunks() throws Exception {
    Random rnd = new Random(9);
    Samples cpu = series("cpu_seconds_total", 1000, T0, i -> bits((1_000_000 + 1400L * i + i % 13) / 100.0));
    Samples stale = series("memory_bytes", 130, T0, i -> i == 129 ? Sample.STALE_NAN_BITS : bits(4096.0 * (i % 5)));
    Samples noise = series("random_bits", 200, T0, i -> rnd.nextLong()); // no decimals, not even near one
    Path b = BlockWriter.write(dir, TENANT, T0, T0 + 6 * H,
        List.of(cpu.asHeadChunks(), stale.asHeadChunks(), noise.asHeadChunks()), ChannelOpener.DEFAULT);
    try (Block block = Block.open(b)) {
      assertThat(block.meta().numSamples()).isEqualTo(1330);
      assertThat(block.meta().numChunks()).isEqualTo(3 + 1 + 1);
      List<Byte> enc = new ArrayList<>();
      List<Integer> counts = new ArrayList<>();
      assertThat(dump(block, enc, counts)).containsExactly(expected(cpu), expected(stale), expected(noise));
      // 1000 samples: three chunks of 333-334, not 480 + 480 + 40
      assertThat(counts).containsExactly(333, 333, 334, 130, 200);
      assertThat(enc).containsExactly(DecimalEncoder.ENCODING_DECIMAL, DecimalEncoder.ENCODING_DECIMAL,
          DecimalEncoder.ENCODING_DECIMAL, DecimalEncoder.ENCODING_DECIMAL, XorChunk.ENCODING_XOR);
      // selection by time returns only the chunks that overlap
      Block.SelectedSeries s = block.select(List.of(Matcher.metricName("cpu_seconds_total")), T0 + 300 * 15_000L,
          T0 + 400 * 15_000L, true).get(0);
      assertThat(s.chunks().length).isEqualTo(2);
      assertThat(s.maxTs()).containsExactly(cpu.ts()[332], cpu.ts()[665]);
    }
    for (String f : new String[] {"chunks", "index", "meta"}) {
      byte[] head = Files.readAllBytes(b.resolve(f));
      int nameLen = head[4];
      assertThat(head[5 + nameLen] << 8 | head[6 + nameLen]).as(f + " version").isEqualTo(2);
    }
  }

  @Test
  void damageIsFoundAtOpenAndNamesTheFile() throws Exception {
    Samples cpu = series("cpu_seconds_total", 600, T0, i -> bits(i / 100.0));
    Samples mem = series("memory_bytes", 600, T0, i -> bits(4096.0 * i));
    Path b = BlockWriter.write(dir, TENANT, T0, T0 + 6 * H, List.of(cpu.asHeadChunks(), mem.asHeadChunks()),
        ChannelOpener.DEFAULT);
    Path chunks = b.resolve("chunks");
    byte[] original = Files.readAllBytes(chunks);
    // a flipped bit inside a chunk
    try (RandomAccessFile f = new RandomAccessFile(chunks.toFile(), "rw")) {
      f.seek(original.length / 2);
      f.write(original[original.length / 2] ^ 0x10);
    }
    assertThatThrownBy(() -> Block.open(b)).isInstanceOf(CorruptFileException.class)
        .hasMessageContaining(chunks.toString()).hasMessageContaining("checksum");
    // cut short by one entry's worth
    Files.write(chunks, java.util.Arrays.copyOf(original, original.length - 40));
    assertThatThrownBy(() -> Block.open(b)).isInstanceOf(CorruptFileException.class)
        .hasMessageContaining(chunks.toString());
    // an extra entry the index does not list
    byte[] longer = java.util.Arrays.copyOf(original, original.length + 8);
    longer[original.length] = 3;
    Files.write(chunks, longer);
    assertThatThrownBy(() -> Block.open(b)).isInstanceOf(CorruptFileException.class)
        .hasMessageContaining("index does not list");
    Files.write(chunks, original);
    try (Block ok = Block.open(b)) {
      assertThat(ok.meta().numSamples()).isEqualTo(1200);
    }
  }
}
