package io.loupe.tracestore.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** An immutable segment with its index file. Thread-safe. */
public final class SealedSegment {
  private final long seq;
  private final Path path;
  private final SegmentReader reader;
  private final SegmentIndex index;
  private final SearchIndex search;

  public SealedSegment(long seq, Path path, SegmentReader reader, SegmentIndex index, SearchIndex search) {
    this.search = search;
    this.seq = seq;
    this.path = path;
    this.reader = reader;
    this.index = index;
  }

  public static SealedSegment open(long seq, Path path, SegmentIndex index, SearchIndex search) throws IOException {
    return new SealedSegment(seq, path, new SegmentReader(path), index, search);
  }

  public SearchIndex search() {
    return search;
  }

  public long seq() {
    return seq;
  }

  public Path path() {
    return path;
  }

  public SegmentReader reader() {
    return reader;
  }

  public SegmentIndex index() {
    return index;
  }

  /** Bytes on disk: segment plus index. */
  public long bytes() {
    long b = bytes;
    if (b < 0) {
      b = index.meta().segmentLength() + SegmentFiles.sizeOf(index.file()) + SegmentFiles.sizeOf(search.dir());
      bytes = b;
    }
    return b;
  }

  private volatile long bytes = -1;



  public void close() throws IOException {
    reader.close();
    search.close();
  }

  /** Closes and deletes the segment, index first so that a crash in between leaves a segment recovery re-indexes. */
  public void delete() throws IOException {
    reader.close();
    Files.deleteIfExists(index.file());
    search.delete();
    Files.deleteIfExists(path);
  }
}
