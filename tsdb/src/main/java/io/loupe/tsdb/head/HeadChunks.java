package io.loupe.tsdb.head;

import io.loupe.model.StorageUnavailableException;
import io.loupe.tsdb.wlog.ChannelOpener;
import io.loupe.tsdb.wlog.CorruptFileException;
import io.micrometer.core.instrument.Counter;
import java.io.Closeable;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The frozen chunks of one head shard, off the heap: written to append-only segment files in
 * {@code chunks_head/shard-NNN/} and read back through a memory map, so the page cache holds their bytes and a series
 * keeps only its max time and a {@code long} reference per chunk (docs/format/head-chunks.md). Prometheus's
 * {@code chunks_head} does the same; before this, ~670 B of XOR bytes per series and hour sat on our heap.
 *
 * <p>The WAL stays the source of truth: {@link #open} deletes whatever an earlier run left in the directory, and WAL
 * replay writes the chunks again, so a torn tail or a file from another version can never be read.
 *
 * <p>A reference is {@code segment << 32 | offset of the entry}. Segments are deleted (and unmapped) once no series
 * references a chunk in them. Every read and every release happens under the shard's lock, which is what makes the
 * explicit unmap safe: no reader can touch a mapping after the lock holder released its last chunk. Not thread-safe
 * otherwise.
 */
final class HeadChunks implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(HeadChunks.class);

  static final int MAGIC = 0x4C4F5550; // "LOUP"
  static final String FORMAT = "head-chunks";
  static final int VERSION = 1;
  static final int HEADER_BYTES = 4 + 1 + FORMAT.length() + 2;
  /** Series id, minT, maxT, chunk length; then the chunk; then the CRC32C of all of it. */
  static final int ENTRY_HEADER = 8 + 8 + 8 + 4;
  static final int ENTRY_OVERHEAD = ENTRY_HEADER + 4;
  static final long MIN_SEGMENT_SIZE = 64 << 10;
  static final long MAX_SEGMENT_SIZE = 1L << 30;

  private final Path dir;
  private final int segmentSize;
  private final ChannelOpener opener;
  private final Counter writeFailures;
  private Segment[] segments = new Segment[8]; // by sequence number - base; null once deleted
  private int base;
  private int nextSeq;
  private Segment current; // being appended to; null before the first write and after a failure closed it
  private final CRC32C crc = new CRC32C();
  private ByteBuffer scratch = ByteBuffer.allocate(1024);
  private long failures;
  private long mappedBytes; // size of the live segments' maps
  private long writtenBytes; // entry bytes in live segments

  /** One segment file: its map (read), its channel (written while current), the chunks that still point into it. */
  private static final class Segment {
    final int seq;
    final Path file;
    FileChannel channel; // null once sealed
    final MappedByteBuffer map;
    int end; // next write offset
    int live;

    Segment(int seq, Path file, FileChannel channel, MappedByteBuffer map) {
      this.seq = seq;
      this.file = file;
      this.channel = channel;
      this.map = map;
      this.end = HEADER_BYTES;
    }
  }

  private HeadChunks(Path dir, int segmentSize, ChannelOpener opener, Counter writeFailures) {
    this.dir = dir;
    this.segmentSize = segmentSize;
    this.opener = opener;
    this.writeFailures = writeFailures;
  }

  /**
   * Empties (or creates) {@code dir} and returns a writer for it. Files left by an earlier run are deleted, not read:
   * replay rebuilds them from the WAL.
   */
  static HeadChunks open(Path dir, long segmentSize, ChannelOpener opener, Counter writeFailures) throws IOException {
    if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
      throw new IllegalArgumentException("head chunks segment size: " + segmentSize + " (expected: "
          + MIN_SEGMENT_SIZE + " to " + MAX_SEGMENT_SIZE + ")");
    }
    if (Files.isDirectory(dir)) {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          if (!p.equals(dir)) {
            Files.delete(p);
          }
        }
      }
    }
    Files.createDirectories(dir);
    return new HeadChunks(dir, (int) segmentSize, opener, writeFailures);
  }

  static String segmentName(int seq) {
    return String.format("%08d", seq);
  }

  /**
   * Writes a frozen chunk of series {@code seriesId}; returns its reference, or -1 if it could not be written (disk
   * full, an I/O error, a chunk larger than a segment): the caller then keeps the chunk on the heap.
   */
  long write(long seriesId, byte[] chunk, long minT, long maxT) {
    int need = ENTRY_OVERHEAD + chunk.length;
    if (need > segmentSize - HEADER_BYTES) {
      failed(null, "chunk of " + chunk.length + " bytes does not fit a segment of " + segmentSize + " bytes");
      return -1;
    }
    boolean interrupted = Thread.interrupted(); // an interrupt inside FileChannel I/O would close the channel
    try {
      if (current == null || current.end + need > segmentSize) {
        roll();
      }
      ByteBuffer b = entry(seriesId, chunk, minT, maxT);
      Segment s = current;
      long pos = s.end;
      while (b.hasRemaining()) {
        pos += s.channel.write(b, pos);
      }
      int off = s.end;
      s.end += need;
      s.live++;
      writtenBytes += need;
      return ((long) s.seq << 32) | off;
    } catch (IOException | RuntimeException e) {
      // A torn entry stays behind s.end and is overwritten by the next write; a closed channel seals the segment.
      if (current != null && (current.channel == null || !current.channel.isOpen())) {
        seal(current);
        current = null;
      }
      failed(e, e.toString());
      return -1;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void failed(Exception e, String why) {
    writeFailures.increment();
    if (failures++ % 10_000 == 0) { // disk full fails every chunk cut: log the first and then every 10,000th
      log.warn("could not write a head chunk to {} ({} failures so far); it stays on the heap: {}", dir, failures,
          why);
    }
  }

  private ByteBuffer entry(long seriesId, byte[] chunk, long minT, long maxT) {
    int need = ENTRY_OVERHEAD + chunk.length;
    if (scratch.capacity() < need) {
      scratch = ByteBuffer.allocate(Math.max(need, scratch.capacity() * 2));
    }
    ByteBuffer b = scratch.clear();
    b.putLong(seriesId).putLong(minT).putLong(maxT).putInt(chunk.length).put(chunk);
    crc.reset();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue());
    return b.flip();
  }

  /** Seals the current segment and starts the next one. */
  private void roll() throws IOException {
    if (current != null) {
      Segment old = current;
      current = null;
      seal(old);
      if (old.live == 0) {
        delete(old);
      }
    }
    int seq = nextSeq;
    Path file = dir.resolve(segmentName(seq));
    FileChannel ch = opener.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    MappedByteBuffer map;
    try {
      ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES);
      h.putInt(MAGIC).put((byte) FORMAT.length()).put(FORMAT.getBytes(StandardCharsets.US_ASCII))
          .putShort((short) VERSION).flip();
      while (h.hasRemaining()) {
        ch.write(h, h.position());
      }
      // The file is extended to its full size at once (sparse: no blocks are allocated), so that one read-only map
      // covers every chunk the segment will hold; writes go through the channel, where a full disk is an IOException
      // and not a SIGBUS.
      ch.write(ByteBuffer.allocate(1), segmentSize - 1);
      map = ch.map(FileChannel.MapMode.READ_ONLY, 0, segmentSize);
    } catch (IOException | RuntimeException e) {
      ch.close();
      Files.deleteIfExists(file);
      throw e;
    }
    Segment s = new Segment(seq, file, ch, map);
    if (seq - base >= segments.length) {
      compact();
    }
    segments[seq - base] = s;
    nextSeq++;
    current = s;
    mappedBytes += segmentSize;
  }

  /** Drops deleted segments from the front of the table, and doubles it if it is still more than half full. */
  private void compact() {
    int first = 0;
    while (first < nextSeq - base && segments[first] == null) {
      first++;
    }
    int n = nextSeq - base - first; // slots from the oldest live segment to the newest
    Segment[] next = new Segment[Math.max(8, Integer.highestOneBit(n + 1) * 2)];
    System.arraycopy(segments, first, next, 0, n);
    segments = next;
    base += first;
  }

  private static void seal(Segment s) {
    if (s.channel != null) {
      try {
        s.channel.close(); // the map stays valid
      } catch (IOException e) {
        log.warn("closing head chunk segment {}: {}", s.file, e.toString());
      }
      s.channel = null;
    }
  }

  private Segment segment(long ref, String what) {
    int seq = (int) (ref >>> 32);
    Segment s = seq >= base && seq < nextSeq ? segments[seq - base] : null;
    if (s == null) {
      throw new IllegalStateException(what + ": head chunk reference " + Long.toHexString(ref)
          + " points into segment " + seq + ", which is gone");
    }
    return s;
  }

  /**
   * The chunk bytes of {@code ref}, checked against the entry's CRC32C. Call under the shard lock.
   *
   * @throws StorageUnavailableException if the entry does not match its checksum (the file was damaged on disk)
   */
  byte[] read(long ref) {
    Segment s = segment(ref, "read");
    int off = (int) ref;
    MappedByteBuffer m = s.map;
    int len = m.getInt(off + ENTRY_HEADER - 4);
    if (len < 0 || off + ENTRY_OVERHEAD + len > s.end) {
      throw corrupt(s, off, "chunk length " + len + " (expected: 0 to " + (s.end - off - ENTRY_OVERHEAD) + ")");
    }
    byte[] entry = new byte[ENTRY_HEADER + len];
    m.get(off, entry, 0, entry.length);
    crc.reset();
    crc.update(entry, 0, entry.length);
    int stored = m.getInt(off + entry.length);
    if ((int) crc.getValue() != stored) {
      throw corrupt(s, off, String.format("checksum 0x%08x (expected: 0x%08x)", (int) crc.getValue(), stored));
    }
    return Arrays.copyOfRange(entry, ENTRY_HEADER, entry.length);
  }

  private static StorageUnavailableException corrupt(Segment s, int off, String problem) {
    CorruptFileException e = new CorruptFileException(s.file, off, problem);
    return new StorageUnavailableException("reading a head chunk: " + e.getMessage(), e);
  }

  /** The min time stored in the entry of {@code ref} (not checksummed here: {@link #read} checks the entry). */
  long minT(long ref) {
    return segment(ref, "read").map.getLong((int) ref + 8);
  }

  /** Forgets the chunk at {@code ref}; deletes its segment once no chunk in it is referenced. */
  void release(long ref) {
    Segment s = segment(ref, "release");
    if (--s.live == 0 && s != current) {
      delete(s);
    }
  }

  private void delete(Segment s) {
    segments[s.seq - base] = null;
    mappedBytes -= segmentSize;
    writtenBytes -= s.end - HEADER_BYTES;
    seal(s);
    unmap(s.map);
    try {
      Files.deleteIfExists(s.file);
    } catch (IOException e) {
      log.warn("deleting head chunk segment {}: {}", s.file, e.toString());
    }
  }

  /** Segment files on disk now (for tests and meters). */
  int segmentCount() {
    int n = 0;
    for (int i = 0; i < nextSeq - base; i++) {
      if (segments[i] != null) {
        n++;
      }
    }
    return n;
  }

  /** Bytes of chunk entries in live segments, referenced or not: what the page cache holds for this shard at most. */
  long writtenBytes() {
    return writtenBytes;
  }

  /** Address space mapped by live segments (their full size; only written pages are ever resident). */
  long mappedBytes() {
    return mappedBytes;
  }

  Path dir() {
    return dir;
  }

  /**
   * Closes, unmaps and deletes every segment: the next open deletes them anyway (replay writes them again), and
   * sparse files of the full segment size left behind after a graceful stop would only mislead whoever measures the
   * data dir. Call under the shard lock; a read after it fails with "segment ... is gone", never touches an unmapped
   * page.
   */
  @Override
  public void close() {
    for (int i = 0; i < nextSeq - base; i++) {
      if (segments[i] != null) {
        delete(segments[i]);
      }
    }
    current = null;
  }

  // ---- unmapping

  private static final Method INVOKE_CLEANER;
  private static final Object UNSAFE;

  static {
    Method m = null;
    Object u = null;
    try {
      // sun.misc.Unsafe.invokeCleaner (jdk.unsupported, open to all): the only way to unmap before Java 19's arenas.
      // Without it a deleted segment's disk space would be held until a full GC collected its buffer.
      Class<?> c = Class.forName("sun.misc.Unsafe");
      Field f = c.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      u = f.get(null);
      m = c.getMethod("invokeCleaner", ByteBuffer.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.info("cannot unmap head chunk segments explicitly ({}); the garbage collector will", e.toString());
      m = null;
      u = null;
    }
    INVOKE_CLEANER = m;
    UNSAFE = u;
  }

  private static void unmap(MappedByteBuffer b) {
    if (INVOKE_CLEANER != null) {
      try {
        INVOKE_CLEANER.invoke(UNSAFE, b);
      } catch (ReflectiveOperationException | RuntimeException e) {
        log.debug("unmapping a head chunk segment failed: {}", e.toString());
      }
    }
  }
}
