package io.loupe.tracestore.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The segment a shard appends to, with its in-memory trace index. Appends happen under the shard's append lock;
 * {@link #force} may run concurrently with appends (group commit). Once rolled, it takes no more appends and is sealed
 * on the shard's sealer thread while lookups read its in-memory index, which nothing changes any more.
 */
public final class ActiveSegment {
  private final long seq;
  private final Path path;
  private final Path indexPath;
  private final long createdMs;
  private volatile FileChannel ch;
  private volatile long size;
  private final SegmentReader reader;
  private final SegmentIndex.Builder index = new SegmentIndex.Builder();
  private final SearchIndex search;

  private ActiveSegment(long seq, Path path, Path indexPath, long createdMs, FileChannel ch, long size,
      SearchIndex search) throws IOException {
    this.search = search;
    this.seq = seq;
    this.path = path;
    this.indexPath = indexPath;
    this.createdMs = createdMs;
    this.ch = ch;
    this.size = size;
    this.reader = new SegmentReader(path);
  }

  /** Creates segment {@code seq} in {@code shardDir}: header written and forced, directory entry forced. */
  public static ActiveSegment create(Path shardDir, long seq, long nowMs) throws IOException {
    Path p = SegmentFiles.segment(shardDir, seq);
    FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    try {
      ByteBuffer h = ByteBuffer.wrap(FileHeader.encode(SegmentFiles.SEGMENT_FORMAT, SegmentFiles.SEGMENT_VERSION));
      long n = 0;
      while (h.hasRemaining()) {
        n += ch.write(h, n);
      }
      ch.force(true);
      SegmentFiles.fsyncDir(shardDir);
      SearchIndex search = SearchIndex.create(SegmentFiles.lucene(shardDir, seq));
      return new ActiveSegment(seq, p, SegmentFiles.index(shardDir, seq), nowMs, ch, n, search);
    } catch (IOException | RuntimeException e) {
      ch.close();
      SearchIndex.deleteRecursively(SegmentFiles.lucene(shardDir, seq));
      Files.deleteIfExists(p);
      throw e;
    }
  }

  public long seq() {
    return seq;
  }

  public long size() {
    return size;
  }

  public long createdMs() {
    return createdMs;
  }

  public SegmentIndex.Builder index() {
    return index;
  }

  public SegmentReader reader() {
    return reader;
  }

  public SearchIndex search() {
    return search;
  }

  public boolean isEmpty() {
    return index.isEmpty();
  }

  /**
   * Appends one framed record and indexes it; returns its offset. On failure the file is cut back to where the record
   * began, so a later record never follows a partial one (recovery stops at the first bad record).
   */
  public long append(ByteBuffer frame, SpanCodec.Header header) throws IOException {
    long off = size;
    long pos = off;
    try {
      while (frame.hasRemaining()) {
        pos += ch.write(frame, pos);
      }
    } catch (IOException e) {
      // Reopen and truncate with the interrupt cleared, or they would close the new channel in turn; the caller
      // gets its interrupt back with the failure.
      boolean interrupted = Thread.interrupted();
      try {
        if (!ch.isOpen()) {
          ch = FileChannel.open(path, StandardOpenOption.WRITE);
        }
        ch.truncate(off);
      } catch (IOException e2) {
        e.addSuppressed(e2);
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
      throw e;
    }
    size = pos;
    index.add(header, off);
    return off;
  }

  public void force() throws IOException {
    try {
      ch.force(false);
    } catch (ClosedByInterruptException e) {
      // An interrupted fsync closes the channel for every writer: reopen it so that the store keeps working; the
      // interrupted caller still fails and keeps its interrupt.
      boolean interrupted = Thread.interrupted();
      ch = FileChannel.open(path, StandardOpenOption.WRITE);
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      throw e;
    }
  }

  /**
   * Forces the segment, writes its index and returns it sealed (the reader stays open for lookups in flight); null
   * when nothing was written, in which case the file is deleted.
   */
  public SealedSegment seal() throws IOException {
    if (index.isEmpty()) {
      ch.close();
      reader.close();
      search.delete();
      Files.deleteIfExists(path);
      return null;
    }
    ch.force(true);
    ch.close();
    // The Lucene commit comes before the .idx file: an index file is the mark of a completely sealed segment.
    search.seal();
    index.write(indexPath, size);
    return new SealedSegment(seq, path, reader, SegmentIndex.open(indexPath), search);
  }

  /** Closes and deletes a segment nothing was written to (a roll that could not complete). */
  public void discard() throws IOException {
    if (!index.isEmpty()) {
      throw new IllegalStateException("segment " + seq + " holds spans: seal it instead");
    }
    seal();
  }

  /** Closes without sealing: what a crash leaves behind. For tests of recovery. */
  public void abandon() throws IOException {
    ch.close();
    reader.close();
    search.close();
  }
}
