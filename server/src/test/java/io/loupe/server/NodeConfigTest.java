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
