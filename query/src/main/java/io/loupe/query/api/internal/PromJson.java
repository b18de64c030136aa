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

  /**
   * {@code {"resultType":..., "result":...}} of a query, at most {@code limit} series (0: all); adds {@link
   * #TRUNCATED} to {@code warnings} when it cut. Written as bytes ({@link JsonOut}): answers are mostly points.
   */
  public static void queryData(JsonOut out, Value v, int limit, List<String> warnings) throws IOException {
    out.raw("{\"resultType\":");
    out.string(v.typeName());
    out.raw(",\"result\":");
    if (v instanceof Scalar s) {
      out.point(s.timestampMs(), s.value());
    } else if (v instanceof StringValue s) {
      out.raw('[').timestamp(s.timestampMs()).raw(',').string(s.value()).raw(']');
    } else if (v instanceof Vector vec) {
      out.raw('[');
      int n = 0;
      for (Vector.Sample s : vec.samples()) {
        if (limit > 0 && n == limit) {
          warnings.add(TRUNCATED);
          break;
        }
        if (n > 0) {
          out.raw(',');
        }
        out.raw("{\"metric\":").labels(s.labels()).raw(",\"value\":").point(s.timestampMs(), s.value()).raw('}');
        n++;
      }
      out.raw(']');
    } else if (v instanceof Matrix m) {
      out.raw('[');
      int n = 0;
      for (Matrix.Series s : m.series()) {
        if (s.length() == 0) {
          continue; // Prometheus never returns a series without points
        }
        if (limit > 0 && n == limit) {
          warnings.add(TRUNCATED);
          break;
        }
        if (n > 0) {
          out.raw(',');
        }
        out.raw("{\"metric\":").labels(s.labels()).raw(",\"values\":[");
        long[] ts = s.timestamps();
        double[] vs = s.values();
        for (int i = 0; i < s.length(); i++) {
          if (i > 0) {
            out.raw(',');
          }
          out.point(ts[i], vs[i]);
        }
        out.raw("]}");
        n++;
      }
      out.raw(']');
    } else {
      throw new IllegalStateException("unknown value type: " + v.getClass().getName());
    }
    out.raw('}');
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
