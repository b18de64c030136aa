package io.loupe.tracestore.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The document builder's once-per-document table. */
class SearchIndexTest {
  @Test
  void seenAddsEachPairOncePerDocumentAndForgetsOnClear() {
    SearchIndex.Seen seen = new SearchIndex.Seen();
    Object keyA = new Object();
    Object keyB = new Object();
    assertThat(seen.add(keyA, 7, "x")).isTrue();
    assertThat(seen.add(keyA, 7, new String("x"))).isFalse(); // equal content, another instance
    assertThat(seen.add(keyB, 7, "x")).isTrue(); // same hash, another tag: tags are told apart by identity
    assertThat(seen.add(keyA, 7, "x", "y")).isTrue(); // a pair is not the string
    assertThat(seen.add(keyA, 7, "x", "y")).isFalse();
    assertThat(seen.add(keyA, 7, "xy", "")).isTrue();
    assertThat(seen.add(keyA, 7, SearchIndex.Seen.LONG, 1)).isTrue();
    assertThat(seen.add(keyA, 7, SearchIndex.Seen.DOUBLE, 1)).isTrue(); // same bits, another type
    assertThat(seen.add(keyA, 7, SearchIndex.Seen.BOOLEAN, 1)).isTrue();
    assertThat(seen.add(keyA, 7, SearchIndex.Seen.LONG, 1)).isFalse();

    seen.clear();
    assertThat(seen.add(keyA, 7, "x")).isTrue();
    assertThat(seen.add(keyA, 7, SearchIndex.Seen.LONG, 1)).isTrue();
  }

  @Test
  void seenGrowsWithoutLosingPairs() {
    SearchIndex.Seen seen = new SearchIndex.Seen();
    Object tag = new Object();
    for (int doc = 0; doc < 3; doc++) {
      for (long i = 0; i < 10_000; i++) {
        assertThat(seen.add(tag, 1, SearchIndex.Seen.LONG, i)).isTrue();
        assertThat(seen.add(tag, 1, "v" + i)).isTrue();
      }
      for (long i = 0; i < 10_000; i++) {
        assertThat(seen.add(tag, 1, SearchIndex.Seen.LONG, i)).isFalse();
        assertThat(seen.add(tag, 1, "v" + i)).isFalse();
      }
      seen.clear();
    }
  }
}
