package io.loupe.tracestore.internal;

import io.loupe.tracestore.CorruptFileException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Reads records of a segment file by offset: {@code u32 length, u32 crc32c(payload), payload}. Thread-safe.
 *
 * <p>An interrupt during a {@link FileChannel} read closes the channel for every thread; the reader then reopens it
 * once rather than making the segment unreadable for the rest of the process.
 */
public final class SegmentReader implements Closeable {
  /** Larger lengths are torn or garbage: a write of one request per shard never comes near it. */
  public static final int MAX_RECORD_BYTES = 64 << 20;
  public static final int FRAME_HEADER = 8;

  private final Path path;
  private volatile FileChannel ch;
  private volatile boolean closed;

  public SegmentReader(Path path) throws IOException {
    this.path = path;
    this.ch = FileChannel.open(path, StandardOpenOption.READ);
  }

  public Path path() {
    return path;
  }

  /** Whether {@link #close} was called: the segment was dropped by retention or the store closed. */
  public boolean isClosed() {
    return closed;
  }

  /** The payload of the record at {@code offset}, checksum verified. */
  public byte[] read(long offset) throws IOException {
    try {
      return readOnce(offset);
    } catch (ClosedChannelException e) {
      reopen(e);
      return readOnce(offset);
    }
  }

  /**
   * Adds the trace ids of the record at {@code offset} to {@code out} (the {@code { a } && { b }} pre-filter), reading
   * only the front of the record, its directory, when it fits in {@value #HEAD_BYTES} bytes (40 traces take ~700): the
   * checksum covers the whole payload and is not verified then, as Lucene's doc values the ids were read from before
   * were not checked on reads either. A directory that does not decode from those bytes is read again with the whole
   * record, checksum verified.
   */
  public void addTraceIds(long offset, TraceIdFilter out) throws IOException {
    try {
      addTraceIdsOnce(offset, out);
    } catch (ClosedChannelException e) {
      reopen(e);
      addTraceIdsOnce(offset, out);
    }
  }

  static final int HEAD_BYTES = 2048;
  private static final ThreadLocal<ByteBuffer> HEAD = ThreadLocal.withInitial(() -> ByteBuffer.allocate(HEAD_BYTES));

  private void addTraceIdsOnce(long offset, TraceIdFilter out) throws IOException {
    ByteBuffer b = HEAD.get().clear();
    FileChannel c = ch;
    while (b.hasRemaining()) {
      if (c.read(b, offset + b.position()) < 0) {
        break; // the last record of the file
      }
    }
    if (b.position() >= FRAME_HEADER) {
      int len = b.getInt(0);
      int have = b.position() - FRAME_HEADER;
      try {
        if (len > 0) {
          SpanCodec.addTraceIds(b.array(), FRAME_HEADER, Math.min(len, have), out);
          return;
        }
      } catch (IllegalStateException e) {
        // a directory longer than the buffer, or damage: the checked read below tells which
      }
    }
    byte[] payload = readOnce(offset);
    try {
      SpanCodec.addTraceIds(payload, 0, payload.length, out);
    } catch (IllegalStateException e) {
      throw new CorruptFileException(path, offset, "record header: " + e.getMessage());
    }
  }

  private void reopen(ClosedChannelException e) throws IOException {
    if (closed) {
      throw e;
    }
    synchronized (this) {
      if (!ch.isOpen() && !closed) {
        ch = FileChannel.open(path, StandardOpenOption.READ);
      }
    }
  }

  private byte[] readOnce(long offset) throws IOException {
    FileChannel c = ch;
    ByteBuffer head = ByteBuffer.allocate(FRAME_HEADER);
    readFully(c, head, offset);
    int len = head.getInt(0);
    int crc = head.getInt(4);
    if (len <= 0 || len > MAX_RECORD_BYTES) {
      throw new CorruptFileException(path, offset, "record length " + len + " (expected: 1 to " + MAX_RECORD_BYTES
          + ")");
    }
    byte[] payload = new byte[len];
    readFully(c, ByteBuffer.wrap(payload), offset + FRAME_HEADER);
    CRC32C c32 = new CRC32C();
    c32.update(payload);
    if ((int) c32.getValue() != crc) {
      throw new CorruptFileException(path, offset,
          String.format("record checksum 0x%08x (expected: 0x%08x)", (int) c32.getValue(), crc));
    }
    return payload;
  }

  private void readFully(FileChannel c, ByteBuffer b, long pos) throws IOException {
    long p = pos;
    while (b.hasRemaining()) {
      int n = c.read(b, p);
      if (n < 0) {
        throw new CorruptFileException(path, pos, "record runs past the end of the file");
      }
      p += n;
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    ch.close();
  }

  /** Frames a payload for appending. */
  public static ByteBuffer frame(byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(FRAME_HEADER + payload.length);
    CRC32C c = new CRC32C();
    c.update(payload);
    b.putInt(payload.length).putInt((int) c.getValue()).put(payload).flip();
    return b;
  }
}
