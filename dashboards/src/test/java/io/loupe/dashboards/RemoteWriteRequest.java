package io.loupe.dashboards;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;
import org.xerial.snappy.Snappy;

/**
 * Builds a Prometheus remote-write 1.0 request by hand (field numbers of {@code prometheus.WriteRequest}), so the test
 * needs no generated classes: {@code WriteRequest{1: TimeSeries{1: Label{1 name, 2 value}, 2: Sample{1 double value,
 * 2 int64 ms}}}}.
 */
final class RemoteWriteRequest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private int series;

  /** Adds one series with one sample; {@code labels} must hold {@code __name__}. */
  RemoteWriteRequest add(Map<String, String> labels, double value, long timestampMillis) {
    try {
      ByteArrayOutputStream ts = new ByteArrayOutputStream();
      CodedOutputStream c = CodedOutputStream.newInstance(ts);
      // Remote write wants labels sorted by name.
      for (Map.Entry<String, String> e : new TreeMap<>(labels).entrySet()) {
        int size = CodedOutputStream.computeStringSize(1, e.getKey())
            + CodedOutputStream.computeStringSize(2, e.getValue());
        c.writeTag(1, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        c.writeUInt32NoTag(size);
        c.writeString(1, e.getKey());
        c.writeString(2, e.getValue());
      }
      int sample = CodedOutputStream.computeDoubleSize(1, value)
          + CodedOutputStream.computeInt64Size(2, timestampMillis);
      c.writeTag(2, WireFormat.WIRETYPE_LENGTH_DELIMITED);
      c.writeUInt32NoTag(sample);
      c.writeDouble(1, value);
      c.writeInt64(2, timestampMillis);
      c.flush();
      CodedOutputStream o = CodedOutputStream.newInstance(out);
      o.writeByteArray(1, ts.toByteArray());
      o.flush();
      series++;
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int series() {
    return series;
  }

  /** The body to POST: snappy block format, as remote write 1.0 specifies. */
  byte[] body() {
    try {
      return Snappy.compress(out.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
