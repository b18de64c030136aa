package io.loupe.tsdb.block;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.Tenant;
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
import java.nio.charset.StandardCharsets;
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
  private static final int META = 4;
  private final long[][] chunkMeta; // per series and chunk: minT, maxT, offset of the chunk's bytes, length (-1: v1)
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
    Path chunksFile = dir.resolve(BlockFiles.CHUNKS);
    int version;
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(index, 0, index.length - 4))) {
      version = BlockFiles.checkHeader(indexFile, in, BlockFiles.INDEX);
      if (version == 1) {
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
          long[] cm = new long[META * nc];
          for (int j = 0; j < nc; j++) {
            cm[META * j] = in.readLong();
            cm[META * j + 1] = in.readLong();
            cm[META * j + 2] = in.readLong() + 4; // the chunk follows its u32 length
            cm[META * j + 3] = -1; // length read from the chunks file
            in.readInt(); // sample count, for stats
          }
          chunkMeta[i] = cm;
        }
      } else {
        int ns = BlockFiles.readCount(indexFile, in, "symbol count", index.length);
        String[] symbols = new String[ns];
        for (int k = 0; k < ns; k++) {
          int len = BlockFiles.readCount(indexFile, in, "symbol length", index.length);
          symbols[k] = new String(in.readNBytes(len), StandardCharsets.UTF_8);
        }
        int n = BlockFiles.readCount(indexFile, in, "series count", index.length);
        labels = new Labels[n];
        chunkMeta = new long[n][];
        long offset = BlockFiles.headerLength(BlockFiles.CHUNKS);
        for (int i = 0; i < n; i++) {
          int pairs = BlockFiles.readCount(indexFile, in, "label count", index.length);
          String[] kv = new String[2 * pairs];
          for (int k = 0; k < 2 * pairs; k++) {
            kv[k] = symbols[BlockFiles.readCount(indexFile, in, "symbol reference", ns - 1)];
          }
          labels[i] = Labels.of(kv);
          int nc = BlockFiles.readCount(indexFile, in, "chunk count", index.length);
          long[] cm = new long[META * nc];
          long prevEnd = meta.minT();
          for (int j = 0; j < nc; j++) {
            long minT = prevEnd + BlockFiles.readVarint(in);
            long maxT = minT + BlockFiles.readUvarint(in);
            int len = BlockFiles.readCount(indexFile, in, "chunk length", Integer.MAX_VALUE - 16);
            BlockFiles.readUvarint(in); // sample count, for stats
            cm[META * j] = minT;
            cm[META * j + 1] = maxT;
            cm[META * j + 2] = offset + BlockFiles.uvarintLength(len);
            cm[META * j + 3] = len;
            offset += BlockFiles.uvarintLength(len) + len + 4;
            prevEnd = maxT;
          }
          chunkMeta[i] = cm;
        }
      }
    } catch (EOFException | IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
      throw new CorruptFileException(indexFile, index.length, "undecodable index: " + e.getMessage());
    }
    verifyChunks(chunksFile, version, chunkMeta);
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

  /**
   * Reads the chunks file once, checking its header (the same version as the index), every entry's checksum, and
   * for version 2 that the entries sit where the index says they do.
   */
  private static void verifyChunks(Path file, int indexVersion, long[][] chunkMeta) throws IOException {
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        DataInputStream in = new DataInputStream(raw)) {
      int version = BlockFiles.checkHeader(file, in, BlockFiles.CHUNKS);
      if (version != indexVersion) {
        throw new CorruptFileException(file, 0, "version " + version + " (expected: " + indexVersion
            + ", the index's)");
      }
      long pos = BlockFiles.headerLength(BlockFiles.CHUNKS);
      long size = Files.size(file);
      CRC32C crc = new CRC32C();
      int series = 0;
      int chunk = 0;
      while (pos < size) {
        int len;
        int lenBytes;
        if (version == 1) {
          if (size - pos < 8) {
            throw new CorruptFileException(file, pos, "chunk entry cut short");
          }
          len = in.readInt();
          lenBytes = 4;
        } else {
          long l = BlockFiles.readUvarint(in);
          lenBytes = BlockFiles.uvarintLength(l);
          len = l > Integer.MAX_VALUE ? -1 : (int) l;
          while (series < chunkMeta.length && chunk * META >= chunkMeta[series].length) {
            series++;
            chunk = 0;
          }
          if (series >= chunkMeta.length || chunkMeta[series][META * chunk + 2] != pos + lenBytes
              || chunkMeta[series][META * chunk + 3] != len) {
            throw new CorruptFileException(file, pos, "chunk of " + len + " bytes that the index does not list here");
          }
          chunk++;
        }
        if (len < 3 || pos + lenBytes + 4 + len > size) {
          throw new CorruptFileException(file, pos, "chunk length " + len + " (expected: 3 to "
              + (size - pos - lenBytes - 4) + ")");
        }
        byte[] b = in.readNBytes(len);
        int stored = in.readInt();
        crc.reset();
        crc.update(b);
        if ((int) crc.getValue() != stored) {
          throw new CorruptFileException(file, pos, String.format("chunk checksum 0x%08x (expected: 0x%08x)",
              (int) crc.getValue(), stored));
        }
        pos += lenBytes + len + 4;
      }
      if (version >= 2) {
        while (series < chunkMeta.length && chunk * META >= chunkMeta[series].length) {
          series++;
          chunk = 0;
        }
        if (series < chunkMeta.length) {
          throw new CorruptFileException(file, size, "file ends before the chunks the index lists");
        }
      }
    } catch (EOFException e) {
      throw new CorruptFileException(file, -1, "chunks file cut short");
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

  /** All chunks of the series at {@code i} (encoded, any encoding), in time order, read from disk (for compaction). */
  public List<byte[]> chunkBytes(int i) throws IOException {
    long[] cm = chunkMeta[i];
    List<byte[]> out = new ArrayList<>(cm.length / META);
    for (int j = 0; j < cm.length / META; j++) {
      out.add(readChunk(cm, j));
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
      for (int j = 0; j < cm.length / META; j++) {
        if (cm[META * j + 1] >= lo && cm[META * j] <= hi) {
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
        bytes[j - from] = readChunk(cm, j);
        maxTs[j - from] = cm[META * j + 1];
      }
      out.add(new SelectedSeries(labels[r], bytes, maxTs));
    }
    return out;
  }

  private byte[] readChunk(long[] cm, int j) throws IOException {
    long offset = cm[META * j + 2];
    int known = (int) cm[META * j + 3];
    // A query thread interrupted inside FileChannel I/O would close the channel for every reader: clear the interrupt
    // around the read, and reopen a channel that another thread's interrupt closed.
    boolean interrupted = Thread.interrupted();
    try {
      for (int attempt = 0; ; attempt++) {
        FileChannel ch = chunks;
        try {
          int length = known;
          if (length < 0) { // version 1: the length precedes the chunk
            ByteBuffer len = ByteBuffer.allocate(4);
            readFully(ch, len, offset - 4);
            length = len.getInt(0);
          }
          ByteBuffer b = ByteBuffer.allocate(length);
          readFully(ch, b, offset);
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
