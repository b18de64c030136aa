package io.loupe.tsdb.block;

import io.loupe.model.Labels;
import io.loupe.tsdb.chunkenc.XorChunk;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * Writes a block directory (docs/format/block.md): files go to {@code <name>.tmp}, are fsynced, and the directory is
 * renamed into place, so a block either exists whole or not at all.
 */
public final class BlockWriter {
  private BlockWriter() {}

  /**
   * Writes {@code series} (sorted by labels, each with chunks inside the range) as a block under {@code tenantDir}.
   * Returns the block's directory.
   */
  public static Path write(Path tenantDir, BlockMeta meta, List<SeriesChunks> series) throws IOException {
    Files.createDirectories(tenantDir);
    String name = meta.minT() + "-" + meta.maxT() + "-"
        + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    Path tmp = tenantDir.resolve(name + ".tmp");
    Files.createDirectories(tmp);
    long[][] offsets = new long[series.size()][];
    // chunks: header, then per chunk u32 length, bytes, u32 crc32c(bytes)
    try (FileOutputStream fos = new FileOutputStream(tmp.resolve(BlockFiles.CHUNKS).toFile());
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(fos, 1 << 16))) {
      BlockFiles.writeHeader(out, BlockFiles.CHUNKS);
      long pos = BlockFiles.headerLength(BlockFiles.CHUNKS);
      CRC32C crc = new CRC32C();
      for (int i = 0; i < series.size(); i++) {
        List<XorChunk> cs = series.get(i).chunks();
        offsets[i] = new long[cs.size()];
        for (int j = 0; j < cs.size(); j++) {
          byte[] b = cs.get(j).bytes();
          offsets[i][j] = pos;
          out.writeInt(b.length);
          out.write(b);
          crc.reset();
          crc.update(b);
          out.writeInt((int) crc.getValue());
          pos += 8 + b.length;
        }
      }
      out.flush();
      fos.getChannel().force(true);
    }
    // index: header, u32 series count, per series labels and chunk metas, then u32 crc32c of all bytes before it
    try (FileOutputStream fos = new FileOutputStream(tmp.resolve(BlockFiles.INDEX).toFile())) {
      CheckedOutputStream checked = new CheckedOutputStream(new BufferedOutputStream(fos, 1 << 16), new CRC32C());
      DataOutputStream out = new DataOutputStream(checked);
      BlockFiles.writeHeader(out, BlockFiles.INDEX);
      out.writeInt(series.size());
      for (int i = 0; i < series.size(); i++) {
        Labels l = series.get(i).labels();
        out.writeInt(l.size());
        for (int k = 0; k < l.size(); k++) {
          BlockFiles.writeString(out, l.name(k));
          BlockFiles.writeString(out, l.value(k));
        }
        List<XorChunk> cs = series.get(i).chunks();
        out.writeInt(cs.size());
        for (int j = 0; j < cs.size(); j++) {
          out.writeLong(cs.get(j).minT());
          out.writeLong(cs.get(j).maxT());
          out.writeLong(offsets[i][j]);
          out.writeInt(cs.get(j).count());
        }
      }
      out.flush();
      int sum = (int) checked.getChecksum().getValue();
      out.writeInt(sum);
      out.flush();
      fos.getChannel().force(true);
    }
    // meta: header, tenant, minT, maxT, counts, u32 crc32c of all bytes before it
    try (FileOutputStream fos = new FileOutputStream(tmp.resolve(BlockFiles.META).toFile())) {
      CheckedOutputStream checked = new CheckedOutputStream(new BufferedOutputStream(fos), new CRC32C());
      DataOutputStream out = new DataOutputStream(checked);
      BlockFiles.writeHeader(out, BlockFiles.META);
      BlockFiles.writeString(out, meta.tenant().id());
      out.writeLong(meta.minT());
      out.writeLong(meta.maxT());
      out.writeLong(meta.numSeries());
      out.writeLong(meta.numChunks());
      out.writeLong(meta.numSamples());
      out.flush();
      out.writeInt((int) checked.getChecksum().getValue());
      out.flush();
      fos.getChannel().force(true);
    }
    Path dir = tenantDir.resolve(name);
    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    try (FileChannel d = FileChannel.open(tenantDir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // some file systems cannot fsync a directory; the files themselves are durable
    }
    return dir;
  }
}
