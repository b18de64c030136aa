package io.loupe.loadtests.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

class RemoteWriteEncoderTest {
  @Test
  void protobufParserReadsWhatTheEncoderWrote() throws Exception {
    byte[][] labels = {
        RemoteWriteEncoder.encodeLabels("__name__", "up", "instance", "a:9100", "job", "node"),
        RemoteWriteEncoder.encodeLabels("__name__", "node_load1", "instance", "b:9100", "job", "node"),
        RemoteWriteEncoder.encodeLabels("__name__", "x", "v", "ünïcødé ✓")};
    double[] values = {1, 0.25, -3.5e300};
    long[] ts = {1_790_000_000_000L, 1_790_000_015_000L, 0};

    List<RemoteWriteProto.DecodedSample> all =
        RemoteWriteProto.decode(RemoteWriteEncoder.encodeWriteRequest(labels, values, ts, 0, 3));

    assertThat(all).hasSize(3);
    assertThat(all.get(0).labels()).isEqualTo(Map.of("__name__", "up", "instance", "a:9100", "job", "node"));
    assertThat(all.get(0).labelOrder()).containsExactly("__name__", "instance", "job");
    assertThat(all.get(0).value()).isEqualTo(1.0);
    assertThat(all.get(0).timestamp()).isEqualTo(1_790_000_000_000L);
    assertThat(all.get(1).labels()).containsEntry("__name__", "node_load1");
    assertThat(all.get(1).value()).isEqualTo(0.25);
    assertThat(all.get(2).labels()).containsEntry("v", "ünïcødé ✓");
    assertThat(all.get(2).value()).isEqualTo(-3.5e300);
    assertThat(all.get(2).timestamp()).isZero();
  }

  @Test
  void encodesOnlyTheRequestedRange() throws Exception {
    byte[][] labels = new byte[5][];
    double[] values = new double[5];
    long[] ts = new long[5];
    for (int i = 0; i < 5; i++) {
      labels[i] = RemoteWriteEncoder.encodeLabels("__name__", "m" + i);
      values[i] = i;
      ts[i] = 1000L * i;
    }
    List<RemoteWriteProto.DecodedSample> got =
        RemoteWriteProto.decode(RemoteWriteEncoder.encodeWriteRequest(labels, values, ts, 1, 4));
    assertThat(got).extracting(s -> s.labels().get("__name__")).containsExactly("m1", "m2", "m3");
    assertThat(got).extracting(RemoteWriteProto.DecodedSample::value).containsExactly(1.0, 2.0, 3.0);
  }

  @Test
  void compressesWithSnappyBlockFormat() throws Exception {
    byte[] raw = RemoteWriteEncoder.encodeWriteRequest(
        new byte[][] {RemoteWriteEncoder.encodeLabels("__name__", "up")}, new double[] {1}, new long[] {5}, 0, 1);
    byte[] compressed = RemoteWriteEncoder.compress(raw);
    assertThat(Snappy.isValidCompressedBuffer(compressed)).isTrue();
    assertThat(Snappy.uncompress(compressed)).isEqualTo(raw);
  }

  @Test
  void refusesUnsortedOrOddLabels() {
    assertThatThrownBy(() -> RemoteWriteEncoder.encodeLabels("job", "node", "__name__", "up"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'job' before '__name__'");
    assertThatThrownBy(() -> RemoteWriteEncoder.encodeLabels("__name__"))
        .hasMessageContaining("1 strings (expected: an even count)");
  }
}
