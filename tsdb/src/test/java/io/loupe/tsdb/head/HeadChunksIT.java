package io.loupe.tsdb.head;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.Labels;
import io.loupe.model.StorageUnavailableException;
import io.loupe.tsdb.chunkenc.XorChunk;
import io.loupe.tsdb.wlog.ChannelOpener;
import io.loupe.tsdb.wlog.CorruptFileException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The head chunk file on its own, and MemSeries over it (docs/format/head-chunks.md). */
class HeadChunksIT {
  static final int SEGMENT = 64 << 10;

  @TempDir
  Path dir;

  final Counter failures = new SimpleMeterRegistry().counter("failures");

  HeadChunks open(ChannelOpener opener) throws IOException {
    return HeadChunks.open(dir.resolve("shard-000"), SEGMENT, opener, failures);
  }

  static XorChunk chunk(Random rnd, long t0, int n) {
    XorChunk c = new XorChunk();
    long t = t0;
    double v = rnd.nextInt(1000);
    for (int i = 0; i < n; i++) {
      c.append(t, v);
      t += 15_000 + rnd.nextInt(3);
      v += rnd.nextInt(4) == 0 ? 0 : rnd.nextDouble() * 100;
    }
    return c.freeze();
  }

  List<Path> segmentFiles() throws IOException {
    try (Stream<Path> s = Files.list(dir.resolve("shard-000"))) {
      return s.sorted().toList();
    }
  }

  @Test
  void closeDeletesTheSegmentsAndALaterReadFailsCleanly() throws Exception {
    Random rnd = new Random(3);
    HeadChunks hc = open(ChannelOpener.DEFAULT);
    long ref = -1;
    for (int i = 0; i < 400; i++) {
      XorChunk c = chunk(rnd, 1_000_000L * i, XorChunk.TARGET_SAMPLES);
      ref = hc.write(7, c.bytes(), c.minT(), c.maxT());
    }
    assertThat(segmentFiles()).hasSizeGreaterThanOrEqualTo(2);
    hc.close();
    // no sparse full-size files left after a graceful stop (open deletes them anyway; replay rewrites them)
    assertThat(segmentFiles()).isEmpty();
    long gone = ref;
    assertThatThrownBy(() -> hc.read(gone)).isInstanceOf(IllegalStateException.class).hasMessageContaining("gone");
  }

  @Test
  void chunksAreWrittenWithHeaderAndChecksumAndReadBackEqual() throws Exception {
    Random rnd = new Random(1);
    List<XorChunk> written = new ArrayList<>();
    List<Long> refs = new ArrayList<>();
    try (HeadChunks hc = open(ChannelOpener.DEFAULT)) {
      for (int i = 0; i < 600; i++) { // ~200 bytes each: more than two 64 KiB segments
        XorChunk c = chunk(rnd, 1_000_000L * i, 1 + rnd.nextInt(XorChunk.TARGET_SAMPLES));
        long ref = hc.write(1000 + i, c.bytes(), c.minT(), c.maxT());
        assertThat(ref).isNotNegative();
        written.add(c);
        refs.add(ref);
      }
      assertThat(hc.segmentCount()).isGreaterThanOrEqualTo(2);
      assertThat(failures.count()).isZero();
      for (int i = 0; i < written.size(); i++) {
        assertThat(hc.read(refs.get(i))).as("chunk %d", i).isEqualTo(written.get(i).bytes());
      }
      // on disk: header, then entries of series id, minT, maxT, length, chunk, CRC32C
      Path first = segmentFiles().get(0);
      assertThat(first.getFileName().toString()).isEqualTo("00000000");
      assertThat(Files.size(first)).isEqualTo(SEGMENT); // sparse, full size from the start
      ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(first));
      assertThat(b.getInt(0)).isEqualTo(0x4C4F5550);
      assertThat(b.get(4)).isEqualTo((byte) 11);
      assertThat(new String(b.array(), 5, 11, StandardCharsets.US_ASCII)).isEqualTo("head-chunks");
      assertThat(b.getShort(16)).isEqualTo((short) 1);
      int off = (int) (long) refs.get(1);
      assertThat(refs.get(0)).isEqualTo(HeadChunks.HEADER_BYTES); // segment 0, first entry right after the header
      assertThat(b.getLong(off)).isEqualTo(1001);
      assertThat(b.getLong(off + 8)).isEqualTo(written.get(1).minT());
      assertThat(b.getLong(off + 16)).isEqualTo(written.get(1).maxT());
      int len = b.getInt(off + 24);
      assertThat(len).isEqualTo(written.get(1).bytes().length);
      CRC32C crc = new CRC32C();
      crc.update(b.array(), off, 28 + len);
      assertThat(b.getInt(off + 28 + len)).isEqualTo((int) crc.getValue());
    }
  }

  @Test
  void aSegmentIsDeletedOnceNoChunkInItIsReferenced() throws Exception {
    Random rnd = new Random(2);
    try (HeadChunks hc = open(ChannelOpener.DEFAULT)) {
      List<Long> refs = new ArrayList<>();
      while (hc.segmentCount() < 3) {
        XorChunk c = chunk(rnd, 0, XorChunk.TARGET_SAMPLES);
        refs.add(hc.write(1, c.bytes(), c.minT(), c.maxT()));
      }
      assertThat(segmentFiles()).extracting(p -> p.getFileName().toString())
          .containsExactly("00000000", "00000001", "00000002");
      long inSecond = refs.stream().filter(r -> r >>> 32 == 1).count();
      // every chunk of segment 1 but one released: it stays
      List<Long> second = refs.stream().filter(r -> r >>> 32 == 1).toList();
      for (int i = 0; i < second.size() - 1; i++) {
        hc.release(second.get(i));
      }
      assertThat(inSecond).isGreaterThan(1);
      assertThat(segmentFiles()).hasSize(3);
      long keep = refs.stream().filter(r -> r >>> 32 == 0).findFirst().orElseThrow();
      byte[] kept = hc.read(keep);
      hc.release(second.get(second.size() - 1));
      assertThat(segmentFiles()).extracting(p -> p.getFileName().toString()).containsExactly("00000000", "00000002");
      assertThatThrownBy(() -> hc.read(second.get(0))).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("segment 1, which is gone");
      assertThat(hc.read(keep)).isEqualTo(kept); // other segments unaffected
      // the segment being written stays even when nothing references it, until the next one starts
      for (long r : refs) {
        if (r >>> 32 == 2) {
          hc.release(r);
        }
      }
      assertThat(segmentFiles()).extracting(p -> p.getFileName().toString()).containsExactly("00000000", "00000002");
      long ref = 0;
      while (ref >>> 32 < 3) {
        XorChunk c = chunk(rnd, 0, XorChunk.TARGET_SAMPLES);
        ref = hc.write(1, c.bytes(), c.minT(), c.maxT());
        if (ref >>> 32 == 2) {
          hc.release(ref); // segment 2 never holds a referenced chunk: it goes when segment 3 starts
        }
      }
      assertThat(segmentFiles()).extracting(p -> p.getFileName().toString()).containsExactly("00000000", "00000003");
    }
  }

  @Test
  void manySegmentsComeAndGoWhileOldOnesStayReadable() throws Exception {
    Random rnd = new Random(6);
    try (HeadChunks hc = open(ChannelOpener.DEFAULT)) {
      // one chunk in 200 is kept, the rest released a few writes later: 60 segments pass through the table, most
      // deleted at once, some kept alive by the chunk they still hold; then the oldest kept ones go too
      List<Long> kept = new ArrayList<>();
      List<byte[]> keptBytes = new ArrayList<>();
      java.util.ArrayDeque<Long> recent = new java.util.ArrayDeque<>();
      long ref = 0;
      for (int i = 0; ref >>> 32 < 60; i++) {
        XorChunk c = chunk(rnd, 0, XorChunk.TARGET_SAMPLES);
        ref = hc.write(i, c.bytes(), c.minT(), c.maxT());
        if (i % 200 == 100) {
          kept.add(ref);
          keptBytes.add(c.bytes());
        } else {
          recent.add(ref);
          if (recent.size() > 5) {
            hc.release(recent.poll());
          }
        }
        if (ref >>> 32 == 30 && kept.get(0) >>> 32 < 20) {
          while (kept.get(0) >>> 32 < 20) {
            hc.release(kept.remove(0));
            keptBytes.remove(0);
          }
        }
      }
      assertThat(kept.get(0) >>> 32).isGreaterThanOrEqualTo(20);
      for (int i = 0; i < kept.size(); i++) {
        assertThat(hc.read(kept.get(i))).isEqualTo(keptBytes.get(i));
      }
      java.util.Set<Long> live = new java.util.HashSet<>();
      kept.forEach(r -> live.add(r >>> 32));
      recent.forEach(r -> live.add(r >>> 32));
      live.add(ref >>> 32);
      assertThat(hc.segmentCount()).isEqualTo(live.size()).isLessThan(40);
      assertThat(segmentFiles()).extracting(p -> Long.parseLong(p.getFileName().toString()))
          .containsExactlyInAnyOrderElementsOf(live);
    }
  }

  @Test
  void aDamagedEntryFailsItsReadNamingFileAndOffset() throws Exception {
    Random rnd = new Random(3);
    try (HeadChunks hc = open(ChannelOpener.DEFAULT)) {
      XorChunk a = chunk(rnd, 0, 50);
      XorChunk b = chunk(rnd, 0, 50);
      long ra = hc.write(1, a.bytes(), a.minT(), a.maxT());
      long rb = hc.write(2, b.bytes(), b.minT(), b.maxT());
      Path f = segmentFiles().get(0);
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xA5}), (int) rb + HeadChunks.ENTRY_HEADER + 10);
      }
      assertThatThrownBy(() -> hc.read(rb)).isInstanceOf(StorageUnavailableException.class)
          .hasCauseInstanceOf(CorruptFileException.class)
          .hasMessageContaining(f + " at offset " + (int) rb).hasMessageContaining("checksum");
      assertThat(hc.read(ra)).isEqualTo(a.bytes());
    }
  }

  @Test
  void openDeletesWhatAnEarlierRunLeft() throws Exception {
    Path d = dir.resolve("shard-000");
    Files.createDirectories(d.resolve("sub"));
    Files.write(d.resolve("00000007"), "torn tail of an earlier run".getBytes(StandardCharsets.UTF_8));
    Files.write(d.resolve("sub").resolve("x"), new byte[3]);
    try (HeadChunks hc = open(ChannelOpener.DEFAULT)) {
      assertThat(segmentFiles()).isEmpty();
      XorChunk c = chunk(new Random(4), 0, 10);
      assertThat(hc.read(hc.write(1, c.bytes(), c.minT(), c.maxT()))).isEqualTo(c.bytes());
      assertThat(segmentFiles()).extracting(p -> p.getFileName().toString()).containsExactly("00000000");
    }
  }

  @Test
  void aChunkTheFileCannotTakeStaysOnTheHeapAndLaterOnesGoToTheFile() throws Exception {
    AtomicBoolean full = new AtomicBoolean(true);
    ChannelOpener opener = (f, o) -> {
      if (full.get()) {
        throw new IOException("No space left on device");
      }
      return FileChannel.open(f, o);
    };
    MemSeries heapOnly = new MemSeries(7, 0, Labels.of("__name__", "x"));
    MemSeries s = new MemSeries(7, 0, Labels.of("__name__", "x"));
    try (HeadChunks hc = open(opener)) {
      int n = 0;
      for (; n < 3 * XorChunk.TARGET_SAMPLES; n++) {
        s.append(n * 1000L, n * 1000L, 1L << 40, hc);
        heapOnly.append(n * 1000L, n * 1000L, 1L << 40, null);
      }
      assertThat(failures.count()).isEqualTo(3);
      assertThat(s.onDisk(0)).isFalse();
      full.set(false);
      for (; n < 5 * XorChunk.TARGET_SAMPLES + 7; n++) {
        s.append(n * 1000L, n * 1000L, 1L << 40, hc);
        heapOnly.append(n * 1000L, n * 1000L, 1L << 40, null);
      }
      assertThat(failures.count()).isEqualTo(3);
      assertThat(s.chunkCount()).isEqualTo(6);
      assertThat(List.of(s.onDisk(0), s.onDisk(2), s.onDisk(3), s.onDisk(4), s.onDisk(5)))
          .containsExactly(false, false, true, true, false); // the last is the open one
      assertThat(MemSeriesTest.chunks(s, hc)).isEqualTo(MemSeriesTest.chunks(heapOnly, null));
      // an out-of-order sample into a heap chunk: rebuilt, and now the file takes it
      s.append(1500, 1500, 1L << 40, hc);
      heapOnly.append(1500, 1500, 1L << 40, null);
      assertThat(s.onDisk(0)).isTrue();
      assertThat(MemSeriesTest.chunks(s, hc)).isEqualTo(MemSeriesTest.chunks(heapOnly, null));
      assertThat(s.dropBefore(4 * XorChunk.TARGET_SAMPLES * 1000L, hc)).isEqualTo(4);
      heapOnly.dropBefore(4 * XorChunk.TARGET_SAMPLES * 1000L, null);
      assertThat(MemSeriesTest.chunks(s, hc)).isEqualTo(MemSeriesTest.chunks(heapOnly, null)).hasSize(2);
    }
  }

  @Test
  void aSeriesOverTheFileReadsAsOneOnTheHeapThroughOutOfOrderRebuildsAndDrops() throws Exception {
    Random rnd = new Random(5);
    List<Long> ts = new ArrayList<>();
    for (long t = 0; t < 3000; t++) {
      ts.add(t * 10);
    }
    // mostly in order, with late samples mixed in
    for (int i = 0; i < 300; i++) {
      int a = rnd.nextInt(ts.size() - 20);
      Collections.swap(ts, a, a + 1 + rnd.nextInt(19));
    }
    MemSeries heapOnly = new MemSeries(9, 0, Labels.of("__name__", "y"));
    MemSeries s = new MemSeries(9, 0, Labels.of("__name__", "y"));
    try (HeadChunks hc = open(ChannelOpener.DEFAULT)) {
      for (long t : ts) {
        long bits = Double.doubleToRawLongBits(t);
        assertThat(s.lookup(t, bits, hc)).isEqualTo(MemSeries.ABSENT);
        s.append(t, t, 5000, hc);
        heapOnly.append(t, t, 5000, null);
        assertThat(s.lookup(t, bits, hc)).isEqualTo(MemSeries.SAME);
      }
      assertThat(s.onDisk(0)).isTrue();
      List<List<Long>> chunks = MemSeriesTest.chunks(s, hc);
      assertThat(chunks).isEqualTo(MemSeriesTest.chunks(heapOnly, null));
      assertThat(chunks.stream().mapToInt(List::size).sum()).isEqualTo(3000);
      for (List<Long> c : chunks) {
        assertThat(c.get(0) / 5000).as("chunk in one range").isEqualTo(c.get(c.size() - 1) / 5000);
      }
      assertThat(s.lookup(12_340, Double.doubleToRawLongBits(1.0), hc)).isEqualTo(MemSeries.DIFFERENT);
      assertThat(s.dropBefore(15_000, hc)).isEqualTo(heapOnly.dropBefore(15_000, null));
      assertThat(MemSeriesTest.chunks(s, hc)).isEqualTo(MemSeriesTest.chunks(heapOnly, null));
      s.dropAll(hc);
      assertThat(s.isEmpty()).isTrue();
      assertThat(hc.segmentCount()).isEqualTo(1); // every chunk released: only the segment being written is left
    }
  }
}
