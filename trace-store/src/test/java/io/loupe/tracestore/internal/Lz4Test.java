package io.loupe.tracestore.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.SpanRecord;
import io.loupe.tracestore.Spans;
import io.loupe.tracestore.manual.PipelineTraces;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.lucene.store.ByteArrayDataInput;
import org.apache.lucene.store.ByteArrayDataOutput;
import org.apache.lucene.util.compress.LZ4;
import org.junit.jupiter.api.Test;

/**
 * Every block is read back by Lucene's {@code LZ4.decompress} (what the segment reader uses) and also walked by a
 * strict checker of the block format's rules, which Lucene's decoder does not enforce.
 */
class Lz4Test {
  private final Lz4 lz4 = new Lz4(); // one instance for all inputs, as an encoder keeps it
  private final Random rnd = new Random(42);

  @Test
  void emptyAndTinyInputsAreLiteralsOnly() {
    for (int len = 0; len <= 20; len++) {
      byte[] zeros = new byte[len];
      byte[] random = new byte[len];
      rnd.nextBytes(random);
      byte[] z = roundTrip(zeros);
      roundTrip(random);
      if (len <= Lz4.MF_LIMIT) {
        assertThat(z).as("len " + len).hasSize(1 + len); // one token, then the literals
      }
    }
    assertThat(roundTrip(new byte[0])).containsExactly(0);
    // 13 bytes are the fewest that can hold a match: 1 literal, 7 matched at offset 1, the 5 final literals
    assertThat(roundTrip(new byte[13])).hasSize(1 + 1 + 2 + 1 + 5);
  }

  @Test
  void allZerosShrinkToLengthBytes() {
    byte[] block = roundTrip(new byte[100_000]);
    // one match of ~100,000 bytes at offset 1: its length takes ~392 bytes of 255
    assertThat(block.length).isBetween(390, 420);
  }

  @Test
  void incompressibleInputStaysWithinTheBound() {
    for (int len : new int[] {100, 1000, 65_536, 200_000}) {
      byte[] src = new byte[len];
      rnd.nextBytes(src);
      byte[] block = roundTrip(src);
      assertThat(block.length).isLessThanOrEqualTo(Lz4.maxCompressedLength(len)).isGreaterThanOrEqualTo(len);
    }
  }

  @Test
  void repetitiveInputCompressesWell() {
    byte[] src = "service.name=checkout;host.name=node-7;".repeat(2000).getBytes(StandardCharsets.US_ASCII);
    byte[] block = roundTrip(src);
    assertThat(block.length).isLessThan(src.length / 100);
  }

  @Test
  void matchesMayOverlapWhatTheyCopy() {
    for (int period = 1; period <= 9; period++) {
      byte[] src = new byte[1000];
      for (int i = 0; i < src.length; i++) {
        src[i] = (byte) ('a' + i % period);
      }
      byte[] block = roundTrip(src);
      assertThat(block.length).as("period " + period).isLessThan(20 + period);
    }
  }

  @Test
  void matchesLongerThanTheWindow() {
    // a 1,000-byte random unit repeated: one match of ~199 KB at offset 1,000
    byte[] unit = new byte[1000];
    rnd.nextBytes(unit);
    byte[] src = new byte[200_000];
    for (int i = 0; i < src.length; i += unit.length) {
      System.arraycopy(unit, 0, src, i, unit.length);
    }
    byte[] block = roundTrip(src);
    assertThat(block.length).isLessThan(unit.length + 1000);
  }

  @Test
  void offsetsReachBack65535BytesAndNoFurther() {
    for (int gap : new int[] {60_000, 65_534, 65_535, 65_536, 70_000}) {
      // 64 random bytes, zeros (one long match at offset 1, which indexes almost nothing), the 64 bytes again `gap`
      // bytes after the first copy, 20 random bytes
      byte[] unit = new byte[64];
      rnd.nextBytes(unit);
      byte[] src = new byte[gap + 64 + 20];
      System.arraycopy(unit, 0, src, 0, 64);
      System.arraycopy(unit, 0, src, gap, 64);
      for (int i = gap + 64; i < src.length; i++) {
        src[i] = (byte) rnd.nextInt();
      }
      byte[] block = compress(lz4, src);
      assertThat(luceneDecompress(block, src.length)).isEqualTo(src);
      int farthest = checkBlock(block, src.length);
      if (gap <= 65_535) {
        assertThat(farthest).as("gap " + gap).isEqualTo(gap);
        assertThat(block.length).as("gap " + gap).isLessThan(64 + 20 + 300 + 20);
      } else {
        assertThat(farthest).as("gap " + gap).isLessThan(65_535 - 64);
        assertThat(block.length).as("gap " + gap).isGreaterThan(64 + 64 + 20 + 250);
      }
    }
  }

  @Test
  void randomInputsOfMixedStructure() {
    Random r = new Random(7);
    for (int i = 0; i < 3000; i++) {
      int len = switch (r.nextInt(4)) {
        case 0 -> r.nextInt(64);
        case 1 -> r.nextInt(2048);
        case 2 -> r.nextInt(20_000);
        default -> i % 20 == 0 ? r.nextInt(200_000) : r.nextInt(70_000);
      };
      byte[] src = mixed(r, len);
      roundTrip(src);
    }
  }

  @Test
  void worksAtOffsetsAndTouchesNothingBeforeDstOff() {
    Random r = new Random(3);
    for (int i = 0; i < 200; i++) {
      byte[] data = mixed(r, r.nextInt(5000));
      int srcOff = r.nextInt(100);
      byte[] src = new byte[srcOff + data.length + r.nextInt(50)];
      r.nextBytes(src);
      System.arraycopy(data, 0, src, srcOff, data.length);
      int dstOff = r.nextInt(100);
      byte[] dst = new byte[dstOff + Lz4.maxCompressedLength(data.length) + r.nextInt(3)];
      Arrays.fill(dst, (byte) 0x5A);
      int k = lz4.compress(src, srcOff, data.length, dst, dstOff);
      for (int j = 0; j < dstOff; j++) {
        assertThat(dst[j]).isEqualTo((byte) 0x5A);
      }
      byte[] block = Arrays.copyOfRange(dst, dstOff, dstOff + k);
      assertThat(luceneDecompress(block, data.length)).isEqualTo(data);
      checkBlock(block, data.length);
      assertThat(block).isEqualTo(fresh(data)); // same bytes wherever the input sits
    }
  }

  @Test
  void aReusedCompressorWritesTheSameBytesAsAFreshOne() {
    // large inputs fill the whole hash table, small ones use and clear only part of it
    Random r = new Random(11);
    for (int i = 0; i < 300; i++) {
      byte[] src = mixed(r, i % 3 == 0 ? 100_000 + r.nextInt(100_000) : r.nextInt(i % 3 == 1 ? 600 : 30_000));
      assertThat(compress(lz4, src)).as("input " + i).isEqualTo(fresh(src));
    }
  }

  @Test
  void refusesTooSmallADestination() {
    byte[] src = new byte[1000];
    assertThatThrownBy(() -> lz4.compress(src, 0, 1000, new byte[Lz4.maxCompressedLength(1000) - 1], 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dst: 1018 bytes from 0")
        .hasMessageContaining("expected: at least 1019");
    assertThatThrownBy(() -> lz4.compress(src, 1, 1000, new byte[2000], 0))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> Lz4.maxCompressedLength(-1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("srcLen: -1 (expected: 0..");
  }

  @Test
  void realRecordBodiesRoundTripAndStayAsSmallAsLucenes() {
    PipelineTraces gen = new PipelineTraces(5, 40);
    SpanCodec.Encoder encoder = new SpanCodec.Encoder();
    long mine = 0;
    long lucene = 0;
    long raw = 0;
    for (int rec = 0; rec < 16; rec++) {
      List<SpanRecord> spans = gen.batch(64 + rec % 17, 1_700_000_000_000_000_000L + rec * 1_000_000_000L, 10_000);
      Map<String, List<SpanRecord>> traces = new LinkedHashMap<>();
      for (SpanRecord s : spans) {
        traces.computeIfAbsent(s.traceId(), k -> new ArrayList<>()).add(s);
      }
      encoder.encode("tenant-" + rec % 3, rec, TraceBatch.of(traces));
      byte[] payload = encoder.payload();
      assertThat(payload[1]).isEqualTo((byte) SpanCodec.CODEC_LZ4);

      List<SpanRecord> back = SpanCodec.decode(payload, "tenant-" + rec % 3, null);
      List<SpanRecord> expected = new ArrayList<>();
      traces.values().forEach(expected::addAll);
      assertThat(back).hasSameSizeAs(expected);
      for (int i = 0; i < back.size(); i++) {
        assertThat(Spans.comparable(back.get(i))).isEqualTo(Spans.comparable(expected.get(i)));
      }

      byte[] body = rawBody(payload);
      byte[] block = roundTrip(body);
      raw += body.length;
      mine += block.length;
      lucene += luceneCompress(body).length;
    }
    // the goal is Lucene's ratio within ~3 %; bodies compress to about half
    assertThat((double) mine / lucene).isLessThan(1.03);
    assertThat((double) mine / raw).isLessThan(0.7);
  }

  // ---- helpers

  /** Compresses with the shared instance, checks the block's rules and that Lucene reads it back; the block. */
  private byte[] roundTrip(byte[] src) {
    byte[] block = compress(lz4, src);
    checkBlock(block, src.length);
    assertThat(luceneDecompress(block, src.length)).isEqualTo(src);
    return block;
  }

  private static byte[] compress(Lz4 c, byte[] src) {
    byte[] dst = new byte[Lz4.maxCompressedLength(src.length)];
    int k = c.compress(src, 0, src.length, dst, 0);
    assertThat(k).isBetween(1, dst.length);
    return Arrays.copyOf(dst, k);
  }

  private static byte[] fresh(byte[] src) {
    return compress(new Lz4(), src);
  }

  private static byte[] luceneDecompress(byte[] block, int len) {
    byte[] out = new byte[len + 8];
    try {
      ByteArrayDataInput in = new ByteArrayDataInput(block);
      int n = LZ4.decompress(in, len, out, 0);
      assertThat(n).isEqualTo(len);
      assertThat(in.getPosition()).as("block consumed").isEqualTo(block.length);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Arrays.copyOf(out, len);
  }

  private static byte[] luceneCompress(byte[] src) {
    byte[] dst = new byte[Lz4.maxCompressedLength(src.length)];
    ByteArrayDataOutput out = new ByteArrayDataOutput(dst);
    try {
      LZ4.compress(src, 0, src.length, out, new LZ4.FastCompressionHashTable());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Arrays.copyOf(dst, out.getPosition());
  }

  /**
   * Walks a block and checks what the format asks of an encoder and Lucene's decoder lets pass: offsets 1..65535 and
   * within what is decoded so far, the last sequence literals only, the last 5 bytes literals, no match starting in
   * the last 12 bytes, and no more and no fewer bytes than {@code len}. Returns the largest offset.
   */
  private static int checkBlock(byte[] b, int len) {
    // plain checks rather than AssertJ's: this runs once per sequence, millions of times
    int farthest = 0;
    int i = 0;
    int pos = 0; // decoded bytes so far
    while (true) {
      check(i < b.length, "token past the block's end", i, pos);
      int token = b[i++] & 0xFF;
      int lit = token >>> 4;
      if (lit == 15) {
        int x;
        do {
          x = b[i++] & 0xFF;
          lit += x;
        } while (x == 255);
      }
      i += lit;
      pos += lit;
      if (i == b.length) {
        check(pos == len, "decoded " + pos + " bytes (expected: " + len + ")", i, pos);
        check((token & 0x0F) == 0, "the last sequence has a match length", i, pos);
        return farthest;
      }
      check(i + 2 <= b.length, "offset past the block's end", i, pos);
      int offset = (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8;
      i += 2;
      check(offset >= 1 && offset <= Math.min(65_535, pos), "offset " + offset, i, pos);
      farthest = Math.max(farthest, offset);
      int match = token & 0x0F;
      if (match == 15) {
        int x;
        do {
          x = b[i++] & 0xFF;
          match += x;
        } while (x == 255);
      }
      match += Lz4.MIN_MATCH;
      check(pos <= len - Lz4.MF_LIMIT, "match start in the last 12 bytes", i, pos);
      pos += match;
      check(pos <= len - Lz4.LAST_LITERALS, "match end in the last 5 bytes", i, pos);
    }
  }

  private static void check(boolean ok, String problem, int blockAt, int decodedAt) {
    if (!ok) {
      throw new AssertionError(problem + " at block byte " + blockAt + ", decoded byte " + decodedAt);
    }
  }

  /** Runs of random bytes, repeats of earlier bytes near and far, zeros, varint-like small numbers. */
  private static byte[] mixed(Random r, int len) {
    byte[] b = new byte[len];
    int i = 0;
    while (i < len) {
      int n = Math.min(len - i, 1 + r.nextInt(r.nextBoolean() ? 16 : 300));
      switch (r.nextInt(5)) {
        case 0 -> {
          for (int k = 0; k < n; k++) {
            b[i + k] = (byte) r.nextInt();
          }
        }
        case 1, 2 -> {
          if (i > 0) {
            int back = 1 + r.nextInt(Math.min(i, r.nextBoolean() ? 64 : 70_000));
            for (int k = 0; k < n; k++) {
              b[i + k] = b[i + k - back]; // may overlap: a run
            }
          }
        }
        case 3 -> { } // zeros
        default -> {
          for (int k = 0; k < n; k++) {
            b[i + k] = (byte) r.nextInt(1 + r.nextInt(8));
          }
        }
      }
      i += n;
    }
    return b;
  }

  /** The uncompressed body of a record payload (layout in docs/format/span-segment.md). */
  static byte[] rawBody(byte[] payload) {
    ByteSource in = new ByteSource(payload);
    in.readByte(); // type
    int codec = in.readByte();
    in.readLong();
    in.readLong();
    in.readLong();
    in.readString();
    int n = in.readLength();
    for (int t = 0; t < n; t++) {
      in.skip(16);
      in.readVarInt();
    }
    int len = in.readVarInt();
    if (codec == SpanCodec.CODEC_RAW) {
      return in.readBytes(len);
    }
    assertThat(codec).isEqualTo(SpanCodec.CODEC_LZ4);
    return luceneDecompress(Arrays.copyOfRange(payload, in.position(), payload.length), len);
  }
}
