package io.loupe.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
  @TempDir
  Path dir;

  private Settings yaml(String text) throws Exception {
    Path f = dir.resolve("loupe.yaml");
    Files.writeString(f, text);
    return Settings.load(f);
  }

  @Test
  void readsTypedValuesWithDefaults() throws Exception {
    Settings s = yaml("""
        tsdb:
          out_of_order_window: 1h30m
          wal_segment_size: 64MiB
        server:
          http_port: 9999
        """);
    assertThat(s.duration("tsdb.out_of_order_window", Duration.ZERO)).isEqualTo(Duration.ofMinutes(90));
    assertThat(s.bytes("tsdb.wal_segment_size", 0)).isEqualTo(64L << 20);
    assertThat(s.integer("server.http_port", 1)).isEqualTo(9999);
    assertThat(s.integer("server.otlp_grpc_port", 4317)).isEqualTo(4317);
    s.checkAllRead();
  }

  @Test
  void misspeltKeyFailsNamingIt() throws Exception {
    Settings s = yaml("tsdb:\n  fsnyc: always\n");
    s.string("tsdb.fsync", "always");
    assertThatThrownBy(s::checkAllRead).isInstanceOf(ConfigException.class).hasMessageContaining("tsdb.fsnyc");
  }

  @Test
  void badValuesNameTheSettingAndTheExpectation() throws Exception {
    Settings s = yaml("a: 5 minutes\nb: lots\nc: x\n");
    assertThatThrownBy(() -> s.duration("a", Duration.ZERO)).hasMessageContaining("a: '5 minutes'")
        .hasMessageContaining("duration");
    assertThatThrownBy(() -> s.bytes("b", 0)).hasMessageContaining("b: 'lots'");
    assertThatThrownBy(() -> s.integer("c", 0)).hasMessageContaining("integer");
  }

  @Test
  void overridesWinOverTheFile() throws Exception {
    Settings s = yaml("server:\n  http_port: 1\n");
    s.override("server.http_port", 2);
    assertThat(s.integer("server.http_port", 0)).isEqualTo(2);
  }
}
