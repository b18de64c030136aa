package io.loupe.query.api.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import io.loupe.model.SeriesExemplars;
import io.loupe.query.promql.Matrix;
import io.loupe.query.promql.Scalar;
import io.loupe.query.promql.StringValue;
import io.loupe.query.promql.Value;
import io.loupe.query.promql.Vector;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/** Prometheus's JSON encodings of results (docs/querying/api.md, "Expression query result formats"). */
public final class PromJson {
  /** The warning Prometheus attaches when {@code limit} cut a result. */
  public static final String TRUNCATED = "results truncated due to limit";

  private PromJson() {}

  /** A label set as an object, in label order. */
  public static void labels(JsonGenerator g, Labels labels) throws IOException {
    g.writeStartObject();
    for (int i = 0; i < labels.size(); i++) {
      g.writeStringField(labels.name(i), labels.value(i));
    }
    g.writeEndObject();
  }

  /** {@code [<seconds>, "<value>"]}. */
  public static void point(JsonGenerator g, long timestampMs, double value) throws IOException {
    point(g, new char[POINT_CHARS], timestampMs, value);
  }

  /** Room for one point in {@link #point(JsonGenerator, char[], long, double)}'s buffer. */
  static final int POINT_CHARS = ValueFormat.MAX_TIMESTAMP_CHARS + ValueFormat.MAX_VALUE_CHARS + 8;

  /**
   * {@code [<seconds>,"<value>"]} composed in {@code buf} ({@link #POINT_CHARS} long) and written as one raw value:
   * four generator calls and two strings per point were most of the cost of writing a range result (values never
   * need escaping: digits, '.', '-', "NaN", "+Inf").
   */
  static void point(JsonGenerator g, char[] buf, long timestampMs, double value) throws IOException {
    buf[0] = '[';
    int p = ValueFormat.appendTimestamp(buf, 1, timestampMs);
    buf[p++] = ',';
    buf[p++] = '"';
    p = ValueFormat.appendValue(buf, p, value);
    buf[p++] = '"';
    buf[p++] = ']';
    g.writeRawValue(buf, 0, p);
  }

  /**
   * {@code {"resultType":..., "result":...}} of a query, at most {@code limit} series (0: all); adds {@link
   * #TRUNCATED} to {@code warnings} when it cut.
   */
  public static void queryData(JsonGenerator g, Value v, int limit, List<String> warnings) throws IOException {
    g.writeStartObject();
    g.writeStringField("resultType", v.typeName());
    g.writeFieldName("result");
    if (v instanceof Scalar s) {
      point(g, s.timestampMs(), s.value());
    } else if (v instanceof StringValue s) {
      g.writeStartArray();
      g.writeNumber(ValueFormat.timestamp(s.timestampMs()));
      g.writeString(s.value());
      g.writeEndArray();
    } else if (v instanceof Vector vec) {
      char[] buf = new char[POINT_CHARS];
      g.writeStartArray();
      int n = 0;
      for (Vector.Sample s : vec.samples()) {
        if (limit > 0 && n == limit) {
          warnings.add(TRUNCATED);
          break;
        }
        g.writeStartObject();
        g.writeFieldName("metric");
        labels(g, s.labels());
        g.writeFieldName("value");
        point(g, buf, s.timestampMs(), s.value());
        g.writeEndObject();
        n++;
      }
      g.writeEndArray();
    } else if (v instanceof Matrix m) {
      char[] buf = new char[POINT_CHARS];
      g.writeStartArray();
      int n = 0;
      for (Matrix.Series s : m.series()) {
        if (s.length() == 0) {
          continue; // Prometheus never returns a series without points
        }
        if (limit > 0 && n == limit) {
          warnings.add(TRUNCATED);
          break;
        }
        g.writeStartObject();
        g.writeFieldName("metric");
        labels(g, s.labels());
        g.writeArrayFieldStart("values");
        long[] ts = s.timestamps();
        double[] vs = s.values();
        for (int i = 0; i < s.length(); i++) {
          point(g, buf, ts[i], vs[i]);
        }
        g.writeEndArray();
        g.writeEndObject();
        n++;
      }
      g.writeEndArray();
    } else {
      throw new IllegalStateException("unknown value type: " + v.getClass().getName());
    }
    g.writeEndObject();
  }

  /** {@code [{"seriesLabels":{...},"exemplars":[{"labels":{...},"value":"6","timestamp":1600096945.479}]}]}. */
  public static void exemplars(JsonGenerator g, List<SeriesExemplars> all) throws IOException {
    g.writeStartArray();
    for (SeriesExemplars se : all) {
      g.writeStartObject();
      g.writeFieldName("seriesLabels");
      labels(g, se.seriesLabels());
      g.writeArrayFieldStart("exemplars");
      for (Exemplar e : se.exemplars()) {
        g.writeStartObject();
        g.writeFieldName("labels");
        labels(g, e.labels());
        g.writeStringField("value", ValueFormat.value(e.value()));
        g.writeFieldName("timestamp");
        g.writeNumber(ValueFormat.timestamp(e.timestampMs()));
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  /** {@code {"metric":[{"type":"counter","help":"...","unit":""}]}}, at most {@code perMetric} entries each (< 0: all). */
  public static void metadata(JsonGenerator g, Map<String, List<MetricMetadata>> byFamily, int perMetric)
      throws IOException {
    g.writeStartObject();
    for (Map.Entry<String, List<MetricMetadata>> e : byFamily.entrySet()) {
      g.writeArrayFieldStart(e.getKey());
      int n = 0;
      for (MetricMetadata m : e.getValue()) {
        if (perMetric >= 0 && n == perMetric) {
          break;
        }
        g.writeStartObject();
        g.writeStringField("type", m.type().text());
        g.writeStringField("help", m.help());
        g.writeStringField("unit", m.unit());
        g.writeEndObject();
        n++;
      }
      g.writeEndArray();
    }
    g.writeEndObject();
  }
}
