package io.loupe.tracestore.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.SpanRecord;
import io.loupe.tracestore.CorruptFileException;
import io.loupe.tracestore.Spans;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentReaderTest {
  @TempDir Path dir;

  /** A record of {@code traces} traces of two spans each; their ids into {@code ids}. */
  private static byte[] record(int traces, List<String> ids) {
    Map<String, List<SpanRecord>> m = new LinkedHashMap<>();
    for (int i = 0; i < traces; i++) {
      String t = Spans.randomTraceId();
      ids.add(t);
      m.put(t, List.of(Spans.span(t, "svc", "a", i), Spans.span(t, "svc", "b", i + 1)));
    }
    return SpanCodec.encode("tenant", 1L, m);
  }

  /** Appends the framed payloads to a new file; returns their offsets. */
  private long[] write(Path file, byte[]... payloads) throws IOException {
    long[] offsets = new long[payloads.length];
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (int i = 0; i < payloads.length; i++) {
        offsets[i] = ch.position();
        ByteBuffer b = SegmentReader.frame(payloads[i]);
        while (b.hasRemaining()) {
          ch.write(b);
        }
      }
    }
    return offsets;
  }

  private static void assertHolds(TraceIdFilter f, List<String> ids) {
    for (String t : ids) {
      assertThat(f.mightContain(TraceIds.fromHex(t, 16, "t"))).as(t).isTrue();
    }
  }

  @Test
  void readsTheTraceIdsOfARecordFromItsDirectory() throws IOException {
    List<String> first = new ArrayList<>();
    List<String> big = new ArrayList<>();
    List<String> last = new ArrayList<>();
    // 200 traces: a directory of 3,400 bytes, past the bytes read ahead; the last record ends before them.
    Path file = dir.resolve("s.spans");
    long[] at = write(file, record(40, first), record(200, big), record(3, last));
    try (SegmentReader r = new SegmentReader(file)) {
      TraceIdFilter f = new TraceIdFilter(1000);
      r.addTraceIds(at[0], f);
      assertThat(f.size()).isEqualTo(40);
      assertHolds(f, first);
      r.addTraceIds(at[1], f);
      r.addTraceIds(at[2], f);
      assertThat(f.size()).isBetween(240, 243);
      assertHolds(f, big);
      assertHolds(f, last);
    }
  }

  @Test
  void aDamagedRecordIsACorruptionNamingItsOffset() throws IOException {
    byte[] payload = record(5, new ArrayList<>());
    payload[0] = 9; // not a spans record
    Path file = dir.resolve("s.spans");
    long[] at = write(file, record(2, new ArrayList<>()), payload);
    try (SegmentReader r = new SegmentReader(file)) {
      assertThatThrownBy(() -> r.addTraceIds(at[1], new TraceIdFilter(10)))
          .isInstanceOf(CorruptFileException.class).hasMessageContaining(String.valueOf(at[1]));
    }
  }
}
