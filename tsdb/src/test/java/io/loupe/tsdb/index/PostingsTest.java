package io.loupe.tsdb.index;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.RoaringBitmap;

class PostingsTest {
  private static final String[] MOUNTS = {"/", "/boot", "/var", "/var/", "/var/lib/data", "/var/log", "/varnish",
      "/srv", "/v", "/\u00e9t\u00e9/x", "a|b", "a"};

  @Test
  void regexSelectionsMatchThePatternOnEveryValue() {
    Postings p = new Postings();
    List<Labels> series = new ArrayList<>();
    SplittableRandom rnd = new SplittableRandom(1);
    for (int ref = 0; ref < 2_000; ref++) {
      Labels.Builder b = Labels.builder().set("__name__", "node_filesystem_avail_bytes")
          .set("instance", "node-" + rnd.nextInt(50));
      if (rnd.nextInt(10) > 0) { // some series lack the label
        b.set("mountpoint", MOUNTS[rnd.nextInt(MOUNTS.length)]);
      }
      Labels l = b.build();
      series.add(l);
      p.add(ref, l);
    }
    for (String re : new String[] {"/|/var/.*", "/var/.*|/boot", "/var.*", "/|/boot|/srv", "/v.*|/", "/var/",
        "/var/l.*|/var/lib/data", "/\u00e9t\u00e9/.*", "/v.r/.*", "(/|/var/.*)", "/|/var/.+", "/[a-z]+", "x.*|y",
        "/boot|.*", "a\\|b", "a|b"}) {
      List<Matcher> ms = List.of(Matcher.metricName("node_filesystem_avail_bytes"), Matcher.regex("mountpoint", re),
          Matcher.notRegex("instance", "node-1.*"));
      RoaringBitmap want = new RoaringBitmap();
      for (int ref = 0; ref < series.size(); ref++) {
        Labels l = series.get(ref);
        if (ms.stream().allMatch(m -> m.matches(l.get(m.name())))) {
          want.add(ref);
        }
      }
      assertThat(p.select(ms)).as(re).isEqualTo(want);
    }
  }

  @Test
  void shapesOfAlternationsOfLiteralsAndPrefixes() {
    RegexShape s = RegexShape.of("/|/var/.*");
    assertThat(s.literals).containsExactly("/");
    assertThat(s.prefixes).containsExactly("/var/");
    s = RegexShape.of("a|b.*|c");
    assertThat(s.literals).containsExactly("a", "c");
    assertThat(s.prefixes).containsExactly("b");
    assertThat(RegexShape.of("(/|/var/.*)")).isNull();
    assertThat(RegexShape.of("/var/.+")).isNull();
    assertThat(RegexShape.of("a\\|b")).isNull();
    assertThat(RegexShape.of("/v.r")).isNull();
  }
}
