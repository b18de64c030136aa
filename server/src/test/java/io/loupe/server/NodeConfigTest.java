package io.loupe.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.server.internal.ConfigException;
import io.loupe.server.internal.Settings;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class NodeConfigTest {
  /** The shipped config/loupe.yaml names every setting, each at its default. */
  @Test
  void shippedConfigFileIsCompleteAndEqualsTheDefaults() {
    Path file = Path.of(System.getProperty("maven.multiModuleProjectDirectory", ".."), "config", "loupe.yaml");
    if (!file.toFile().exists()) {
      file = Path.of("..", "config", "loupe.yaml");
    }
    NodeConfig fromFile = NodeConfig.from(Settings.load(file));
    NodeConfig defaults = NodeConfig.from(Settings.empty());
    assertThat(fromFile).isEqualTo(defaults);
  }

  @Test
  void scrapeTargetsAreReadAndMisspeltKeysInsideThemNamed(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    Path f = dir.resolve("loupe.yaml");
    java.nio.file.Files.writeString(f, """
        scrape:
          targets:
            - job: node
              url: http://127.0.0.1:9100/metrics
              interval: 30s
              labels: {dc: eu-1}
        """);
    NodeConfig c = NodeConfig.from(Settings.load(f));
    assertThat(c.scrapeTargets()).hasSize(1);
    assertThat(c.scrapeTargets().get(0).timeout()).isEqualTo(java.time.Duration.ofSeconds(10));
    assertThat(c.scrapeTargets().get(0).labels().get("dc")).isEqualTo("eu-1");
    java.nio.file.Files.writeString(f, """
        scrape:
          targets:
            - {job: node, url: "http://127.0.0.1:9100/metrics", intervall: 30s}
        """);
    assertThatThrownBy(() -> NodeConfig.from(Settings.load(f))).hasMessageContaining("scrape.targets[0]")
        .hasMessageContaining("intervall");
  }

  @Test
  void otherTargetsAreRefusedClearly() {
    Settings s = Settings.empty();
    s.override("target", "ingester");
    assertThatThrownBy(() -> NodeConfig.from(s)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("target: 'ingester'");
  }

  @Test
  void flagsOverrideAndUnknownFlagsFail() {
    Settings s = Main.parse(new String[] {"--http-port", "0", "--data-dir=/tmp/x"});
    NodeConfig c = NodeConfig.from(s);
    assertThat(c.httpPort()).isZero();
    assertThat(c.dataDir()).isEqualTo(Path.of("/tmp/x"));
    assertThatThrownBy(() -> Main.parse(new String[] {"--http-prot", "1"})).hasMessageContaining("--http-prot");
    assertThatThrownBy(() -> Main.parse(new String[] {"--http-port", "http"})).hasMessageContaining("port number");
  }
}
