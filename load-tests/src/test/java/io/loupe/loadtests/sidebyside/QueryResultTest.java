package io.loupe.loadtests.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class QueryResultTest {
  private static final String A = """
      {"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{"mode":"user"},"values":[[1700000000.375,"1.5"],[1700000015.375,"NaN"]]},
        {"metric":{"mode":"idle"},"values":[[1700000000.375,"+Inf"],[1700000015.375,"2"]]}]}}""";

  @Test
  void parsesTheMatrixAndSortsSeriesByLabels() throws IOException {
    QueryResult r = QueryResult.parse(A);
    assertThat(r.series()).extracting(s -> s.labels().get("mode")).containsExactly("idle", "user");
    assertThat(r.series().get(1).timestamps()).containsExactly(1_700_000_000_375L, 1_700_000_015_375L);
    assertThat(r.series().get(0).values()[0]).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(r.series().get(1).values()[1]).isNaN();
    assertThat(r.points()).isEqualTo(4);
  }

  @Test
  void sameAnswerInAnotherSeriesOrderWithTinyRoundingIsTheSame() throws IOException {
    String b = """
        {"status":"success","data":{"resultType":"matrix","result":[
          {"metric":{"mode":"idle"},"values":[[1700000000.375,"+Inf"],[1700000015.375,"2.000000000001"]]},
          {"metric":{"mode":"user"},"values":[[1700000000.375,"1.5"],[1700000015.375,"NaN"]]}]}}""";
    assertThat(QueryResult.parse(A).difference(QueryResult.parse(b), 1e-9)).isEmpty();
  }

  @Test
  void reportsTheFirstDifferingValueAndHowMany() throws IOException {
    String b = A.replace("\"1.5\"", "\"1.6\"");
    assertThat(QueryResult.parse(A).difference(QueryResult.parse(b), 1e-9)).hasValueSatisfying(d -> assertThat(d)
        .contains("1 of 4 values differ").contains("{mode=user}").contains("1.5 vs 1.6"));
  }

  @Test
  void reportsDifferentSeriesSetsAndTimestamps() throws IOException {
    String extraLabel = A.replace("{\"mode\":\"user\"}", "{\"__name__\":\"x\",\"mode\":\"user\"}");
    assertThat(QueryResult.parse(A).difference(QueryResult.parse(extraLabel), 1e-9)).hasValueSatisfying(
        d -> assertThat(d).contains("series: 2 vs 2 (first only on the left: {mode=user})"));
    String oneSeries = """
        {"status":"success","data":{"resultType":"matrix","result":[
          {"metric":{"mode":"idle"},"values":[[1700000000.375,"+Inf"],[1700000015.375,"2"]]}]}}""";
    assertThat(QueryResult.parse(A).difference(QueryResult.parse(oneSeries), 1e-9)).hasValueSatisfying(
        d -> assertThat(d).contains("series: 2 vs 1").contains("only on the left: {mode=user}"));
    String shifted = A.replace("1700000015.375", "1700000015.000");
    assertThat(QueryResult.parse(A).difference(QueryResult.parse(shifted), 1e-9)).hasValueSatisfying(
        d -> assertThat(d).startsWith("timestamps of"));
  }

  @Test
  void closeIsRelativeAndNanOnlyEqualsNan() {
    assertThat(QueryResult.close(1e12, 1e12 + 1, 1e-9)).isTrue();
    assertThat(QueryResult.close(1.0, 1.0 + 1e-8, 1e-9)).isFalse();
    assertThat(QueryResult.close(0.0, 1e-300, 1e-9)).isFalse();
    assertThat(QueryResult.close(Double.NaN, Double.NaN, 1e-9)).isTrue();
    assertThat(QueryResult.close(Double.NaN, 0, 1e-9)).isFalse();
    assertThat(QueryResult.close(Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e-9)).isTrue();
  }

  @Test
  void rejectsErrorsAndOtherResultTypes() {
    assertThatThrownBy(() -> QueryResult.parse("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"x\"}"))
        .isInstanceOf(IOException.class).hasMessageContaining("bad_data");
    assertThatThrownBy(() -> QueryResult.parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
        + "\"result\":[]}}")).isInstanceOf(IOException.class).hasMessageContaining("vector (expected: matrix)");
  }
}
