package io.loupe.tracestore.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a data directory, held from open to close: two stores appending to one directory would
 * interleave records and each keep its own idea of the active segment. The operating system drops the lock when the
 * process dies, so a crash never leaves a stale lock behind. The {@code LOCK} file is empty; only its lock matters.
 */
public final class DirLock implements AutoCloseable {
  public static final String FILE = "LOCK";

  private final FileChannel channel;
  private final FileLock lock;

  private DirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Locks {@code dir}.
   *
   * @throws IllegalStateException if another store (in this process or another) holds it
   */
  public static DirLock acquire(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock l;
    try {
      l = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      l = null; // held by this process
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    if (l == null) {
      ch.close();
      throw new IllegalStateException("trace data directory " + dir + " is in use by another trace store (lock held on "
          + file + "; expected: one store per directory)");
    }
    return new DirLock(ch, l);
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
