package io.loupe.tsdb.block;

import io.loupe.model.Labels;
import io.loupe.model.Tenant;
import io.loupe.tsdb.chunkenc.XorChunk;
import io.loupe.tsdb.wlog.ChannelOpener;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * Writes a block directory (docs/format/block.md): files go to {@code <name>.tmp}, are fsynced, and the directory is
 * renamed into place, so a block exists whole or not at all. A failed write deletes its {@code .tmp} directory.
 */
public final class BlockWriter {
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
    List<long[]> metas = new ArrayList<>(); // per series: minT, maxT, offset, count per chunk
    long numChunks = 0;
    long numSamples = 0;
    // chunks: header, then per chunk u32 length, bytes, u32 crc32c(bytes)
    current[0] = tmp.resolve(BlockFiles.CHUNKS);
    try (FileChannel ch = create(opener, current[0])) {
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(stream(ch), 1 << 16));
      BlockFiles.writeHeader(out, BlockFiles.CHUNKS);
      long pos = BlockFiles.headerLength(BlockFiles.CHUNKS);
      CRC32C crc = new CRC32C();
      for (SeriesChunks sc : series) {
        List<XorChunk> cs = sc.chunks();
        long[] m = new long[4 * cs.size()];
        for (int j = 0; j < cs.size(); j++) {
          XorChunk c = cs.get(j);
          byte[] b = c.bytes();
          m[4 * j] = c.minT();
          m[4 * j + 1] = c.maxT();
          m[4 * j + 2] = pos;
          m[4 * j + 3] = c.count();
          out.writeInt(b.length);
          out.write(b);
          crc.reset();
          crc.update(b);
          out.writeInt((int) crc.getValue());
          pos += 8 + b.length;
          numSamples += c.count();
        }
        numChunks += cs.size();
        labels.add(sc.labels());
        metas.add(m);
      }
      out.flush();
      ch.force(true);
    }
    // index: header, u32 series count, per series labels and chunk metas, then u32 crc32c of all bytes before it
    current[0] = tmp.resolve(BlockFiles.INDEX);
    try (FileChannel ch = create(opener, current[0])) {
      CheckedOutputStream checked = new CheckedOutputStream(new BufferedOutputStream(stream(ch), 1 << 16),
          new CRC32C());
      DataOutputStream out = new DataOutputStream(checked);
      BlockFiles.writeHeader(out, BlockFiles.INDEX);
      out.writeInt(labels.size());
      for (int i = 0; i < labels.size(); i++) {
        Labels l = labels.get(i);
        out.writeInt(l.size());
        for (int k = 0; k < l.size(); k++) {
          BlockFiles.writeString(out, l.name(k));
          BlockFiles.writeString(out, l.value(k));
        }
        long[] m = metas.get(i);
        out.writeInt(m.length / 4);
        for (int j = 0; j < m.length / 4; j++) {
          out.writeLong(m[4 * j]);
          out.writeLong(m[4 * j + 1]);
          out.writeLong(m[4 * j + 2]);
          out.writeInt((int) m[4 * j + 3]);
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
