package io.loupe.tsdb.wlog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays the records of a WAL directory in order and repairs it: a torn or garbage record (short frame, length past
 * the end of the file, checksum mismatch) ends the log. The segment is truncated at the last good record and later
 * segments are deleted, each step logged at WARN with file and offset.
 */
public final class WalReader {
  private static final Logger log = LoggerFactory.getLogger(WalReader.class);
  private static final int MAX_RECORD = 1 << 30;

  /** Receives each good record; the buffer is only valid during the call. */
  @FunctionalInterface
  public interface RecordConsumer {
    void accept(ByteBuffer record, Path segment, long offset) throws IOException;
  }

  /** What a replay found. */
  public record Result(long records, long bytes, int segments, int corruptions) {}

  private WalReader() {}

  /**
   * Reads every segment of {@code dir}. Wrong magic, format or version in a complete segment header is not a torn
   * write but a foreign or future file: it throws {@link CorruptFileException} rather than deleting anything.
   */
  public static Result replay(Path dir, RecordConsumer consumer) throws IOException {
    return replay(dir, 0, consumer);
  }

  /** Like {@link #replay(Path, RecordConsumer)}, reading only segments numbered {@code firstSegment} or later. */
  public static Result replay(Path dir, int firstSegment, RecordConsumer consumer) throws IOException {
    List<Integer> segments = new java.util.ArrayList<>(Segments.list(dir));
    segments.removeIf(i -> i < firstSegment);
    long records = 0;
    long bytes = 0;
    int corruptions = 0;
    CRC32C crc = new CRC32C();
    ByteBuffer frame = ByteBuffer.allocate(SegmentedLog.FRAME_HEADER);
    ByteBuffer payload = ByteBuffer.allocate(64 * 1024);
    for (int si = 0; si < segments.size(); si++) {
      Path file = dir.resolve(Segments.name(segments.get(si)));
      long damagedAt = -1;
      String problem = null;
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        long size = ch.size();
        if (size < SegmentHeader.LENGTH) {
          damagedAt = 0;
          problem = "segment header cut short (" + size + " of " + SegmentHeader.LENGTH + " bytes)";
        } else {
          ByteBuffer h = ByteBuffer.allocate(SegmentHeader.LENGTH);
          readFully(ch, h, 0);
          SegmentHeader.check(file, h.flip());
          long off = SegmentHeader.LENGTH;
          while (off < size) {
            if (size - off < SegmentedLog.FRAME_HEADER) {
              damagedAt = off;
              problem = "record frame cut short (" + (size - off) + " bytes left)";
              break;
            }
            frame.clear();
            readFully(ch, frame, off);
            int len = frame.getInt(0);
            int sum = frame.getInt(4);
            if (len <= 0 || len > MAX_RECORD || off + SegmentedLog.FRAME_HEADER + len > size) {
              damagedAt = off;
              problem = "record length " + len + " (expected: 1 to " + (size - off - SegmentedLog.FRAME_HEADER) + ")";
              break;
            }
            if (payload.capacity() < len) {
              payload = ByteBuffer.allocate(Math.max(len, payload.capacity() * 2));
            }
            payload.clear().limit(len);
            readFully(ch, payload, off + SegmentedLog.FRAME_HEADER);
            payload.flip();
            crc.reset();
            crc.update(payload.array(), 0, len);
            if ((int) crc.getValue() != sum) {
              damagedAt = off;
              problem = String.format("record checksum 0x%08x (expected: 0x%08x)", (int) crc.getValue(), sum);
              break;
            }
            consumer.accept(payload, file, off);
            records++;
            bytes += SegmentedLog.FRAME_HEADER + len;
            off += SegmentedLog.FRAME_HEADER + len;
          }
        }
      }
      if (damagedAt >= 0) {
        corruptions++;
        log.warn("WAL corruption in {} at offset {}: {}; truncating there and dropping {} later segment(s)", file,
            damagedAt, problem, segments.size() - si - 1);
        if (damagedAt < SegmentHeader.LENGTH) {
          Files.delete(file);
        } else {
          try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(damagedAt);
            ch.force(true);
          }
        }
        for (int sj = si + 1; sj < segments.size(); sj++) {
          Path later = dir.resolve(Segments.name(segments.get(sj)));
          log.warn("WAL segment {} follows a damaged one and is deleted ({} bytes)", later, Files.size(later));
          Files.delete(later);
        }
        return new Result(records, bytes, si + 1, corruptions);
      }
    }
    return new Result(records, bytes, segments.size(), corruptions);
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
    while (b.hasRemaining()) {
      int n = ch.read(b, pos);
      if (n < 0) {
        throw new IOException("unexpected end of file at " + pos);
      }
      pos += n;
    }
  }
}
