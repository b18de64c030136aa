package io.loupe.collector.remotewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.CodedOutputStream;
import io.loupe.collector.otlp.RecordingAppender;
import io.loupe.model.AppendResult;
import io.loupe.model.Exemplar;
import io.loupe.model.IngestLimits;
import io.loupe.model.InvalidInputException;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import io.loupe.model.RejectReason;
import io.loupe.model.ResourceExhaustedException;
import io.loupe.model.Sample;
import io.loupe.model.Tenant;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

class RemoteWriteTest {
  private static final Tenant TENANT = new Tenant("t1");

  private final RecordingAppender appender = new RecordingAppender();
  private final AppendResult.Builder result = new AppendResult.Builder();

  // ---- a tiny writer of prometheus.WriteRequest, the way a remote-write client encodes it

  interface Body {
    void write(CodedOutputStream out) throws IOException;
  }

  private static byte[] message(Body body) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    body.write(out);
    out.flush();
    return bytes.toByteArray();
  }

  private static byte[] label(String name, String value) throws IOException {
    return message(o -> {
      o.writeString(1, name);
      o.writeString(2, value);
    });
  }

  private static byte[] sample(double value, long ts) throws IOException {
    return message(o -> {
      o.writeDouble(1, value);
      o.writeInt64(2, ts);
    });
  }

  /** A TimeSeries: labels as alternating names and values, then (value, timestamp) pairs. */
  private static byte[] series(String[] labels, double[]... samples) throws IOException {
    return message(o -> {
      for (int i = 0; i < labels.length; i += 2) {
        o.writeByteArray(1, label(labels[i], labels[i + 1]));
      }
      for (double[] s : samples) {
        o.writeByteArray(2, sample(s[0], (long) s[1]));
      }
    });
  }

  private static byte[] writeRequest(byte[]... timeseries) throws IOException {
    return message(o -> {
      for (byte[] ts : timeseries) {
        o.writeByteArray(1, ts);
      }
    });
  }

  private int decode(byte[] proto) {
    return RemoteWrite.decode(TENANT, proto, appender, IngestLimits.defaults(), result);
  }

  @Test
  void decodesSamplesOfEverySeries() throws IOException {
    int n = decode(writeRequest(
        series(new String[] {"__name__", "up", "job", "node", "instance", "a:9100"},
            new double[] {1, 1000}, new double[] {0, 2000}),
        series(new String[] {"job", "node", "__name__", "temp_celsius"}, new double[] {-3.5, -1})));

    assertThat(n).isEqualTo(3);
    assertThat(appender.lines()).containsExactly(
        "temp_celsius{job=\"node\"} -1 -3.5",
        "up{instance=\"a:9100\", job=\"node\"} 1000 1.0",
        "up{instance=\"a:9100\", job=\"node\"} 2000 0.0");
    assertThat(result.rejectedCount()).isZero();
  }

  @Test
  void staleMarkersKeepTheirBits() throws IOException {
    decode(writeRequest(series(new String[] {"__name__", "up"}, new double[] {Sample.STALE_NAN, 5})));
    assertThat(Sample.isStaleMarker(appender.points.get(0).value())).isTrue();
  }

  @Test
  void invalidSeriesAreRejectedWithAllTheirSamples() throws IOException {
    int n = decode(writeRequest(
        series(new String[] {"__name__", "a", "job", "x", "job", "y"}, new double[] {1, 1}, new double[] {2, 2}),
        series(new String[] {"__name__", "b", "bad-name", "x"}, new double[] {1, 1}),
        series(new String[] {"job", "x"}, new double[] {1, 1}),
        series(new String[] {"__name__", "ok"}, new double[] {1, 1})));

    assertThat(n).isEqualTo(1);
    assertThat(appender.lines()).containsExactly("ok{} 1 1.0");
    AppendResult r = result.build();
    assertThat(r.rejected()).isEqualTo(Map.of(RejectReason.INVALID_LABELS, 4L));
    assertThat(r.firstErrors()).isEqualTo(
        // One message per refused series (its samples are counted, not repeated).
        "invalid labels: series {__name__=\"a\", job=\"x\", job=\"y\"} has label 'job' twice (expected: unique label"
            + " names); invalid labels: label name 'bad-name' of series b{bad-name=\"x\"} is"
            + " invalid (expected: [a-zA-Z_][a-zA-Z0-9_]*); invalid labels: series {job=\"x\"} has no metric name"
            + " (__name__)");
  }

  @Test
  void tooManyLabelsIsRejectedBeforeBuildingThem() throws IOException {
    String[] labels = new String[2 * 40];
    for (int i = 0; i < 40; i++) {
      labels[2 * i] = "l" + i;
      labels[2 * i + 1] = "v";
    }
    labels[0] = "__name__";
    decode(writeRequest(series(labels, new double[] {1, 1})));
    assertThat(appender.points).isEmpty();
    assertThat(result.build().firstErrors()).contains("has 40 labels (expected: at most 30)");
  }

  @Test
  void invalidUtf8IsRejectedPerSeries() throws IOException {
    byte[] badLabel = message(o -> {
      o.writeString(1, "__name__");
      o.writeByteArray(2, new byte[] {'a', (byte) 0xff});
    });
    byte[] ts = message(o -> {
      o.writeByteArray(1, badLabel);
      o.writeByteArray(2, sample(1, 1));
    });
    decode(writeRequest(ts, series(new String[] {"__name__", "ok"}, new double[] {1, 1})));
    assertThat(appender.lines()).containsExactly("ok{} 1 1.0");
    assertThat(result.build().firstErrors()).contains("has a label value that is not valid UTF-8");
  }

  @Test
  void nonAsciiAndRepeatedStringsDecode() throws IOException {
    String longValue = "v".repeat(300);
    decode(writeRequest(
        series(new String[] {"__name__", "m", "city", "Zürich", "long", longValue}, new double[] {1, 1}),
        series(new String[] {"__name__", "m", "city", "Zürich", "long", longValue}, new double[] {2, 2}),
        series(new String[] {"__name__", "m", "city", "東京"}, new double[] {3, 3})));

    assertThat(appender.points).extracting(p -> p.labels().get("city")).containsExactly("Zürich", "Zürich", "東京");
    assertThat(appender.points.get(0).labels().get("long")).isEqualTo(longValue);
    assertThat(result.rejectedCount()).isZero();
  }

  @Test
  void duplicateNamesAreFoundAlsoNextToEmptyValues() throws IOException {
    decode(writeRequest(
        series(new String[] {"__name__", "a", "job", "", "job", "x"}, new double[] {1, 1}),
        series(new String[] {"__name__", "b", "job", ""}, new double[] {1, 1})));

    assertThat(appender.lines()).containsExactly("b{} 1 1.0"); // an empty value is no label
    assertThat(result.build().firstErrors()).contains("has label 'job' twice");
  }

  @Test
  void exemplarsMetadataAndHistograms() throws IOException {
    byte[] exemplar = message(o -> {
      o.writeByteArray(1, label("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"));
      o.writeDouble(2, 0.25);
      o.writeInt64(3, 999);
    });
    byte[] tooLong = message(o -> {
      o.writeByteArray(1, label("trace_id", "x".repeat(200)));
      o.writeDouble(2, 1);
    });
    byte[] ts = message(o -> {
      o.writeByteArray(1, label("__name__", "req_total"));
      o.writeByteArray(2, sample(7, 1000));
      o.writeByteArray(3, exemplar);
      o.writeByteArray(3, tooLong);
      o.writeByteArray(4, new byte[] {8, 1}); // a native histogram (contents irrelevant)
    });
    byte[] meta = message(o -> {
      o.writeEnum(1, 1);
      o.writeString(2, "req_total");
      o.writeString(4, "Requests.");
      o.writeString(5, "");
    });
    byte[] req = message(o -> {
      o.writeByteArray(1, ts);
      o.writeByteArray(3, meta);
      o.writeString(99, "unknown field, skipped");
    });

    assertThat(decode(req)).isEqualTo(1);
    assertThat(appender.exemplars).hasSize(1);
    assertThat(appender.exemplars.get(0).exemplar()).isEqualTo(
        new Exemplar(Labels.of("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"), 0.25, 999));
    assertThat(appender.metadata).isEqualTo(Map.of("req_total",
        new MetricMetadata("req_total", MetricMetadata.Type.COUNTER, "Requests.", "")));
    AppendResult r = result.build();
    assertThat(r.rejected()).isEqualTo(Map.of(RejectReason.UNSUPPORTED_TYPE, 1L, RejectReason.INVALID_EXEMPLAR, 1L));
    assertThat(r.firstErrors()).contains("series req_total{} has 1 native histogram samples (not supported yet")
        .contains("exemplar labels have 208 characters (expected: at most 128)");
  }

  @Test
  void malformedProtobufIsInvalidInput() throws IOException {
    byte[] good = writeRequest(series(new String[] {"__name__", "up"}, new double[] {1, 1}));
    byte[] truncated = Arrays.copyOf(good, good.length - 3);
    assertThatThrownBy(() -> decode(truncated))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("request body: malformed remote-write protobuf at byte ");
    assertThatThrownBy(() -> decode(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}))
        .isInstanceOf(InvalidInputException.class);
  }

  @Test
  void corruptedRequestsOnlyEverFailAsInvalidInput() throws IOException {
    byte[] good = writeRequest(
        series(new String[] {"__name__", "up", "job", "node"}, new double[] {1, 1000}, new double[] {2, 2000}),
        series(new String[] {"__name__", "x"}, new double[] {3, 3000}));
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < 2000; i++) {
      byte[] bad = good.clone();
      for (int k = 0; k < 1 + random.nextInt(3); k++) {
        bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
      }
      try {
        RemoteWrite.decode(TENANT, bad, new RecordingAppender(), IngestLimits.defaults(), new AppendResult.Builder());
      } catch (InvalidInputException expected) {
        assertThat(expected.getMessage()).startsWith("request body: malformed remote-write protobuf");
      }
      try {
        RemoteWrite.decompress(Snappy.compress(bad), 1 << 16);
        byte[] snappy = Snappy.compress(good);
        snappy[random.nextInt(snappy.length)] ^= (byte) (1 + random.nextInt(255));
        RemoteWrite.decompress(snappy, 1 << 16);
      } catch (InvalidInputException | ResourceExhaustedException expected) {
        // the two outcomes decompress documents
      }
    }
  }

  @Test
  void emptyRequestAppendsNothing() {
    assertThat(decode(new byte[0])).isZero();
  }

  // ---- snappy

  @Test
  void decompressRoundTrips() throws IOException {
    byte[] proto = writeRequest(series(new String[] {"__name__", "up"}, new double[] {1, 1}));
    assertThat(RemoteWrite.decompress(Snappy.compress(proto), 1 << 20)).isEqualTo(proto);
    assertThat(RemoteWrite.decompress(Snappy.compress(new byte[0]), 10)).isEmpty();
  }

  @Test
  void declaredSizeOverTheLimitIsRefusedBeforeAllocating() throws IOException {
    byte[] big = Snappy.compress(new byte[100_000]);
    assertThatThrownBy(() -> RemoteWrite.decompress(big, 99_999))
        .isInstanceOf(ResourceExhaustedException.class)
        .hasMessage("request body: snappy block declares 100000 uncompressed bytes (expected: at most 99999)")
        .matches(e -> ((ResourceExhaustedException) e).tooLarge());
    // A 5-byte body claiming ~4 GiB: refused from the header alone.
    byte[] bomb = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f};
    assertThatThrownBy(() -> RemoteWrite.decompress(bomb, 16 << 20))
        .isInstanceOf(ResourceExhaustedException.class)
        .hasMessageContaining("declares 4294967295 uncompressed bytes");
  }

  @Test
  void malformedSnappyIsInvalidInput() {
    assertThatThrownBy(() -> RemoteWrite.decompress(new byte[0], 100))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("empty body");
    assertThatThrownBy(() -> RemoteWrite.decompress(new byte[] {10, (byte) 0xfe, 1, 2}, 100))
        .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("request body: malformed snappy block");
    assertThatThrownBy(() -> RemoteWrite.decompress("not snappy at all".getBytes(), 1000))
        .isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> RemoteWrite.decompress(new byte[] {1}, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxUncompressedBytes: 0 (expected: > 0)");
  }

  @Test
  void labelsAreSortedWhateverTheWireOrder() throws IOException {
    decode(writeRequest(series(new String[] {"z", "1", "a", "2", "__name__", "m"}, new double[] {1, 1})));
    assertThat(List.copyOf(appender.points.get(0).labels().toMap().keySet())).containsExactly("__name__", "a", "z");
  }
}
