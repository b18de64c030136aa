package io.loupe.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AppendResultTest {
  @Test
  void mergingKeepsOneTrailingCountOfTheMessagesLeftOut() {
    AppendResult.Builder inner = new AppendResult.Builder();
    for (int i = 0; i < 6; i++) {
      inner.reject(RejectReason.TOO_OLD, "s" + i);
    }
    AppendResult.Builder outer = new AppendResult.Builder().accept(10).merge(inner.build());
    AppendResult r = outer.build();
    assertThat(r.accepted()).isEqualTo(10);
    assertThat(r.rejectedCount()).isEqualTo(6);
    assertThat(r.firstErrors()).endsWith("(and 3 more)");
    assertThat(r.firstErrors().indexOf("more")).isEqualTo(r.firstErrors().lastIndexOf("more"));
  }

  @Test
  void countedRejectionsCountEveryPoint() {
    AppendResult r = new AppendResult.Builder().reject(RejectReason.INVALID_LABELS, "series x", 5).build();
    assertThat(r.rejected()).containsEntry(RejectReason.INVALID_LABELS, 5L);
    assertThat(r.firstErrors()).isEqualTo("invalid labels: series x");
  }
}
