package io.loupe.tsdb.wlog;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * A write-ahead log of raw byte records in segment files; it knows no record types (that is {@code record/}'s job).
 *
 * <p>Each record is framed as u32 length, u32 CRC32C of the payload, payload (big-endian). Segments roll at a size
 * limit. {@link #append} must be called by one thread at a time (the head calls it under its shard lock); {@link
 * #syncTo} may be called by any number of threads at once and batches them into one fsync (group commit).
 */
public final class SegmentedLog implements Closeable {
  static final int FRAME_HEADER = 8;

  private final Path dir;
  private final ChannelOpener opener;
  private final long segmentSize;
  private final Timer fsyncTimer;
  private final Counter bytesCounter;
  private final ReentrantLock syncLock = new ReentrantLock();
  private final CRC32C crc = new CRC32C();
  private final ByteBuffer frame = ByteBuffer.allocate(FRAME_HEADER);
  // Frame header and payload are copied into one direct buffer and written with one pwrite: the JDK copies a heap
  // buffer into a direct one before writing anyway, and one system call per record is half of two.
  private static final int MAX_DIRECT = 1 << 20;
  private ByteBuffer out = ByteBuffer.allocateDirect(64 * 1024);

  /** The open segment: a channel and the file it belongs to, swapped together. */
  private record Seg(FileChannel ch, Path file) {}

  /** One I/O step on the current segment's channel. */
  @FunctionalInterface
  private interface IoOp {
    void run(FileChannel ch) throws IOException;
  }

  private volatile Seg current;
  private int segment;
  private long offset; // next write position in the current segment
  private volatile long written; // logical bytes appended since open, across segments
  private volatile long synced; // logical bytes known to be fsynced
  private boolean closed;

  private SegmentedLog(Path dir, long segmentSize, Timer fsyncTimer, Counter bytesCounter, ChannelOpener opener) {
    this.dir = dir;
    this.opener = opener;
    this.segmentSize = segmentSize;
    this.fsyncTimer = fsyncTimer;
    this.bytesCounter = bytesCounter;
  }

  /**
   * Opens {@code dir} for writing, starting a new segment after any existing ones (replay them first) and at least at
   * {@code minIndex} (one past the newest checkpoint, so new segments are never mistaken for checkpointed ones).
   */
  public static SegmentedLog open(Path dir, long segmentSize, Timer fsyncTimer, Counter bytesCounter, int minIndex)
      throws IOException {
    return open(dir, segmentSize, fsyncTimer, bytesCounter, minIndex, ChannelOpener.DEFAULT);
  }

  /** As {@link #open(Path, long, Timer, Counter, int)}, with segment files opened by {@code opener}. */
  public static SegmentedLog open(Path dir, long segmentSize, Timer fsyncTimer, Counter bytesCounter, int minIndex,
      ChannelOpener opener) throws IOException {
    Files.createDirectories(dir);
    SegmentedLog log = new SegmentedLog(dir, segmentSize, fsyncTimer, bytesCounter, opener);
    List<Integer> existing = Segments.list(dir);
    int next = Math.max(minIndex, existing.isEmpty() ? 0 : existing.get(existing.size() - 1) + 1);
    log.openSegment(next);
    return log;
  }

  public Path dir() {
    return dir;
  }

  /** The segment being written. */
  public Path currentFile() {
    return current.file();
  }

  /**
   * Appends one record, written to the file (the OS page cache) when this returns, not yet fsynced. Returns the logical
   * position to pass to {@link #syncTo}. On failure the record is not in the log: the next append overwrites whatever
   * part of it reached the file.
   */
  public long append(byte[] data, int off, int len) throws IOException {
    if (closed) {
      throw new IOException("WAL " + dir + " is closed");
    }
    long need = FRAME_HEADER + (long) len;
    if (offset > SegmentHeader.LENGTH && offset + need > segmentSize) {
      rotate();
    }
    crc.reset();
    crc.update(data, off, len);
    frame.clear();
    frame.putInt(len).putInt((int) crc.getValue()).flip();
    long start = offset;
    try {
      if (need <= MAX_DIRECT) {
        if (out.capacity() < need) {
          out = ByteBuffer.allocateDirect(Math.max((int) need, Math.min(MAX_DIRECT, out.capacity() * 2)));
        }
        ByteBuffer o = out.clear();
        o.put(frame).put(data, off, len).flip();
        io(ch -> writeFully(ch, o.duplicate(), start));
      } else {
        io(ch -> {
          writeFully(ch, frame.duplicate(), start);
          writeFully(ch, ByteBuffer.wrap(data, off, len), start + FRAME_HEADER);
        });
      }
    } catch (IOException e) {
      try {
        io(ch -> ch.truncate(start)); // best effort: replay would also stop at the torn frame
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw new IOException("writing WAL segment " + current.file() + " at offset " + start + ": " + e, e);
    }
    offset = start + need;
    long pos = written + need;
    written = pos;
    bytesCounter.increment(need);
    return pos;
  }

  /**
   * Closes the current segment (fsynced) and starts the next; returns the index of the closed one. Everything
   * appended before is in segments up to that index, everything after in later ones. Same threading rule as append.
   */
  public int cutSegment() throws IOException {
    int closedIndex = segment;
    rotate();
    return closedIndex;
  }

  /** Logical position of everything appended so far. */
  public long position() {
    return written;
  }

  /**
   * Returns once everything up to {@code pos} is fsynced. Concurrent callers queue on one lock; the first fsyncs all that
   * was written so far, so the others usually find their data already synced (group commit).
   */
  public void syncTo(long pos) throws IOException {
    if (synced >= pos) {
      return;
    }
    syncLock.lock();
    try {
      if (synced >= pos) {
        return;
      }
      forceLocked();
    } finally {
      syncLock.unlock();
    }
  }

  /** Fsyncs everything written so far. */
  public void sync() throws IOException {
    syncLock.lock();
    try {
      forceLocked();
    } finally {
      syncLock.unlock();
    }
  }

  private void forceLocked() throws IOException {
    if (closed) {
      return;
    }
    long target = written;
    if (synced >= target) {
      return;
    }
    long t0 = System.nanoTime();
    try {
      io(ch -> ch.force(false));
    } catch (IOException e) {
      throw new IOException("fsync of WAL segment " + current.file() + ": " + e, e);
    }
    fsyncTimer.record(System.nanoTime() - t0, java.util.concurrent.TimeUnit.NANOSECONDS);
    synced = target;
  }

  private void rotate() throws IOException {
    // Create the next segment before giving up the current one, so a failure (disk full) leaves a usable log.
    int nextIndex = segment + 1;
    Path nextFile = dir.resolve(Segments.name(nextIndex));
    FileChannel next = createSegment(nextFile);
    syncLock.lock();
    try {
      io(ch -> ch.force(false));
      synced = written;
      Seg old = current;
      current = new Seg(next, nextFile);
      old.ch().close();
      segment = nextIndex;
      offset = SegmentHeader.LENGTH;
    } catch (IOException e) {
      next.close();
      Files.deleteIfExists(nextFile);
      throw e;
    } finally {
      syncLock.unlock();
    }
  }

  private void openSegment(int index) throws IOException {
    Path f = dir.resolve(Segments.name(index));
    current = new Seg(createSegment(f), f);
    segment = index;
    offset = SegmentHeader.LENGTH;
  }

  private FileChannel createSegment(Path f) throws IOException {
    FileChannel ch = null;
    try {
      ch = opener.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      ByteBuffer h = SegmentHeader.encode();
      while (h.hasRemaining()) {
        ch.write(h, h.position());
      }
      ch.force(true);
      syncDir();
      return ch;
    } catch (IOException e) {
      if (ch != null) {
        ch.close();
        Files.deleteIfExists(f);
      }
      throw new IOException("creating WAL segment " + f + ": " + e.getMessage(), e);
    }
  }

  private void syncDir() throws IOException {
    // The new file's directory entry must be durable too, or a power cut could lose the whole segment.
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // Some file systems refuse to open directories; the data itself is still fsynced.
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
    while (b.hasRemaining()) {
      pos += ch.write(b, pos);
    }
  }

  /**
   * Runs {@code op} on the current channel. An interrupt of a thread inside FileChannel I/O closes the channel for
   * every thread (Java's interruptible channels), and request threads do get interrupted (cancelled requests): so
   * the interrupt status is cleared around the I/O and restored after, and a channel closed by someone else's
   * interrupt is reopened and the (positional, idempotent) operation retried.
   */
  private void io(IoOp op) throws IOException {
    boolean interrupted = Thread.interrupted();
    try {
      for (int attempt = 0; ; attempt++) {
        Seg seg = current;
        try {
          op.run(seg.ch());
          return;
        } catch (java.nio.channels.ClosedChannelException e) {
          interrupted |= Thread.interrupted();
          if (closed || attempt >= 3) {
            throw e;
          }
          reopen(seg);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private synchronized void reopen(Seg dead) throws IOException {
    if (current == dead && !dead.ch().isOpen()) {
      current = new Seg(opener.open(dead.file(), StandardOpenOption.WRITE), dead.file());
    }
  }

  /** Fsyncs and closes the current segment. */
  @Override
  public void close() throws IOException {
    syncLock.lock();
    try {
      if (closed) {
        return;
      }
      forceLocked();
      closed = true;
      current.ch().close();
    } finally {
      syncLock.unlock();
    }
  }
}
