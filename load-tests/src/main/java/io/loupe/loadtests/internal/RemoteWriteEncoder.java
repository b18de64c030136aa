package io.loupe.loadtests.internal;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.xerial.snappy.Snappy;

/**
 * Encodes Prometheus remote-write 1.0 {@code WriteRequest}s by hand with {@link CodedOutputStream}: no generated classes
 * and no intermediate objects, so a whole workload can be pre-encoded quickly before the clock starts.
 *
 * <pre>
 * WriteRequest { repeated TimeSeries timeseries = 1; }
 * TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 * Label        { string name = 1; string value = 2; }
 * Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms
 * </pre>
 */
public final class RemoteWriteEncoder {
  private static final int TIMESERIES = 1;
  private static final int TS_LABELS = 1;
  private static final int TS_SAMPLES = 2;

  private RemoteWriteEncoder() {}

  /**
   * The {@code labels} fields of one TimeSeries (tag + length + Label message, repeated), from alternating names and
   * values that must already be sorted by name as remote write requires.
   */
  public static byte[] encodeLabels(String... sortedPairs) {
    if (sortedPairs.length % 2 != 0) {
      throw new IllegalArgumentException("sortedPairs: " + sortedPairs.length + " strings (expected: an even count)");
    }
    int size = 0;
    for (int i = 0; i < sortedPairs.length; i += 2) {
      int msg = labelSize(sortedPairs[i], sortedPairs[i + 1]);
      size += CodedOutputStream.computeTagSize(TS_LABELS) + CodedOutputStream.computeUInt32SizeNoTag(msg) + msg;
      if (i > 0 && sortedPairs[i - 2].compareTo(sortedPairs[i]) >= 0) {
        throw new IllegalArgumentException("label names: '" + sortedPairs[i - 2] + "' before '" + sortedPairs[i]
            + "' (expected: sorted, unique)");
      }
    }
    byte[] out = new byte[size];
    CodedOutputStream cos = CodedOutputStream.newInstance(out);
    try {
      for (int i = 0; i < sortedPairs.length; i += 2) {
        cos.writeTag(TS_LABELS, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        cos.writeUInt32NoTag(labelSize(sortedPairs[i], sortedPairs[i + 1]));
        cos.writeString(1, sortedPairs[i]);
        cos.writeString(2, sortedPairs[i + 1]);
      }
      cos.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private static int labelSize(String name, String value) {
    return CodedOutputStream.computeStringSize(1, name) + CodedOutputStream.computeStringSize(2, value);
  }

  /**
   * An uncompressed WriteRequest with one sample per series, as Prometheus sends them: series {@code i} in
   * {@code [from, to)} gets {@code values[i]} at {@code timestamps[i]}.
   */
  public static byte[] encodeWriteRequest(byte[][] labels, double[] values, long[] timestamps, int from, int to) {
    int size = 0;
    for (int i = from; i < to; i++) {
      int body = timeSeriesSize(labels[i], timestamps[i]);
      size += CodedOutputStream.computeTagSize(TIMESERIES) + CodedOutputStream.computeUInt32SizeNoTag(body) + body;
    }
    byte[] out = new byte[size];
    CodedOutputStream cos = CodedOutputStream.newInstance(out);
    try {
      for (int i = from; i < to; i++) {
        cos.writeTag(TIMESERIES, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        cos.writeUInt32NoTag(timeSeriesSize(labels[i], timestamps[i]));
        cos.writeRawBytes(labels[i]);
        cos.writeTag(TS_SAMPLES, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        cos.writeUInt32NoTag(sampleSize(timestamps[i]));
        cos.writeDouble(1, values[i]);
        cos.writeInt64(2, timestamps[i]);
      }
      cos.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private static int sampleSize(long timestamp) {
    return CodedOutputStream.computeDoubleSize(1, 0) + CodedOutputStream.computeInt64Size(2, timestamp);
  }

  private static int timeSeriesSize(byte[] labels, long timestamp) {
    int sample = sampleSize(timestamp);
    return labels.length + CodedOutputStream.computeTagSize(TS_SAMPLES)
        + CodedOutputStream.computeUInt32SizeNoTag(sample) + sample;
  }

  /** Snappy block format (not the framed format), as remote write 1.0 specifies. */
  public static byte[] compress(byte[] raw) {
    try {
      return Snappy.compress(raw);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
