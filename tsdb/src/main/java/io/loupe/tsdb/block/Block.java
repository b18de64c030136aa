package io.loupe.tsdb.block;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.Tenant;
import io.loupe.tsdb.chunkenc.XorChunk;
import io.loupe.tsdb.index.Postings;
import io.loupe.tsdb.wlog.CorruptFileException;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.roaringbitmap.IntIterator;
import org.roaringbitmap.RoaringBitmap;

/**
 * An immutable block on disk, opened for reading: meta and index are read and checked (headers and checksums) and
 * kept in memory with postings built from the index; chunk bytes are read from the chunks file on demand, and every
 * chunk's checksum is verified at open. Thread-safe.
 */
public final class Block implements Closeable {
  private final Path dir;
  private final BlockMeta meta;
  private final Labels[] labels;
  private final long[][] chunkMeta; // per series: minT, maxT, offset triples
  private final Postings postings = new Postings();
  private volatile boolean closed;
  private volatile FileChannel chunks;
  private final long sizeBytes;

  /** A selected series: labels and its chunks overlapping the range, as bytes. */
  public record SelectedSeries(Labels labels, byte[][] chunks, long[] maxTs) {}

  private Block(Path dir, BlockMeta meta, Labels[] labels, long[][] chunkMeta, FileChannel chunks) {
    this.dir = dir;
    this.meta = meta;
    this.labels = labels;
    this.chunkMeta = chunkMeta;
    this.chunks = chunks;
    long size = 0;
    for (String f : new String[] {BlockFiles.META, BlockFiles.INDEX, BlockFiles.CHUNKS}) {
      try {
        size += Files.size(dir.resolve(f));
      } catch (IOException e) {
        // only for size-based retention; a vanished file shows up as a read error elsewhere
      }
    }
    this.sizeBytes = size;
    for (int i = 0; i < labels.length; i++) {
      postings.add(i, labels[i]);
    }
  }

  /** Opens and verifies the block in {@code dir}; a {@link CorruptFileException} names the damaged file. */
  public static Block open(Path dir) throws IOException {
    BlockMeta meta = readMeta(dir.resolve(BlockFiles.META));
    Path indexFile = dir.resolve(BlockFiles.INDEX);
    byte[] index = Files.readAllBytes(indexFile);
    if (index.length < 4) {
      throw new CorruptFileException(indexFile, 0, "file of " + index.length + " bytes");
    }
    CRC32C crc = new CRC32C();
    crc.update(index, 0, index.length - 4);
    int stored = ByteBuffer.wrap(index, index.length - 4, 4).getInt();
    if ((int) crc.getValue() != stored) {
      throw new CorruptFileException(indexFile, index.length - 4, String.format(
          "checksum 0x%08x (expected: 0x%08x)", (int) crc.getValue(), stored));
    }
    Labels[] labels;
    long[][] chunkMeta;
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(index, 0, index.length - 4))) {
      BlockFiles.checkHeader(indexFile, in, BlockFiles.INDEX);
      int n = in.readInt();
      labels = new Labels[n];
      chunkMeta = new long[n][];
      for (int i = 0; i < n; i++) {
        int pairs = in.readInt();
        String[] kv = new String[2 * pairs];
        for (int k = 0; k < 2 * pairs; k++) {
          kv[k] = BlockFiles.readString(indexFile, in);
        }
        labels[i] = Labels.of(kv);
        int nc = in.readInt();
        long[] cm = new long[3 * nc];
        for (int j = 0; j < nc; j++) {
          cm[3 * j] = in.readLong();
          cm[3 * j + 1] = in.readLong();
          cm[3 * j + 2] = in.readLong();
          in.readInt(); // sample count, for stats
        }
        chunkMeta[i] = cm;
      }
    } catch (EOFException e) {
      throw new CorruptFileException(indexFile, index.length, "index cut short");
    }
    Path chunksFile = dir.resolve(BlockFiles.CHUNKS);
    verifyChunks(chunksFile);
    FileChannel ch = FileChannel.open(chunksFile, StandardOpenOption.READ);
    return new Block(dir, meta, labels, chunkMeta, ch);
  }

  private static BlockMeta readMeta(Path file) throws IOException {
    byte[] b = Files.readAllBytes(file);
    if (b.length < 4) {
      throw new CorruptFileException(file, 0, "file of " + b.length + " bytes");
    }
    CRC32C crc = new CRC32C();
    crc.update(b, 0, b.length - 4);
    int stored = ByteBuffer.wrap(b, b.length - 4, 4).getInt();
    if ((int) crc.getValue() != stored) {
      throw new CorruptFileException(file, b.length - 4, String.format(
          "checksum 0x%08x (expected: 0x%08x)", (int) crc.getValue(), stored));
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b, 0, b.length - 4))) {
      BlockFiles.checkHeader(file, in, BlockFiles.META);
      Tenant tenant = new Tenant(BlockFiles.readString(file, in));
      return new BlockMeta(tenant, in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readLong());
    } catch (EOFException | IllegalArgumentException e) {
      throw new CorruptFileException(file, -1, "undecodable meta: " + e.getMessage());
    }
  }

  private static void verifyChunks(Path file) throws IOException {
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        DataInputStream in = new DataInputStream(raw)) {
      BlockFiles.checkHeader(file, in, BlockFiles.CHUNKS);
      long pos = BlockFiles.headerLength(BlockFiles.CHUNKS);
      long size = Files.size(file);
      CRC32C crc = new CRC32C();
      while (pos < size) {
        if (size - pos < 8) {
          throw new CorruptFileException(file, pos, "chunk entry cut short");
        }
        int len = in.readInt();
        if (len < 3 || pos + 8 + len > size) {
          throw new CorruptFileException(file, pos, "chunk length " + len + " (expected: 3 to " + (size - pos - 8) + ")");
        }
        byte[] b = in.readNBytes(len);
        int stored = in.readInt();
        crc.reset();
        crc.update(b);
        if ((int) crc.getValue() != stored) {
          throw new CorruptFileException(file, pos, String.format("chunk checksum 0x%08x (expected: 0x%08x)",
              (int) crc.getValue(), stored));
        }
        pos += 8 + len;
      }
    }
  }

  public Path dir() {
    return dir;
  }

  public BlockMeta meta() {
    return meta;
  }

  /** Series in the block, in label order. */
  public int numSeries() {
    return labels.length;
  }

  /** Labels of the series at {@code i} (0 to {@link #numSeries()} - 1), in label order. */
  public Labels labels(int i) {
    return labels[i];
  }

  /** All chunks of the series at {@code i}, in time order, read from disk (for compaction). */
  public List<XorChunk> chunks(int i) throws IOException {
    long[] cm = chunkMeta[i];
    List<XorChunk> out = new ArrayList<>(cm.length / 3);
    for (int j = 0; j < cm.length / 3; j++) {
      byte[] b = readChunk(cm[3 * j + 2]);
      try {
        out.add(XorChunk.frozenOf(b));
      } catch (IllegalArgumentException e) {
        throw new CorruptFileException(dir.resolve(BlockFiles.CHUNKS), cm[3 * j + 2], "chunk: " + e.getMessage());
      }
    }
    return out;
  }

  /** Bytes of the block's files on disk, as of open. */
  public long sizeBytes() {
    return sizeBytes;
  }

  public boolean overlaps(long lo, long hi) {
    return meta.minT() <= hi && meta.maxT() > lo;
  }

  /** Series matching {@code matchers} with chunks overlapping {@code [lo, hi]}; chunk bytes only when wanted. */
  public List<SelectedSeries> select(List<Matcher> matchers, long lo, long hi, boolean withChunks) throws IOException {
    List<SelectedSeries> out = new ArrayList<>();
    RoaringBitmap refs = postings.select(matchers);
    IntIterator it = refs.getIntIterator();
    while (it.hasNext()) {
      int r = it.next();
      long[] cm = chunkMeta[r];
      int from = -1;
      int to = -1;
      for (int j = 0; j < cm.length / 3; j++) {
        if (cm[3 * j + 1] >= lo && cm[3 * j] <= hi) {
          if (from < 0) {
            from = j;
          }
          to = j + 1;
        }
      }
      if (from < 0) {
        continue;
      }
      if (!withChunks) {
        out.add(new SelectedSeries(labels[r], new byte[0][], new long[0]));
        continue;
      }
      byte[][] bytes = new byte[to - from][];
      long[] maxTs = new long[to - from];
      for (int j = from; j < to; j++) {
        bytes[j - from] = readChunk(cm[3 * j + 2]);
        maxTs[j - from] = cm[3 * j + 1];
      }
      out.add(new SelectedSeries(labels[r], bytes, maxTs));
    }
    return out;
  }

  private byte[] readChunk(long offset) throws IOException {
    // A query thread interrupted inside FileChannel I/O would close the channel for every reader: clear the interrupt
    // around the read, and reopen a channel that another thread's interrupt closed.
    boolean interrupted = Thread.interrupted();
    try {
      for (int attempt = 0; ; attempt++) {
        FileChannel ch = chunks;
        try {
          ByteBuffer len = ByteBuffer.allocate(4);
          readFully(ch, len, offset);
          ByteBuffer b = ByteBuffer.allocate(len.getInt(0));
          readFully(ch, b, offset + 4);
          return b.array();
        } catch (java.nio.channels.ClosedChannelException e) {
          interrupted |= Thread.interrupted();
          if (closed || attempt >= 3) {
            throw e;
          }
          reopen(ch);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private synchronized void reopen(FileChannel dead) throws IOException {
    if (chunks == dead && !dead.isOpen() && !closed) {
      chunks = FileChannel.open(dir.resolve(BlockFiles.CHUNKS), StandardOpenOption.READ);
    }
  }

  private void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
    while (b.hasRemaining()) {
      int n = ch.read(b, pos + b.position());
      if (n < 0) {
        throw new CorruptFileException(dir.resolve(BlockFiles.CHUNKS), pos, "unexpected end of file");
      }
    }
  }

  @Override
  public synchronized void close() throws IOException {
    closed = true;
    chunks.close();
  }
}
