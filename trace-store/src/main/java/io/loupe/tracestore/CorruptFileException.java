package io.loupe.tracestore;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;

/** A trace-store file that cannot be read as its format: the message names the file, the offset and what was wrong. */
public class CorruptFileException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final long offset;

  public CorruptFileException(Path file, long offset, String problem) {
    super(requireNonNull(file, "file") + " at offset " + offset + ": " + problem);
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
