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
