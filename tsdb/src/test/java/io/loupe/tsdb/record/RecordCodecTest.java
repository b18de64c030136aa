package io.loupe.tsdb.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import io.loupe.model.Sample;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordCodecTest {
  private static List<String> decode(RecordEncoder enc) {
    List<String> out = new ArrayList<>();
    RecordDecoder.decode(ByteBuffer.wrap(Arrays.copyOf(enc.buffer(), enc.length())), new RecordDecoder.Visitor() {
      @Override
      public void series(String tenant, long id, Labels labels) {
        out.add("series " + tenant + " " + id + " " + labels);
      }

      @Override
      public void sample(long seriesId, long ts, double value) {
        out.add("sample " + seriesId + " " + ts + " " + Long.toHexString(Double.doubleToRawLongBits(value)));
      }

      @Override
      public void exemplar(long seriesId, Exemplar e) {
        out.add("exemplar " + seriesId + " " + e);
      }

      @Override
      public void metadata(String tenant, MetricMetadata m) {
        out.add("metadata " + tenant + " " + m);
      }
    });
    return out;
  }

  @Test
  void roundTripsEveryRecordType() {
    RecordEncoder enc = new RecordEncoder().reset();
    Labels l = Labels.of("__name__", "up", "job", "näme");
    enc.series("t1", 1L << 40, l);
    enc.sample(1L << 40, 1_700_000_000_000L, 1.5);
    enc.sample(7, -5, Sample.STALE_NAN);
    enc.sample(7, 1_700_000_000_000L, Double.NEGATIVE_INFINITY);
    Exemplar e = new Exemplar(Labels.of("trace_id", "abc"), 2.5, 1_700_000_000_123L);
    enc.exemplar(7, e);
    MetricMetadata m = new MetricMetadata("up", MetricMetadata.Type.GAUGE, "help", "seconds");
    enc.metadata("t1", m);
    enc.finish();
    assertThat(decode(enc)).containsExactly(
        "series t1 " + (1L << 40) + " " + l,
        "sample " + (1L << 40) + " 1700000000000 3ff8000000000000",
        "sample 7 -5 7ff0000000000002",
        "sample 7 1700000000000 fff0000000000000",
        "exemplar 7 " + e,
        "metadata t1 " + m);
    // the encoder is reusable
    enc.reset();
    enc.sample(1, 2, 3);
    enc.finish();
    assertThat(decode(enc)).containsExactly("sample 1 2 4008000000000000");
  }

  @Test
  void compactSamplesRoundTripBitExactly() {
    RecordEncoder enc = new RecordEncoder().reset();
    java.util.Random rnd = new java.util.Random(11);
    List<String> want = new ArrayList<>();
    double[] specials = {0.0, -0.0, Double.NaN, Sample.STALE_NAN, Double.POSITIVE_INFINITY, Double.MIN_VALUE,
        Double.longBitsToDouble(0x7ff8000000000001L), 1e300, -1e-300};
    long id = 5;
    long ts = 1_700_000_000_000L;
    for (int i = 0; i < 2000; i++) {
      // ids and timestamps that go up and down, values that repeat, change a little or change entirely
      id = Math.max(0, id + rnd.nextInt(21) - 10 + (i % 97 == 0 ? (1L << 40) : 0));
      ts += rnd.nextInt(5) == 0 ? -rnd.nextInt(100_000) : rnd.nextInt(3) * 15_000L;
      double v = switch (i % 5) {
        case 0 -> specials[rnd.nextInt(specials.length)];
        case 1 -> rnd.nextLong() * 1.0;
        case 2 -> Double.longBitsToDouble(rnd.nextLong());
        case 3 -> Math.round(rnd.nextDouble() * 1e6) / 100.0;
        default -> 42;
      };
      enc.sample(id, ts, v);
      want.add("sample " + id + " " + ts + " " + Long.toHexString(Double.doubleToRawLongBits(v)));
    }
    enc.sample(Long.MAX_VALUE, Long.MIN_VALUE, 1);
    want.add("sample " + Long.MAX_VALUE + " " + Long.MIN_VALUE + " 3ff0000000000000");
    enc.sample(0, Long.MAX_VALUE, 1);
    want.add("sample 0 " + Long.MAX_VALUE + " 3ff0000000000000");
    enc.finish();
    assertThat(decode(enc)).containsExactlyElementsOf(want);
    assertThat(enc.buffer()[0]).isEqualTo((byte) RecordEncoder.SAMPLES_COMPACT);
  }

  @Test
  void compactSamplesOfAScrapeTakeUnderTwoThirdsOfTheBytesOfVersion1() {
    // one scrape of 1000 series with consecutive ids, one timestamp, counters and gauges of one magnitude
    RecordEncoder compact = new RecordEncoder().reset();
    RecordEncoder v1 = new RecordEncoder().reset();
    for (int i = 0; i < 1000; i++) {
      double v = i % 2 == 0 ? 1_000_000 + i * 4096 : 123_456 + i;
      compact.sample(10_000 + 2L * i, 1_700_000_000_000L, v);
      v1.sampleV1(10_000 + 2L * i, 1_700_000_000_000L, v);
    }
    compact.finish();
    v1.finish();
    // 6986 against 11010 bytes when written: ids and timestamps shrink to a byte, values to the bytes that differ
    assertThat(compact.length()).isLessThan(v1.length() * 2 / 3);
  }

  @Test
  void version1SamplesStillDecode() {
    RecordEncoder enc = new RecordEncoder().reset();
    enc.sampleV1(7, 1_700_000_000_000L, 1.5);
    enc.sampleV1(3, 1_700_000_015_000L, Sample.STALE_NAN);
    enc.finish();
    assertThat(enc.buffer()[0]).isEqualTo((byte) RecordEncoder.SAMPLES);
    assertThat(decode(enc)).containsExactly("sample 7 1700000000000 3ff8000000000000",
        "sample 3 1700000015000 7ff0000000000002");
  }

  @Test
  void rejectsACompactValueHeaderOfMoreThanEightBytes() {
    RecordEncoder enc = new RecordEncoder().reset();
    enc.sample(1, 2, 3.0);
    enc.finish();
    byte[] b = Arrays.copyOf(enc.buffer(), enc.length());
    // type, length, count, id, ts, then the value header: make it claim 7 trailing zero bytes and 8 kept
    b[5] = (byte) 0x78;
    assertThatThrownBy(() -> RecordDecoder.decode(ByteBuffer.wrap(b), new RecordDecoder.Visitor() {
      @Override
      public void series(String tenant, long id, Labels labels) {}

      @Override
      public void sample(long seriesId, long ts, double value) {}

      @Override
      public void exemplar(long seriesId, Exemplar exemplar) {}

      @Override
      public void metadata(String tenant, MetricMetadata metadata) {}
    })).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0x78");
  }

  @Test
  void rejectsTruncatedBatch() {
    RecordEncoder enc = new RecordEncoder().reset();
    enc.series("t", 1, Labels.of("__name__", "x"));
    enc.finish();
    ByteBuffer cut = ByteBuffer.wrap(Arrays.copyOf(enc.buffer(), enc.length() - 2));
    assertThatThrownBy(() -> RecordDecoder.decode(cut, new RecordDecoder.Visitor() {
      @Override
      public void series(String tenant, long id, Labels labels) {}

      @Override
      public void sample(long seriesId, long ts, double value) {}

      @Override
      public void exemplar(long seriesId, Exemplar exemplar) {}

      @Override
      public void metadata(String tenant, MetricMetadata metadata) {}
    })).isInstanceOf(IllegalArgumentException.class);
  }
}
