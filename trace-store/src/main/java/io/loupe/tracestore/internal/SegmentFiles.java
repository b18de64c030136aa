package io.loupe.tracestore.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Every file name of the trace store, in one place. */
public final class SegmentFiles {
  public static final String SEGMENT_FORMAT = "span-segment";
  /**
   * Version 3 may give a span's parent as an index in its trace and its start relative to the trace's previous span
   * (bits 6 and 7 of its bits byte); version 2 may hold LZ4 record bodies (codec 2); version 1 segments, deflate or
   * raw only, are still read, as are version 2.
   */
  public static final int SEGMENT_VERSION = 3;
  public static final int SEGMENT_MIN_VERSION = 1;
  public static final String INDEX_FORMAT = "span-index";
  public static final int INDEX_VERSION = 1;
  public static final String STORE_FORMAT = "trace-store";
  public static final int STORE_VERSION = 1;

  public static final String SEGMENT_SUFFIX = ".spans";
  public static final String INDEX_SUFFIX = ".idx";
  public static final String TMP_SUFFIX = ".tmp";
  public static final String LUCENE_SUFFIX = ".lucene";
  /** The store's meta file in the data directory: header + shard count. */
  public static final String META_FILE = "trace-store.meta";

  private SegmentFiles() {}

  public static Path shardDir(Path dataDir, int shard) {
    return dataDir.resolve(String.format("shard-%03d", shard));
  }

  public static Path segment(Path shardDir, long seq) {
    return shardDir.resolve(String.format("%020d", seq) + SEGMENT_SUFFIX);
  }

  public static Path index(Path shardDir, long seq) {
    return shardDir.resolve(String.format("%020d", seq) + INDEX_SUFFIX);
  }

  /** The Lucene index directory of segment {@code seq}. */
  public static Path lucene(Path shardDir, long seq) {
    return shardDir.resolve(String.format("%020d", seq) + LUCENE_SUFFIX);
  }

  /** The sequence number of a segment or index file name, -1 when the name is not one. */
  public static long seqOf(Path file) {
    String n = file.getFileName().toString();
    int dot = n.indexOf('.');
    if (dot != 20) {
      return -1;
    }
    try {
      return Long.parseLong(n.substring(0, dot));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Bytes of a file or of every file under a directory; 0 for what vanished meanwhile. */
  public static long sizeOf(Path p) {
    try (java.util.stream.Stream<Path> s = java.nio.file.Files.walk(p)) {
      return s.filter(java.nio.file.Files::isRegularFile).mapToLong(f -> {
        try {
          return java.nio.file.Files.size(f);
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    } catch (IOException | java.io.UncheckedIOException e) {
      return 0;
    }
  }

  /**
   * Replaces {@code file} with the remaining bytes of {@code content} so that a crash leaves either the old or the new
   * file whole: written to {@code file + TMP_SUFFIX}, fsynced, renamed over {@code file}, then the directory fsynced.
   */
  public static void writeAtomically(Path file, ByteBuffer content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + TMP_SUFFIX);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      while (content.hasRemaining()) {
        ch.write(content);
      }
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fsyncDir(file.toAbsolutePath().getParent());
  }

  /** Makes a created or renamed directory entry durable: without it a power loss can forget a new file. */
  public static void fsyncDir(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
