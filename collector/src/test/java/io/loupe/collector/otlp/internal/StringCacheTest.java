package io.loupe.collector.otlp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The process-wide string cache: its bound, its admission of repeated strings only, and what unique values cost it. */
class StringCacheTest {
  @Test
  void aStringIsCachedOnItsSecondMissAndSharedAfterwards() {
    StringCache cache = new StringCache(64, 128);
    String first = get(cache, "http.route");
    String second = get(cache, "http.route");
    String third = get(cache, "http.route");
    assertThat(first).isEqualTo("http.route").isNotSameAs(second);
    assertThat(third).isSameAs(second);
    assertThat(cache.size()).isEqualTo(1);
  }

  @Test
  void theBoundHoldsHoweverManyStringsRepeat() {
    StringCache cache = new StringCache(64, 128);
    for (int i = 0; i < 10_000; i++) {
      String s = "value-" + i + "-" + "z".repeat(i % 50);
      assertThat(get(cache, s)).isEqualTo(s);
      assertThat(get(cache, s)).isEqualTo(s); // admitted: seen twice
    }
    assertThat(cache.size()).isLessThanOrEqualTo(64);
    assertThat(cache.bytes()).isLessThanOrEqualTo(64L * StringTable.MAX_CACHED_BYTES);
  }

  /**
   * The pipeline workload's mix: per request ~100 common strings (keys, names, routes, hosts) looked up once each and
   * ~160 unique ones (device keys, client addresses). The unique ones only touch the doorkeeper, so the common ones
   * stay cached and the cache holds hardly any unique value.
   */
  @Test
  void uniqueValuesNeitherEvictTheCommonOnesNorFillTheCache() {
    StringCache cache = new StringCache(1 << 14, 1 << 15);
    List<String> common = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      common.add("common.attribute.key." + i);
    }
    Random random = new Random(3);
    int commonMisses = 0;
    List<String> previous = new ArrayList<>();
    for (int request = 0; request < 2_000; request++) {
      List<String> now = new ArrayList<>();
      for (String c : common) {
        now.add(get(cache, c));
      }
      for (int i = 0; i < 160; i++) {
        get(cache, "device-" + random.nextInt(1_000_000_000));
      }
      if (request >= 2) {
        for (int i = 0; i < now.size(); i++) {
          commonMisses += now.get(i) == previous.get(i) ? 0 : 1;
        }
      }
      previous = now;
    }
    assertThat(commonMisses).as("common strings that were new instances after the warm-up").isZero();
    // 320,000 unique values went by; the few admitted are those whose 32-bit hash met an earlier one's
    assertThat(cache.size()).isLessThan(100 + 50);
  }

  @Test
  void sizesMustBePowersOfTwo() {
    assertThatThrownBy(() -> new StringCache(100, 128)).hasMessage("slots: 100 (expected: a power of two >= 4)");
    assertThatThrownBy(() -> new StringCache(64, 1)).hasMessage("doorkeeper: 1 (expected: a power of two >= 2)");
  }

  private static String get(StringCache cache, String s) {
    byte[] b = ("..." + s).getBytes(StandardCharsets.US_ASCII); // at an offset, as in a request body
    return cache.get(b, 3, b.length - 3, StringTable.hash(b, 3, b.length - 3));
  }
}
