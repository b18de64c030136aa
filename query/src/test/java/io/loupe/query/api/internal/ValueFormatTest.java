package io.loupe.query.api.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.NumberOutput;
import io.loupe.model.Labels;
import io.loupe.query.promql.Matrix;
import io.loupe.query.promql.Vector;
import java.io.ByteArrayOutputStream;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ValueFormatTest {
  /** What the formatter did before it wrote into char buffers: Schubfach digits spelled out by BigDecimal. */
  private static String reference(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == 0) {
      return Double.doubleToRawLongBits(v) == 0 ? "0" : "-0";
    }
    String s = NumberOutput.toString(v, true);
    return s.indexOf('E') < 0 && !s.endsWith(".0") ? s : new BigDecimal(s).stripTrailingZeros().toPlainString();
  }

  @Test
  void longsAreWrittenAsLongToStringDoes() {
    java.util.List<Long> vs = new java.util.ArrayList<>();
    for (long p = 1; p > 0 && p <= Long.MAX_VALUE / 10; p *= 10) { // every digit count, on both sides of each edge
      vs.addAll(java.util.List.of(p - 1, p, p + 1, -p, 10 * p - 1));
    }
    vs.addAll(java.util.List.of(0L, (long) Integer.MAX_VALUE, Integer.MAX_VALUE + 1L, 100_000_000L * 100_000_000L,
        Long.MAX_VALUE, -Long.MAX_VALUE, 100_000_000_000_000_007L));
    SplittableRandom rnd = new SplittableRandom(11);
    for (int i = 0; i < 100_000; i++) {
      vs.add(rnd.nextLong() >> rnd.nextInt(64));
    }
    byte[] buf = new byte[24];
    for (long v : vs) {
      assertThat(new String(buf, 0, ValueFormat.appendLong(buf, 0, v), StandardCharsets.US_ASCII))
          .isEqualTo(Long.toString(v));
    }
  }

  @Test
  void valuesMatchTheReferenceOverEveryMagnitude() {
    SplittableRandom rnd = new SplittableRandom(7);
    for (int i = 0; i < 200_000; i++) {
      double v = switch (i % 4) {
        case 0 -> Double.longBitsToDouble(rnd.nextLong()); // any bit pattern: every exponent, subnormals
        case 1 -> rnd.nextDouble() * Math.pow(10, rnd.nextInt(-12, 25)); // metric-like magnitudes
        case 2 -> Math.rint(rnd.nextDouble() * Math.pow(10, rnd.nextInt(0, 22))); // integral, past the long path
        default -> -rnd.nextDouble() * Math.pow(10, rnd.nextInt(-8, 12));
      };
      assertThat(ValueFormat.value(v)).as("bits %x", Double.doubleToRawLongBits(v)).isEqualTo(reference(v));
    }
  }

  @Test
  void extremes() {
    for (double v : new double[] {Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_VALUE, -Double.MIN_VALUE,
        Double.MIN_NORMAL, 1e15, 1e15 - 1, 1e16, 1e7, 9_999_999.5, 1e-3, 0.00099, 1e22, 1e23, 123e-300}) {
      assertThat(ValueFormat.value(v)).isEqualTo(reference(v));
    }
    assertThat(ValueFormat.value(Double.MIN_VALUE)).hasSize(2 + 323 + 2).startsWith("0.000").endsWith("49");
    assertThat(ValueFormat.value(-Double.MAX_VALUE)).hasSize(310).startsWith("-17976931348623157000");
    assertThat(ValueFormat.value(1e23)).isEqualTo("100000000000000000000000");
    assertThat(ValueFormat.value(Integer.MAX_VALUE)).isEqualTo("2147483647");
    assertThat(ValueFormat.value(-2147483648.0)).isEqualTo("-2147483648");
    assertThat(ValueFormat.value(2147483648.0)).isEqualTo("2147483648");
    assertThat(ValueFormat.value(Long.MAX_VALUE)).isEqualTo("9223372036854776000"); // shortest digits, as Go
  }

  @Test
  void timestamps() {
    assertThat(ValueFormat.timestamp(0)).isEqualTo("0");
    assertThat(ValueFormat.timestamp(999)).isEqualTo("0.999");
    assertThat(ValueFormat.timestamp(-1)).isEqualTo("-0.001");
    assertThat(ValueFormat.timestamp(1_700_000_000_010L)).isEqualTo("1700000000.010");
    assertThat(ValueFormat.timestamp(Long.MAX_VALUE / 4)).isEqualTo("2305843009213693.951");
    assertThat(ValueFormat.timestamp(-Long.MAX_VALUE / 4)).isEqualTo("-2305843009213693.951");
    SplittableRandom rnd = new SplittableRandom(3);
    for (int i = 0; i < 100_000; i++) {
      long ms = i < 50_000 ? rnd.nextLong(-Long.MAX_VALUE / 4, Long.MAX_VALUE / 4) : rnd.nextLong(0, 1L << 42);
      long t = Math.abs(ms);
      String want = (ms < 0 ? "-" : "") + t / 1000 + (t % 1000 == 0 ? "" : String.format(".%03d", t % 1000));
      assertThat(ValueFormat.timestamp(ms)).isEqualTo(want);
    }
  }

  @Test
  void pointsAreWrittenAsTheGeneratorWouldWriteThem() throws Exception {
    long[] ts = {1_000, 1_500, 2_000, 2_001};
    double[] vs = {1, Double.NaN, 1.5e-7, Double.NEGATIVE_INFINITY};
    Matrix m = new Matrix(List.of(new Matrix.Series(Labels.of("__name__", "x", "a", "q\"\\"), ts, vs, 4),
        new Matrix.Series(Labels.of("b", "2"), new long[] {3_000}, new double[] {-0.0}, 1)));
    assertThat(queryData(m)).isEqualTo("{\"resultType\":\"matrix\",\"result\":["
        + "{\"metric\":{\"__name__\":\"x\",\"a\":\"q\\\"\\\\\"},\"values\":[[1,\"1\"],[1.500,\"NaN\"],"
        + "[2,\"0.00000015\"],[2.001,\"-Inf\"]]},{\"metric\":{\"b\":\"2\"},\"values\":[[3,\"-0\"]]}]}");
    assertThat(queryData(new Vector(List.of(new Vector.Sample(Labels.EMPTY, 5_000, 2.5),
        new Vector.Sample(Labels.of("c", "d"), 5_000, 1e21))))).isEqualTo("{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[5,\"2.5\"]},"
        + "{\"metric\":{\"c\":\"d\"},\"value\":[5,\"1000000000000000000000\"]}]}");
  }

  private static String queryData(io.loupe.query.promql.Value v) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    JsonOut out = new JsonOut(bytes, 64); // a small buffer, so that points and strings straddle flushes
    PromJson.queryData(out, v, 0, new ArrayList<>());
    out.flush();
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void valuesWithFewDecimalsMatchTheReference() {
    SplittableRandom rnd = new SplittableRandom(5);
    for (int i = 0; i < 300_000; i++) {
      int decimals = rnd.nextInt(1, 8);
      double scale = Math.pow(10, decimals);
      double v = switch (i % 3) {
        case 0 -> rnd.nextLong(-1_000_000_000L, 1_000_000_000L) / scale; // a gauge kept at a resolution
        case 1 -> rnd.nextLong(0, 1L << 40) / scale; // large magnitudes, near where the fast path stops
        default -> rnd.nextLong(1, 100_000) / scale / rnd.nextInt(1, 40); // averages of such
      };
      assertThat(ValueFormat.value(v)).as("bits %x", Double.doubleToRawLongBits(v)).isEqualTo(reference(v));
    }
    byte[] buf = new byte[64];
    assertThat(ValueFormat.appendFewDecimals(buf, 0, 0.54)).isEqualTo(4);
    assertThat(new String(buf, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("0.54");
    assertThat(ValueFormat.appendFewDecimals(buf, 0, -1.000001)).isEqualTo(9);
    assertThat(ValueFormat.appendFewDecimals(buf, 0, 0.1 + 0.2)).isEqualTo(-1); // 0.30000000000000004: Schubfach
    assertThat(ValueFormat.appendFewDecimals(buf, 0, 1e-7)).isEqualTo(-1);
    for (double v : new double[] {0.1 + 0.2, 1e-7, 0.5, 4503599627370495.5, 0.000001, 123456789.125}) {
      assertThat(ValueFormat.value(v)).isEqualTo(reference(v));
    }
  }

  @Test
  void stringsAreEscapedAsJacksonEscapesThem() throws Exception {
    List<String> strings = new ArrayList<>();
    StringBuilder all = new StringBuilder();
    for (char c = 0; c < 0x100; c++) {
      all.append(c);
      strings.add("a" + c + "b");
    }
    strings.add(all.toString());
    strings.add("mountpoint=~\"/|/var/.*\" \u00e9\u4e2d\ud83d\ude00 \\ end");
    strings.add("x".repeat(200) + "\u00e9".repeat(100) + "\"".repeat(50)); // longer than the test's buffer
    strings.add("");
    for (String s : strings) {
      StringWriter w = new StringWriter();
      try (JsonGenerator g = JsonResponses.JSON.createGenerator(w)) {
        g.writeString(s);
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      JsonOut out = new JsonOut(bytes, 64);
      out.string(s);
      out.flush();
      assertThat(bytes.toString(StandardCharsets.UTF_8)).as("%s", s).isEqualTo(w.toString());
    }
  }

  @Test
  void pointsRepeatingTimestampsAreWrittenAsFormattedOnce() throws Exception {
    SplittableRandom rnd = new SplittableRandom(9);
    long[] ts = new long[20_000];
    for (int i = 0; i < ts.length; i++) {
      // step grids (which share the digit cache) mixed with arbitrary times (which collide in it)
      ts[i] = i % 3 == 0 ? rnd.nextLong(-Long.MAX_VALUE / 4, Long.MAX_VALUE / 4)
          : 1_795_815_690_038L + 15_000L * rnd.nextInt(2_000);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    JsonOut out = new JsonOut(bytes, 64);
    StringBuilder want = new StringBuilder();
    for (long t : ts) {
      out.point(t, 0.5);
      want.append('[').append(ValueFormat.timestamp(t)).append(",\"0.5\"]");
    }
    out.flush();
    assertThat(bytes.toString(StandardCharsets.US_ASCII)).isEqualTo(want.toString());
  }
}
