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

  public SealedSegment(long seq, Path path, SegmentReader reader, SegmentIndex index) {
    this.seq = seq;
    this.path = path;
    this.reader = reader;
    this.index = index;
  }

  public static SealedSegment open(long seq, Path path, SegmentIndex index) throws IOException {
    return new SealedSegment(seq, path, new SegmentReader(path), index);
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
    return index.meta().segmentLength() + indexBytes();
  }

  private long indexBytes() {
    try {
      return Files.size(index.file());
    } catch (IOException e) {
      return 0;
    }
  }

  public void close() throws IOException {
    reader.close();
  }

  /** Closes and deletes the segment, index first so that a crash in between leaves a segment recovery re-indexes. */
  public void delete() throws IOException {
    reader.close();
    Files.deleteIfExists(index.file());
    Files.deleteIfExists(path);
  }
}
