package io.loupe.loadtests.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FlagsTest {
  private static Flags flags() {
    return new Flags("test").flag("series", "20000", "series").flag("duration", "60s", "how long")
        .flag("url", "http://127.0.0.1:9090", "where").bool("start-node", "start");
  }

  @Test
  void defaultsApplyWhenAbsent() {
    Flags f = flags().parse();
    assertThat(f.intValue("series", 1)).isEqualTo(20000);
    assertThat(f.duration("duration")).isEqualTo(Duration.ofSeconds(60));
    assertThat(f.bool("start-node")).isFalse();
    assertThat(f.helpRequested()).isFalse();
  }

  @Test
  void parsesSpaceAndEqualsFormsAndBareBooleans() {
    Flags f = flags().parse("--series", "10k", "--duration=2m", "--start-node", "--url=http://x/y?a=b");
    assertThat(f.intValue("series", 1)).isEqualTo(10_000);
    assertThat(f.duration("duration")).isEqualTo(Duration.ofMinutes(2));
    assertThat(f.bool("start-node")).isTrue();
    assertThat(f.string("url")).isEqualTo("http://x/y?a=b");
    assertThat(flags().parse("--start-node=false").bool("start-node")).isFalse();
    assertThat(flags().parse("--series", "1_500_000").longValue("series", 0)).isEqualTo(1_500_000);
    assertThat(flags().parse("--series", "2m").longValue("series", 0)).isEqualTo(2_000_000);
  }

  @Test
  void durationsTakeUnits() {
    assertThat(Flags.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Flags.parseDuration("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Flags.parseDuration("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Flags.parseDuration("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(Flags.parseDuration("45")).isEqualTo(Duration.ofSeconds(45));
    assertThat(Flags.parseDuration("soon")).isNull();
  }

  @Test
  void badInputNamesTheFlagAndTheExpectation() {
    assertThatThrownBy(() -> flags().parse("--seriess", "1"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("flag: --seriess (expected one of:")
        .hasMessageContaining("--series");
    assertThatThrownBy(() -> flags().parse("series")).hasMessageContaining("argument: 'series'");
    assertThatThrownBy(() -> flags().parse("--series")).hasMessageContaining("no value");
    assertThatThrownBy(() -> flags().parse("--start-node=yes")).hasMessageContaining("'yes' (expected: true or false)");
    assertThatThrownBy(() -> flags().parse("--series", "many").intValue("series", 1))
        .hasMessage("flag --series: 'many' (expected: an integer such as 2000 or 10k)");
    assertThatThrownBy(() -> flags().parse("--series", "0").intValue("series", 1))
        .hasMessage("flag --series: 0 (expected: >= 1)");
    assertThatThrownBy(() -> flags().parse("--duration", "0s").duration("duration"))
        .hasMessageContaining("'0s' (expected: a positive duration");
  }

  @Test
  void usageListsEveryFlagWithItsDefault() {
    assertThat(flags().usage()).contains("--series <20000>", "--start-node", "--help", "how long");
  }
}
