package io.loupe.collector.remotewrite;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.loupe.model.AppendResult;
import io.loupe.model.Appender;
import io.loupe.model.Exemplar;
import io.loupe.model.IngestLimits;
import io.loupe.model.InvalidInputException;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import io.loupe.model.RejectReason;
import io.loupe.model.ResourceExhaustedException;
import io.loupe.model.Tenant;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.xerial.snappy.Snappy;

/**
 * Prometheus remote write 1.0 ({@code POST /api/v1/write}, protobuf {@code prometheus.WriteRequest} in a snappy block).
 * Stateless and thread-safe.
 *
 * <p>Decoding is by hand with {@link CodedInputStream}: the request goes straight into the appender without building a
 * message tree per series.
 */
public final class RemoteWrite {
  // prometheus.WriteRequest
  private static final int WRITE_TIMESERIES = tag(1, WireFormat.WIRETYPE_LENGTH_DELIMITED);
  private static final int WRITE_METADATA = tag(3, WireFormat.WIRETYPE_LENGTH_DELIMITED);
  // prometheus.TimeSeries
  private static final int TS_LABELS = tag(1, WireFormat.WIRETYPE_LENGTH_DELIMITED);
  private static final int TS_SAMPLES = tag(2, WireFormat.WIRETYPE_LENGTH_DELIMITED);
  private static final int TS_EXEMPLARS = tag(3, WireFormat.WIRETYPE_LENGTH_DELIMITED);
  private static final int TS_HISTOGRAMS = tag(4, WireFormat.WIRETYPE_LENGTH_DELIMITED);
  // prometheus.Label
  private static final int LABEL_NAME = tag(1, WireFormat.WIRETYPE_LENGTH_DELIMITED);
  private static final int LABEL_VALUE = tag(2, WireFormat.WIRETYPE_LENGTH_DELIMITED);
  // prometheus.Sample
  private static final int SAMPLE_VALUE = tag(1, WireFormat.WIRETYPE_FIXED64);
  private static final int SAMPLE_TIMESTAMP = tag(2, WireFormat.WIRETYPE_VARINT);
  // prometheus.Exemplar
  private static final int EXEMPLAR_LABELS = tag(1, WireFormat.WIRETYPE_LENGTH_DELIMITED);
  private static final int EXEMPLAR_VALUE = tag(2, WireFormat.WIRETYPE_FIXED64);
  private static final int EXEMPLAR_TIMESTAMP = tag(3, WireFormat.WIRETYPE_VARINT);
  // prometheus.MetricMetadata
  private static final int META_TYPE = tag(1, WireFormat.WIRETYPE_VARINT);
  private static final int META_FAMILY = tag(2, WireFormat.WIRETYPE_LENGTH_DELIMITED);
  private static final int META_HELP = tag(4, WireFormat.WIRETYPE_LENGTH_DELIMITED);
  private static final int META_UNIT = tag(5, WireFormat.WIRETYPE_LENGTH_DELIMITED);

  // prometheus.MetricMetadata.MetricType, in proto order.
  private static final MetricMetadata.Type[] META_TYPES = {
    MetricMetadata.Type.UNKNOWN, MetricMetadata.Type.COUNTER, MetricMetadata.Type.GAUGE,
    MetricMetadata.Type.HISTOGRAM, MetricMetadata.Type.GAUGEHISTOGRAM, MetricMetadata.Type.SUMMARY,
    MetricMetadata.Type.INFO, MetricMetadata.Type.STATESET,
  };

  private RemoteWrite() {}

  private static int tag(int field, int wireType) {
    return field << 3 | wireType;
  }

  /**
   * Uncompresses a snappy block (not the framed format). The uncompressed length the block declares is checked against
   * {@code maxUncompressedBytes} before anything is allocated, so a small body cannot claim gigabytes.
   *
   * @throws ResourceExhaustedException ({@link ResourceExhaustedException#tooLarge()}) over the limit
   * @throws InvalidInputException when the body is not a valid snappy block
   */
  public static byte[] decompress(byte[] snappyBody, int maxUncompressedBytes) {
    requireNonNull(snappyBody, "snappyBody");
    if (maxUncompressedBytes <= 0) {
      throw new IllegalArgumentException(
          "maxUncompressedBytes: " + maxUncompressedBytes + " (expected: > 0)");
    }
    // The block starts with the uncompressed length as a little-endian base-128 varint of at most 32 bits.
    long declared = 0;
    int pos = 0;
    for (int shift = 0; ; shift += 7) {
      if (pos >= snappyBody.length || shift > 28) {
        throw new InvalidInputException("request body: malformed snappy block: "
            + (snappyBody.length == 0 ? "empty body" : "bad uncompressed-length header")
            + " (expected: a snappy block, as remote write sends)");
      }
      int b = snappyBody[pos++] & 0xff;
      declared |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        break;
      }
    }
    if (declared > maxUncompressedBytes) {
      throw ResourceExhaustedException.tooLarge("request body: snappy block declares " + declared
          + " uncompressed bytes (expected: at most " + maxUncompressedBytes + ")");
    }
    byte[] out = new byte[(int) declared];
    if (declared == 0) {
      if (pos != snappyBody.length) {
        throw new InvalidInputException("request body: malformed snappy block: " + (snappyBody.length - pos)
            + " bytes after an empty block");
      }
      return out;
    }
    try {
      int n = Snappy.uncompress(snappyBody, 0, snappyBody.length, out, 0);
      if (n != declared) {
        throw new InvalidInputException("request body: malformed snappy block: uncompressed to " + n
            + " bytes but declares " + declared);
      }
    } catch (IOException e) {
      throw new InvalidInputException("request body: malformed snappy block: " + e.getMessage(), e);
    }
    return out;
  }

  /**
   * Decodes a {@code prometheus.WriteRequest} into {@code appender}: samples, exemplars and metadata. A series with
   * invalid labels (syntax, count, length, a name given twice, no metric name) is refused with all its samples, one
   * {@link RejectReason#INVALID_LABELS} per sample; native histograms are refused as {@link
   * RejectReason#UNSUPPORTED_TYPE}; exemplars over 128 characters of labels as {@link RejectReason#INVALID_EXEMPLAR}.
   * Timestamps are any int64, as Prometheus accepts them.
   *
   * @return the number of samples appended
   * @throws InvalidInputException when the bytes are not a valid protobuf message. Series before the bad byte may
   *     already be in the appender: the caller rolls it back.
   */
  public static int decode(
      Tenant tenant, byte[] proto, Appender appender, IngestLimits limits, AppendResult.Builder result) {
    requireNonNull(tenant, "tenant");
    requireNonNull(proto, "proto");
    requireNonNull(appender, "appender");
    requireNonNull(limits, "limits");
    requireNonNull(result, "result");
    CodedInputStream in = CodedInputStream.newInstance(proto);
    Decoder d = new Decoder(proto, appender, limits, result);
    try {
      while (true) {
        int tag = in.readTag();
        if (tag == 0) {
          break;
        }
        if (tag == WRITE_TIMESERIES) {
          int old = in.pushLimit(in.readRawVarint32());
          d.timeSeries(in);
          in.popLimit(old);
        } else if (tag == WRITE_METADATA) {
          int old = in.pushLimit(in.readRawVarint32());
          d.metadata(in);
          in.popLimit(old);
        } else {
          in.skipField(tag);
        }
      }
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidInputException("request body: malformed remote-write protobuf at byte "
          + in.getTotalBytesRead() + " of " + proto.length + ": " + e.getMessage(), e);
    } catch (IOException e) { // cannot happen on a byte array, but CodedInputStream declares it
      throw new InvalidInputException("request body: cannot read remote-write protobuf: " + e.getMessage(), e);
    }
    return d.appended;
  }

  /** Scratch state reused across the series of one request. */
  private static final class Decoder {
    private final byte[] buf;
    private final StringCache strings = new StringCache();
    private final java.nio.charset.CharsetDecoder utf8 = java.nio.charset.StandardCharsets.UTF_8.newDecoder();
    private final Appender appender;
    private final IngestLimits limits;
    private final AppendResult.Builder result;
    int appended;

    private String[] names = new String[16];
    private String[] values = new String[16];
    private int labelCount;
    private String badLabel; // first label problem found while reading (invalid UTF-8)

    private long[] timestamps = new long[16];
    private double[] sampleValues = new double[16];
    private int sampleCount;

    private int histogramCount;
    private final List<PendingExemplar> exemplars = new ArrayList<>();

    Decoder(byte[] buf, Appender appender, IngestLimits limits, AppendResult.Builder result) {
      this.buf = buf;
      this.appender = appender;
      this.limits = limits;
      this.result = result;
    }

    void timeSeries(CodedInputStream in) throws IOException {
      labelCount = 0;
      sampleCount = 0;
      histogramCount = 0;
      badLabel = null;
      exemplars.clear();
      while (true) {
        int tag = in.readTag();
        if (tag == 0) {
          break;
        }
        if (tag == TS_LABELS) {
          int old = in.pushLimit(in.readRawVarint32());
          readLabel(in);
          in.popLimit(old);
        } else if (tag == TS_SAMPLES) {
          int old = in.pushLimit(in.readRawVarint32());
          readSample(in);
          in.popLimit(old);
        } else if (tag == TS_EXEMPLARS) {
          int old = in.pushLimit(in.readRawVarint32());
          exemplars.add(readExemplar(in));
          in.popLimit(old);
        } else if (tag == TS_HISTOGRAMS) {
          histogramCount++;
          in.skipField(tag);
        } else {
          in.skipField(tag);
        }
      }
      finishSeries();
    }

    private void readLabel(CodedInputStream in) throws IOException {
      String name = "";
      String value = "";
      while (true) {
        int tag = in.readTag();
        if (tag == 0) {
          break;
        }
        if (tag == LABEL_NAME) {
          name = readUtf8(in, "label name");
        } else if (tag == LABEL_VALUE) {
          value = readUtf8(in, "label value");
        } else {
          in.skipField(tag);
        }
      }
      if (labelCount == names.length) {
        names = Arrays.copyOf(names, labelCount * 2);
        values = Arrays.copyOf(values, labelCount * 2);
      }
      names[labelCount] = name;
      values[labelCount] = value;
      labelCount++;
    }

    /**
     * A string field read straight from the request array: the stream is created over {@code buf} from offset 0, so
     * its read count is the index into {@code buf}. Profiling showed the copy into a ByteString, its UTF-8 check and
     * the decode at about a fifth of the decode time; ASCII strings, nearly all labels, skip all three.
     */
    private String readUtf8(CodedInputStream in, String what) throws IOException {
      int len = in.readRawVarint32();
      int pos = in.getTotalBytesRead();
      in.skipRawBytes(len); // checks len against the bytes left
      String s = strings.get(buf, pos, len);
      if (s != null) {
        return s;
      }
      try {
        return utf8.reset().decode(java.nio.ByteBuffer.wrap(buf, pos, len)).toString();
      } catch (java.nio.charset.CharacterCodingException e) {
        if (badLabel == null) {
          badLabel = "has a " + what + " that is not valid UTF-8";
        }
        return "\uFFFD";
      }
    }

    private void readSample(CodedInputStream in) throws IOException {
      double value = 0;
      long ts = 0;
      while (true) {
        int tag = in.readTag();
        if (tag == 0) {
          break;
        }
        if (tag == SAMPLE_VALUE) {
          value = in.readDouble();
        } else if (tag == SAMPLE_TIMESTAMP) {
          ts = in.readInt64();
        } else {
          in.skipField(tag);
        }
      }
      if (sampleCount == timestamps.length) {
        timestamps = Arrays.copyOf(timestamps, sampleCount * 2);
        sampleValues = Arrays.copyOf(sampleValues, sampleCount * 2);
      }
      timestamps[sampleCount] = ts;
      sampleValues[sampleCount] = value;
      sampleCount++;
    }

    private PendingExemplar readExemplar(CodedInputStream in) throws IOException {
      List<String> pairs = new ArrayList<>(4);
      double value = 0;
      long ts = 0;
      String problem = null;
      while (true) {
        int tag = in.readTag();
        if (tag == 0) {
          break;
        }
        if (tag == EXEMPLAR_LABELS) {
          int old = in.pushLimit(in.readRawVarint32());
          String name = "";
          String v = "";
          while (true) {
            int t = in.readTag();
            if (t == 0) {
              break;
            }
            if (t == LABEL_NAME || t == LABEL_VALUE) {
              ByteString b = in.readBytes();
              if (!b.isValidUtf8()) {
                problem = "exemplar label is not valid UTF-8";
              }
              if (t == LABEL_NAME) {
                name = b.toStringUtf8();
              } else {
                v = b.toStringUtf8();
              }
            } else {
              in.skipField(t);
            }
          }
          in.popLimit(old);
          pairs.add(name);
          pairs.add(v);
        } else if (tag == EXEMPLAR_VALUE) {
          value = in.readDouble();
        } else if (tag == EXEMPLAR_TIMESTAMP) {
          ts = in.readInt64();
        } else {
          in.skipField(tag);
        }
      }
      return new PendingExemplar(pairs, value, ts, problem);
    }

    private void finishSeries() {
      Labels labels = null;
      String problem = badLabel;
      if (problem == null && labelCount > limits.maxLabelNamesPerSeries()) {
        problem = "has " + labelCount + " labels (expected: at most " + limits.maxLabelNamesPerSeries() + ")";
      }
      if (problem == null) {
        Labels.Builder b = Labels.builder();
        int nonEmpty = 0;
        for (int i = 0; i < labelCount; i++) {
          b.set(names[i], values[i]);
          nonEmpty += values[i].isEmpty() ? 0 : 1;
        }
        labels = b.build();
        // The builder keeps one label per name, so fewer labels than non-empty values means a name came twice; with
        // empty values in the mix only the pairwise check can tell.
        if (labels.size() < nonEmpty || nonEmpty < labelCount) {
          problem = duplicateName();
        }
      }
      if (problem == null) {
        String invalid = limits.validate(labels);
        if (invalid != null) {
          rejectAll(RejectReason.INVALID_LABELS, invalid);
          return;
        }
      }
      if (problem != null) {
        rejectAll(RejectReason.INVALID_LABELS, "series " + describe() + " " + problem);
        return;
      }
      for (int i = 0; i < sampleCount; i++) {
        appender.append(labels, timestamps[i], sampleValues[i]);
      }
      appended += sampleCount;
      if (histogramCount > 0) {
        String detail = "series " + abbreviate(labels.toString()) + " has " + histogramCount
            + " native histogram samples (not supported yet: send classic histograms)";
        for (int i = 0; i < histogramCount; i++) {
          result.reject(RejectReason.UNSUPPORTED_TYPE, detail);
        }
      }
      for (PendingExemplar e : exemplars) {
        exemplar(labels, e);
      }
    }

    private void exemplar(Labels series, PendingExemplar e) {
      String problem = e.problem;
      Labels.Builder b = Labels.builder();
      int runes = 0;
      for (int i = 0; problem == null && i < e.pairs.size(); i += 2) {
        String n = e.pairs.get(i);
        String v = e.pairs.get(i + 1);
        if (!IngestLimits.validLabelName(n)) {
          problem = "exemplar label name '" + abbreviate(n) + "' is invalid (expected: [a-zA-Z_][a-zA-Z0-9_]*)";
        }
        runes += n.codePointCount(0, n.length()) + v.codePointCount(0, v.length());
        b.set(n, v);
      }
      if (problem == null && runes > Exemplar.MAX_LABELS_RUNES) {
        problem = "exemplar labels have " + runes + " characters (expected: at most " + Exemplar.MAX_LABELS_RUNES
            + ")";
      }
      if (problem != null) {
        result.reject(RejectReason.INVALID_EXEMPLAR, "series " + abbreviate(series.toString()) + ": " + problem);
        return;
      }
      appender.appendExemplar(series, new Exemplar(b.build(), e.value, e.timestampMs));
    }

    private String duplicateName() {
      for (int i = 1; i < labelCount; i++) {
        for (int j = 0; j < i; j++) {
          if (names[i].equals(names[j])) {
            return "has label '" + abbreviate(names[i]) + "' twice (expected: unique label names)";
          }
        }
      }
      return null;
    }

    private void rejectAll(RejectReason reason, String detail) {
      // One rejection per point, so the counts match what was sent.
      result.reject(reason, detail, Math.max(1, sampleCount + histogramCount));
    }

    private String describe() {
      StringBuilder sb = new StringBuilder("{");
      for (int i = 0; i < labelCount && sb.length() < 200; i++) {
        if (i > 0) {
          sb.append(", ");
        }
        sb.append(names[i]).append("=\"").append(values[i]).append('"');
      }
      return abbreviate(sb.append('}').toString());
    }

    void metadata(CodedInputStream in) throws IOException {
      int type = 0;
      String family = "";
      String help = "";
      String unit = "";
      while (true) {
        int tag = in.readTag();
        if (tag == 0) {
          break;
        }
        if (tag == META_TYPE) {
          type = in.readEnum();
        } else if (tag == META_FAMILY) {
          family = in.readBytes().toStringUtf8();
        } else if (tag == META_HELP) {
          help = in.readBytes().toStringUtf8();
        } else if (tag == META_UNIT) {
          unit = in.readBytes().toStringUtf8();
        } else {
          in.skipField(tag);
        }
      }
      int max = limits.maxMetadataLength();
      // Metadata is advisory: an empty or oversized family name is skipped, and a long help text is cut, rather than
      // failing the samples that came with it.
      if (family.isEmpty() || family.length() > max || unit.length() > max) {
        return;
      }
      if (help.length() > max) {
        help = help.substring(0, max);
      }
      MetricMetadata.Type t = type >= 0 && type < META_TYPES.length ? META_TYPES[type] : MetricMetadata.Type.UNKNOWN;
      appender.updateMetadata(new MetricMetadata(family, t, help, unit));
    }
  }

  /**
   * Direct-mapped cache of the ASCII strings of one request: label names and most values repeat from series to series,
   * so one String (with its hash computed once) serves them all. Returns null for strings it does not handle.
   */
  private static final class StringCache {
    private static final int SIZE = 1024; // power of two
    private static final int MAX_LENGTH = 128;
    private final String[] table = new String[SIZE];

    String get(byte[] buf, int pos, int len) {
      if (len > MAX_LENGTH) {
        return ascii(buf, pos, len) ? new String(buf, pos, len, java.nio.charset.StandardCharsets.ISO_8859_1) : null;
      }
      int h = 0;
      for (int i = 0; i < len; i++) {
        byte b = buf[pos + i];
        if (b < 0) {
          return null; // not ASCII: the caller decodes and validates UTF-8
        }
        h = 31 * h + b;
      }
      int slot = (h ^ (h >>> 16)) & (SIZE - 1);
      String s = table[slot];
      if (s != null && s.length() == len && same(s, buf, pos, len)) {
        return s;
      }
      s = new String(buf, pos, len, java.nio.charset.StandardCharsets.ISO_8859_1);
      table[slot] = s;
      return s;
    }

    private static boolean same(String s, byte[] buf, int pos, int len) {
      for (int i = 0; i < len; i++) {
        if (s.charAt(i) != buf[pos + i]) {
          return false;
        }
      }
      return true;
    }

    private static boolean ascii(byte[] buf, int pos, int len) {
      for (int i = 0; i < len; i++) {
        if (buf[pos + i] < 0) {
          return false;
        }
      }
      return true;
    }
  }

  private record PendingExemplar(List<String> pairs, double value, long timestampMs, String problem) {}

  private static String abbreviate(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
