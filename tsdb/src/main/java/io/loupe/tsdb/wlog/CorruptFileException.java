package io.loupe.tsdb.wlog;

import java.io.IOException;
import java.nio.file.Path;

/** A file on disk that is not what its reader expects: wrong magic, format, version, or a bad checksum. */
public final class CorruptFileException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final long offset;

  public CorruptFileException(Path file, long offset, String problem) {
    super(file + " at offset " + offset + ": " + problem);
    this.file = file;
    this.offset = offset;
  }

  public Path file() {
    return file;
  }

  public long offset() {
    return offset;
  }
}
