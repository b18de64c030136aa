package io.loupe.tsdb.block;

import io.loupe.model.Labels;
import io.loupe.model.Tenant;
import io.loupe.tsdb.chunkenc.ChunkEncoder;
import io.loupe.tsdb.chunkenc.ChunkIterator;
import io.loupe.tsdb.wlog.ChannelOpener;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * Writes a block directory (docs/format/block.md): files go to {@code <name>.tmp}, are fsynced, and the directory is
 * renamed into place, so a block exists whole or not at all. A failed write deletes its {@code .tmp} directory.
 */
public final class BlockWriter {
  /**
   * Samples per block chunk at most (2 h of 15 s scrapes). Larger chunks shrink blocks little more (node-exporter-like
   * series, ChunkFiguresMain: 0.98 bytes per sample at 240, 0.90 at 480, 0.87 at 960) while a lookup inside a chunk
   * decodes on average half of it.
   */
  public static final int MAX_CHUNK_SAMPLES = 480;

  private BlockWriter() {}

  /**
   * Writes {@code series} (sorted by labels, each with chunks inside the range) as a block under {@code tenantDir}.
   * Returns the block's directory.
   */
  public static Path write(Path tenantDir, BlockMeta meta, List<SeriesChunks> series) throws IOException {
    return write(tenantDir, meta.tenant(), meta.minT(), meta.maxT(), series, ChannelOpener.DEFAULT);
  }

  /**
   * Writes the series {@code series} yields (sorted by labels, each with chunks inside {@code [minT, maxT)}), consuming
   * it once: chunk bytes go to disk as they come and only labels and chunk positions are kept for the index, so a
   * compaction of large blocks does not hold their chunks in memory. Returns the block's directory.
   */
  public static Path write(Path tenantDir, Tenant tenant, long minT, long maxT, Iterable<SeriesChunks> series,
      ChannelOpener opener) throws IOException {
    Files.createDirectories(tenantDir);
    String name = minT + "-" + maxT + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    Path tmp = tenantDir.resolve(name + ".tmp");
    Files.createDirectories(tmp);
    Path[] current = new Path[1];
    try {
      writeFiles(tmp, tenant, minT, maxT, series, opener, current);
    } catch (IOException | RuntimeException e) {
      IOException named = e instanceof IOException io && current[0] != null
          ? new IOException("writing block file " + current[0] + ": " + e.getMessage(), e) : null;
      try {
        deleteTree(tmp);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed); // deleted at the next open
      }
      if (named != null) {
        throw named;
      }
      throw e;
    }
    Path dir = tenantDir.resolve(name);
    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    syncDir(tenantDir);
    return dir;
  }

  private static void writeFiles(Path tmp, Tenant tenant, long minT, long maxT, Iterable<SeriesChunks> series,
      ChannelOpener opener, Path[] current) throws IOException {
    List<Labels> labels = new ArrayList<>();
    List<long[]> metas = new ArrayList<>(); // per series: minT, maxT, length, count per chunk
    long numChunks = 0;
    long numSamples = 0;
    Rechunker rechunker = new Rechunker();
    // chunks: header, then per chunk uvarint length, bytes, u32 crc32c(bytes)
    current[0] = tmp.resolve(BlockFiles.CHUNKS);
    try (FileChannel ch = create(opener, current[0])) {
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(stream(ch), 1 << 16));
      BlockFiles.writeHeader(out, BlockFiles.CHUNKS);
      CRC32C crc = new CRC32C();
      for (SeriesChunks sc : series) {
        List<byte[]> cs = rechunker.rechunk(sc);
        if (cs.isEmpty()) {
          continue;
        }
        long[] m = new long[4 * cs.size()];
        for (int j = 0; j < cs.size(); j++) {
          byte[] b = cs.get(j);
          m[4 * j] = rechunker.minTs[j];
          m[4 * j + 1] = rechunker.maxTs[j];
          m[4 * j + 2] = b.length;
          m[4 * j + 3] = ChunkIterator.count(b);
          BlockFiles.writeUvarint(out, b.length);
          out.write(b);
          crc.reset();
          crc.update(b);
          out.writeInt((int) crc.getValue());
          numSamples += m[4 * j + 3];
          if (m[4 * j] < minT || m[4 * j + 1] >= maxT) {
            throw new IllegalArgumentException("series " + sc.labels() + ": chunk [" + m[4 * j] + ", " + m[4 * j + 1]
                + "] (expected: inside the block's [" + minT + ", " + maxT + "))");
          }
        }
        numChunks += cs.size();
        labels.add(sc.labels());
        metas.add(m);
      }
      out.flush();
      ch.force(true);
    }
    // index: header, symbol table, series (label refs and chunk metas), u32 crc32c of all bytes before it
    current[0] = tmp.resolve(BlockFiles.INDEX);
    try (FileChannel ch = create(opener, current[0])) {
      CheckedOutputStream checked = new CheckedOutputStream(new BufferedOutputStream(stream(ch), 1 << 16),
          new CRC32C());
      DataOutputStream out = new DataOutputStream(checked);
      BlockFiles.writeHeader(out, BlockFiles.INDEX);
      TreeSet<String> symbolSet = new TreeSet<>();
      for (Labels l : labels) {
        for (int k = 0; k < l.size(); k++) {
          symbolSet.add(l.name(k));
          symbolSet.add(l.value(k));
        }
      }
      HashMap<String, Integer> refs = new HashMap<>();
      BlockFiles.writeUvarint(out, symbolSet.size());
      for (String sym : symbolSet) {
        refs.put(sym, refs.size());
        byte[] b = sym.getBytes(StandardCharsets.UTF_8);
        BlockFiles.writeUvarint(out, b.length);
        out.write(b);
      }
      BlockFiles.writeUvarint(out, labels.size());
      for (int i = 0; i < labels.size(); i++) {
        Labels l = labels.get(i);
        BlockFiles.writeUvarint(out, l.size());
        for (int k = 0; k < l.size(); k++) {
          BlockFiles.writeUvarint(out, refs.get(l.name(k)));
          BlockFiles.writeUvarint(out, refs.get(l.value(k)));
        }
        long[] m = metas.get(i);
        BlockFiles.writeUvarint(out, m.length / 4);
        long prevEnd = minT;
        for (int j = 0; j < m.length / 4; j++) {
          BlockFiles.writeVarint(out, m[4 * j] - prevEnd);
          BlockFiles.writeUvarint(out, m[4 * j + 1] - m[4 * j]);
          BlockFiles.writeUvarint(out, m[4 * j + 2]);
          BlockFiles.writeUvarint(out, m[4 * j + 3]);
          prevEnd = m[4 * j + 1];
        }
      }
      out.flush();
      int sum = (int) checked.getChecksum().getValue();
      out.writeInt(sum);
      out.flush();
      ch.force(true);
    }
    // meta: header, tenant, minT, maxT, counts, u32 crc32c of all bytes before it
    current[0] = tmp.resolve(BlockFiles.META);
    try (FileChannel ch = create(opener, current[0])) {
      CheckedOutputStream checked = new CheckedOutputStream(new BufferedOutputStream(stream(ch)), new CRC32C());
      DataOutputStream out = new DataOutputStream(checked);
      BlockFiles.writeHeader(out, BlockFiles.META);
      BlockFiles.writeString(out, tenant.id());
      out.writeLong(minT);
      out.writeLong(maxT);
      out.writeLong(labels.size());
      out.writeLong(numChunks);
      out.writeLong(numSamples);
      out.flush();
      out.writeInt((int) checked.getChecksum().getValue());
      out.flush();
      ch.force(true);
    }
  }

  /**
   * Decodes a series' chunks (any encoding) and cuts its samples into chunks of at most {@link #MAX_CHUNK_SAMPLES},
   * balanced (n samples become ceil(n / max) chunks of equal size), each encoded by {@link ChunkEncoder}. Reuses its
   * buffers across series.
   */
  static final class Rechunker {
    private final ChunkEncoder encoder = new ChunkEncoder();
    private final ChunkIterator it = new ChunkIterator();
    private long[] ts = new long[MAX_CHUNK_SAMPLES];
    private long[] vb = new long[MAX_CHUNK_SAMPLES];
    long[] minTs = new long[8];
    long[] maxTs = new long[8];

    List<byte[]> rechunk(SeriesChunks sc) {
      long total = 0;
      for (byte[] c : sc.chunks()) {
        total += ChunkIterator.count(c);
      }
      if (total == 0) {
        return List.of();
      }
      int k = (int) ((total + MAX_CHUNK_SAMPLES - 1) / MAX_CHUNK_SAMPLES);
      if (minTs.length < k) {
        minTs = new long[Math.max(k, 2 * minTs.length)];
        maxTs = new long[minTs.length];
      }
      List<byte[]> out = new ArrayList<>(k);
      List<byte[]> src = sc.chunks();
      int ci = 0;
      it.reset(src.get(0));
      long prev = Long.MIN_VALUE;
      boolean first = true;
      for (int c = 0; c < k; c++) {
        int want = (int) (total * (c + 1) / k - total * c / k);
        for (int i = 0; i < want; i++) {
          while (!it.next()) {
            it.reset(src.get(++ci)); // counts add up to total, so there is a next chunk
          }
          long t = it.timestamp();
          if (!first && t <= prev) {
            throw new IllegalArgumentException("series " + sc.labels() + ": timestamp " + t + " after " + prev
                + " (expected: chunks in time order, not overlapping)");
          }
          first = false;
          prev = t;
          ts[i] = t;
          vb[i] = it.valueBits();
        }
        minTs[c] = ts[0];
        maxTs[c] = ts[want - 1];
        out.add(encoder.encode(ts, vb, 0, want));
      }
      return out;
    }
  }
  private static FileChannel create(ChannelOpener opener, Path f) throws IOException {
    return opener.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  }

  // Not Channels.newOutputStream's close: the try-with-resources closes the channel itself.
  private static OutputStream stream(FileChannel ch) {
    return Channels.newOutputStream(ch);
  }

  static void syncDir(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // some file systems cannot fsync a directory; the files themselves are durable
    }
  }

  /** Deletes a directory and everything in it. */
  public static void deleteTree(Path d) throws IOException {
    if (!Files.exists(d)) {
      return;
    }
    try (Stream<Path> s = Files.walk(d)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
