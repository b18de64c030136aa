package io.loupe.tracestore.internal;

import io.loupe.tracestore.CorruptFileException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/** Reads a segment front to back at recovery, indexing every good record and finding where the good records end. */
public final class SegmentScanner {
  /** What a scan found: the end of the last good record, the file size, and why the scan stopped early, if it did. */
  public record Result(long goodEnd, long fileSize, String problem) {
    public boolean torn() {
      return goodEnd < fileSize;
    }
  }

  private SegmentScanner() {}

  /**
   * Scans {@code file} into {@code index}.
   *
   * @throws CorruptFileException if the header is not a span-segment header (a foreign or damaged file)
   */
  public static Result scan(Path file, SegmentIndex.Builder index) throws IOException {
    return scan(file, index, null);
  }

  /** Receives each good record during a scan. */
  public interface RecordConsumer {
    void accept(long offset, byte[] payload) throws IOException;
  }

  /** Scans {@code file} into {@code index}, handing every good record to {@code consumer} (when not null). */
  public static Result scan(Path file, SegmentIndex.Builder index, RecordConsumer consumer) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      int headerLen = FileHeader.length(SegmentFiles.SEGMENT_FORMAT);
      ByteBuffer hb = ByteBuffer.allocate((int) Math.min(size, headerLen));
      read(ch, hb, 0);
      hb.flip();
      FileHeader.check(hb, file, SegmentFiles.SEGMENT_FORMAT, SegmentFiles.SEGMENT_MIN_VERSION,
          SegmentFiles.SEGMENT_VERSION);
      long pos = headerLen;
      ByteBuffer head = ByteBuffer.allocate(SegmentReader.FRAME_HEADER);
      CRC32C crc = new CRC32C();
      while (pos < size) {
        if (size - pos < SegmentReader.FRAME_HEADER) {
          return new Result(pos, size, "partial record header");
        }
        head.clear();
        read(ch, head, pos);
        int len = head.getInt(0);
        int sum = head.getInt(4);
        if (len <= 0 || len > SegmentReader.MAX_RECORD_BYTES) {
          return new Result(pos, size, "record length " + len);
        }
        if (size - pos - SegmentReader.FRAME_HEADER < len) {
          return new Result(pos, size, "record of " + len + " bytes runs past the end of the file");
        }
        byte[] payload = new byte[len];
        read(ch, ByteBuffer.wrap(payload), pos + SegmentReader.FRAME_HEADER);
        crc.reset();
        crc.update(payload);
        if ((int) crc.getValue() != sum) {
          return new Result(pos, size, "record checksum mismatch");
        }
        SpanCodec.Header h;
        try {
          h = SpanCodec.header(payload);
        } catch (IllegalStateException e) {
          return new Result(pos, size, "undecodable record: " + e.getMessage());
        }
        index.add(h, pos);
        if (consumer != null) {
          consumer.accept(pos, payload);
        }
        pos += SegmentReader.FRAME_HEADER + len;
      }
      return new Result(pos, size, null);
    }
  }

  private static void read(FileChannel ch, ByteBuffer b, long pos) throws IOException {
    long p = pos;
    while (b.hasRemaining()) {
      int n = ch.read(b, p);
      if (n < 0) {
        return;
      }
      p += n;
    }
  }
}
